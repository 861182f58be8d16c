"""What a customer's message is: its intent, whether it needs an answer, its sentiment, its language.

Applied to every inbound message when it enters the lake (docs/metrics.md, "Message classes").
Sentiment comes from VADER (vaderSentiment, a lexicon made for social media text, emoji and
slang), corrected by our own support rules: a problem report ("still not working", "charged
twice") is negative however politely it is put, a resolution ("no error anymore") is not. The
language comes from py3langid, whose model ships in its wheel. Both are loaded once per process;
nothing is downloaded at run time.

The rules are phrases of customer support in English, Spanish, German, French and Portuguese,
matched on the normalised text (NFKC, casefolded, one apostrophe and one question mark).
CLASSIFIER_VERSION changes whenever a rule does, so `python -m socialpulse reclassify` can bring
history up to date and a mart can tell which rules judged a message.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

CLASSIFIER_VERSION = "rules-2026.12-1"

INTENTS = ("question", "complaint", "thanks", "praise", "other")

# VADER's compound score at or below which a message reads as negative without any support rule.
NEGATIVE_COMPOUND = -0.5
# py3langid's normalised probability below which the language is left undetermined (null), and
# the fewest letters a text needs before it is tried at all: "USA" or "ok" are no evidence.
LANGUAGE_MIN_CONFIDENCE = 0.5
LANGUAGE_MIN_LETTERS = 3

_APOSTROPHES = str.maketrans({c: "'" for c in "\u2018\u2019\u201b\u02bb\u02bc\u02bd\u2032\u0060\u00b4"})
# NFKC already folds the full-width question mark; the Arabic, Greek and inverted ones stay distinct.
_QUESTION_MARKS = str.maketrans({"\u061f": "?", "\u037e": "?", "\u2e2e": "?", "\ufe56": "?"})
_LINK = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<!\w)@\w+")
_HTML_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def normalise(text: str | None) -> str:
    """NFKC, casefolded, with one apostrophe and one question mark: the form every rule reads."""
    if not text:
        return ""
    for entity, char in _HTML_ENTITIES.items():
        if entity in text:
            text = text.replace(entity, char)
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.translate(_APOSTROPHES).translate(_QUESTION_MARKS)


def _words(*phrases: str) -> re.Pattern[str]:
    """One case-folded pattern of alternatives, each anchored at word boundaries."""
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)")


# -- the support rules -------------------------------------------------------------------------------
# Something is wrong: faults, failures, waiting, money taken, and the words of displeasure.
_NEG = r"(?:not|no|never|n't|cant|cannot|wont|dont|doesnt|didnt|isnt|arent|wasnt|havent|hasnt)"
PROBLEM = _words(
    # en: faults
    r"(?:is|are|isn't|aren't|was|wasn't|not|stopped|stop|keeps?|quit|no longer|never|hardly) (?:\w+ )?work(?:s|ing|ed)?",
    r"(?:does|do|did|will|would|could|wo|ca)(?: not|n't) (?:\w+ )?(?:work|load|play|open|help|let|show|connect|sync|download|start|stop|change|come|appear|allow|recogni[sz]e|accept|give|find|get|receive|send|arrive|save|update|reach|respond|reply|answer)\w*",
    r"(?:doesnt|dont|didnt|wont|cant) (?:\w+ )?(?:work|load|play|open|help|let|show|connect|sync|download|start)\w*",
    r"(?:can't|cant|cannot|can not|couldn't|couldnt|unable to|not able to|impossible to|won't let me|wont let me)(?! (?:remember|recall|wait|thank|believe|tell you|stop listening))",
    r"impossible",
    r"still (?:\w+ )?(?:not|no|nothing|never|the same|same|happening|waiting|broken|having|getting|telling|skipping|confused|killing|\w+n't|cant|wont|dont|doesnt|isnt|have the same)",
    r"(?:same|this|that|the|an?|my|no|any) (?:\w+ )?(?:issue|problem|error|bug|result)s?",
    r"issues?|problems?|errors?|bugs?|glitch\w*|trouble\w*|faults?|concern",
    r"crash\w*|freez\w*|froze|lag\w*|slow\w*|stuck|broken|broke|down|outage|disconnect\w*|drain\w*",
    r"skip(?:s|ping|ped)?|disappear\w*|gone|missing|lost|deleted|removed|reset(?:s|ting)? itself",
    r"not (?:\w+ )?(?:available|showing|loading|playing|possible|fixed|resolved|received|right|correct|there|happy|good|fair|ok|okay)",
    r"unavailable|no (?:change|difference|response|reply|answer|sound|audio|luck|option|way|one)",
    r"nothing (?:\w+ )?(?:happens|changes|changed|works|comes up|seems to be working|shows)",
    r"didn't help|did not help|doesn't help|does not help|no help",
    r"tried (?:\w+ )?(?:everything|that|this|both|all|again|it|deleting|reinstall\w*|restart\w*|logging|several|many|multiple)",
    r"(?:has|have|it's|is) (?:come back|happening again|back again)|again today|happening again",
    r"charged|overcharged|refund\w*|double charge\w*|hacked|hijacked|scam\w*|thie(?:f|ves)|stole\w*",
    r"(?:still|been|keep|kept) waiting|waiting (?:for (?:a |an |over |\d+ |hours|days|weeks|months|ages|so long))|no(?:body| one) (?:here|answers?|replie[sd]|responds?|to help|helps?|cares)",
    r"delay\w*|cancel(?:l?ed)|late again",
    r"worst|terrible|horrible|awful|useless|ridiculous|unacceptable|pathetic|disgrace\w*|disgust\w*|shameful|joke",
    r"disappoint\w*|frustrat\w*|annoy\w*|angry|furious|fed up|sick of|tired of|hate|sucks?|sux|crap\w*|rubbish",
    r"wtf|ffs|smh|grr+\w*|ugh+|f+u*ck\w*|f uck\w*|shit\w*|damn",
    r"fix (?:it|this|that|your)|sort (?:\w+ )+out|please help|help me|help!|need help",
    r"thanks? (?:a lot |so much )?for nothing|thank god i'm not|please (?:reply|respond|answer|get back)|any (?:update|news) ?\?|still no (?:update|news|word)|but (?:it|that|this) (?:is|was|does|did)(?:n't| not)",
    r"(?:this is|here's|here is|that's) what (?:\w+ ){0,2}(?:tells|shows|says|get|see|looks|happens|comes up)\w*|greeted with|shows up when|(?:can|could) only (?:\w+ )?(?:replicate|reproduce)|happening|happens every",
    r"nowhere|no where|no way to|there's no|there is no|(?:doesn't|does not) seem to be a way|no option",
    r"(?:i've|i have|i've been|been) trying|me too|same here|suffer\w*|struggl\w*|i wish|you should|should have|deaf|blind|sarcastic|loss of|in question|doing the same|same as (?:my|the|before)",
    r"(?:started|began|since|after) (?:\w+ ){0,3}updat\w*|hope (?:\w+ )?(?:can|will) (?:find|fix|sort|solve)|a solution",
    r"why (?:\w+ )?(?:is|isn't|does|doesn't|can't|won't|do|don't|did|are|aren't|would|discriminate)",
    r"confus\w*|paralys\w*|ruin\w*|kill(?:s|ing)?|mess(?:ed)? up|messed",
    # es
    r"no (?:me )?(?:funciona|sirve|carga|anda|puedo|deja|llega|responde\w*)|sigue sin|error|fallo|problema\w*|queja|reembolso|cobr(?:o|aron|ado)\w*|todavía no|aún no|pésimo|horrible|vergüenza",
    # de
    r"funktioniert (?:\w+ ){0,4}nicht|geht (?:\w+ ){0,3}nicht|kein(?:e|en)? (?:verbindung|antwort|ton)|fehler|problem\w*|kaputt|abgestürzt|stürzt|immer noch|noch immer|warte\w*|ärger\w*|beschwerde|erstattung|unverschämt|katastrophe",
    # fr
    r"(?:ne|n') ?(?:\w+ )?(?:marche|fonctionne|charge|peux|peut) (?:\w+ )?pas|marche pas|fonctionne pas|bug\w*|erreur|panne|problème\w*|toujours pas|rembourse\w*|plainte|inadmissible|nul(?:le)?",
    # pt
    r"não (?:\w+ )?(?:funciona|consigo|carrega|abre|toca|chegou|responde\w*)|erro|falha|problema\w*|reclama\w*|reembolso|cobra(?:do|ram)|ainda não|péssimo|horrível|absurdo",
)
# Emoji and emoticons of displeasure (VADER reads some, not all).
PROBLEM_SYMBOLS = re.compile(
    "[\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f629\U0001f62b\U0001f612\U0001f611\U0001f644\U0001f928\U0001f44e\U0001f494\U0001f61e\U0001f61f\U0001f615]|:-?\\(|>:"
)

# The problem is over, or there was none: these undo the problem words they contain.
RESOLVED = _words(
    r"no (?:\w+ )?(?:error|issue|problem|bug)s? (?:any ?more|now|since|again)",
    r"(?:not|no longer|isn't|wasn't) (?:\w+ )?(?:an? )?(?:issue|problem|big deal)",
    r"(?:not having|don't have|didn't have) (?:an? |any )?(?:issue|problem)s?",
    r"no need to worry|no worries|no problem|not a problem|problem solved|issue solved",
    r"not (?:\w+ )?(?:skip\w*|crash\w*|freez\w*|lag\w*|happening|buffer\w*)(?: \w+){0,3}? (?:any ?more|now|at the mo\w*|at this (?:stage|point|time)|so far|since)",
    r"(?:now|again) (?:it's |it is )?(?:work\w*|fine|ok|okay|good)|(?:work\w*|fine|ok|okay) (?:now|again)",
    r"(?:is|it's|all|that's|got|been) (?:\w+ )?(?:fixed|sorted|resolved|solved)|sorted (?:now|it)",
    r"(?:that|it|this|which) (?:\w+ )?worked|worked!|back to life|come back to life|(?<!nothing )seems to be working|(?:they|you|we|i) (?:\w+ )?(?:sorted|fixed|solved|resolved) it",
    r"figured (?:it )?out|(?:found|figured out) (?:a |the )?(?:fix|work ?around|solution)",
    r"funciona (?:ya|de nuevo|otra vez|bien)|ya funciona|resuelto|solucionado",
    r"funktioniert (?:wieder|jetzt)|gelöst|behoben",
    r"(?:ça|ca) (?:re)?marche|fonctionne (?:à nouveau|de nouveau)|résolu|réglé",
    r"funciona(?:ndo)? (?:de novo|agora)|já funciona|resolvido",
)

# Closings: gratitude, confirmation, "will do", goodbyes. Nobody needs to answer them.
CLOSING = _words(
    r"thanks?|thank (?:you|u|ya)|thx|thnx|tks|ty|tysm|cheers|ta|appreciate\w*|grateful|much obliged",
    r"ok(?:ay|ey|é)?|kk|alright|all right|sure thing|for sure|noted|got it|gotcha|understood|perfect|great|brilliant|cool|nice|awesome",
    r"will do|i will|(?:i'll|ill|i will) (?:try|do|dm|check|give|drop|send|keep|wait|look|let)|will (?:try|dm|check|let you know)|let you know",
    r"(?:all )?sorted|done|just did|did it|did that|already (?:sent|send|did|done|dm\w*)|(?:sent|dm'?e?d) (?:you|it|that)",
    r"sounds good|that's fine|that's ok|fair enough|good to know|makes sense|no worries|bye|goodbye|have a (?:good|great|nice) (?:\w+ )?day",
    r"sorry (?:to have |for )?(?:bother\w*|the trouble)|my bad",
    r"gracias|muchas gracias|vale|listo|perfecto|de acuerdo|resuelto",
    r"danke|vielen dank|danke schön|alles klar|erledigt|passt|super",
    r"merci|merci beaucoup|d'accord|parfait|c'est bon|réglé",
    r"obrigad[oa]|valeu|beleza|perfeito|resolvido|tudo certo",
)
CLOSING_SYMBOLS = re.compile(
    "[\U0001f64f\U0001f44d\U0001f44c\u2764\U0001f495\U0001f496\U0001f497\U0001f493\U0001f60a\U0001f60d\U0001f601\U0001f642\U0001f389]"
)
# A closing that only counts at the start: "Sure!", "Yes, done", "Cool".
CLOSING_START = re.compile(r"^(?:sure|yes,? done|yep,? done|cool|great|perfect|nice|alright)(?!\w)")

PRAISE = _words(
    r"love (?:\w+ )?(?:you|it|this|the|spotify|your|how|that)|i love|loving|in love",
    r"awesome|amazing|the best|brilliant|fantastic|excellent|great (?:job|work|service|app|update)|well done|solid|sweet|you rock|rocks|legend|kudos",
    r"me encanta|genial|excelente|ich liebe|toll|großartig|j'adore|génial|excellent|adoro|ótimo|incrível",
)

# Asking: a question mark, or a sentence that opens with a question word or asks outright.
ASKING = re.compile(
    r"\?|(?:^|[.!]\s+)(?:how|what|when|where|why|which|who|whom|anyone|(?:can|could|would|will|is|are|do|does|did|should|may|shall|has|have|any) (?:i|you|we|it|they|he|she|there|this|that|these|those|my|your|the|someone|anyone|anybody|somebody))\s"
    r"|(?<!\w)(?:i'd like|i would like|i want to (?:know|find out)|wondering|can i ask|please (?:tell|advise|let me know|confirm|send|explain)|i need (?:a|an|to|help)|lemme get|let me know)(?!\w)"
    r"|(?<!\w)(?:cómo|cuándo|dónde|por qué|qué|cuál|puedo|wie|wann|wo|warum|kann ich|können sie|comment|quand|pourquoi|est-ce que|como|quando|onde|porque|posso)(?!\w)"
)

# Chatter: laughter, a bare greeting, hopes. Not a request when nothing else is said.
CHATTER = re.compile(
    r"(?<!\w)(?:lol|lmao|rofl|haha\w*|hehe\w*|xd|fingers crossed|hello|hi|hey|yo|jaja\w*|mdr|kkk+)(?!\w)|\U0001f602|\U0001f923"
)

# Our reply asked for details ("what device?", "can you DM us?"): the answer is information the
# agent needs, so it still needs an answer even when it says nothing wrong.
AGENT_ASKS = re.compile(r"\?|(?<!\w)(?:dm us|send us|let us know|tell us|reach out)(?!\w)")


@dataclass(frozen=True)
class Classification:
    """One message judged: the canonical columns of docs/data-model.md."""

    intent: str
    is_request: bool
    sentiment: float
    is_negative: bool
    language: str | None
    classifier_version: str = CLASSIFIER_VERSION


@functools.cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.cache
def _langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # ISO 639-1 only: the model's three-letter varieties (ary, arz, yue...) fold into their
    # language's two-letter code (ar, zh) or out; zxx ("no linguistic content") goes.
    identifier.set_languages([code for code in identifier.labels if len(code) == 2])
    return identifier


def _content(text: str) -> str:
    """The words the customer wrote: normalised, without links and @mentions."""
    return " ".join(_MENTION.sub(" ", _LINK.sub(" ", text)).split())


_HASHTAG = re.compile(r"#\w+")


def language(text: str | None) -> str | None:
    """ISO 639-1 code of the text, or None: too few letters, or the identifier is not sure."""
    return _language(_content(normalise(text)))


def _language(content: str) -> str | None:
    words = _HASHTAG.sub(" ", content)
    if sum(c.isalpha() for c in words) < LANGUAGE_MIN_LETTERS:
        return None
    code, confidence = _langid().classify(words)
    return code if confidence >= LANGUAGE_MIN_CONFIDENCE else None


def classify(
    text: str | None, previous_message: str | None = None, network_intent: str | None = None
) -> Classification:
    """Judge one inbound message; previous_message is the message before it in the thread.

    A message the network classified keeps the network's intent, and needs an answer when that
    intent is a question or a complaint; sentiment and language are still read from the text.
    """
    # The judgement is cached on what it reads: the normalised words (the same complaint with
    # another @mention or link is judged once), whether a bare link was sent, and whether our
    # previous message asked for something.
    content = _content(normalise(text))
    bare_link = bool(text and _LINK.search(text)) and not any(c.isalpha() for c in content)
    asked = bool(previous_message) and bool(AGENT_ASKS.search(normalise(previous_message)))
    return _classify(content, bare_link, asked, network_intent or None)


@functools.lru_cache(maxsize=1 << 18)
def _classify(content: str, bare_link: bool, agent_asked: bool, network_intent: str | None) -> Classification:
    score = float(_vader().polarity_scores(content)["compound"])
    resolved = bool(RESOLVED.search(content))
    stripped = RESOLVED.sub(" ", content) if resolved else content
    problem = bool(PROBLEM.search(stripped) or PROBLEM_SYMBOLS.search(stripped))
    closing = bool(
        CLOSING.search(content) or CLOSING_SYMBOLS.search(content) or CLOSING_START.search(content)
    )
    asking = bool(ASKING.search(content))
    praise = bool(PRAISE.search(content))
    if network_intent:
        intent = network_intent
    elif problem and not resolved:
        intent = "complaint"
    elif asking:
        intent = "question"
    elif closing or resolved:
        intent = "thanks"
    elif praise:
        intent = "praise"
    else:
        intent = "other"
    if network_intent:
        is_request = network_intent in ("question", "complaint")
    elif not any(c.isalpha() for c in content):
        # emoji and emoticons only ("❤️", ":( :("): a feeling, nothing to answer; a bare link or
        # screenshot is what the agent asked for, or shows what went wrong
        is_request = bare_link
        if intent == "complaint":
            intent = "other"
    elif intent in ("complaint", "question"):
        is_request = True
    elif intent in ("thanks", "praise"):
        is_request = False
    elif agent_asked:
        is_request = True  # the details our reply asked for
    else:
        # "other": information the agent needs ("iPhone 7, iOS 11"), unless it is only chatter
        is_request = not CHATTER.search(content) and score > -0.6
    negative = intent == "complaint" or problem or score <= NEGATIVE_COMPOUND
    return Classification(
        intent=intent,
        is_request=is_request,
        sentiment=round(score, 4),
        is_negative=negative,
        language=_language(content),
    )


# -- the messages table ------------------------------------------------------------------------------
DERIVED_COLUMNS = ("intent", "is_request", "sentiment", "is_negative", "language", "classifier_version")
_TYPES = {
    "network_intent": "string",
    "intent": "string",
    "is_request": "bool",
    "sentiment": "float64",
    "is_negative": "bool",
    "language": "string",
    "classifier_version": "string",
}


def classify_messages(messages: pa.Table) -> pa.Table:
    """The messages table with the derived columns of every inbound message (re)computed.

    Idempotent: run again (by `reclassify`, with a newer classifier) it recomputes the same
    columns from the same inputs. The intent a network gave is kept in network_intent the first
    time (a row no classifier has seen: classifier_version empty) and wins over ours every time.
    The previous message in the thread is the context: the message's parent when it is in the
    table, else the latest earlier message of its thread; only our own (outbound) previous
    message counts, as the question a reply answers. Outbound messages get no derived columns.
    """
    import pyarrow as pa

    n = messages.num_rows
    if n == 0:
        return messages
    cols = messages.to_pydict()
    ids, texts, directions = cols["message_id"], cols["text"], cols["direction"]
    parents = cols.get("parent_id") or [None] * n
    threads = cols.get("thread_id") or ids
    created = cols["created_at"]
    versions = cols.get("classifier_version") or [None] * n
    stored = cols.get("network_intent") or [None] * n
    # a row no classifier has seen carries the network's own intent (or none) in `intent`
    network_intents = [
        s if v is not None else g
        for s, v, g in zip(stored, versions, cols.get("intent") or [None] * n, strict=True)
    ]
    by_id = {m: i for i, m in enumerate(ids)}
    # the latest earlier message of each thread, in time order (ties: ours after the customer's)
    order = sorted(range(n), key=lambda i: (threads[i], created[i], directions[i] == "outbound", ids[i]))
    before: dict[int, int] = {}
    for a, b in itertools.pairwise(order):
        if threads[a] == threads[b]:
            before[b] = a
    out: dict[str, list[Any]] = {name: [None] * n for name in DERIVED_COLUMNS}
    out["network_intent"] = [
        x if d == "inbound" else None for x, d in zip(network_intents, directions, strict=True)
    ]
    for i in range(n):
        if directions[i] != "inbound":
            continue
        j = by_id.get(parents[i]) if parents[i] is not None else None
        if j is None:
            j = before.get(i)
        previous = texts[j] if j is not None and directions[j] == "outbound" else None
        c = classify(texts[i], previous, network_intents[i])
        out["intent"][i] = c.intent
        out["is_request"][i] = c.is_request
        out["sentiment"][i] = c.sentiment
        out["is_negative"][i] = c.is_negative
        out["language"][i] = c.language
        out["classifier_version"][i] = c.classifier_version
    for name, kind in _TYPES.items():
        array = pa.array(out[name], pa.type_for_alias(kind))
        if name in messages.column_names:
            messages = messages.set_column(messages.column_names.index(name), name, array)
        else:
            messages = messages.append_column(name, array)
    return messages


def classify_tables(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """An extraction or an export with its messages classified: what enters staging and the lake."""
    if "messages" not in tables:
        return tables
    return {**tables, "messages": classify_messages(tables["messages"])}
