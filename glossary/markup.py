"""Split HTML and markdown into markup to copy verbatim and text to translate (pure, no parsing tree).

Both tokenizers are lossless: the pieces' texts concatenate to the input, whatever it is, because
`restore` must rebuild the message byte for byte. A parser that builds a tree (selectolax, lxml)
would normalise the source, so HTML is tokenized with regular expressions here; markdown-it-py
locates the block structure (code blocks, HTML blocks, tables) and a small scanner handles inline
syntax, since markdown-it's inline tokens carry no source positions.
"""

from __future__ import annotations

import html.entities
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import regex
from markdown_it import MarkdownIt

from models.base import PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN


@dataclass(frozen=True, slots=True)
class Piece:
    text: str  # exact source text
    markup: bool  # True: copy verbatim; False: text to translate
    brk: bool = False  # a block boundary: never inside a sentence


# ---------------------------------------------------------------------------------------------
# HTML

# Elements whose content is never translated: scripts and styles are not prose, code is code.
_OPAQUE_BLOCK = ("script", "style", "pre", "textarea", "template", "svg", "math", "noscript")
_OPAQUE_INLINE = ("code", "kbd", "samp", "var")
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body br caption center col colgroup dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html "
    "iframe legend li link main menu meta nav noframes ol optgroup option p param section select source "
    "summary table tbody td tfoot th thead title tr track ul video audio object canvas map".split()
)
_ATTR = r"""(?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)"""
_HTML_TOKEN = regex.compile(
    r"(?P<comment><!--.*?(?:-->|\Z))"
    r"|(?P<decl><![A-Za-z\[].*?(?:\]\]>|>|\Z)|<\?.*?(?:\?>|\Z))"
    rf"|(?P<opaque><(?P<oname>{'|'.join(_OPAQUE_BLOCK + _OPAQUE_INLINE)})(?![\w:-]){_ATTR}*\s*/?>"
    r".*?(?:</(?P=oname)\s*>|\Z))"
    rf"|(?P<tag></?(?P<name>[A-Za-z][\w:-]*){_ATTR}*\s*/?>)",
    regex.DOTALL | regex.IGNORECASE,
)


def html_pieces(text: str) -> list[Piece]:
    """Tags, comments and opaque elements become markup; everything between them is text."""
    pieces: list[Piece] = []
    pos = 0
    for m in _HTML_TOKEN.finditer(text):
        if m.start() > pos:
            pieces.append(Piece(text[pos : m.start()], markup=False))
        if m.group("opaque"):
            brk = m.group("oname").lower() in _OPAQUE_BLOCK
        elif m.group("tag"):
            brk = m.group("name").lower() in _BLOCK_TAGS
        else:
            brk = bool(m.group("decl"))
        pieces.append(Piece(m.group(0), markup=True, brk=brk))
        pos = m.end()
    if pos < len(text):
        pieces.append(Piece(text[pos:], markup=False))
    return pieces


_ENTITY = regex.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str  # what the engine sees: entities decoded
    origin: tuple[int, ...]  # source offset of each decoded character, plus len(source) at the end
    forced: tuple[tuple[int, int], ...]  # decoded ranges that must stay masked (odd entity spellings)


