"""Engine corrections: an engine's systematic mistakes for one language pair, fixed for every brand.

Two kinds of rule, kept as readable data (glossary/corrections/data/<engine>/<src>-<tgt>.tsv):

- `source`: a source phrase with a forced rendering ("billing address" → "dirección de
  facturación"). It goes through the glossary's term machinery (glossary/matcher.py,
  glossary/protect.py): found case-insensitively as whole words, masked so the engine never sees
  it, and put back as the rendering (capitalised at a sentence start).
- `target`: a rewrite of the engine's output, a regular expression and a replacement
  ("Gracias para" → "Gracias por"). The replacement may regenerate a verb with the morphology:
  `{imp:N}` turns group N, an infinitive with or without enclitics ("enviarme"), into the informal
  imperative ("envíame"), and `{inf:N}` turns a finite verb ("confirmas", "digo") into its
  infinitive; a match whose verb cannot be regenerated is left as it was. A
  replacement keeps the capital of the text it replaces.

Pure: no processes, no I/O beyond reading a data file; the morphology is injected by the caller.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import regex

from glossary.errors import GlossaryError
from glossary.matcher import CompiledTermbase
from glossary.protect import TermFinder
from glossary.spans import find_spans
from glossary.terms import Term, Termbase
from glossary.tone import Morphology

Kind = Literal["source", "target"]
KINDS: tuple[Kind, ...] = ("source", "target")
COLUMNS = ("id", "kind", "match", "replace", "note")
DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_CHARS = 300
_ID = regex.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_LOWER_NEXT = regex.compile(r"[^\S\n]+\p{Ll}")
_SLOT = regex.compile(r"\{(imp|inf):(\d+)\}|\{(\d+)\}")


class InvalidCorrection(GlossaryError):
    """A correction that cannot be used; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Correction:
    id: str
    kind: Kind
    match: str
    replace: str
    note: str = ""
    enabled: bool = True
    origin: str = "shipped"  # shipped (the data file) | admin (added through the API)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "match": self.match,
            "replace": self.replace,
            "note": self.note,
            "enabled": self.enabled,
            "origin": self.origin,
        }


