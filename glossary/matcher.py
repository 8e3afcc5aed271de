"""Find a brand's terms in text fast: one Aho-Corasick automaton per lookup family, built once per version.

Families: per source language, the `dnt` entries for any language plus that language's `dnt` and
`term` entries; per target language, the `forbidden` entries. Keys are case-folded, so one pass
finds both case-sensitive and case-insensitive entries; each hit is then checked for whole-word
boundaries and, for case-sensitive entries, the exact spelling.

Whole words: a match may not touch a letter, mark, digit or `_` on either side — except where
either side is in a script written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar), where
words meet without a gap ("Shop Payで").
"""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import ahocorasick
import regex

from glossary.inflect import IndexCache, InflectionIndex, present
from glossary.terms import Term, Termbase
from glossary.tone.core import Morphology
from models.langcodes import normalize

_UNSPACED = regex.compile(
    r"[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}]"
)

# An automaton's value: the key's length (to find where a hit starts) and the entries sharing it, best first.
_Hit = tuple[int, tuple[Term, ...]]


@dataclass(frozen=True, slots=True)
class TermMatch:
    """One entry found in a text: `text[start:end]` is `text`, the surface as written."""

    start: int
    end: int
    term: Term
    text: str
    # Set when found through the morphology ("orders" for "order"): the word's reading there.
    reading: str | None = None


def fold(text: str) -> tuple[str, list[int] | None]:
    """Case-fold text; the second value maps each folded index to its original index, None when 1:1."""
    if "\u0130" in text:
        # Unicode folds "İ" to "i" + a combining dot, which then never matches "istanbul"; Turkish means "i".
        text = text.replace("\u0130", "i")
    folded = text.casefold()
    # casefold works character by character and never yields less than one character per input
    # character, so equal lengths mean every character folded to exactly one.
    if len(folded) == len(text):
        return folded, None
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(ch.casefold()))  # "ß" → "ss", "ﬁ" → "fi": two folded chars, one source char
    return folded, origin


def _span(origin: list[int] | None, start: int, end: int) -> tuple[int, int] | None:
    """The original span of folded [start, end), or None when it cuts through one character's folding."""
    if origin is None:
        return start, end
    first, last = origin[start], origin[end - 1]
    if start > 0 and origin[start - 1] == first:
        return None
    if end < len(origin) and origin[end] == last:
        return None
    return first, last + 1


def _is_word_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LMN" or cat == "Pc"


def _joins(outer: str, inner: str) -> bool:
    """Whether `outer`, next to a match's edge character `inner`, makes the match part of a longer word."""
    if outer.isascii():  # the common case, without a Unicode category lookup
        return (outer.isalnum() or outer == "_") and (inner.isascii() or not _UNSPACED.match(inner))
    return _is_word_char(outer) and not _UNSPACED.match(outer) and not _UNSPACED.match(inner)


def is_whole_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands as whole words (see the module docstring)."""
    if start > 0 and _joins(text[start - 1], text[start]):
        return False
    return not (end < len(text) and _joins(text[end], text[end - 1]))


def _rank(term: Term) -> tuple[int, int]:
    """Which of several entries with one folded key wins: exact case first, then the most specific."""
    if term.kind == "dnt":
        specific = 1 + (term.source_lang is None) + (term.target_lang is None)
    else:
        specific = 0
    return (0 if term.case_sensitive else 1, specific)


def _build(terms: Iterable[Term]) -> ahocorasick.Automaton | None:
    grouped: defaultdict[str, list[Term]] = defaultdict(list)
    for term in terms:
        grouped[fold(term.source)[0]].append(term)
    if not grouped:
        return None
    automaton = ahocorasick.Automaton()
    for key, group in grouped.items():
        automaton.add_word(key, (len(key), tuple(sorted(group, key=_rank))))
    automaton.make_automaton()
    return automaton


def _automaton_terms(automaton: ahocorasick.Automaton | None) -> list[Term]:
    """The entries an automaton holds, in a stable order."""
    if automaton is None:
        return []
    held = {t.id: t for _, group in automaton.values() for t in group}
    return sorted(held.values(), key=lambda t: (t.source.casefold(), t.id))


def _leftmost_longest(found: list[TermMatch]) -> list[TermMatch]:
    found.sort(key=lambda m: (m.start, -m.end))
    chosen: list[TermMatch] = []
    end = 0
    for m in found:
        if m.start >= end:
            chosen.append(m)
            end = m.end
    return chosen


def _scan(automaton: ahocorasick.Automaton | None, text: str, accept: Callable[[Term], bool]) -> list[TermMatch]:
    """Leftmost-longest, non-overlapping whole-word matches of the automaton's entries that `accept` takes."""
    if automaton is None or not text:
        return []
    folded, origin = fold(text)
    found: list[TermMatch] = []
    hit: _Hit
    for last, hit in automaton.iter(folded):
        length, terms = hit
        span = _span(origin, last - length + 1, last + 1)
        if span is None or not is_whole_word(text, *span):
            continue
        surface = text[span[0] : span[1]]
        for term in terms:
            if accept(term) and (not term.case_sensitive or surface == term.source):
                found.append(TermMatch(span[0], span[1], term, surface))
                break
    return _leftmost_longest(found)


