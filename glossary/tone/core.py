"""The tone check's public types and the machinery every language's rules share.

Registers and supported languages, the `Morphology` protocol, `ToneProfile` / `ToneIssue` /
`ToneResult`; the tokenizer, the edits (`_Find`) the rules return, readings parsed from a
`Morphology` and the regeneration of verb forms in another person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Protocol, TypeAlias

import regex

Register = Literal["formal", "informal"]
REGISTERS: tuple[Register, ...] = ("formal", "informal")
TONE_LANGUAGES = ("es", "de", "fr", "it", "pt", "nl")

# A reading in Apertium's lexical-form notation: "tener<vblex><pri><p2><sg>", enclitics joined
# with "+" ("enviar<vblex><imp><p2><sg>+prpers<prn><enc><p1><mf><sg>"). A plain, tool-neutral
# string keeps this module free of any analyser's types.
Analysis: TypeAlias = str


class Morphology(Protocol):
    """A morphological analyser and generator for one language."""

    lang: str

    def analyse(self, words: Sequence[str]) -> list[list[Analysis]]:
        """Every reading of each word ([] for an unknown word), in input order."""
        ...

    def generate(self, analyses: Sequence[Analysis]) -> list[str | None]:
        """The surface form of each reading; None where the generator has none."""
        ...


@dataclass(frozen=True, slots=True)
class ToneProfile:
    """A brand's register per target language."""

    registers: Mapping[str, Register]

    def __post_init__(self) -> None:
        clean: dict[str, Register] = {}
        for lang, register in dict(self.registers).items():
            code = tone_language(lang)
            if register not in REGISTERS:
                raise ValueError(f"unknown register {register!r} for {lang!r}; valid registers: {', '.join(REGISTERS)}")
            clean[code] = register
        object.__setattr__(self, "registers", MappingProxyType(clean))

    def register_for(self, lang: str) -> Register | None:
        """The register for a target language ("es-MX" counts as "es"), or None when unset."""
        return self.registers.get(lang.replace("_", "-").split("-")[0].lower())

    def to_dict(self) -> dict[str, str]:
        return dict(self.registers)


@dataclass(frozen=True, slots=True)
class ToneIssue:
    start: int  # offsets into the text given to check_tone
    end: int
    text: str
    expected: Register
    fixed: bool
    replacement: str | None  # what replaced `text` when fixed
    detail: str


@dataclass(frozen=True, slots=True)
class ToneResult:
    text: str  # after the safe fixes
    issues: tuple[ToneIssue, ...]

    @property
    def unfixed(self) -> tuple[ToneIssue, ...]:
        return tuple(i for i in self.issues if not i.fixed)


def tone_language(lang: str) -> str:
    """Normalise "es-MX" / "pt_BR" to the base code; ValueError listing the supported ones."""
    code = lang.replace("_", "-").split("-")[0].lower()
    if code not in TONE_LANGUAGES:
        raise ValueError(f"no tone rules for language {lang!r}; supported: {', '.join(TONE_LANGUAGES)}")
    return code


# --- words, readings, edits ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    start: int
    end: int
    low: str
    initial: bool  # first word of a sentence: capitals there say nothing about courtesy
    gap: str  # the characters between the previous word and this one
    after: str  # the characters up to the next word (or the end)


_WORD = regex.compile(r"\p{L}[\p{L}\p{M}]*")
_ELIDED_WORD = regex.compile(r"\p{L}[\p{L}\p{M}]*['’](?=\p{L})|\p{L}[\p{L}\p{M}]*")
_CLAUSE_END = regex.compile(r"[.,;:!?)\]]")
_BOUNDARY = regex.compile(r"[.!?…][\"'»”’)\]]*(?:\s|$)|[:;¿¡\n\r•(\"„«»“]")


def _tokens(text: str, elision: bool) -> list[_Tok]:
    matches = list((_ELIDED_WORD if elision else _WORD).finditer(text))
    toks: list[_Tok] = []
    for n, m in enumerate(matches):
        gap = text[matches[n - 1].end() if n else 0 : m.start()]
        after = text[m.end() : matches[n + 1].start() if n + 1 < len(matches) else len(text)]
        low = m.group().lower().replace("’", "'")
        if _acronym(matches, n):
            low = ""  # "ID", "OS": never a Spanish verb or pronoun, whatever the analyser says
        initial = not toks or bool(_BOUNDARY.search(gap))
        toks.append(_Tok(m.group(), m.start(), m.end(), low, initial, gap, after))
    return toks


