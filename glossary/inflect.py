"""Glossary entries in any inflected form, with the morphology the tone check already uses.

A termbase lists dictionary forms ("order" → "pedido", "get" → "recibir", forbidden "coger"); text
holds "orders", "you will get", "Cogerá". Given a `Morphology` for the language (an Apertium
analyser and generator, injected by the caller), this module:

- finds an entry's words in any form with the same lemma and part of speech ("orders" for
  "order"; the part of speech is the one the target shares, so order→pedido is the noun);
- inflects a noun phrase's head and adjectives to a number (glossary/target_form.py uses it to
  give a term's target the form its source has: "orders" → "pedidos", "you will get" → "recibirás");
- finds a word of the output in any form of a lemma (a forbidden word, the engine's own rendering
  of a term) and puts another lemma in the same form ("Cogerá" → "Tomará"), with the determiner
  before a noun agreeing in gender ("las órdenes" → "los pedidos").

Without a morphology nothing here finds or changes anything. Pure: no processes, no I/O.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import regex

from glossary.terms import Term
from glossary.tone.core import Morphology, _Part, _Reading, _recase

_WORD = regex.compile(r"\p{L}[\p{L}\p{M}]*")
_SENTENCE_GAP = regex.compile(r"[.!?;:\n]")
_NOUNS = frozenset({"n", "np"})
_EN_DETERMINERS = frozenset(
    "the a an your my our his her their its this that these those any some no each every another".split()
)
_EN_VERB_CONTEXT = frozenset("to will would can could should must may might cannot please i we they".split())
_EN_MAKE = frozenset({"make", "makes", "making", "made"})
_EN_3SG = frozenset("he she it this that who which everyone someone one".split())
_EN_NUMBER_AFTER = regex.compile(r"\s*(?:#|no\.|number\b|n[º°]|\d)", regex.I)
_VERBS = frozenset({"vblex", "vbmod", "vbser", "vbhaver", "vaux"})
_GENDERS = frozenset({"m", "f", "nt"})
_NUMBERS = frozenset({"sg", "pl"})


@dataclass(frozen=True, slots=True)
class Word:
    start: int
    end: int
    text: str
    readings: tuple[_Reading, ...]
    all_lemmas: frozenset[str] = frozenset()  # case-folded, of every reading


def _cat(r: _Reading) -> str:
    return r.head.tags[0] if r.head.tags else ""


def _lemma(r: _Reading) -> str:
    return r.head.lemma.casefold()


def _render(r: _Reading) -> str:
    return "+".join(p.render() for p in r.parts)


def _tag(r: _Reading, options: frozenset[str]) -> str | None:
    return next((t for t in r.head.tags if t in options), None)


@functools.lru_cache(maxsize=65536)
def _readings(analyses: tuple[str, ...]) -> tuple[tuple[_Reading, ...], frozenset[str]]:
    """Parsed readings and their lemmas, memoised: support text reuses few words, and parsing is
    most of the cost."""
    parsed = [_Reading.parse(a) for a in analyses]
    # A multiword lemma ("# falta") or an unparsable reading: treat the word as unknown.
    usable = tuple(r for r in parsed if r is not None and not any(p.tail for p in r.parts))
    return usable, frozenset(r.head.lemma.casefold() for r in usable)


def analyse(text: str, morphology: Morphology) -> list[Word]:
    """The words of `text` with their readings (none for an unknown word)."""
    found = list(_WORD.finditer(text))
    if not found:
        return []
    analyses = morphology.analyse([m.group() for m in found])
    return [
        Word(m.start(), m.end(), m.group(), *_readings(tuple(readings)))
        for m, readings in zip(found, analyses, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class Profile:
    """What one dictionary word of an entry matches: its lemmas in the parts of speech allowed."""

    surface: str  # case-folded, for words the analyser does not know
    lemmas: frozenset[str]
    cats: frozenset[str]

    def reading(self, word: Word) -> _Reading | None:
        """The reading of `word` that is a form of this entry word, or None."""
        if not self.lemmas:
            return None
        for r in word.readings:
            if _lemma(r) in self.lemmas and _cat(r) in self.cats:
                return r
        return None

    def matches(self, word: Word) -> _Reading | bool | None:
        r = self.reading(word)
        if r is not None:
            return r
        return word.text.casefold() == self.surface


def profile(word: Word, restrict: frozenset[str] | None = None) -> Profile:
    """An entry word as written: its dictionary readings (lemma = the word), else any reading."""
    own = [r for r in word.readings if _lemma(r) == word.text.casefold()]
    readings = own or list(word.readings)
    cats = frozenset(_cat(r) for r in readings)
    if restrict and cats & restrict:
        cats &= restrict
    lemmas = frozenset(_lemma(r) for r in readings if _cat(r) in cats)
    return Profile(word.text.casefold(), lemmas, cats)


def _categories(words: Sequence[Word]) -> frozenset[str] | None:
    """Parts of speech the dictionary form of a one-word text has (None when unknown or several words)."""
    if len(words) != 1:
        return None
    own = {_cat(r) for r in words[0].readings if _lemma(r) == words[0].text.casefold()}
    return frozenset(own) or None


# ------------------------------------------------------------------------------ finding entries


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    term: Term
    text: str
    reading: str  # the matched word's reading (the head's, for several words)


@dataclass(frozen=True, slots=True)
class _Entry:
    term: Term
    profiles: tuple[Profile, ...]


def _gap_ok(text: str, a: Word, b: Word) -> bool:
    gap = text[a.end : b.start]
    return gap.strip(" \t-") == "" and len(gap) <= 3


class InflectionIndex:
    """The entries of one family (source terms of a pair, or forbidden words of a language), by lemma.

    Built once per compiled termbase and language; one analyser call for every entry word."""

    def __init__(
        self, terms: Sequence[Term], morphology: Morphology, target: Morphology | None = None, *, attr: str = "source"
    ) -> None:
        self.morphology = morphology
        sources = [getattr(t, attr) or "" for t in terms]
        analysed = [analyse(s, morphology) for s in sources]
        restrict: list[frozenset[str] | None] = [None] * len(terms)
        if target is not None:
            targets = [
                analyse(t.target or "", target) if len(a) == 1 else [] for t, a in zip(terms, analysed, strict=True)
            ]
            restrict = [_categories(t) for t in targets]
        self._by_lemma: defaultdict[str, list[_Entry]] = defaultdict(list)
        self._cats: dict[str, frozenset[str]] = {}  # one-word entries: the parts of speech they stand for
        for term, words, only in zip(terms, analysed, restrict, strict=True):
            if not words:
                continue
            profiles = tuple(profile(w, only if len(words) == 1 else None) for w in words)
            if len(profiles) == 1 and profiles[0].cats:
                self._cats[term.id] = profiles[0].cats
            for key in profiles[0].lemmas or {profiles[0].surface}:
                self._by_lemma[key].append(_Entry(term, profiles))

    def __len__(self) -> int:
        return len(self._by_lemma)

    def plausible(self, text: str, start: int, end: int, term: Term) -> bool:
        """Whether the words around text[start:end] allow the part of speech the entry stands for.

        English only, where most nouns are also verbs ("order", "change") and no tagger runs: a
        verb term is no verb after a determiner, an adjective or "make" ("the change", "necessary
        changes", "make changes"), before "of" ("Change of mind"), capitalised after a capitalised
        word ("Google Pay"), nor an "-s" form that may be a plural without a singular subject before
        it; a noun term is no noun after "to", a modal or a subject pronoun ("we order")."""
        cats = self._cats.get(term.id)
        if self.morphology.lang != "en" or not cats:
            return True
        before = [m for m in _WORD.finditer(text, 0, start)]
        prev = before[-1] if before and not text[before[-1].end() : start].strip(" \t\"'“”") else None
        after = _WORD.search(text, end)
        next_word = after.group().lower() if after and not text[end : after.start()].strip() else None
        low = prev.group().lower() if prev else None
        if cats <= _VERBS:
            if low in _EN_DETERMINERS or low in _EN_MAKE or next_word == "of":
                return False
            # A capital mid-sentence right after another capital: part of a name ("Google Pay").
            if text[start:end][:1].isupper() and prev is not None and prev.group()[:1].isupper():
                return False
            [word] = analyse(text[start:end], self.morphology) or [None]
            plural = word is not None and any(_cat(r) in _NOUNS and _tag(r, _NUMBERS) == "pl" for r in word.readings)
            prev_readings = analyse(prev.group(), self.morphology)[0].readings if prev else ()
            if prev_readings and all(_cat(r) == "adj" for r in prev_readings):
                return False  # "necessary changes"
            if plural:
                # "changes" is a verb only after a singular subject: "it changes", "the plan changes".
                singular = low in _EN_3SG or any(
                    _cat(r) in _NOUNS and _tag(r, _NUMBERS) in ("sg", None) for r in prev_readings
                )
                return singular
            return True
        if cats <= _NOUNS:
            # "to order 3702…", "changes to order number 45": a number after it makes it the noun.
            return low not in _EN_VERB_CONTEXT or bool(_EN_NUMBER_AFTER.match(text, end))
        return True

    def find(self, text: str, taken: Iterable[tuple[int, int]] = ()) -> list[Found]:
        """Entries in any inflected form, leftmost-longest, outside the `taken` spans."""
        if not self._by_lemma:
            return []
        words = analyse(text, self.morphology)
        blocked = sorted(taken)
        found: list[Found] = []
        for i, w in enumerate(words):
            best: Found | None = None
            for key in (*w.all_lemmas, w.text.casefold()):
                for entry in self._by_lemma.get(key, ()):
                    hit = _match_at(text, words, i, entry)
                    if hit is not None and (best is None or hit.end > best.end):
                        best = hit
            if best is not None and not any(a < best.end and best.start < b for a, b in blocked):
                if not found or best.start >= found[-1].end:
                    found.append(best)
        return found


def _match_at(text: str, words: Sequence[Word], i: int, entry: _Entry) -> Found | None:
    n = len(entry.profiles)
    if i + n > len(words):
        return None
    head: _Reading | None = None
    for k, p in enumerate(entry.profiles):
        w = words[i + k]
        if k and not _gap_ok(text, words[i + k - 1], w):
            return None
        got = p.matches(w)
        if got is False:
            return None
        if isinstance(got, _Reading) and (head is None or w.text.casefold() != p.surface):
            head = got
    if head is None:
        return None
    start, end = words[i].start, words[i + n - 1].end
    return Found(start, end, entry.term, text[start:end], _render(head))


# ------------------------------------------------------------------------------ generating forms


def _generate(morphology: Morphology, reading: _Reading) -> str | None:
    [out] = morphology.generate([_render(reading)])
    if not out or set(out) & set("#~*@<>^$/"):
        return None
    return out.strip() or None


def regenerate(word: Word, reading: _Reading, lemma: str, morphology: Morphology) -> str | None:
    """`lemma` (a dictionary form) in the form `reading` gives `word`, cased like `word`; None if impossible."""
    [base_word] = analyse(lemma, morphology) or [None]
    if base_word is None:
        return None
    bases = [r for r in base_word.readings if _lemma(r) == lemma.casefold() and _cat(r) == _cat(reading)]
    if not bases:
        return None
    base = bases[0]
    if _cat(reading) in _NOUNS:
        # Gender belongs to the noun; only the number comes from the word it replaces.
        number = _tag(reading, _NUMBERS)
        tags = tuple(number if t in _NUMBERS and number else t for t in base.head.tags)
    else:
        tags = reading.head.tags
    new = _Reading((_Part(base.head.lemma, tags), *reading.parts[1:]))
    out = _generate(morphology, new)
    return None if out is None else _recase(word.text, out, initial=True)


def inflect_phrase(phrase: str, number: str | None, morphology: Morphology, *, head_last: bool = False) -> str:
    """A noun phrase in dictionary form ("correo electrónico") in `number`: its head noun and the
    adjectives beside it change; anything the generator cannot make stays as written."""
    if number not in _NUMBERS:
        return phrase
    words = analyse(phrase, morphology)
    nouns = [w for w in words if any(_cat(r) in _NOUNS and _lemma(r) == w.text.casefold() for r in w.readings)]
    if not nouns:
        return phrase
    head = nouns[-1] if head_last else nouns[0]
    out, pos = [], 0
    for w in words:
        own = [r for r in w.readings if _lemma(r) == w.text.casefold()]
        r = next((x for x in own if _cat(x) in _NOUNS), None) if w is head else None
        if r is None and w is not head:
            r = next((x for x in own if _cat(x) == "adj"), None)
        if r is None or _tag(r, _NUMBERS) in (None, number):
            continue
        new = _Reading((_Part(r.head.lemma, tuple(number if t in _NUMBERS else t for t in r.head.tags)), *r.parts[1:]))
        form = _generate(morphology, new)
        if form:
            out += [phrase[pos : w.start], _recase(w.text, form, initial=True)]
            pos = w.end
    out.append(phrase[pos:])
    return "".join(out)


def replace_form(
    text: str, word: Word, reading: _Reading, replacement: str, morphology: Morphology
) -> tuple[str, int, int] | None:
    """Put `replacement` (dictionary form, one or more words) where `word` is, in `word`'s form.

    Returns the new text and where the replacement starts and ends in it, or None when it cannot
    be inflected so."""
    parts = analyse(replacement, morphology)
    if len(parts) == 1:
        form = regenerate(word, reading, replacement, morphology)
    elif _cat(reading) in _NOUNS:
        form = inflect_phrase(replacement, _tag(reading, _NUMBERS), morphology)
        form = _recase(word.text, form, initial=True)
    else:
        # A verb phrase ("ponerse en contacto"): its first word takes the form, the rest stays.
        first = regenerate(word, reading, replacement[parts[0].start : parts[0].end], morphology) if parts else None
        form = None if first is None else first + replacement[parts[0].end :]
    if form is None:
        return None
    start = word.start
    new = text[:start] + form + text[word.end :]
    if _cat(reading) in _NOUNS:
        new, shift = _agree_determiner(new, start, reading, replacement, morphology)
        start += shift
    return new, start, start + len(form)


def _agree_determiner(
    text: str, start: int, reading: _Reading, replacement: str, morphology: Morphology
) -> tuple[str, int]:
    """A determiner right before a replaced noun takes the new noun's gender ("las órdenes" → "los pedidos")."""
    old_gender = _tag(reading, _GENDERS)
    head = next((w for w in analyse(replacement, morphology)), None)
    new_gender = None
    if head is not None:
        own = [r for r in head.readings if _cat(r) in _NOUNS and _lemma(r) == head.text.casefold()]
        new_gender = _tag(own[0], _GENDERS) if own else None
    if not new_gender or new_gender == old_gender:
        return text, 0
    before = list(_WORD.finditer(text[:start]))
    if not before or text[before[-1].end() : start].strip():
        return text, 0
    prev = before[-1]
    [det] = analyse(prev.group(), morphology)
    dets = [r for r in det.readings if _cat(r) == "det" and _tag(r, _GENDERS)]
    if not dets:
        return text, 0
    r = dets[0]
    swapped = _Reading((_Part(r.head.lemma, tuple(new_gender if t in _GENDERS else t for t in r.head.tags)),))
    form = _generate(morphology, swapped)
    if not form:
        return text, 0
    form = _recase(prev.group(), form, initial=True)
    return text[: prev.start()] + form + text[prev.end() :], len(form) - len(prev.group())


def agree_determiners(text: str, noun: str, morphology: Morphology) -> str:
    """A determiner right before a form of the (dictionary-form) `noun` takes its gender and number:
    a term put in by a mask comes back as "mi ⟦0⟧" → "mi pedidos"; this makes it "mis pedidos"."""
    words = analyse(text, morphology)
    edits: list[tuple[int, int, str]] = []
    for k, w in enumerate(words):
        if k == 0 or text[words[k - 1].end : w.start].strip():
            continue
        nouns = [r for r in w.readings if _cat(r) in _NOUNS and _lemma(r) == noun.casefold()]
        if not nouns:
            continue
        gender, number = _tag(nouns[0], _GENDERS | frozenset({"mf"})), _tag(nouns[0], _NUMBERS)
        prev = words[k - 1]
        dets = [r for r in prev.readings if _cat(r) == "det"]
        if not dets or number is None:
            continue
        r = dets[0]
        det_gender, det_number = _tag(r, _GENDERS | frozenset({"mf"})), _tag(r, _NUMBERS)
        want_gender = det_gender if det_gender in (None, "mf") or gender in (None, "mf") else gender
        if det_number in (number, None) and want_gender == det_gender:
            continue

        def swap(t: str, gender: str | None = want_gender, number: str = number) -> str:
            if t in _NUMBERS:
                return number
            return gender if t in _GENDERS and gender else t

        form = _generate(morphology, _Reading((_Part(r.head.lemma, tuple(swap(t) for t in r.head.tags)),)))
        if form:
            edits.append((prev.start, prev.end, _recase(prev.text, form, initial=True)))
    for start, end, form in reversed(edits):
        text = text[:start] + form + text[end:]
    return text


def forms_of(
    text: str, lemma: str, morphology: Morphology, cats: frozenset[str] | None = None
) -> list[tuple[Word, _Reading]]:
    """The words of `text` that are a form of the one-word dictionary form `lemma`, with their reading."""
    entry = analyse(lemma, morphology)
    if len(entry) != 1:
        return []
    p = profile(entry[0], cats)
    out = []
    for w in analyse(text, morphology):
        r = p.reading(w)
        if r is not None:
            out.append((w, r))
    return out


def present(text: str, wanted: str, morphology: Morphology) -> bool:
    """Whether `wanted` (one or more words in dictionary form) occurs in `text` in any inflected form."""
    entry = analyse(wanted, morphology)
    if not entry:
        return False
    only = _categories(entry)
    profiles = tuple(profile(w, only) for w in entry)
    words = analyse(text, morphology)
    fake = _Entry(Term("term", wanted, wanted), profiles)
    return any(_match_at(text, words, i, fake) is not None for i in range(len(words)))


# ------------------------------------------------------------------------------ per-termbase cache


@dataclass(slots=True)
class IndexCache:
    """Inflection indexes of one compiled termbase, built on first use (each costs one analyser call)."""

    _indexes: dict[tuple, InflectionIndex] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple, build) -> InflectionIndex:
        with self._lock:
            hit = self._indexes.get(key)
        if hit is not None:
            return hit
        index = build()
        with self._lock:
            return self._indexes.setdefault(key, index)
