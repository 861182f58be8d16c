"""The message classifier: intent, request, sentiment and language of what customers write.

Examples are written for these tests from the language of customer support (docs/metrics.md,
"Message classes"); the dev set's figures are checked in test_evaluation.py.
"""

from __future__ import annotations

import pytest

from socialpulse import classify as classifier
from socialpulse.classify import CLASSIFIER_VERSION, INTENTS, classify, classify_messages, normalise


@pytest.mark.parametrize(
    "text",
    [
        "I can't log in since this morning",
        "still not working",
        "I was charged twice for November",
        "your site is down again",
        "The app doesn\u2019t work on my iPad",  # a curly apostrophe, as 14 of 60 in the real data
        "Tried reinstalling, same problem",
        "this update sux 😡",
        "Only been waiting 5 years!!!",
        "Lol you sent me a link to people complaining and you still aren't fixing the problem",
    ],
)
def test_problem_reports_are_negative_complaints_that_need_an_answer(text):
    c = classify(text)
    assert (c.intent, c.is_request, c.is_negative) == ("complaint", True, True)


@pytest.mark.parametrize(
    "text",
    ["thanks!", "ok will do", "Sorted, cheers", "Thank you, that worked", "Ok, will DM", "Will do for sure"],
)
def test_closings_are_thanks_that_open_no_request(text):
    c = classify(text)
    assert (c.intent, c.is_request, c.is_negative) == ("thanks", False, False)


def test_a_negated_problem_is_not_negative():
    c = classify("No error anymore, thanks!")
    assert (c.intent, c.is_negative, c.is_request) == ("thanks", False, False)
    assert classify("It's not skipping at the moment, fingers crossed").is_negative is False


def test_a_problem_reported_politely_is_still_negative():
    c = classify("Hi, thanks for replying. I'm afraid it's still not fixed :(")
    assert c.intent == "complaint" and c.is_negative


@pytest.mark.parametrize(
    "text",
    ["Is there a student discount?", "How do I change my email address", "هل يمكنني تغيير كلمة المرور؟"],
)
def test_questions_need_an_answer_and_are_not_negative(text):
    c = classify(text)
    assert (c.intent, c.is_request, c.is_negative) == ("question", True, False)


def test_full_width_and_arabic_question_marks_are_question_marks():
    assert normalise("できますか\uff1f") == "できますか?"
    assert normalise("هل هذا صحيح؟").endswith("?")
    assert classify("パスワードを変更できますか\uff1f").intent == "question"


def test_normalisation_is_nfkc_casefolded_with_one_apostrophe():
    assert normalise("DOESN\u2019T \uff37\uff2f\uff32\uff2b") == "doesn't work"
    assert normalise("Straße") == "strasse"
    assert normalise("Tom &amp; Jerry") == "tom & jerry"


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("La aplicación no funciona desde ayer", "complaint", "es"),
        ("Muchas gracias, ya funciona de nuevo", "thanks", "es"),
        ("Die App funktioniert seit dem Update nicht mehr", "complaint", "de"),
        ("Vielen Dank für die schnelle Hilfe", "thanks", "de"),
        ("L'application ne marche pas depuis hier soir", "complaint", "fr"),
        ("Merci beaucoup pour votre aide", "thanks", "fr"),
        ("O aplicativo não funciona no meu celular", "complaint", "pt"),
        ("Muito obrigado pela ajuda", "thanks", "pt"),
    ],
)
def test_spanish_german_french_and_portuguese_problems_and_closings(text, intent, language):
    c = classify(text)
    assert (c.intent, c.language) == (intent, language)
    assert c.is_request is (intent == "complaint")


def test_language_is_iso_639_1_or_null_when_undetermined():
    assert classify("My playlist keeps skipping songs on my phone").language == "en"
    assert classify("アプリが動きません").language == "ja"
    # no letters, or too few to tell
    assert classify("😡😡 https://t.co/abc").language is None
    assert classify("@SpotifyCares ok").language is None
    assert classify("").language is None


def test_emoji_only_is_a_feeling_not_a_request_but_a_bare_screenshot_is():
    assert classify("@SpotifyCares ❤️").is_request is False
    assert classify("@SpotifyCares :( :( :(").is_negative is True
    assert classify("@SpotifyCares :( :( :(").is_request is False
    assert classify("@SpotifyCares https://t.co/zSdbOUFXSA").is_request is True


def test_in_a_thread_a_closing_opens_no_request_and_a_new_problem_does():
    ours = "Hi! Try logging out and back in, and let us know how it goes."
    assert classify("Thanks! That did it", previous_message=ours).is_request is False
    follow_up = classify("Thanks, but it still crashes when I open a playlist", previous_message=ours)
    assert (follow_up.intent, follow_up.is_request) == ("complaint", True)


def test_the_details_our_reply_asked_for_need_an_answer():
    c = classify("iPhone 8, iOS 11.2", previous_message="What device and iOS version are you on?")
    assert (c.intent, c.is_request, c.is_negative) == ("other", True, False)


def test_chatter_needs_no_answer():
    assert classify("lol don't listen to her").is_request is False


