"""A term's target in the form its source gives it: "orders" → "pedidos", "you will get" → "recibirás".

A plural noun keeps its number; a forced verb takes its tense, person and number from its clause:
for an English source by the clause's auxiliaries and subject (will → future, would → conditional,
to / a modal → infinitive, did / a past form → preterite, have → participle, be + -ing → gerund),
for a Romance source from the verb's own tags. The tone check then moves the person to the brand's
register ("recibirás" → "recibirá"). Pure; the analysers are injected (see glossary/inflect.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from glossary.inflect import (
    _GENDERS,
    _NOUNS,
    _NUMBERS,
    _SENTENCE_GAP,
    _VERBS,
    Word,
    _cat,
    _generate,
    _lemma,
    _tag,
    analyse,
    inflect_phrase,
)
from glossary.terms import Term
from glossary.tone.core import Morphology, _Part, _Reading

_EN_SKIP = frozenset("not also soon never always just then now already still really definitely probably only t".split())
_EN_FUTURE = frozenset({"will", "ll", "shall", "won"})
_EN_CONDITIONAL = frozenset({"would"})
_EN_INFINITIVE = frozenset("to can could should must may might cannot let please help".split())
_EN_BE = frozenset("am is are was were be been being".split())
_EN_HAVE = frozenset({"have", "has", "had", "ve"})
_EN_DID = frozenset({"did", "didn"})
_EN_DO = frozenset({"do", "does", "don", "doesn"})
_EN_AUX = _EN_FUTURE | _EN_CONDITIONAL | _EN_INFINITIVE | _EN_BE | _EN_HAVE | _EN_DID | _EN_DO
_EN_SUBJECTS = {
    "i": ("p1", "sg"),
    "you": ("p2", "sg"),
    "we": ("p1", "pl"),
    "they": ("p3", "pl"),
    "he": ("p3", "sg"),
    "she": ("p3", "sg"),
    "it": ("p3", "sg"),
}
_TENSES = frozenset({"pri", "pii", "ifi", "fti", "cni", "prs", "pis", "fts", "imp", "inf", "ger", "pp"})


def _english_verb(words: Sequence[Word], k: int, text: str, reading: _Reading) -> tuple[str, ...] | None:
    """Romance verb tags (tense, person, number) for the English verb at words[k], from its clause."""
    aux: str | None = None
    j = k - 1
    while j >= 0 and not _SENTENCE_GAP.search(text[words[j].end : words[j + 1].start]):
        low = words[j].text.lower()
        if low in _EN_SKIP or (aux is None and low in _EN_AUX):
            aux = aux or (low if low in _EN_AUX else None)
            j -= 1
            continue
        break
    subject = words[j] if j >= 0 and not _SENTENCE_GAP.search(text[words[j].end : words[j + 1].start]) else None
    low_subject = subject.text.lower() if subject else None
    if low_subject in _EN_SUBJECTS:
        person, number = _EN_SUBJECTS[low_subject]
    elif subject is not None and any(_cat(r) in _NOUNS and _tag(r, _NUMBERS) == "pl" for r in subject.readings):
        person, number = "p3", "pl"
    else:
        person, number = "p3", "sg"
    tags = set(reading.head.tags)
    if aux in _EN_FUTURE:
        return ("fti", person, number)
    if aux in _EN_CONDITIONAL:
        return ("cni", person, number)
    if aux in _EN_INFINITIVE:
        return ("inf",)
    if aux in _EN_HAVE or (aux in _EN_BE and "pp" in tags):
        return ("pp", "m", "sg")
    if aux in _EN_BE:
        return ("ger",)
    if aux in _EN_DID:
        return ("ifi", person, number)
    if aux in _EN_DO:
        return ("pri", person, number)
    if "past" in tags:
        return ("ifi", person, number)
    if "ger" in tags or "pprs" in tags:
        return ("inf",)
    if "pri" in tags:
        return ("pri", _tag(reading, frozenset(("p1", "p2", "p3"))) or person, _tag(reading, _NUMBERS) or number)
    if subject is None:
        return ("imp", "p2", "sg")  # "Get your refund here."
    return ("pri", person, number)


def _romance_verb(reading: _Reading) -> tuple[str, ...] | None:
    tense = _tag(reading, _TENSES)
    if tense is None:
        return None
    if tense in ("inf", "ger"):
        return (tense,)
    if tense == "pp":
        return ("pp", _tag(reading, _GENDERS) or "m", _tag(reading, _NUMBERS) or "sg")
    person, number = _tag(reading, frozenset(("p1", "p2", "p3"))), _tag(reading, _NUMBERS)
    return (tense, person, number) if person and number else None


def fit_target(
    text: str, start: int, end: int, term: Term, source: Morphology, target: Morphology, source_lang: str
) -> str | None:
    """The entry's target in the form the source gives its words at text[start:end], or None to keep
    the target as written (no change needed, or nothing certain to change it to)."""
    if not term.target:
        return None
    targets = analyse(term.target, target)
    if not targets:
        return None
    # The head: first in Romance phrases ("número de seguimiento"), last in English ones. A phrase
    # whose head is neither a noun nor a verb in dictionary form ("ponerse en contacto") stays as written.
    edge = targets[-1] if target.lang == "en" else targets[0]
    heads = [
        (edge, r)
        for r in edge.readings
        if _lemma(r) == edge.text.casefold() and (_cat(r) in _NOUNS or _cat(r) in _VERBS)
    ]
    if not heads:
        return None
    words = analyse(text, source)
    inside = [k for k, w in enumerate(words) if start <= w.start and w.end <= end]
    if not inside:
        return None
    head_word, head = heads[0]
    cats = _VERBS if _cat(head) in _VERBS else _NOUNS
    # The source word that carries the form: the last one of the right part of speech.
    found = [(k, r) for k in reversed(inside) for r in words[k].readings if _cat(r) in cats]
    if not found:
        return None
    k, reading = found[0]
    if cats is _NOUNS:
        number = _tag(reading, _NUMBERS)
        if number != "pl":
            return None
        phrase = inflect_phrase(term.target, "pl", target, head_last=target.lang == "en")
        return None if phrase == term.target else phrase
    tags = _english_verb(words, k, text, reading) if source_lang == "en" else _romance_verb(reading)
    if tags is None or (tags == ("inf",) and "inf" in head.head.tags):
        return None
    new = _Reading((_Part(head.head.lemma, (head.head.tags[0], *tags)),))
    form = _generate(target, new)
    if form is None:
        return None
    return term.target[: head_word.start] + form + term.target[head_word.end :]
