"""Termbase files: CSV/TSV tables and TBX, read with every error by line number, and written back losslessly.

Tables (CSV, TSV): see glossary/tables.py, whose names this module re-exports.

TBX (ISO 30042): TBX-Basic v2 (`<martif>`, `<termEntry>`, `<langSet>`, `<tig>`/`<ntig>`) and the
TBX v3 DCA style (`<tbx>`, `<conceptEntry>`, `<langSec>`, `<termSec>`). A concept becomes entries so:

- a term whose `administrativeStatus` (or `normativeAuthorization`) is deprecated, superseded or
  forbidden → a `forbidden` entry, replaced by the preferred (else the first other) term of its
  language in the same concept;
- the other terms, when they span two or more languages → `term` entries: the first language in
  the concept is the source (each of its terms a source), each other language a target whose
  preferred (else first) term is the target and whose other terms are accepted variants;
- terms in one language only (and nothing forbidden) → an error, unless the concept says
  `<descrip type="tonegate-kind">dnt</descrip>`: a monolingual file is no list of words to keep.

What TBX has no slot for travels in `<descrip>` elements of type `tonegate-kind`,
`tonegate-case-sensitive`, `tonegate-source-lang` (a forbidden entry's) and `tonegate-id` (an id
that is not a valid XML id); the note is the concept's `<note>`; `mul` stands for "any language".
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from glossary.errors import InvalidTerm
from glossary.tables import (  # noqa: F401 — re-exported: callers import tables from here too
    COLUMNS,
    DELIMITERS,
    TWO_COLUMNS,
    _fail,
    _Row,
    _validate,
    decode_table,
    parse_table,
    sniff_delimiter,
    write_table,
)
from glossary.terms import Term

with warnings.catch_warnings():
    # defusedxml marks its lxml module deprecated, yet it is the maintained entity check for lxml trees.
    warnings.simplefilter("ignore", DeprecationWarning)
    from defusedxml import DefusedXmlException
    from defusedxml import lxml as safe_lxml

ANY_LANG = "mul"
_NO_LANG = {"mul", "und", "zxx", ""}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_FORBIDDEN_STATUS = {"forbidden", "deprecated", "deprecatedterm", "supersededterm"}
_PREFERRED_STATUS = {"preferred", "preferredterm", "standardizedterm"}
_STATUS_TYPES = {"administrativestatus", "normativeauthorization"}


# ---------------------------------------------------------------- TBX


def _name(el: etree._Element) -> str:
    """An element's name without namespace ("" for comments and processing instructions)."""
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(el: etree._Element, *names: str) -> Iterator[etree._Element]:
    """Child elements with one of the names, in any namespace or none (lxml's "{*}")."""
    return el.iterchildren(*(f"{{*}}{n}" for n in names))


def _text(el: etree._Element) -> str:
    return (el.text or "") if len(el) == 0 else "".join(el.itertext())


@dataclass(slots=True)
class _TbxTerm:
    text: str
    line: int
    status: str  # "preferred", "admitted" or "forbidden"


@dataclass(slots=True)
class _LangSet:
    lang: str | None
    terms: list[_TbxTerm] = field(default_factory=list)

    def preferred(self) -> int | None:
        """Index of the preferred term, else the first allowed one."""
        allowed = [i for i, t in enumerate(self.terms) if t.status != "forbidden"]
        return next((i for i in allowed if self.terms[i].status == "preferred"), allowed[0] if allowed else None)


def _status(container: etree._Element) -> str:
    for note in container.iter("{*}termNote"):
        if (note.get("type") or "").lower() in _STATUS_TYPES:
            value = _text(note).strip().lower().removesuffix("-admn")
            if value in _FORBIDDEN_STATUS:
                return "forbidden"
            if value in _PREFERRED_STATUS:
                return "preferred"
    return "admitted"


def _lang_set(el: etree._Element) -> _LangSet:
    lang = (el.get(_XML_LANG) or el.get("lang") or "").strip()
    result = _LangSet(None if lang.lower() in _NO_LANG else lang)
    for container in _children(el, "tig", "ntig", "termSec"):
        term = next(container.iter("{*}term"), None)
        if term is not None:
            result.terms.append(_TbxTerm(_text(term), term.sourceline or 1, _status(container)))
    return result


