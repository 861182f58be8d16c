"""normalised_text (include/sql/_macros.sql): the words repeats compare, checked against its definition."""

import re
import unicodedata

import duckdb
import pytest

from socialpulse.metrics import MACROS, mart_sql

# RE2's \S, as the macro's regular expression has it: ASCII whitespace only.
LINK = re.compile(r"https?://[^\t\n\f\r\v ]+")

TEXTS = [
    "Flash sale! 30% off everything https://shop.example/a",
    "Größe & Grüße!!  see https://x.co/a?b=1 now",
    "(https://a.b) ok",
    "xhttps://a.b y",
    "HTTPS://UPPER.EXAMPLE/X Hello",
    "http:// and http:/ are no links",
    "日本語のテキスト、です。",
    "مرحبا بكم 123",
    "  leading -- trailing  ",
    "e-mail\tme\n\nplease",
    "cafe\u0301 de\u0301ja\u0300 vu 🎉🎉 50% off",
    "no\u00a0break\u2003em space",
    "a . b , c",
    "a  b   c",
    "",
    "!!!",
]


def by_the_definition(text: str | None) -> str:
    """Lower case and NFC, then every run of links and characters that are not letters or marks
    becomes one space, then the spaces at either end go."""
    text = unicodedata.normalize("NFC", text or "").lower()
    words, gap = [], False
    position = 0
    while position < len(text):
        link = LINK.match(text, position)
        if link:
            gap, position = True, link.end()
            continue
        character = text[position]
        if unicodedata.category(character)[0] in "LM":
            if gap and words:
                words.append(" ")
            words.append(character)
            gap = False
        else:
            gap = True
        position += 1
    return "".join(words)


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute(mart_sql(MACROS))
    yield con
    con.close()


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_is_reduced_to_its_words_as_defined(con, text):
    assert con.execute("SELECT normalised_text(?)", [text]).fetchone()[0] == by_the_definition(text)


def test_links_prices_and_punctuation_go_and_letters_of_every_script_stay(con):
    def normalised(text: str | None) -> str:
        return con.execute("SELECT normalised_text(?)", [text]).fetchone()[0]

    assert (
        normalised("FLASH SALE: 40% off everything!! https://shop.example/b") == "flash sale off everything"
    )
    assert normalised("Größe & Grüße!!  see https://x.co/a?b=1 now") == "größe grüße see now"
    assert normalised("cafe\u0301 au lait") == "caf\u00e9 au lait"  # NFC: one letter
    assert normalised("日本語のテキスト、です。") == "日本語のテキスト です"
    assert normalised(None) == ""