def _occurs(text: str, folded: str, origin: list[int] | None, wanted: str, case_sensitive: bool) -> bool:
    key = fold(wanted)[0]
    at = folded.find(key)
    while at >= 0:
        span = _span(origin, at, at + len(key))
        if span is not None and is_whole_word(text, *span):
            if not case_sensitive or text[span[0] : span[1]] == wanted:
                return True
        at = folded.find(key, at + 1)
    return False


@dataclass(frozen=True, slots=True)
class CompiledTermbase:
    """A termbase ready for matching; immutable, so one instance serves every thread."""

    brand: str
    version: int
    entries: int
    _source: Mapping[str | None, ahocorasick.Automaton | None] = field(repr=False)
    _forbidden: Mapping[str, ahocorasick.Automaton | None] = field(repr=False)
    _terms: tuple[Term, ...] = field(default=(), repr=False)
    _inflection: IndexCache = field(default_factory=IndexCache, repr=False, compare=False)

    @classmethod
    def compile(cls, termbase: Termbase) -> CompiledTermbase:
        any_lang = [t for t in termbase.terms if t.kind == "dnt" and t.source_lang is None]
        by_source: defaultdict[str, list[Term]] = defaultdict(list)
        by_target: defaultdict[str, list[Term]] = defaultdict(list)
        for t in termbase.terms:
            if t.kind == "forbidden" and t.target_lang is not None:
                by_target[t.target_lang].append(t)
            elif t.source_lang is not None:
                by_source[t.source_lang].append(t)
        # Any-language dnt entries go into every language's automaton: one pass per message, not two.
        source = {lang: _build([*any_lang, *terms]) for lang, terms in by_source.items()}
        source[None] = _build(any_lang)
        forbidden = {lang: _build(terms) for lang, terms in by_target.items()}
        return cls(
            termbase.brand,
            termbase.version,
            len(termbase.terms),
            MappingProxyType(source),
            MappingProxyType(forbidden),
            termbase.terms,
        )

    def source_matches(
        self,
        text: str,
        source_lang: str,
        target_lang: str,
        morphology: Morphology | None = None,
        target_morphology: Morphology | None = None,
    ) -> list[TermMatch]:
        """dnt entries (for any language or `source_lang`) and term entries for the pair, in order.

        With the source language's `morphology`, term entries are found in any inflected form too
        ("orders" for "order"; with `target_morphology`, only in the part of speech the target has).
        Language codes go through `models.langcodes.normalize` ("pt-BR" → "pt"; UnknownLanguage otherwise).
        """
        source_lang, target_lang = normalize(source_lang), normalize(target_lang)
        automaton = self._source.get(source_lang, self._source[None])

        def applies(term: Term) -> bool:
            if term.kind == "term":
                return term.target_lang == target_lang
            return term.target_lang is None or term.target_lang == target_lang

        found = _scan(automaton, text, applies)
        if morphology is None:
            return found

        def terms() -> list[Term]:
            return [
                t
                for t in self._terms
                if t.kind == "term"
                and t.source_lang == source_lang
                and t.target_lang == target_lang
                and not t.case_sensitive
            ]

        return self._with_inflected(
            found, text, ("term", source_lang, target_lang), terms, morphology, target_morphology
        )

    def forbidden_matches(self, text: str, target_lang: str, morphology: Morphology | None = None) -> list[TermMatch]:
        """Words the brand never uses in `target_lang`, in order; each match's term holds the replacement.

        With the language's `morphology`, in any inflected form too ("Cogerá" for "coger")."""
        target_lang = normalize(target_lang)
        found = _scan(self._forbidden.get(target_lang), text, lambda term: True)
        if morphology is None:
            return found

        def terms() -> list[Term]:
            # A case-sensitive entry bans one spelling; only the others stand for every form.
            return [
                t
                for t in self._terms
                if t.kind == "forbidden" and t.target_lang == target_lang and not t.case_sensitive
            ]

        return self._with_inflected(found, text, ("forbidden", target_lang), terms, morphology, None)

    def _with_inflected(
        self,
        found: list[TermMatch],
        text: str,
        family: tuple,
        terms: Callable[[], list[Term]],
        morphology: Morphology,
        target: Morphology | None,
    ) -> list[TermMatch]:
        """`found` plus the family's entries in other inflected forms; the index is built on first use."""
        key = (*family, morphology.lang, target.lang if target else None)
        index = self._inflection.get(key, lambda: InflectionIndex(terms(), morphology, target))
        if family[0] == "term":
            found = [m for m in found if index.plausible(text, m.start, m.end, m.term)]
        more = index.find(text, [(m.start, m.end) for m in found])
        if family[0] == "term":
            more = [f for f in more if index.plausible(text, f.start, f.end, f.term)]
        if not more:
            return found
        extra = [
            TermMatch(f.start, f.end, f.term, f.text, f.reading)
            for f in more
            if f.text.casefold() != fold(f.term.source)[0]
        ]
        return sorted([*found, *extra], key=lambda m: m.start)

    def pair_terms(self, source_lang: str, target_lang: str) -> list[Term]:
        """Every `term` entry of the pair (for engines that keep a glossary of their own, e.g. DeepL)."""
        source_lang, target_lang = normalize(source_lang), normalize(target_lang)
        held = _automaton_terms(self._source.get(source_lang))
        return [t for t in held if t.kind == "term" and t.target_lang == target_lang]

    def forbidden_terms(self, target_lang: str) -> list[Term]:
        """Every `forbidden` entry for `target_lang` (an LLM is told never to use them)."""
        return _automaton_terms(self._forbidden.get(normalize(target_lang)))

    def target_present(self, text: str, term: Term, morphology: Morphology | None = None) -> bool:
        """Whether the entry's expected output (target or a variant; a dnt's source) occurs as whole words.

        With the target language's `morphology`, a term's target counts in any inflected form."""
        wanted = (term.source,) if term.kind == "dnt" or term.target is None else (term.target, *term.variants)
        folded, origin = fold(text)
        if any(_occurs(text, folded, origin, w, term.case_sensitive) for w in wanted):
            return True
        if morphology is None or term.kind != "term" or term.case_sensitive or not term.target:
            return False
        return present(text, term.target, morphology)


class TermbaseCache:
    """Compiled termbases by (brand, version), least recently used dropped first; safe across threads.

    A termbase's version must change whenever its terms do: that is what triggers a rebuild.
    """

    def __init__(self, maxsize: int = 64) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[str, int], CompiledTermbase] = OrderedDict()
        self._lock = threading.Lock()
        # Compiles take a lock of their own so that hits never wait behind a build.
        self._compiling = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _lookup(self, key: tuple[str, int]) -> CompiledTermbase | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def get(self, termbase: Termbase) -> CompiledTermbase:
        key = (termbase.brand, termbase.version)
        hit = self._lookup(key)
        if hit is not None:
            return hit
        with self._compiling:
            # Another thread may have built it while this one waited.
            hit = self._lookup(key)
            if hit is not None:
                return hit
            compiled = CompiledTermbase.compile(termbase)
            with self._lock:
                for old in [k for k in self._entries if k[0] == key[0] and k[1] < key[1]]:
                    del self._entries[old]
                self._entries[key] = compiled
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
            return compiled
