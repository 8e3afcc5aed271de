"""Termbase tables (CSV, TSV, as spreadsheets save them), read with every error by line number,
and written back losslessly; plus the validation every file format shares.

Tables have a header naming their columns (any order, any case): `kind, source_lang, target_lang,
source, target, case_sensitive, note`, and optionally `variants` (pipe-separated) and `id`. A file
without a `kind` column — a header `source,target`, or two columns and no header at all, as DeepL
glossaries are — holds `term` entries for the languages given as parameters.

Tables come as people have them: comma, semicolon (Excel's CSV where the decimal mark is a comma)
or tab, found from the header (or from the rows of a headerless file); Excel's `sep=;` first line;
a UTF-8 or UTF-16 byte-order mark; quoted fields with line breaks; CRLF or CR line ends; empty
columns Excel adds at the right of the header and rows, and rows that stop before their empty
optional cells; TRUE/FALSE in Excel's languages.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from glossary.errors import ImportFailed, InvalidTerm
from glossary.terms import Term, make_term
from models.errors import UnknownLanguage
from models.langcodes import normalize

COLUMNS = ("kind", "source_lang", "target_lang", "source", "target", "case_sensitive", "note", "variants", "id")
TWO_COLUMNS = ("source", "target")
_Row = tuple[int, dict[str, object]]  # (line, raw entry for make_term)


# ---------------------------------------------------------------- validation shared by every format


def _fail(line: int, message: str) -> ImportFailed:
    return ImportFailed([(line, message)])


def _validate(rows: Iterable[_Row], errors: list[tuple[int, str]]) -> list[Term]:
    """Every row through make_term, duplicates and reused ids reported; raise ImportFailed if anything is wrong."""
    terms: list[Term] = []
    keys: dict[tuple, int] = {}
    ids: dict[str, int] = {}
    for line, data in rows:
        try:
            term = make_term(data)
        except InvalidTerm as exc:
            errors.append((line, str(exc)))
            continue
        # The same rule as glossary.terms.find_duplicates, keeping the line of the first occurrence.
        if term.key in keys:
            errors.append((line, f"duplicate of line {keys[term.key]} (same kind, languages and source)"))
            continue
        if data.get("id") and term.id in ids:
            errors.append((line, f"id {term.id!r} is already used on line {ids[term.id]}"))
            continue
        keys[term.key] = line
        ids[term.id] = line
        terms.append(term)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e[0]))
    return terms


# ---------------------------------------------------------------- CSV / TSV


DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
# Excel writes (and reads) a first line "sep=;" naming the delimiter; some tools quote it.
_SEP_LINE = re.compile(r'\A"?sep=(.)"?[,;\t]*(?:\r\n|\n|\r|\Z)', re.IGNORECASE)
_REQUIRED_CELLS = frozenset({"kind", "source", "target"})
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_table(raw: bytes) -> str:
    """The text of a table file: UTF-8 (with or without a byte-order mark) or UTF-16 with one, as
    Excel's "Unicode text" export is. ImportFailed names the line of the first byte that is neither."""
    if raw.startswith(_UTF16_BOMS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _fail(1, "the file starts as UTF-16 text but is not: save it again as CSV UTF-8") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(
            line,
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8 (Excel: Save As → CSV UTF-8)",
        ) from None


def _sep_line(text: str) -> tuple[str | None, str]:
    """Excel's `sep=X` first line: the delimiter it names, and the text with that line left empty
    (so line numbers stay those of the file)."""
    m = _SEP_LINE.match(text)
    if not m:
        return None, text
    return m.group(1), "\n" + text[m.end() :]


def _trimmed(cells: list[str]) -> list[str]:
    """Cells without the empty ones Excel leaves at the right."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def sniff_delimiter(text: str, default: str = ",") -> str:
    """Comma, semicolon or tab: the one that splits the first row into the most known column
    names; without a header, the one that splits the first rows into the same number (2 or more)
    of cells; else `default`."""
    sample = "\n".join(text.splitlines()[:50])

    def rows(d: str) -> list[list[str]]:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=d)
        out = []
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    out.append(_trimmed(cells))
                if len(out) >= 10:
                    break
        except csv.Error:
            pass
        return out

    parsed = {d: rows(d) for d in DELIMITERS}
    known = {d: sum(_column_name(c) in COLUMNS for c in r[0]) if r else 0 for d, r in parsed.items()}
    best = max(DELIMITERS, key=lambda d: (known[d], d == default))
    if known[best] >= 2 or (known[best] == 1 and len(parsed[best][0]) == 1):
        return best
    widths = {d: {len(r) for r in parsed[d]} for d in DELIMITERS}
    steady = [d for d in DELIMITERS if len(widths[d]) == 1 and min(widths[d]) >= 2]
    if default in steady or not steady:
        return default
    return min(steady, key=lambda d: (min(widths[d]) != 2, DELIMITERS.index(d)))


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Non-empty records with the line each starts on (header = line 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(line, f"malformed row: {_csv_problem(str(exc), delimiter)}") from None
    return records


def _csv_problem(message: str, delimiter: str) -> str:
    """The csv module's complaint in the words of someone editing a spreadsheet."""
    name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    if "end of data" in message:
        return "a quoted field is never closed (a closing quote is missing)"
    if "expected after" in message:
        return f'text follows a closing quote before the next {name}: inside a quoted field write a quote as two ("")'
    if "field limit" in message:
        return "a cell is longer than the 131,072 characters a glossary file may hold"
    return message


def _column_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _header(line: int, cells: list[str]) -> list[str]:
    """The column names of a header row, or ImportFailed saying what is wrong with them."""
    cells = _trimmed(cells)
    names = [_column_name(c) for c in cells]
    unknown = [c for c, n in zip(cells, names, strict=True) if n not in COLUMNS and n]
    problems = []
    blank = [str(k + 1) for k, n in enumerate(names) if not n]
    if blank:
        problems.append(f"column(s) {', '.join(blank)} have no name in the header")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}: expected {', '.join(COLUMNS)}")
    repeated = sorted(n for n, k in Counter(names).items() if k > 1 and n in COLUMNS)
    if repeated:
        problems.append(f"column(s) named twice: {', '.join(repeated)}")
    missing = [n for n in ("source",) if n not in names] + (
        [] if "kind" in names or "target" in names else ["target (a file without a kind column holds terms)"]
    )
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if problems:
        raise ImportFailed([(line, "; ".join(problems))])
    return names