def _acronym(matches: Sequence[regex.Match[str]], n: int) -> bool:
    """A short all-capitals word among words that are not all capitals."""

    def caps(k: int) -> bool:
        word = matches[k].group() if 0 <= k < len(matches) else ""
        return len(word) > 1 and word.isalpha() and word.isupper()

    return caps(n) and len(matches[n].group()) <= 4 and not caps(n - 1) and not caps(n + 1)


def _adjacent(toks: list[_Tok], k: int) -> bool:
    """Whether toks[k] exists and follows its predecessor in the same clause, blanks between."""
    return 0 < k < len(toks) and not toks[k].initial and not toks[k].gap.strip()


def _next_word(toks: list[_Tok], i: int, skip: frozenset[str] = frozenset()) -> int | None:
    k = i + 1
    while _adjacent(toks, k) and toks[k].low in skip:
        k += 1
    return k if _adjacent(toks, k) else None


def _sentence_ids(toks: list[_Tok]) -> list[int]:
    ids, n = [], -1
    for t in toks:
        n += t.initial
        ids.append(n)
    return ids


def _question(toks: list[_Tok], i: int) -> bool:
    """Whether the sentence holding toks[i] ends with a question mark."""
    k = i
    while k + 1 < len(toks) and not toks[k + 1].initial:
        k += 1
    return "?" in toks[k].after


@dataclass(frozen=True, slots=True)
class _Find:
    start: int
    end: int
    replacement: str | None  # None: reported, not fixed
    detail: str