def test_a_message_the_network_classified_keeps_its_intent():
    c = classify("thanks, the app crashed again", network_intent="question")
    assert c.intent == "question" and c.is_request


def test_sentiment_is_vaders_compound_score_and_the_version_is_recorded():
    assert classify("I love this, you are awesome").sentiment > 0.5
    assert classify("This is terrible, I hate it").sentiment < -0.5
    assert classify("hello").classifier_version == CLASSIFIER_VERSION
    assert set(INTENTS) == {"question", "complaint", "thanks", "praise", "other"}


def test_the_lexicon_and_the_language_model_are_loaded_once_per_process():
    assert classifier._vader() is classifier._vader()
    assert classifier._langid() is classifier._langid()


def test_nothing_is_fetched_at_run_time(monkeypatch):
    """Both libraries ship their data: with sockets refused, classification still works."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the classifier tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    classifier._vader.cache_clear()
    classifier._langid.cache_clear()
    classifier._classify.cache_clear()
    c = classify("Still waiting for my refund, this is ridiculous")
    assert c.is_negative and c.language == "en"


# -- the messages table: classified when it enters the lake ------------------------------------------
def _messages(*rows):
    from socialpulse import model

    base = {"network": "x", "account_id": "care", "channel": "mention", "author_id": "ann"}
    return model.table_from_rows("messages", [{**base, **row} for row in rows])


def _at(hour):
    import datetime as dt

    return dt.datetime(2026, 3, 2, hour, tzinfo=dt.UTC)


def test_classify_messages_fills_the_derived_columns_of_inbound_messages_only():
    table = classify_messages(
        _messages(
            {
                "message_id": "1",
                "thread_id": "1",
                "created_at": _at(9),
                "direction": "inbound",
                "text": "My app keeps crashing",
            },
            {
                "message_id": "2",
                "thread_id": "1",
                "parent_id": "1",
                "created_at": _at(10),
                "direction": "outbound",
                "author_id": "care",
                "text": "Which phone is it?",
            },
            {
                "message_id": "3",
                "thread_id": "1",
                "parent_id": "2",
                "created_at": _at(11),
                "direction": "inbound",
                "text": "A Pixel 6, Android 14",
            },
        )
    ).to_pylist()
    first, ours, details = table
    assert (first["intent"], first["is_request"], first["is_negative"], first["language"]) == (
        "complaint",
        True,
        True,
        "en",
    )
    assert first["classifier_version"] == CLASSIFIER_VERSION and first["network_intent"] is None
    assert all(
        ours[c] is None
        for c in ("intent", "is_request", "sentiment", "is_negative", "language", "classifier_version")
    )
    # the previous message of the thread, our question, makes the details a request
    assert (details["intent"], details["is_request"]) == ("other", True)


def test_a_network_intent_is_kept_and_survives_reclassification():
    table = _messages(
        {
            "message_id": "1",
            "thread_id": "1",
            "created_at": _at(9),
            "direction": "inbound",
            "intent": "praise",
            "text": "this is broken",
        },
    )
    once = classify_messages(table)
    twice = classify_messages(once)
    assert once.to_pylist() == twice.to_pylist()  # idempotent
    row = twice.to_pylist()[0]
    assert (row["network_intent"], row["intent"], row["is_request"]) == ("praise", "praise", False)
    assert row["is_negative"] is True  # the text still says something is broken


def test_messages_are_classified_when_imported_from_an_export(tmp_path):
    from socialpulse.domain import Account
    from socialpulse.exports import import_file
    from socialpulse.lake import Lake
    from socialpulse.paths import REPO_ROOT

    lake = Lake(tmp_path)
    account = Account(network="x", account_id="tesco", handle="@Tesco", purpose="service")
    import_file(lake, "twcs", REPO_ROOT / "tests" / "data" / "twcs-sample" / "sample.csv", account)
    messages = lake.read("messages").to_pylist()
    inbound = [m for m in messages if m["direction"] == "inbound"]
    assert inbound and all(m["classifier_version"] == CLASSIFIER_VERSION for m in inbound)
    assert all(m["intent"] in INTENTS and m["is_request"] is not None for m in inbound)
    assert all(m["classifier_version"] is None for m in messages if m["direction"] == "outbound")


def test_messages_are_classified_when_extracted_from_an_api_before_validation(tmp_path):
    from helpers import CARE, day_interval, write_config

    from socialpulse import pipeline
    from socialpulse.config import load_config
    from socialpulse.lake import Lake

    config = load_config(write_config(tmp_path))
    import datetime as dt

    interval = day_interval(dt.date(2026, 4, 2))
    pipeline.extract(config, config.account("simulated/care"), interval)
    staged = Lake.from_config(config).read_staged(CARE, interval)["messages"].to_pylist()
    inbound = [m for m in staged if m["direction"] == "inbound"]
    assert inbound and all(m["classifier_version"] == CLASSIFIER_VERSION for m in inbound)
    # the simulated network classifies its messages: its intent is kept
    assert all(m["intent"] == m["network_intent"] for m in inbound)
    assert {m["is_request"] for m in inbound if m["intent"] in ("question", "complaint")} == {True}