def make_correction(data: dict, *, origin: str = "admin") -> Correction:
    """Validate a raw correction (a file row or JSON) into a Correction, or raise InvalidCorrection."""
    unknown = set(data) - {*COLUMNS, "enabled", "origin"}
    if unknown:
        raise InvalidCorrection(f"unknown field(s): {', '.join(sorted(unknown))}")
    cid = data.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise InvalidCorrection("id must be 1-64 letters, digits, '_', '.', ':' or '-'")
    kind = data.get("kind")
    if kind not in KINDS:
        raise InvalidCorrection(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    match, repl = data.get("match"), data.get("replace")
    for name, value in (("match", match), ("replace", repl)):
        if not isinstance(value, str):
            raise InvalidCorrection(f"{name} must be text")
        if len(value) > MAX_CHARS or "\n" in value or "\t" in value:
            raise InvalidCorrection(f"{name} must be one line of at most {MAX_CHARS} characters, without tabs")
    assert isinstance(match, str) and isinstance(repl, str)
    if not match.strip():
        raise InvalidCorrection("match is empty")
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > 2000:
        raise InvalidCorrection("note must be text of at most 2000 characters")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidCorrection("enabled must be true or false")
    out = Correction(cid, kind, match.strip() if kind == "source" else match, repl, note, enabled, origin)
    if kind == "source" and not repl.strip():
        raise InvalidCorrection("a source correction needs the rendering to force (replace)")
    if kind == "target":
        _compile_target(out)  # raises InvalidCorrection with the reason
    return out


def parse_tsv(text: str, origin: str = "shipped") -> list[Correction]:
    """Corrections from a tab-separated file with the header id, kind, match, replace, note.

    Lines starting with '#' are comments. Errors name the line."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader)
    if tuple(h.strip() for h in header) != COLUMNS:
        raise InvalidCorrection(f"the header must be {' / '.join(COLUMNS)} (tab-separated); got {header}")
    out: list[Correction] = []
    seen: set[str] = set()
    for n, row in enumerate(reader, start=2):
        if len(row) < 4:
            raise InvalidCorrection(f"line {n}: expected {len(COLUMNS)} tab-separated columns, got {len(row)}")
        raw = dict(zip(COLUMNS, [*row, ""][: len(COLUMNS)], strict=True))
        try:
            c = make_correction(raw, origin=origin)
        except InvalidCorrection as exc:
            raise InvalidCorrection(f"line {n}: {exc}") from None
        if c.id in seen:
            raise InvalidCorrection(f"line {n}: duplicate id {c.id!r}")
        seen.add(c.id)
        out.append(c)
    return out


def data_file(engine: str, source: str, target: str, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / engine / f"{source}-{target}.tsv"


def shipped(engine: str, source: str, target: str, data_dir: Path = DATA_DIR) -> list[Correction]:
    """The corrections shipped for an engine kind and pair ([] when none are)."""
    path = data_file(engine, source, target, data_dir)
    if not path.is_file():
        return []
    try:
        return parse_tsv(path.read_text(encoding="utf-8"))
    except InvalidCorrection as exc:
        raise InvalidCorrection(f"{path}: {exc}") from None


def shipped_pairs(data_dir: Path = DATA_DIR) -> list[tuple[str, str, str]]:
    """(engine, source, target) of every shipped data file."""
    out = []
    for path in sorted(data_dir.glob("*/*.tsv")):
        src, _, tgt = path.stem.partition("-")
        if src and tgt:
            out.append((path.parent.name, src, tgt))
    return out


# ----------------------------------------------------------------------------------------- compiled


@dataclass(frozen=True, slots=True)
class _Target:
    correction: Correction
    pattern: regex.Pattern[str]


def _compile_target(c: Correction) -> _Target:
    try:
        pattern = regex.compile(c.match, regex.IGNORECASE | regex.V1)
    except regex.error as exc:
        raise InvalidCorrection(f"match is not a valid regular expression: {exc}") from None
    for m in _SLOT.finditer(c.replace):
        group = int(m.group(2) or m.group(3))
        if group > pattern.groups:
            raise InvalidCorrection(f"replace refers to group {group}; the pattern has {pattern.groups}")
    return _Target(c, pattern)


@dataclass(frozen=True, slots=True)
class Found:
    """A source phrase found in a text: its correction, rendering, and whether a lowercase word follows."""

    id: str
    rendering: str
    lower_next: bool


@dataclass(frozen=True, slots=True)
class Applied:
    """What the corrections did to one translation."""

    text: str
    ids: tuple[str, ...]  # in the order they applied, each once


@dataclass(frozen=True)
class CorrectionSet:
    """The enabled corrections of one engine and pair, compiled; `version` changes with any edit."""

    engine: str
    source: str
    target: str
    corrections: tuple[Correction, ...]
    version: str = ""
    _terms: CompiledTermbase | None = field(default=None, repr=False)
    _targets: tuple[_Target, ...] = field(default=(), repr=False)

    @classmethod
    def compile(cls, engine: str, source: str, target: str, corrections: Iterable[Correction]) -> CorrectionSet:
        every = tuple(corrections)
        active = [c for c in every if c.enabled]
        terms = [
            Term("term", c.match, c.replace.strip(), source, target, id=c.id) for c in active if c.kind == "source"
        ]
        compiled = CompiledTermbase.compile(Termbase(f"corrections:{engine}", 1, tuple(terms))) if terms else None
        targets = tuple(_compile_target(c) for c in active if c.kind == "target")
        digest = hashlib.sha256(
            "\n".join(f"{c.id}\t{c.kind}\t{c.match}\t{c.replace}\t{c.enabled}" for c in every).encode()
        ).hexdigest()[:12]
        return cls(engine, source, target, every, digest, compiled, targets)

    @property
    def active(self) -> int:
        return sum(1 for c in self.corrections if c.enabled)

    def finder(self, found: list[Found]) -> TermFinder | None:
        """A term finder for protect(): masks each source phrase with its rendering, noting matches."""
        compiled = self._terms
        if compiled is None:
            return None

        def find(text: str):
            # Never inside what protect() keeps as it is (slots, URLs, e-mails, numbers…): a
            # correction is the engine's, and "{{Order Number}}" is not the phrase "order number".
            kept = find_spans(text)
            matches = [
                m
                for m in compiled.source_matches(text, self.source, self.target)
                if all(m.end <= a or m.start >= b for a, b, _ in kept)
            ]
            found.extend(Found(m.term.id, m.term.target or "", bool(_LOWER_NEXT.match(text, m.end))) for m in matches)
            return [(m.start, m.end, m.term.target) for m in matches]

        return find

    def recase(self, found: Sequence[Found], text: str) -> str:
        """Undo the capital the engine gives the word after a masked phrase.

        The engine never sees the phrase, so it takes the next word for a sentence's first
        ("I'm afraid we" → "Me temo que Nosotros"); where that word is lowercase in the source,
        it is lowercased after the rendering too."""
        for f in found:
            if not f.lower_next or not f.rendering:
                continue
            pattern = regex.compile(rf"(?i:{regex.escape(f.rendering)})[^\S\n]+(\p{{Lu}})(?!\p{{Lu}})")
            text = pattern.sub(lambda g: g.group(0)[:-1] + g.group(1).lower(), text)
        return text

    def rewrite(self, text: str, morphology: Morphology | None = None) -> Applied:
        """Apply every target rewrite in file order; each sees the text the previous one left."""
        ids: list[str] = []
        for t in self._targets:
            new = _rewrite(t, text, morphology)
            if new != text:
                ids.append(t.correction.id)
                text = new
        return Applied(text, tuple(ids))


def _rewrite(t: _Target, text: str, morphology: Morphology | None) -> str:
    out: list[str] = []
    pos = 0
    for m in t.pattern.finditer(text):
        value = _render(t.correction.replace, m, morphology)
        if value is None:
            continue
        out += [text[pos : m.start()], _recase(m.group(0), value)]
        pos = m.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _render(template: str, m: regex.Match[str], morphology: Morphology | None) -> str | None:
    parts: list[str] = []
    pos = 0
    for s in _SLOT.finditer(template):
        parts.append(template[pos : s.start()])
        pos = s.end()
        if s.group(3) is not None:
            parts.append(m.group(int(s.group(3))) or "")
            continue
        word = m.group(int(s.group(2))) or ""
        make = imperative if s.group(1) == "imp" else infinitive
        form = make(word, morphology) if word else None
        if form is None:
            return None
        parts.append(form)
    parts.append(template[pos:])
    return "".join(parts)


def _recase(original: str, value: str) -> str:
    if original[:1].isupper() and value[:1].islower():
        return value[:1].upper() + value[1:]
    if original[:1].islower() and value[:1].isupper() and not value[1:2].isupper():
        return value[:1].lower() + value[1:]
    return value


_VERB = regex.compile(r"^([^<+]+)(<(?:vblex|vbser|vbhaver|vbmod)>)<inf>((?:\+.*)?)$")


def imperative(word: str, morphology: Morphology | None) -> str | None:
    """The informal (tú) imperative of an infinitive, enclitics kept: "enviarme" → "envíame"."""
    if morphology is None:
        return None
    [readings] = morphology.analyse([word.lower()])
    wanted = []
    for r in readings:
        m = _VERB.match(r)
        if m:
            wanted.append(f"{m.group(1)}{m.group(2)}<imp><p2><sg>{m.group(3)}")
    if not wanted:
        return None
    for form in morphology.generate(wanted[:1]):
        if form:
            return form if word[:1].islower() else form[:1].upper() + form[1:]
    return None


_FINITE = regex.compile(r"^([^<+]+)(<(?:vblex|vbser|vbhaver|vbmod)>)<(?:pri|pii|ifi|fti|cni|prs|pis|imp)>[^+]*$")


def infinitive(word: str, morphology: Morphology | None) -> str | None:
    """The infinitive of a finite verb form without enclitics: "confirmas" → "confirmar", "digo" → "decir".

    Apertium renders "can you confirm" as "puede confirmas" and "can you tell me" as "puede me
    digo"; the verb after the modal must be the infinitive. None when no reading is a finite verb."""
    if morphology is None:
        return None
    [readings] = morphology.analyse([word.lower()])
    wanted = [f"{m.group(1)}{m.group(2)}<inf>" for r in readings if (m := _FINITE.match(r))]
    if not wanted:
        return None
    for form in morphology.generate(wanted[:1]):
        if form:
            return form if word[:1].islower() else form[:1].upper() + form[1:]
    return None


def merge(base: Sequence[Correction], overrides: dict[str, bool], added: Sequence[Correction]) -> list[Correction]:
    """The shipped set with admins' switches applied, then admins' own corrections (which win on id)."""
    mine = {c.id for c in added}
    out = [replace(c, enabled=overrides.get(c.id, c.enabled)) for c in base if c.id not in mine]
    out += [replace(c, enabled=overrides.get(c.id, c.enabled)) for c in added]
    return out


def both(first: TermFinder | None, second: TermFinder | None) -> TermFinder | None:
    """One finder from two: everything `first` finds (a brand's glossary wins), then what `second`
    finds outside those spans."""
    if first is None or second is None:
        return first or second

    def find(text: str):
        mine = list(first(text))
        taken = [(a, b) for a, b, _ in mine]
        extra = [(a, b, out) for a, b, out in second(text) if all(b <= x or a >= y for x, y in taken)]
        return mine + extra

    return find


def correct(fixes: CorrectionSet | None, found: Sequence[Found], text: str, morphology: Morphology | None) -> Applied:
    """The output after the corrections: capitals after masked phrases undone, target rewrites applied;
    `ids` lists every correction that applied (source phrases first)."""
    if fixes is None:
        return Applied(text, ())
    text = fixes.recase(found, text)
    done = fixes.rewrite(text, morphology)
    ids = tuple(dict.fromkeys([*(f.id for f in found), *done.ids]))
    return Applied(done.text, ids)