def _entity_char(entity: str) -> str | None:
    """The single character an entity stands for, or None when it must not be decoded."""
    body = entity[1:-1]
    if body.startswith("#"):
        try:
            cp = int(body[2:], 16) if body[1:2] in "xX" else int(body[1:])
            ch = chr(cp)
        except (ValueError, OverflowError):
            return None
    else:
        ch = html.entities.html5.get(body + ";", "")
    if len(ch) != 1 or ch in (PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE):
        return None
    # Line breaks, tabs and control characters would change how the text is segmented.
    if ch != "\xa0" and (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs")):
        return None
    return ch


def _atoms(source: str) -> Iterator[tuple[str, str | None]]:
    """(source spelling, decoded character or None) for each character or entity of a text node."""
    pos = 0
    for m in _ENTITY.finditer(source):
        for ch in source[pos : m.start()]:
            yield ch, ch
        yield m.group(0), _entity_char(m.group(0))
        pos = m.end()
    for ch in source[pos:]:
        yield ch, ch


# Characters that must be escaped in a text node whatever the source did.
_MUST_ESCAPE = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def entity_spellings(texts: Sequence[str]) -> dict[str, str]:
    """The usual spelling of each character the source wrote as an entity somewhere (or of & < >)."""
    atoms = [a for source in texts for a in _atoms(source) if a[1] is not None]
    tracked = {ch for spelling, ch in atoms if spelling != ch or ch in _MUST_ESCAPE}
    counts: dict[str, Counter[str]] = {ch: Counter() for ch in tracked}
    for spelling, ch in atoms:
        if ch in tracked:
            counts[ch][spelling] += 1
    # Ties go to the first spelling seen, so the choice is deterministic.
    return {ch: c.most_common(1)[0][0] for ch, c in counts.items()}


def decode_html(source: str, spellings: dict[str, str]) -> Decoded:
    """Decode a text node; an entity in an unusual spelling stays as is and is marked `forced`."""
    chars: list[str] = []
    origin: list[int] = []
    forced: list[tuple[int, int]] = []
    pos = 0
    for spelling, ch in _atoms(source):
        if ch is not None and spellings.get(ch, ch) == spelling:
            chars.append(ch)
            origin.append(pos)
        else:
            # Kept verbatim so that restore can copy it back exactly.
            forced.append((len(chars), len(chars) + len(spelling)))
            chars.extend(spelling)
            origin.extend(range(pos, pos + len(spelling)))
        pos += len(spelling)
    origin.append(pos)
    return Decoded("".join(chars), tuple(origin), tuple(forced))


def encode_html(text: str, spellings: dict[str, str]) -> str:
    """Re-encode translated text for a text node, in the spellings the source used."""
    return "".join(spellings.get(ch) or _MUST_ESCAPE.get(ch, ch) for ch in text)


# ---------------------------------------------------------------------------------------------
# Markdown

_MD = MarkdownIt("commonmark").enable("table")

# Block syntax at the start of a line: indentation, quote markers, list markers, task boxes,
# ATX heading markers. Applied once; nested quotes and lists are covered by the repetition.
_MD_LINE_PREFIX = regex.compile(
    r"[ \t]*(?:>[ \t]?)*[ \t]*"
    r"(?:(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)(?:\[[ xX]\](?:[ \t]+|$))?|#{1,6}(?:[ \t]+|$))?"
)
_MD_HEADING_CLOSE = regex.compile(r"[ \t]+#+[ \t]*$")
_MD_REF_DEF = regex.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$")
_MD_LINK_DEST = (
    r"\((?:[ \t]*<[^>\n]*>|[ \t]*[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\)"
)
_MD_INLINE = regex.compile(
    r"(?P<escape>\\[!-/:-@\[-`{-~\n])"
    r"|(?P<code>(?P<ticks>`+)(?:.+?)(?<!`)(?P=ticks)(?!`)|`+)"
    r"|(?P<autolink><(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>)"
    rf"|(?P<html></?[A-Za-z][\w:-]*{_ATTR}*\s*/?>|<!--.*?-->)"
    r"|(?P<linkopen>!?\[)(?=(?:[^\[\]\n]|\[[^\[\]\n]*\])*\](?:\(|\[))"
    rf"|(?P<linkclose>\](?:{_MD_LINK_DEST}|\[[^\[\]\n]*\]))"
    r"|(?P<emph>\*{1,3}|_{1,3}|~~)",
)
_MD_LINE = regex.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")
_BR = regex.compile(r"<br\s*/?>", regex.IGNORECASE)


def _verbatim_lines(text: str) -> tuple[set[int], set[int]]:
    """Lines inside code blocks, fences or HTML blocks; and lines of tables."""
    verbatim: set[int] = set()
    table: set[int] = set()
    for tok in _MD.parse(text):
        if tok.map is None:
            continue
        lines = range(tok.map[0], tok.map[1])
        if tok.type in ("fence", "code_block", "html_block"):
            verbatim.update(lines)
        elif tok.type == "table_open":
            table.update(lines)
    return verbatim, table


def markdown_pieces(text: str) -> list[Piece]:
    """Markdown syntax (markers, code, link targets) becomes markup; prose is text."""
    verbatim, table = _verbatim_lines(text)
    pieces: list[Piece] = []
    # markdown-it counts a lone \r as a line break too, so the line numbers must agree with it.
    for no, m in enumerate(_MD_LINE.finditer(text)):
        body, newline = m.group(1), m.group(2)
        if no in verbatim or _MD_REF_DEF.match(body):
            pieces.append(Piece(body, markup=True, brk=True))
        else:
            pieces.extend(_markdown_line(body, in_table=no in table))
        if newline:
            pieces.append(Piece(newline, markup=False))
    return [p for p in pieces if p.text]


def _markdown_line(line: str, in_table: bool) -> list[Piece]:
    pieces: list[Piece] = []
    prefix = _MD_LINE_PREFIX.match(line)
    start = prefix.end() if prefix else 0
    if start:
        pieces.append(Piece(line[:start], markup=True, brk=True))
    close = _MD_HEADING_CLOSE.search(line, start) if regex.match(r"[ \t>]*#", line) else None
    end = close.start() if close else len(line)
    pos = start
    for m in _MD_INLINE.finditer(line, start, end):
        if m.group("emph") and not _flanking(line, m.start(), m.end()):
            continue
        if m.start() > pos:
            pieces.extend(_table_cells(line[pos : m.start()], in_table))
        brk = bool(m.group("html") and _BR.fullmatch(m.group("html")))
        pieces.append(Piece(m.group(0), markup=True, brk=brk))
        pos = m.end()
    if end > pos:
        pieces.extend(_table_cells(line[pos:end], in_table))
    if close:
        pieces.append(Piece(line[end:], markup=True, brk=True))
    return pieces


def _flanking(line: str, start: int, end: int) -> bool:
    """An emphasis run only counts as markup next to text on exactly one side, or intraword `*`."""
    before = line[start - 1] if start > 0 else " "
    after = line[end] if end < len(line) else " "
    if before.isspace() and after.isspace():
        return False
    # snake_case_names are text, not emphasis.
    return not (line[start] == "_" and before.isalnum() and after.isalnum())


def _table_cells(text: str, in_table: bool) -> list[Piece]:
    """In a table row each pipe is a boundary, so cells are translated one by one."""
    if not in_table:
        return [Piece(text, markup=False)]
    pieces: list[Piece] = []
    pos = 0
    for m in regex.finditer(r"(?<!\\)\|", text):
        if m.start() > pos:
            pieces.append(Piece(text[pos : m.start()], markup=False))
        pieces.append(Piece("|", markup=True, brk=True))
        pos = m.end()
    if pos < len(text):
        pieces.append(Piece(text[pos:], markup=False))
    return pieces
