"""Tone: a brand's register (formal or informal address) per target language, checked and fixed.

`check_tone` finds second-person forms of the wrong register in a translation, rewrites those that
have exactly one correct replacement (possessives, unambiguous pronouns and, when a `Morphology`
is passed in, verb forms it can regenerate) and reports the rest, with offsets into the text it
was given. Forms that are also third person (es su/le/se, de sentence-initial Sie/Ihr, it lei/suo)
are never flagged. Pure: no processes, no I/O; an analyser is injected by the caller.
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


def check_tone(text: str, lang: str, register: Register, morphology: Morphology | None = None) -> ToneResult:
    """Flag forms of the wrong register in `text`, fixing the unambiguous ones."""
    code = tone_language(lang)
    if register not in REGISTERS:
        raise ValueError(f"unknown register {register!r}; valid registers: {', '.join(REGISTERS)}")
    if morphology is not None and tone_language(morphology.lang) != code:
        raise ValueError(f"morphology is for {morphology.lang!r}, text is {lang!r}")
    toks = _tokens(text, elision=code in ("fr", "it"))
    lex = _Lex(morphology if code in _MORPH_LANGS else None, [t.low for t in toks])
    finds = sorted(_CHECKERS[code](toks, register, lex), key=lambda f: f.start)
    issues: list[ToneIssue] = []
    out: list[str] = []
    pos = 0
    for f in finds:
        fixed = f.replacement is not None and f.start >= pos
        if fixed:
            out += [text[pos : f.start], f.replacement or ""]
            pos = f.end
        replacement = f.replacement if fixed else None
        issues.append(ToneIssue(f.start, f.end, text[f.start : f.end], register, fixed, replacement, f.detail))
    out.append(text[pos:])
    return ToneResult("".join(out), tuple(issues))


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
            parts.append(_Part(m.group(1), tuple(regex.findall(r"<([^<>]+)>", m.group(2))), m.group(3)))
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


# --- Spanish --------------------------------------------------------------------------------------

_ES_POSSESSIVE = {"tu": "su", "tus": "sus", "tuyo": "suyo", "tuya": "suya", "tuyos": "suyos", "tuyas": "suyas"}
_ES_VUESTRO = {
    "vuestro": ("su", "suyo"),
    "vuestra": ("su", "suya"),
    "vuestros": ("sus", "suyos"),
    "vuestras": ("sus", "suyas"),
}
_ES_ARTICLES = frozenset("el la los las lo un una unos unas".split())
# After these a possessive is not a determiner ("un amigo vuestro de ...").
_ES_FUNCTION = frozenset("a al de del en con para por y e o u ni que como cuando si es son está están".split())
_ES_PREPOSITIONS = frozenset("a ante bajo contra de desde en entre hacia hasta para por según sin sobre tras".split())
_ES_CLITICS = frozenset("me te se nos os lo la los las le les".split())
_ES_ADVERBS = frozenset("no ya también tampoco solo sólo siempre nunca".split())
_ES_NOUN_CONTEXT = _ES_PREPOSITIONS | frozenset(
    "el un una unos unas mis tus sus nuestros nuestras vuestros vuestras estos estas esos esas aquellos aquellas "
    "del al".split()
)
_ES_SE = _Part("se", ("prn", "enc", "ref", "p3", "mf", "sp"))


def _check_es(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    return _es_formal(toks, lex) if register == "formal" else _es_informal(toks, lex)


def _es_formal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if w in _ES_POSSESSIVE:
            finds.append(_fix(t, _ES_POSSESSIVE[w], f"informal possessive '{w}'"))
        elif w in _ES_VUESTRO:
            finds.append(_fix(t, _es_vuestro(toks, i), f"informal possessive '{w}'"))
        elif w == "ti":
            finds.append(_fix(t, "usted", "informal pronoun 'ti'"))
        elif w == "contigo":
            finds.append(_fix(t, "con usted", "informal pronoun 'contigo'"))
        elif w in ("tú", "vosotros", "vosotras"):
            finds += _es_subject(toks, i, lex, done)
        elif w in ("te", "os"):
            finds += _es_proclitic(toks, i, lex, done)
        elif w == "vos":
            finds.append(_report(t, "informal 'vos' (voseo): rewrite with usted"))
        elif lex.available:
            v = _regenerate(lex, t, _second_person(toks, i, _ES_NOUN_CONTEXT), _es_formalise(toks, i, lex))
            if v.status == "fixed" and v.form:
                finds.append(_Find(t.start, t.end, v.form, f"informal verb form '{w}'"))
            elif v.status == "stuck":
                finds.append(_report(t, f"informal verb form '{w}': no safe rewrite"))
    return finds


def _es_vuestro(toks: list[_Tok], i: int) -> str:
    determiner, pronoun = _ES_VUESTRO[toks[i].low]
    if _adjacent(toks, i) and toks[i - 1].low in _ES_ARTICLES:
        return pronoun  # "el vuestro"
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    # Before a noun (or a {{slot}}) it is a determiner; at a clause end or before "de" a pronoun.
    if nxt is None or _CLAUSE_END.search(nxt.gap) or nxt.initial or nxt.low in _ES_FUNCTION:
        return pronoun
    return determiner


def _es_formalise(toks: list[_Tok], i: int, lex: _Lex) -> _Transform:
    """p2 → p3 (tú → usted, vosotros → ustedes); an enclitic te/os becomes se or le/les."""

    def transform(r: _Reading) -> str | None:
        clitics = []
        for c in r.parts[1:]:
            if "p2" not in c.tags:
                clitics.append(c)
                continue
            # With a 2nd-person verb te/os is reflexive ("regístrate"); on an infinitive or gerund
            # the clause decides ("puedes registrarte" vs "podemos ayudarte").
            reflexive = r.person == "p2" if r.finite else _es_reflexive(toks, i, lex)
            if reflexive is None:
                return None
            number = "pl" if "pl" in c.tags else "sg"
            clitics.append(_ES_SE if reflexive else _Part("prpers", ("prn", "enc", "p3", "mf", number)))
        return r.with_parts(r.head.swap("p2", "p3"), clitics)

    return transform


def _es_reflexive(toks: list[_Tok], i: int, lex: _Lex) -> bool | None:
    """Whether an enclitic te/os on the infinitive at i names its own subject, judged by the clause.

    The nearest finite verb before it decides ("puedes registrarte" → se, "podemos ayudarte" → le),
    else the first one after it ("Para ayudarte, necesitamos …" → le); None when unsure.
    """
    for k in range(i - 1, -1, -1):
        rs = lex.readings(toks[k].low)
        if rs and all(r.verb for r in rs) and any(not r.finite and r.has("p2") for r in rs):
            return True  # "ayudarte a registrarte": the first te is the second verb's subject
        persons = _finite_persons(rs)
        if persons is not None:
            if "p2" in persons:
                return True if persons == {"p2"} else None
            # "te recomiendo registrarte": the object of the main verb does the registering.
            return _adjacent(toks, k) and toks[k - 1].low in ("te", "os")
        if toks[k].initial:
            break
    for k in range(i + 1, len(toks)):
        if toks[k].initial:
            break
        persons = _finite_persons(lex.readings(toks[k].low))
        if persons is not None:
            return None if "p2" in persons and persons != {"p2"} else persons == {"p2"}
    return None


def _finite_persons(readings: Sequence[_Reading]) -> set[str] | None:
    """The persons of a word that is certainly a finite verb; None for anything else."""
    verbs = [r for r in readings if r.verb]
    if not verbs or not all(r.finite for r in verbs):
        return None
    auxiliary = [r for r in verbs if r.head.tags[0] in ("vbser", "vbhaver", "vbmod")]
    if len(verbs) < len(readings) and not auxiliary:
        return None  # also a noun or a preposition ("para"); "son" is still ser
    # Modal and auxiliary verbs are never commands: "puede" is not "you, be able!".
    return {r.person for r in verbs if not (r.imperative and r in auxiliary)} or None


def _es_subject(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    repl = "usted" if t.low == "tú" else "ustedes"
    detail = f"informal pronoun '{t.low}'"
    if not lex.available:
        return [_report(t, detail + ": the verb must agree; no morphology to rewrite it")]
    j = _next_word(toks, i, _ES_ADVERBS | _ES_CLITICS)
    if j is None or not lex.is_verb(toks[j].low):
        return [_fix(t, repl, detail)]
    relevant = _p2_finite("pl" if t.low != "tú" else "sg")
    v = _regenerate(lex, toks[j], relevant, _es_formalise(toks, j, lex), forced=True)
    if v.status == "none":
        return [_fix(t, repl, detail)]
    done.add(j)
    if v.status == "fixed" and v.form:
        return [_fix(t, repl, detail), _Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
    return [_report(t, detail), _report(toks[j], f"informal verb form '{toks[j].low}': no safe rewrite")]


def _es_proclitic(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    plural = t.low == "os"
    detail = f"informal pronoun '{t.low}'"
    j = i + 1
    if not _adjacent(toks, j):
        return [_report(t, detail)]
    if toks[j].low in ("lo", "la", "los", "las"):
        return [_fix(t, "se", detail)]  # te lo / os lo → se lo, whoever it is for
    if not lex.available:
        return [_report(t, detail + ": le or se depends on the verb; no morphology")]
    # A verb after a proclitic is never an affirmative imperative.
    readings = [r for r in lex.readings(toks[j].low) if not r.imperative]
    if not readings and lex.readings(toks[j].low):
        done.add(j)  # "te ten": not Spanish; leave both for an editor
        return [_report(t, detail), _report(toks[j], f"informal command '{toks[j].low}' after '{t.low}'")]
    if not readings or not all(r.finite for r in readings):
        return [_report(t, detail)]
    persons = {r.person for r in readings}
    if "p2" not in persons:
        return [_fix(t, "les" if plural else "le", detail)]
    if persons != {"p2"}:
        return [_report(t, detail)]
    # Reflexive: "te preocupes" → "se preocupe"; only together with the verb.
    relevant = _p2_finite("pl" if plural else "sg")
    v = _regenerate(lex, toks[j], relevant, _es_formalise(toks, j, lex), forced=True)
    verb_seen = j in done  # "tú te registras": the subject already rewrote (or reported) the verb
    done.add(j)
    if v.status == "fixed" and v.form:
        verb = [] if verb_seen else [_Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
        return [_fix(t, "se", detail), *verb]
    verb = [] if verb_seen else [_report(toks[j], f"informal verb form '{toks[j].low}': no safe rewrite")]
    return [_report(t, detail), *verb]


def _es_informalise(r: _Reading) -> str | None:
    """usted → tú: p3 sg → p2 sg; a reflexive enclitic se becomes te."""
    clitics = list(r.parts[1:])
    for n, c in enumerate(clitics):
        if c.lemma == "se":
            if n + 1 < len(clitics):
                return None  # "envíeselo": se stands for le here, not for usted
            clitics[n] = _Part("prpers", ("prn", "enc", "p2", "mf", "sg"))
    return r.with_parts(r.head.swap("p3", "p2"), clitics)


def _p3_singular(r: _Reading) -> bool:
    return r.finite and not r.imperative and r.person == "p3" and r.number == "sg"


def _es_informal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if w == "usted":
            finds += _es_usted(toks, i, lex, done)
        elif w in ("ud", "vd", "uds", "vds") and t.after.startswith("."):
            finds.append(_report(t, f"formal abbreviation '{t.text}'"))
        elif lex.available:
            readings = lex.readings(w)
            # Only a word that is certainly a command: "Regístrese", "Contáctenos" (not "Contacte").
            if readings and all(r.imperative for r in readings) and any(r.person == "p3" for r in readings):
                sg = lambda r: r.person == "p3" and r.number == "sg"  # noqa: E731 — ustedes is both registers
                v = _regenerate(lex, t, sg, _es_informalise, forced=True)
                if v.status == "fixed" and v.form:
                    finds.append(_Find(t.start, t.end, v.form, f"formal command '{w}'"))
                elif v.status == "stuck":
                    finds.append(_report(t, f"formal command '{w}': no safe rewrite"))
    return finds


def _es_usted(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    detail = "formal pronoun 'usted'"
    prev = toks[i - 1] if _adjacent(toks, i) else None
    if prev is not None and prev.low == "con":
        return [_Find(prev.start, t.end, _recase(prev.text, "contigo", prev.initial), detail)]
    if prev is not None and prev.low in _ES_PREPOSITIONS:
        return [_fix(t, "ti", detail)]
    if not lex.available:
        return [_report(t, detail + ": the verb must agree; no morphology to rewrite it")]
    between: list[int] = []
    if prev is not None and any(_p3_singular(r) for r in lex.readings(prev.low)):
        j: int | None = i - 1  # "¿Puede usted …?"
    else:
        j = _next_word(toks, i, _ES_ADVERBS | _ES_CLITICS)
        between = list(range(i + 1, j)) if j is not None else []
    if j is None or not lex.is_verb(toks[j].low):
        return [_fix(t, "tú", detail)]
    v = _regenerate(lex, toks[j], _p3_singular, _es_informalise, forced=True)
    if v.status == "none":
        return [_fix(t, "tú", detail)]
    done.add(j)
    se = [k for k in between if toks[k].low == "se"]
    ambiguous_se = any(toks[k + 1].low in ("lo", "la", "los", "las") for k in se)
    if v.status != "fixed" or not v.form or ambiguous_se:
        return [_report(t, detail), _report(toks[j], f"formal verb form '{toks[j].low}' with usted")]
    finds = [_fix(t, "tú", detail), _Find(toks[j].start, toks[j].end, v.form, f"formal verb form '{toks[j].low}'")]
    return finds + [_fix(toks[k], "te", "formal reflexive 'se' with usted") for k in se]


# --- Italian --------------------------------------------------------------------------------------

_IT_POSSESSIVE = {"tuo": "Suo", "tua": "Sua", "tuoi": "Suoi", "tue": "Sue"}
_IT_COURTESY = {"Suo": "tuo", "Sua": "tua", "Suoi": "tuoi", "Sue": "tue"}
_IT_CLITICS = frozenset("mi ti ci si vi lo la li le ne gli".split())
_IT_PREPOSITIONS = frozenset("a con da di in per su tra fra senza verso come".split())
_IT_NOUN_CONTEXT = (_IT_PREPOSITIONS - {"come"}) | frozenset(
    "il i un uno una l' dei degli delle del dello della dell' al ai agli alle alla allo nel nei negli nelle nella "
    "dal dai dagli dalle dalla sul sui sugli sulle sulla miei tuoi suoi nostri vostri questi queste quei quegli "
    "quelle".split()
)


def _check_it(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    return _it_formal(toks, lex) if register == "formal" else _it_informal(toks, lex)


def _it_formal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if w in _IT_POSSESSIVE:
            finds.append(_fix(t, _IT_POSSESSIVE[w], f"informal possessive '{w}'"))
        elif w == "te" and _adjacent(toks, i) and toks[i - 1].low in _IT_PREPOSITIONS:
            finds.append(_fix(t, "Lei", "informal pronoun 'te'"))
        elif w == "te":
            finds.append(_report(t, "informal pronoun 'te'"))
        elif w in ("tu", "ti"):
            finds += _it_unit(toks, i, lex, done)
        elif lex.available:
            v = _regenerate(lex, t, _second_person(toks, i, _IT_NOUN_CONTEXT), _person_swap("p2", "p3"))
            readings = lex.readings(w)
            modal = any(r.head.tags[0] in ("vbmod", "vbser", "vbhaver") for r in readings)
            present = any("pri" in r.head.tags for r in readings)
            if v.status == "fixed" and t.initial and present and not modal and not _question(toks, i):
                # A present tense opening a statement may be a command: "Scrivi a noi" → "Scriva".
                v = _Verb("stuck")
            finds += _verb_find(t, v, "informal")
    return finds


def _it_informal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    sent = _sentence_ids(toks)
    # Mid-sentence capitals are courtesy forms; lower-case lei/suo are also she/his/her, and a
    # sentence-initial Lei counts only beside another courtesy capital.
    courtesy = {sent[i] for i, t in enumerate(toks) if not t.initial and t.text in {"Lei", *_IT_COURTESY}}
    finds: list[_Find] = []
    possessives: list[int] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        if i in done:
            continue
        if t.text == "Lei" and not t.initial:
            finds += _it_lei(toks, i, lex, done)
        elif t.text == "Lei" and sent[i] in courtesy:
            finds.append(_report(t, "formal pronoun 'Lei'"))
        elif t.text in ("La", "Le") and t.initial and sent[i] in courtesy and _adjacent(toks, i + 1):
            if lex.readings(toks[i + 1].low) and all(r.finite for r in lex.readings(toks[i + 1].low)):
                finds.append(_report(t, f"formal pronoun '{t.text}'"))  # "La ringraziamo per la Sua …"
        elif t.initial:
            continue
        elif t.text in _IT_COURTESY:
            possessives.append(i)
        elif t.text in ("La", "Le", "Glielo", "Gliela") and _adjacent(toks, i + 1) and toks[i + 1].text[:1].islower():
            finds.append(_report(t, f"formal pronoun '{t.text}'"))
    # "tuo" beside a Lei left as it is would mix the registers: then only report.
    stuck = {sent[i] for i, t in enumerate(toks) for f in finds if f.replacement is None and f.start == t.start}
    for i in possessives:
        t = toks[i]
        detail = f"formal possessive '{t.text}'"
        fix = sent[i] not in stuck
        finds.append(_fix(t, _IT_COURTESY[t.text], detail, courtesy=True) if fix else _report(t, detail))
    return finds


def _verb_find(t: _Tok, v: _Verb, register: str) -> list[_Find]:
    if v.status == "fixed" and v.form:
        return [_Find(t.start, t.end, v.form, f"{register} verb form '{t.low}'")]
    if v.status == "stuck":
        return [_report(t, f"{register} verb form '{t.low}': no safe rewrite")]
    return []


def _it_unit(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    """tu / ti + verb: tu → Lei, reflexive ti → si, verb p2 → p3, all together or not at all."""
    t = toks[i]
    alone = [_fix(t, "Lei", "informal pronoun 'tu'")] if t.low == "tu" else [_report(t, "informal 'ti' (La or Le?)")]
    if not lex.available:
        return [_report(t, f"informal pronoun '{t.low}': the verb must agree; no morphology")]
    j = _next_word(toks, i, _IT_CLITICS | {"non"})
    if j is None or not lex.is_verb(toks[j].low):
        return alone
    indicative = not (_adjacent(toks, i) and toks[i - 1].low == "che")
    v = _regenerate(lex, toks[j], _p2_finite("sg"), _person_swap("p2", "p3"), forced=True, indicative=indicative)
    if v.status == "none":  # the verb is not 2nd person: tu stands alone, ti is an object
        return alone
    ti = [k for k in range(i, j) if toks[k].low == "ti"]
    done.update(range(i, j + 1))
    if v.status != "fixed" or not v.form:
        return [_report(toks[k], f"informal '{toks[k].low}': no safe rewrite") for k in sorted({i, *ti, j})]
    finds = [_Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
    if t.low == "tu":
        finds.append(_fix(t, "Lei", "informal pronoun 'tu'"))
    # ti with a 2nd-person verb is reflexive: "ti registri" → "si registra".
    return finds + [_fix(toks[k], "si", "informal reflexive 'ti'") for k in ti]


def _it_lei(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    j = _next_word(toks, i, _IT_CLITICS | {"non"})
    if not lex.available or j is None or not lex.is_verb(toks[j].low):
        return [_report(t, "formal pronoun 'Lei'")]
    v = _regenerate(lex, toks[j], _p3_singular, _person_swap("p3", "p2"), forced=True)
    between = range(i + 1, j)
    if v.status != "fixed" or not v.form or any(toks[k].low in ("la", "le", "gli") for k in between):
        return [_report(t, "formal pronoun 'Lei'")]
    done.add(j)
    finds = [_fix(t, "tu", "formal pronoun 'Lei'", courtesy=True)]
    finds.append(_Find(toks[j].start, toks[j].end, v.form, f"formal verb form '{toks[j].low}'"))
    return finds + [_fix(toks[k], "ti", "formal reflexive 'si'") for k in between if toks[k].low == "si"]


# --- French ---------------------------------------------------------------------------------------

_FR_POSSESSIVE = {"ton": "votre", "ta": "votre", "tes": "vos"}
_FR_TIEN = {"tien": "vôtre", "tienne": "vôtre", "tiens": "vôtres", "tiennes": "vôtres"}
_FR_CLITICS = frozenset("ne n' me m' te t' se s' le la l' les lui leur y en nous vous".split())
_FR_HYPHEN_OBJECTS = frozenset("moi toi nous le la les lui leur y en".split())
_FR_INVERTED_SUBJECTS = frozenset("tu je il elle on ils elles t".split())
_FR_FORMAL = frozenset("vous votre vos vôtre vôtres".split())
_FR_NOUN_TON = frozenset("le un du au ce quel d'un".split())  # "le ton" is the noun


def _check_fr(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if register == "informal":
            # vous is also the plural of tu: reported for an editor, never rewritten.
            if w in _FR_FORMAL:
                finds.append(_report(t, f"formal (or plural) '{w}'"))
        elif w in _FR_POSSESSIVE and not (w == "ton" and _adjacent(toks, i) and toks[i - 1].low in _FR_NOUN_TON):
            finds.append(_fix(t, _FR_POSSESSIVE[w], f"informal possessive '{w}'"))
        elif w in _FR_TIEN and _adjacent(toks, i) and toks[i - 1].low in ("le", "la", "les"):
            finds.append(_fix(t, _FR_TIEN[w], f"informal possessive '{w}'"))
        elif w == "tu" or _fr_command(toks, i, lex):
            finds += _fr_unit(toks, i, lex, done)
        elif w in ("te", "t'") and _adjacent(toks, i + 1) and _fr_command(toks, i + 1, lex):
            continue  # "Ne t'inquiète pas": rewritten with its verb
        elif w in ("te", "t'"):
            # Object or reflexive, te is vous either way: "je te contacte" → "je vous contacte".
            finds.append(_fix(t, "vous " if w == "t'" else "vous", f"informal pronoun '{w}'"))
        elif w == "toi" and t.gap != "-":
            finds.append(_fix(t, "vous", "informal pronoun 'toi'"))
        elif w == "toi":
            finds.append(_report(t, "informal command with 'toi'"))
    return finds


def _fr_command(toks: list[_Tok], i: int, lex: _Lex) -> bool:
    """A tu-command: opens a sentence ("Contacte notre équipe", "N'hésite pas") or takes "-nous"."""
    readings = lex.readings(toks[i].low)
    if not any(r.imperative and r.person == "p2" and r.number == "sg" for r in readings):
        return False
    nxt = toks[i + 1] if i + 1 < len(toks) and toks[i + 1].gap == "-" else None
    if nxt is not None and nxt.low in _FR_INVERTED_SUBJECTS:
        return False  # "Peux-tu": a question
    if nxt is not None and nxt.low in _FR_HYPHEN_OBJECTS:
        return True
    k = i  # French needs a subject: a finite verb that opens the sentence is a command
    while k > 0 and not toks[k].initial and toks[k - 1].low in _FR_CLITICS:
        k -= 1
    if k == i:
        return toks[i].initial and all(r.verb for r in readings)
    return toks[k].initial and toks[k].low in ("ne", "n'")  # "Ne t'inquiète pas"


def _fr_unit(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    """tu + verb ("tu as", "as-tu") or a command: vous + p2 plural, all together or not at all."""
    j: int | None
    # Not after "que" a present tense is indicative: "si tu précises" → "si vous précisez".
    indicative = not (_adjacent(toks, i) and toks[i - 1].low in ("que", "qu'"))
    if toks[i].low == "tu":
        if toks[i].gap == "-" and i > 0:
            j, members = i - 1, [i]
        else:
            j = _next_word(toks, i, _FR_CLITICS)
            members = [k for k in range(i, j if j is not None else i + 1) if toks[k].low in ("tu", "te", "t'")]
            if lex.available and (j is None or not any(r.finite for r in lex.readings(toks[j].low))):
                # No verb to agree with ("fournir tu avec …", a translation error): the pronoun alone.
                done.add(i)
                return [_fix(toks[i], "vous", "informal pronoun 'tu'")]
        relevant = _p2_finite("sg")
    else:
        j, members = i, [i]
        if i > 0 and toks[i - 1].low in ("te", "t'") and not toks[i].gap.strip():
            members.insert(0, i - 1)  # "Ne t'inquiète pas"
        if i + 1 < len(toks) and toks[i + 1].gap == "-" and toks[i + 1].low == "toi":
            members.append(i + 1)  # "Inscris-toi"
        relevant = lambda r: r.imperative and r.person == "p2" and r.number == "sg"  # noqa: E731
    done.update(members)
    swap = _person_swap("p2", "p2", "pl")
    v = _regenerate(lex, toks[j], relevant, swap, forced=True, indicative=indicative) if j is not None else None
    if v is None or v.status != "fixed" or not v.form or j is None:
        return [_report(toks[k], f"informal '{toks[k].low}': the verb must agree") for k in members]
    verb_seen = j in done and j not in members
    done.add(j)
    finds = [] if verb_seen else [_Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
    for k in members:
        if k != j:
            repl = "vous " if toks[k].low == "t'" else "vous"
            finds.append(_fix(toks[k], repl, f"informal pronoun '{toks[k].low}'"))
    return finds


# --- Portuguese -----------------------------------------------------------------------------------

_PT_POSSESSIVE = {"teu": "seu", "tua": "sua", "teus": "seus", "tuas": "suas"}
_PT_REPORT = {"tu", "te", "ti", "contigo", "você"}
_PT_SENHOR = frozenset("senhor senhora senhores senhoras".split())
_PT_NOUN_CONTEXT = frozenset(
    "o a os as um uma uns umas meus minhas teus tuas seus suas nossos nossas estes estas esses essas aqueles "
    "aquelas do da dos das no na nos nas ao aos à às pelo pela pelos pelas num numa de em para por com sem sobre "
    "entre".split()
)
_PT_ARTICLES = frozenset("o a os as ao à aos às do da dos das no na nos nas pelo pela pelos pelas".split())


def _check_pt(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    tu_verbs = set()
    for i, t in enumerate(toks):
        if t.low == "tu":
            j = _next_word(toks, i, frozenset({"não", "te", "se", "me", "nos", "o", "a", "lhe"}))
            tu_verbs.add(j)
    for i, t in enumerate(toks):
        w = t.low
        if register == "formal":
            if w in _PT_POSSESSIVE:
                finds.append(_fix(t, _PT_POSSESSIVE[w], f"informal possessive '{w}'"))
            elif w in _PT_REPORT:
                hint = "o senhor / a senhora" if w == "você" else "a form of o senhor / você"
                finds.append(_report(t, f"informal '{w}': use {hint}"))
            elif lex.available:
                v = _regenerate(lex, t, _second_person(toks, i, _PT_NOUN_CONTEXT), _person_swap("p2", "p3"))
                if i in tu_verbs and v.status == "fixed":
                    v = _Verb("stuck")  # "tu tens" stays as it is until tu is rewritten by hand
                finds += _verb_find(t, v, "informal")
        elif w in _PT_SENHOR and _adjacent(toks, i) and toks[i - 1].low in _PT_ARTICLES:
            name_follows = _adjacent(toks, i + 1) and toks[i + 1].text[:1].isupper()
            if not name_follows:
                prev = toks[i - 1]
                finds.append(_Find(prev.start, t.end, None, f"formal address '{prev.text} {t.text}'"))
    return finds


# --- German ---------------------------------------------------------------------------------------

_DE_POSSESSIVE = {
    **{f"dein{e}": f"Ihr{e}" for e in ("", "e", "en", "em", "er", "es")},
    **{
        f"eu{s}": f"Ihr{e}"
        for s, e in (("er", ""), ("re", "e"), ("ren", "en"), ("rem", "em"), ("rer", "er"), ("res", "es"))
    },
}
_DE_INFORMAL = {"du": "Sie", "dich": "Sie / sich", "dir": "Ihnen / sich", "euch": "Sie / Ihnen / sich"}
_DE_COURTESY = {f"Ihr{e}": f"dein{e}" for e in ("", "e", "en", "em", "er", "es")}


def _check_de(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    if register == "formal":
        for t in toks:
            if t.low in _DE_POSSESSIVE:
                finds.append(_fix(t, _DE_POSSESSIVE[t.low], f"informal possessive '{t.text}'"))
            elif t.low in _DE_INFORMAL:
                finds.append(_report(t, f"informal '{t.text}': use {_DE_INFORMAL[t.low]} (the verb must agree)"))
        return finds
    sent = _sentence_ids(toks)
    # Mid-sentence capitals are courtesy forms; lower-case sie/ihr are she/they/her, and a
    # sentence-initial Sie counts only beside another courtesy capital.
    courtesy = {sent[i] for i, t in enumerate(toks) if not t.initial and t.text in {"Sie", "Ihnen", *_DE_COURTESY}}
    addressed = {sent[i] for i, t in enumerate(toks) if t.text in ("Sie", "Ihnen")}
    for i, t in enumerate(toks):
        if t.text in ("Sie", "Ihnen") and (not t.initial or sent[i] in courtesy):
            finds.append(_report(t, f"formal '{t.text}': use du / dich / dir (the verb must agree)"))
        elif t.text in _DE_COURTESY and not t.initial:
            nxt = toks[i + 1] if _adjacent(toks, i + 1) else None
            # "Ihr Konto", "Ihre neue Adresse"; "Ihr habt" (old-style capitalised ihr) is not a possessive.
            possessive = nxt is not None and (nxt.text[:1].isupper() or nxt.low.endswith(("e", "en", "er", "es", "em")))
            # "dein" beside a Sie left as it is would mix the registers: then only report.
            if possessive and sent[i] not in addressed:
                finds.append(_fix(t, _DE_COURTESY[t.text], f"formal possessive '{t.text}'", courtesy=True))
            else:
                finds.append(_report(t, f"formal '{t.text}'"))
    return finds


# --- Dutch ----------------------------------------------------------------------------------------

_NL_FIX = {"jouw": "uw", "jou": "u", "jouwe": "uwe"}
_NL_REPORT = {"je": "u / uw", "jullie": "u / uw", "jezelf": "uzelf", "jij": "u"}
_NL_CLAUSE_OPENERS = frozenset(
    "als dat omdat wanneer zodat of terwijl nadat voordat tenzij zoals indien hoewel want en maar dus zodra".split()
)


def _check_nl(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    sent = _sentence_ids(toks)
    addressed = {sent[i] for i, t in enumerate(toks) if t.low in ("u", "uzelf")}
    for i, t in enumerate(toks):
        w = t.low
        if register == "formal":
            if w in _NL_FIX:
                finds.append(_fix(t, _NL_FIX[w], f"informal '{w}'"))
            elif w == "jij" and (t.initial or t.gap.strip() == "," or toks[i - 1].low in _NL_CLAUSE_OPENERS):
                # Before its verb, jij takes the same form as u ("jij hebt" / "u hebt"); after it
                # ("heb jij") the verb loses its -t, so that case is only reported.
                finds.append(_fix(t, "u", "informal pronoun 'jij'"))
            elif w in _NL_REPORT:
                finds.append(_report(t, f"informal '{w}': use {_NL_REPORT[w]}"))
        elif w in ("uw", "uwe"):
            # "jouw" beside a u left as it is would mix the registers: then only report.
            detail = f"formal possessive '{w}'"
            fixable = sent[i] not in addressed
            finds.append(_fix(t, "jouw" if w == "uw" else "jouwe", detail) if fixable else _report(t, detail))
        elif w in ("u", "uzelf"):
            finds.append(_report(t, f"formal '{w}': use jij / je / jou (the verb may change)"))
    return finds


_CHECKERS: dict[str, Callable[[list[_Tok], Register, _Lex], list[_Find]]] = {
    "es": _check_es,
    "it": _check_it,
    "fr": _check_fr,
    "pt": _check_pt,
    "de": _check_de,
    "nl": _check_nl,
}
# Languages whose rules use a Morphology when one is given.
_MORPH_LANGS = frozenset({"es", "it", "fr", "pt"})
