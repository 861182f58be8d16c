"""The message classifier: intent, request, sentiment and language of what customers write.

Examples are written for these tests from the language of customer support (docs/metrics.md,
"Message classes"); the dev set's figures are checked in test_evaluation.py.
"""

from __future__ import annotations

import pytest

from socialpulse import classify as classifier
from socialpulse.classify import CLASSIFIER_VERSION, INTENTS, classify, normalise


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
