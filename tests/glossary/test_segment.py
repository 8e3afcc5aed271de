"""Sentence splitting that gives back the original whitespace and never breaks a placeholder."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary.protect import protect
from glossary.segment import Segmented, join, split, split_masked


def test_sentences_and_exact_separators():
    text = "  Hello Dr. Smith.  How are you?\n\n1. If you got a damaged item, call us.\r\nThanks!  \n"
    seg = split(text, "en")
    assert seg.sentences == ("Hello Dr. Smith.", "How are you?", "If you got a damaged item, call us.", "Thanks!")
    assert seg.separators == ("  ", "  ", "\n\n1. ", "\r\n", "  \n")
    assert join(seg, seg.sentences) == text


def test_translated_sentences_go_between_the_original_separators():
    seg = split("One.  Two.\n\nThree.", "en")
    assert join(seg, ["Uno.", "Dos.", "Tres."]) == "Uno.  Dos.\n\nTres."


def test_join_refuses_a_wrong_number_of_sentences():
    with pytest.raises(ValueError, match="expected 2"):
        join(split("One. Two.", "en"), ["Uno."])


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "😀 👍", "⟦0⟧ ⟦1⟧", "10:30 – 11:00", "---"])
def test_text_without_letters_is_never_sent(text):
    seg = split(text, "en")
    assert seg.sentences == ()
    assert seg.separators == (text,)


def test_placeholders_are_never_split():
    text = "Your order ⟦0⟧. It ships today ⟦12⟧! Call ⟦3⟧."
    seg = split(text, "en")
    assert seg.sentences == ("Your order ⟦0⟧.", "It ships today ⟦12⟧!", "Call ⟦3⟧.")


def test_letterless_pieces_stay_in_the_separators():
    seg = split("⟦0⟧. Log in to your account.", "en")
    assert seg.sentences == ("Log in to your account.",)
    assert seg.separators == ("⟦0⟧. ", "")


def test_break_placeholders_are_boundaries():
    text = "⟦0⟧Hello ⟦1⟧you⟦2⟧ there⟦3⟧Bye⟦4⟧"
    assert split(text, "en").sentences == ("⟦0⟧Hello ⟦1⟧you⟦2⟧ there⟦3⟧Bye⟦4⟧",)
    seg = split(text, "en", breaks={0, 3, 4})
    assert seg.sentences == ("Hello ⟦1⟧you⟦2⟧ there", "Bye")
    assert seg.separators == ("⟦0⟧", "⟦3⟧", "⟦4⟧")


def test_soft_newlines_only_split_on_blank_lines():
    text = "A wrapped\nsentence here.\n\nNext paragraph."
    assert split(text, "en", soft_newlines=True).sentences == ("A wrapped\nsentence here.", "Next paragraph.")
    assert split(text, "en").sentences == ("A wrapped", "sentence here.", "Next paragraph.")


def test_split_masked_uses_the_masks_breaks():
    masked = protect("<p>Hi <b>you</b>.</p><p>Bye</p>", "html")
    assert split_masked(masked, "en").sentences == ("Hi ⟦1⟧you⟦2⟧.", "Bye")


@pytest.mark.parametrize(
    ("lang", "text", "sentences"),
    [
        ("es", "Hola Sr. García. ¿Cómo está? Bien.", ("Hola Sr. García.", "¿Cómo está?", "Bien.")),
        ("de", "Das ist z.B. gut. Danke!", ("Das ist z.B. gut.", "Danke!")),
        ("pt-BR", "Olá. Tudo bem?", ("Olá.", "Tudo bem?")),
        ("ja", "こんにちは。元気ですか？", ("こんにちは。", "元気ですか？")),
        ("xx-unknown", "One. Two.", ("One.", "Two.")),
    ],
)
def test_other_languages(lang, text, sentences):
    assert split(text, lang).sentences == sentences


def test_segmented_is_frozen():
    seg = split("Hi.", "en")
    assert isinstance(seg, Segmented)
    with pytest.raises(AttributeError):
        seg.sentences = ()  # type: ignore[misc]


# -- properties -------------------------------------------------------------------------------

PIECES = [
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    ".",
    "!",
    "?",
    "。",
    "Dr.",
    "e.g.",
    "Hello",
    "world",
    "1.",
    "⟦0⟧",
    "⟦12⟧",
    "⟦",
    "⟧",
    "😀",
    "\u2028",
    "\x0c",
    "…",
    "¿",
    "\u00a0",
]
TEXTS = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(PIECES), max_size=50).map("".join))


@settings(max_examples=500, deadline=None)
@given(TEXTS, st.sampled_from(["en", "es", "de", "ja", "fr"]), st.booleans(), st.sets(st.integers(0, 15)))
def test_join_of_split_is_the_text(text, lang, soft, breaks):
    seg = split(text, lang, breaks=breaks, soft_newlines=soft)
    assert join(seg, seg.sentences) == text
    assert len(seg.separators) == len(seg.sentences) + 1
    for sentence in seg.sentences:
        assert sentence == sentence.strip() and regex.search(r"\p{L}", sentence)
    # Every placeholder of the text is whole in exactly one sentence or separator.
    found = [p for part in seg.sentences + seg.separators for p in regex.findall(r"⟦\d+⟧", part)]
    assert sorted(found) == sorted(regex.findall(r"⟦\d+⟧", text))