def _defaults(line: int, columns: Sequence[str], source_lang: str | None, target_lang: str | None) -> dict[str, str]:
    """What rows of a file without kind column are filled with: kind term, and the languages it lacks."""
    given = {k: v for k, v in (("source_lang", source_lang), ("target_lang", target_lang)) if v}
    if "kind" in columns:
        if given:
            raise _fail(line, "the file has a kind column: leave out the source_lang and target_lang parameters")
        return {}
    named = [k for k in given if k in columns]
    if named:
        raise _fail(line, f"the file has a {named[0]} column: leave out the {named[0]} parameter")
    lacking = [k for k in ("source_lang", "target_lang") if k not in columns and k not in given]
    if lacking:
        need = " and ".join(lacking)
        raise _fail(line, f"a file without a kind column holds source,target pairs: give the {need} parameter(s)")
    try:
        return {"kind": "term", **{k: normalize(v) for k, v in given.items()}}
    except UnknownLanguage as exc:
        raise _fail(line, f"language parameter: {exc}") from None


def parse_table(
    text: str,
    delimiter: str | None = None,
    *,
    source_lang: str | None = None,
    target_lang: str | None = None,
    default: str = ",",
) -> list[Term]:
    """Entries of a table file; ImportFailed lists every wrong line.

    `delimiter` None: Excel's `sep=` line says, else sniff comma, semicolon or tab (`default` when
    the file cannot tell)."""
    text = text.removeprefix("\ufeff")
    named, text = _sep_line(text)
    if named is not None and named not in DELIMITERS:
        raise _fail(1, f"sep={named!r}: the delimiter must be a comma, a semicolon or a tab")
    if delimiter is None:
        delimiter = named or sniff_delimiter(text, default)
    records = _records(text, delimiter)
    if not records:
        raise _fail(1, f"the file is empty: expected a header row {','.join(COLUMNS[:7])}")
    first_line, first = records[0]
    if any(_column_name(c) in COLUMNS for c in first):
        columns, body = _header(first_line, first), records[1:]
    elif len(first) == len(TWO_COLUMNS):
        columns, body = list(TWO_COLUMNS), records
    else:
        expected = ", ".join(COLUMNS)
        raise _fail(
            first_line,
            f"no header row: name the columns ({expected}), or give two columns: source,target"
            f" (read as {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated)",
        )
    fill = _defaults(first_line, columns, source_lang, target_lang)
    errors: list[tuple[int, str]] = []

    def rows() -> Iterator[_Row]:
        for line, cells in body:
            if len(cells) > len(columns) and not any(c.strip() for c in cells[len(columns) :]):
                cells = cells[: len(columns)]  # empty cells Excel adds at the right
            if len(cells) < len(columns) and not _REQUIRED_CELLS & set(columns[len(cells) :]):
                cells = cells + [""] * (len(columns) - len(cells))  # a row that stops before empty optional cells
            if len(cells) != len(columns):
                errors.append((line, f"expected {len(columns)} columns ({', '.join(columns)}), found {len(cells)}"))
                continue
            data: dict[str, object] = dict(zip(columns, cells, strict=True))
            data.update(fill)
            data["kind"] = str(data.get("kind", "")).strip().lower()
            data["id"] = str(data.get("id", "")).strip()
            yield line, data

    return _validate(rows(), errors)


def write_table(terms: Iterable[Term], delimiter: str = ",") -> str:
    """A table with every column (variants and id included), readable by parse_table."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for t in terms:
        if any("|" in v for v in t.variants):
            raise InvalidTerm(f"entry {t.id}: a variant holds '|', which separates variants in a table; use TBX")
        flag = "true" if t.case_sensitive else "false"
        row = [t.kind, t.source_lang, t.target_lang, t.source, t.target, flag, t.note, "|".join(t.variants), t.id]
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