def _recase(orig: str, repl: str, initial: bool, courtesy: bool = False) -> str:
    """Give `repl` the case of `orig`; a courtesy capital (de Ihr, it Suo) is dropped mid-sentence."""
    letters = [c for c in orig if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return repl.upper()
    if orig[:1].isupper() and (initial or not courtesy):
        return repl[:1].upper() + repl[1:]
    return repl


def _fix(t: _Tok, repl: str, detail: str, courtesy: bool = False) -> _Find:
    return _Find(t.start, t.end, _recase(t.text, repl, t.initial, courtesy), detail)


def _report(t: _Tok, detail: str) -> _Find:
    return _Find(t.start, t.end, None, detail)


_VERB_TAGS = frozenset({"vblex", "vbmod", "vbser", "vbhaver", "vaux"})
_NONFINITE = frozenset({"inf", "ger", "pp", "pprs"})
_PERSONS = ("p1", "p2", "p3")


@dataclass(frozen=True, slots=True)
class _Part:
    lemma: str
    tags: tuple[str, ...]
    tail: str = ""  # the invariable rest of a multiword lemma ("# falta")

    def render(self) -> str:
        return self.lemma + "".join(f"<{t}>" for t in self.tags) + self.tail

    def swap(self, old: str, new: str) -> _Part:
        return _Part(self.lemma, tuple(new if t == old else t for t in self.tags), self.tail)


_PART = regex.compile(r"([^<]+)((?:<[^<>]+>)+)(.*)")
_TAG = regex.compile(r"<([^<>]+)>")


@dataclass(frozen=True, slots=True)
class _Reading:
    parts: tuple[_Part, ...]

    @classmethod
    def parse(cls, text: str) -> _Reading | None:
        parts = []
        for chunk in text.split("+"):
            m = _PART.fullmatch(chunk)
            if not m:
                return None
            parts.append(_Part(m.group(1), tuple(_TAG.findall(m.group(2))), m.group(3)))
        return cls(tuple(parts))

    @property
    def head(self) -> _Part:
        return self.parts[0]

    @property
    def verb(self) -> bool:
        return bool(self.head.tags) and self.head.tags[0] in _VERB_TAGS

    @property
    def finite(self) -> bool:
        return self.verb and self.person is not None and not _NONFINITE & set(self.head.tags)

    @property
    def imperative(self) -> bool:
        return self.verb and "imp" in self.head.tags

    @property
    def person(self) -> str | None:
        return next((t for t in self.head.tags if t in _PERSONS), None)

    @property
    def number(self) -> str | None:
        return next((t for t in self.head.tags if t in ("sg", "pl")), None)

    def has(self, person: str) -> bool:
        """Whether the verb or one of its enclitics is in `person`."""
        return self.verb and any(person in p.tags for p in self.parts)

    def with_parts(self, head: _Part, clitics: Sequence[_Part]) -> str:
        return "+".join(p.render() for p in (head, *clitics))


class _Lex:
    """The readings of one text's words, and generated forms, fetched from a Morphology in batches."""

    def __init__(self, morphology: Morphology | None, words: Sequence[str]) -> None:
        self.morphology = morphology
        self._readings: dict[str, tuple[_Reading, ...]] = {}
        self._generated: dict[str, str | None] = {}
        if morphology is not None:
            unique = sorted(set(words))
            for word, analyses in zip(unique, morphology.analyse(unique), strict=True):
                parsed = [_Reading.parse(a) for a in analyses]
                # A reading we cannot parse could be the one that matters: treat the word as unknown.
                self._readings[word] = () if None in parsed else tuple(r for r in parsed if r)

    @property
    def available(self) -> bool:
        return self.morphology is not None

    def readings(self, word: str) -> tuple[_Reading, ...]:
        return self._readings.get(word, ())

    def is_verb(self, word: str) -> bool:
        return any(r.verb for r in self.readings(word))

    def generate(self, forms: Sequence[str]) -> list[str | None]:
        missing = sorted({f for f in forms if f not in self._generated})
        if missing and self.morphology is not None:
            for form, surface in zip(missing, self.morphology.generate(missing), strict=True):
                # Generators mark a failure with "#" and leave post-generation work with "~".
                ok = surface and not set(surface) & set("#~*@<>^$")
                self._generated[form] = surface.strip() if ok else None
        return [self._generated.get(f) for f in forms]


@dataclass(frozen=True, slots=True)
class _Verb:
    status: Literal["none", "ambiguous", "stuck", "fixed"]
    form: str | None = None


_Transform = Callable[[_Reading], str | None]


def _regenerate(
    lex: _Lex,
    t: _Tok,
    relevant: Callable[[_Reading], bool],
    transform: _Transform,
    forced: bool = False,
    indicative: bool = False,
) -> _Verb:
    """Rewrite a word whose readings are all `relevant` (or, when forced by context, some are).

    `indicative`: the context rules out a subjunctive (fr "si tu précises" is not "que tu précises").
    """
    readings = lex.readings(t.low)
    rel = [r for r in readings if relevant(r)]
    if not rel:
        return _Verb("none")
    if len(rel) < len(readings) and not forced:
        return _Verb("ambiguous")
    imp = [r for r in rel if r.imperative]
    if imp and len(imp) < len(rel):
        # Same form as an indicative (it "puoi"): a command only at the start of a sentence, and
        # modal or auxiliary verbs are not used as commands.
        modal = any(r.head.tags[0] in ("vbmod", "vbser", "vbhaver") for r in rel)
        if t.initial and not forced and not modal:
            return _Verb("stuck")
        rel = [r for r in rel if not r.imperative]
    if indicative and any("pri" in r.head.tags for r in rel):
        rel = [r for r in rel if "prs" not in r.head.tags]
    forms = [transform(r) for r in rel]
    if None in forms:
        return _Verb("stuck")
    outs = set(lex.generate([f for f in forms if f]))
    if len(outs) != 1 or None in outs:
        return _Verb("stuck")
    return _Verb("fixed", _recase(t.text, outs.pop() or "", t.initial))


def _person_swap(old: str, new: str, number: str | None = None) -> _Transform:
    """Change the verb's person (and number) only; readings with other enclitics in `old` fail."""

    def swap(r: _Reading) -> str | None:
        if any(old in c.tags for c in r.parts[1:]):
            return None
        head = r.head.swap(old, new)
        if number:
            head = head.swap("sg", number)
        return r.with_parts(head, r.parts[1:])

    return swap


def _second_person(toks: list[_Tok], i: int, noun_context: frozenset[str]) -> Callable[[_Reading], bool]:
    """Readings with a 2nd person, less finite verbs where the word before makes it a noun.

    Dictionaries have holes: pt "encomendas" is only a verb there, but "as encomendas" is not.
    """
    noun_slot = _adjacent(toks, i) and toks[i - 1].low in noun_context
    return lambda r: r.has("p2") and not (noun_slot and r.finite)


def _p2_finite(number: str) -> Callable[[_Reading], bool]:
    return lambda r: r.finite and not r.imperative and r.person == "p2" and r.number == number


def _p3_singular(r: _Reading) -> bool:
    return r.finite and not r.imperative and r.person == "p3" and r.number == "sg"
