"""A brand's termbase as plain data: entries, their validation, and the versioned collection."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from glossary.errors import InvalidTerm
from models.errors import UnknownLanguage
from models.langcodes import normalize

Kind = Literal["dnt", "term", "forbidden"]
KINDS: tuple[Kind, ...] = ("dnt", "term", "forbidden")
MAX_TERM_CHARS = 200
# Control characters XML cannot hold: refused so every entry can be exported as TBX.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Term:
    """One entry.

    - dnt: `source` is never translated, kept exactly (any language unless `source_lang` is set).
    - term: `source` (in `source_lang`) must come out as `target` (in `target_lang`); `variants`
      are accepted inflected forms of the target.
    - forbidden: `source` is a `target_lang` word the brand never uses; `target` replaces it.
    """

    kind: Kind
    source: str
    target: str | None = None
    source_lang: str | None = None
    target_lang: str | None = None
    case_sensitive: bool = False
    variants: tuple[str, ...] = ()
    note: str = ""
    id: str = field(default_factory=lambda: secrets.token_hex(6))

    @property
    def key(self) -> tuple:
        """What makes two entries duplicates: same kind, languages and source (case-folded if insensitive)."""
        src = self.source if self.case_sensitive else self.source.casefold()
        return (self.kind, self.source_lang, self.target_lang, src)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "source_lang": self.source_lang,
            "target_lang": self.target_lang,
            "case_sensitive": self.case_sensitive,
            "variants": list(self.variants),
            "note": self.note,
        }


def _lang(value: object, name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidTerm(f"{name} must be a language code such as 'es'")
    try:
        return normalize(value)
    except UnknownLanguage as exc:
        raise InvalidTerm(f"{name}: {exc}") from None


def _text(value: object, name: str, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidTerm(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InvalidTerm(f"{name} must be text")
    if not value.strip():
        raise InvalidTerm(f"{name} is only whitespace")
    if len(value) > MAX_TERM_CHARS:
        raise InvalidTerm(f"{name} is longer than {MAX_TERM_CHARS} characters")
    if "\n" in value or "\r" in value:
        raise InvalidTerm(f"{name} must be on one line")
    if _CONTROL.search(value):
        raise InvalidTerm(f"{name} contains a control character")
    # Surrounding spaces would never match a whole word: drop them rather than fail.
    return value.strip()


# Excel writes a boolean cell as TRUE/FALSE in the workbook's language (WAHR, VRAI, VERDADERO …).
_TRUE = frozenset({"true", "yes", "1", "y", "wahr", "vrai", "verdadero", "vero", "verdadeiro", "waar"})
_FALSE = frozenset({"false", "no", "0", "n", "falsch", "faux", "falso", "onwaar"})


def _bool(value: object, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise InvalidTerm(f"{name} must be true or false")


def make_term(data: dict, *, id: str | None = None) -> Term:
    """Validate a raw entry (from JSON or a file row) into a Term, or raise InvalidTerm."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise InvalidTerm(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    unknown = set(data) - {
        "id",
        "kind",
        "source",
        "target",
        "source_lang",
        "target_lang",
        "case_sensitive",
        "variants",
        "note",
    }
    if unknown:
        raise InvalidTerm(f"unknown field(s): {', '.join(sorted(unknown))}")
    source = _text(data.get("source"), "source", required=True)
    source_lang = _lang(data.get("source_lang"), "source_lang")
    target_lang = _lang(data.get("target_lang"), "target_lang")
    raw_variants = data.get("variants") or ()
    if isinstance(raw_variants, str):
        raw_variants = [v for v in raw_variants.split("|") if v.strip()]
    if not isinstance(raw_variants, (list, tuple)):
        raise InvalidTerm("variants must be a list of text")
    variants = tuple(dict.fromkeys(_text(v, "variants", required=True) for v in raw_variants))
    if any("|" in v for v in variants):
        raise InvalidTerm("variants cannot contain '|' (it separates variants in CSV files)")
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > 2000:
        raise InvalidTerm("note must be text of at most 2000 characters")
    if _CONTROL.search(note):
        raise InvalidTerm("note contains a control character")
    given_id = id or data.get("id") or None  # an empty id column means "make one"
    if given_id is not None and (not isinstance(given_id, str) or not _ID.match(given_id)):
        raise InvalidTerm("id must be 1-64 letters, digits, '_', '.', ':' or '-'")
    if kind == "dnt":
        target = _text(data.get("target"), "target", required=False)
        if target is not None and target != source:
            raise InvalidTerm("a dnt entry is kept as it is: leave target empty (or equal to source)")
        if variants:
            raise InvalidTerm("variants apply to term entries only")
        term = Term(
            "dnt",
            source,
            None,
            source_lang,
            target_lang,
            _bool(data.get("case_sensitive"), "case_sensitive", True),
            (),
            note,
        )
    elif kind == "term":
        target = _text(data.get("target"), "target", required=True)
        if source_lang is None or target_lang is None:
            raise InvalidTerm("a term needs source_lang and target_lang")
        if source_lang == target_lang:
            raise InvalidTerm("source_lang and target_lang must differ")
        term = Term(
            "term",
            source,
            target,
            source_lang,
            target_lang,
            _bool(data.get("case_sensitive"), "case_sensitive", False),
            variants,
            note,
        )
    else:
        target = _text(data.get("target"), "target", required=True)
        if target_lang is None:
            raise InvalidTerm("a forbidden entry needs target_lang (the language of the word it bans)")
        if variants:
            raise InvalidTerm("variants apply to term entries only")
        if target.casefold() == source.casefold():
            raise InvalidTerm("the replacement of a forbidden word must differ from it")
        term = Term(
            "forbidden",
            source,
            target,
            source_lang,
            target_lang,
            _bool(data.get("case_sensitive"), "case_sensitive", False),
            (),
            note,
        )
    return replace(term, id=given_id or term.id)


@dataclass(frozen=True, slots=True)
class Termbase:
    brand: str
    version: int = 0
    terms: tuple[Term, ...] = ()

    def by_id(self, term_id: str) -> Term | None:
        return next((t for t in self.terms if t.id == term_id), None)


def find_duplicates(terms: Iterable[Term]) -> list[tuple[Term, Term]]:
    seen: dict[tuple, Term] = {}
    dupes = []
    for t in terms:
        if t.key in seen:
            dupes.append((seen[t.key], t))
        else:
            seen[t.key] = t
    return dupes