def _descrips(entry: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    grouped = [d for g in _children(entry, "descripGrp") for d in _children(g, "descrip")]
    for el in [*_children(entry, "descrip"), *grouped]:
        found.setdefault((el.get("type") or "").strip(), _text(el))
    return found


class _Wrong(Exception):
    """One concept cannot be read: where and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _concept(entry: etree._Element) -> list[_Row]:
    """The raw entries one concept holds (ids given), or _Wrong."""
    line = entry.sourceline or 1
    meta = _descrips(entry)
    concept_id = (meta.get("tonegate-id") or entry.get("id") or "").strip()
    named = f"concept {concept_id!r}" if concept_id else "this concept"
    notes = [_text(n) for n in _children(entry, "note")]
    common: dict[str, object] = {"note": "\n".join(notes) or meta.get("definition", "")}
    if "tonegate-case-sensitive" in meta:
        common["case_sensitive"] = meta["tonegate-case-sensitive"]
    kind = meta.get("tonegate-kind", "").strip().lower()
    if kind and kind not in ("dnt", "term", "forbidden"):
        raise _Wrong(line, f"{named}: tonegate-kind must be dnt, term or forbidden (got {kind!r})")
    sets = [s for s in map(_lang_set, _children(entry, "langSet", "langSec")) if s.terms]
    if not sets:
        raise _Wrong(line, f"{named} holds no <term>")
    if kind == "dnt":
        rows = [_dnt(sets, named, line)]
    else:
        rows = _forbidden(sets, meta.get("tonegate-source-lang"), named)
        allowed = [s for s in sets if s.preferred() is not None]
        if kind == "forbidden" and not rows:
            raise _Wrong(line, f"{named}: a forbidden concept needs a term marked deprecatedTerm-admn")
        if kind != "forbidden" and len(allowed) >= 2:
            rows.extend(_terms(allowed))
        elif kind == "term" or not rows:
            langs = ", ".join(sorted({s.lang or ANY_LANG for s in allowed}))
            raise _Wrong(
                line,
                f"{named} has terms in one language only ({langs}): add a translation, or mark it "
                f'<descrip type="tonegate-kind">dnt</descrip> to keep it untranslated',
            )
    # One entry keeps the concept's id; several number theirs after it.
    ids = [concept_id, *(f"{concept_id}-{n}" for n in range(2, len(rows) + 1))] if concept_id else [""] * len(rows)
    return [(ln, {**common, **data, "id": i}) for (ln, data), i in zip(rows, ids, strict=True)]


def _forbidden(sets: list[_LangSet], source_lang: str | None, named: str) -> list[_Row]:
    rows: list[_Row] = []
    for s in sets:
        best = s.preferred()
        for t in (t for t in s.terms if t.status == "forbidden"):
            if best is None:
                raise _Wrong(
                    t.line,
                    f"{named}: the forbidden term {t.text!r} has no preferred term in its language to replace it with",
                )
            data = {"kind": "forbidden", "source": t.text, "target": s.terms[best].text, "target_lang": s.lang}
            rows.append((t.line, {**data, "source_lang": source_lang}))
    return rows


def _terms(sets: list[_LangSet]) -> Iterator[_Row]:
    source, *targets = sets
    for s in (t for t in source.terms if t.status != "forbidden"):
        for target in targets:
            best = target.preferred()
            assert best is not None  # only sets with an allowed term come here
            variants = [t.text for i, t in enumerate(target.terms) if i != best and t.status != "forbidden"]
            data = {"kind": "term", "source": s.text, "source_lang": source.lang, "target": target.terms[best].text}
            yield s.line, {**data, "target_lang": target.lang, "variants": variants}


def _dnt(sets: list[_LangSet], named: str, line: int) -> _Row:
    """A dnt concept: its term in its source language, and again in its target language if it has one."""
    texts = {t.text.strip() for s in sets for t in s.terms}
    if len(sets) > 2 or len(sets[0].terms) != 1 or len(texts) != 1:
        raise _Wrong(
            line,
            f"{named}: a dnt concept holds one term, and at most the same term again in a second "
            f"language (its target language)",
        )
    term = sets[0].terms[0]
    data = {"kind": "dnt", "source": term.text, "source_lang": sets[0].lang}
    return term.line, {**data, "target_lang": sets[1].lang if len(sets) == 2 else None}


def _parse_xml(data: bytes | str) -> etree._Element:
    if isinstance(data, str):
        # lxml refuses text that declares an encoding; the text is decoded already.
        data = _XML_DECLARATION.sub("", data.removeprefix("\ufeff"), count=1)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        return safe_lxml.fromstring(data, parser=parser, forbid_dtd=False, forbid_entities=True)
    except etree.XMLSyntaxError as exc:
        raise _fail(exc.lineno or 1, f"malformed XML: {exc.msg}") from None
    except DefusedXmlException as exc:
        raise _fail(1, f"entity declarations are not allowed in a TBX file ({exc})") from None


def parse_tbx(data: bytes | str) -> list[Term]:
    """Entries of a TBX file (mapping in the module docstring); ImportFailed lists every wrong line."""
    root = _parse_xml(data)
    if _name(root) not in ("martif", "tbx"):
        found = f"<{_name(root)}>"
        raise _fail(root.sourceline or 1, f"not a TBX file: the root is {found}, not <martif> (TBX v2) or <tbx> (v3)")
    errors: list[tuple[int, str]] = []
    rows: list[_Row] = []
    for entry in root.iter("{*}termEntry", "{*}conceptEntry"):  # "{*}": any namespace, or none
        try:
            rows.extend(_concept(entry))
        except _Wrong as exc:
            errors.append((exc.line, str(exc)))
    return _validate(rows, errors)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrib)
    el.text = text
    return el


def _tig(lang_set: etree._Element, text: str, status: str) -> None:
    tig = _sub(lang_set, "tig")
    _sub(tig, "term", text)
    _sub(tig, "termNote", status, type="administrativeStatus")


def _lang(parent: etree._Element, lang: str | None) -> etree._Element:
    return _sub(parent, "langSet", **{_XML_LANG: lang or ANY_LANG})


def _entry(body: etree._Element, t: Term, n: int) -> None:
    # An XML id must be a name; an id that is none travels in a descrip.
    xml_id = t.id if _XML_ID.fullmatch(t.id) else f"_{t.id}" if _XML_ID.fullmatch(f"_{t.id}") else f"entry-{n}"
    entry = _sub(body, "termEntry", id=xml_id)
    if xml_id != t.id:
        _sub(entry, "descrip", t.id, type="tonegate-id")
    _sub(entry, "descrip", t.kind, type="tonegate-kind")
    _sub(entry, "descrip", "true" if t.case_sensitive else "false", type="tonegate-case-sensitive")
    if t.kind == "forbidden" and t.source_lang:
        _sub(entry, "descrip", t.source_lang, type="tonegate-source-lang")
    if t.note:
        _sub(entry, "note", t.note)
    if t.kind == "dnt":
        _tig(_lang(entry, t.source_lang), t.source, "preferredTerm-admn")
        if t.target_lang:
            _tig(_lang(entry, t.target_lang), t.source, "preferredTerm-admn")
    elif t.kind == "term":
        _tig(_lang(entry, t.source_lang), t.source, "preferredTerm-admn")
        target = _lang(entry, t.target_lang)
        _tig(target, t.target or "", "preferredTerm-admn")
        for v in t.variants:
            _tig(target, v, "admittedTerm-admn")
    else:
        target = _lang(entry, t.target_lang)
        _tig(target, t.source, "deprecatedTerm-admn")
        _tig(target, t.target or "", "preferredTerm-admn")


def write_tbx(terms: Iterable[Term], brand: str) -> str:
    """A TBX-Basic (v2, `<martif>`) file with one concept per entry, readable by parse_tbx."""
    terms = list(terms)
    langs = Counter(t.source_lang or t.target_lang for t in terms if t.source_lang or t.target_lang)
    root = etree.Element("martif", {"type": "TBX-Basic", _XML_LANG: langs.most_common(1)[0][0] if langs else "en"})
    header = _sub(root, "martifHeader")
    file_desc = _sub(header, "fileDesc")
    _sub(_sub(file_desc, "titleStmt"), "title", f"Tonegate termbase: {brand}")
    _sub(_sub(file_desc, "sourceDesc"), "p", "Exported by Tonegate")
    _sub(_sub(header, "encodingDesc"), "p", "TBXBasicXCSV02.xcs", type="XCSURI")
    body = _sub(_sub(root, "text"), "body")
    for n, t in enumerate(terms, 1):
        try:
            _entry(body, t, n)
        except ValueError as exc:  # lxml refuses characters XML 1.0 cannot hold (most control characters)
            raise InvalidTerm(f"entry {t.id}: {exc}") from None
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True).decode("utf-8")
