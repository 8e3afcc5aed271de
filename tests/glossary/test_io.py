"""Termbase files: CSV/TSV/TBX import with every error by line, and lossless export → import."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from glossary.errors import ImportFailed, InvalidTerm
from glossary.io import COLUMNS, decode_table, parse_table, parse_tbx, sniff_delimiter, write_table, write_tbx
from glossary.terms import KINDS, Term, make_term


def errors_of(call, *args, **kwargs) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFailed) as info:
        call(*args, **kwargs)
    return info.value.errors


def lines(*rows: str) -> str:
    return "\r\n".join(rows) + "\r\n"


HEADER = "kind,source_lang,target_lang,source,target,case_sensitive,note"


# ---------------------------------------------------------------- tables


def test_full_table_with_quotes_bom_crlf_and_blank_lines() -> None:
    text = "\ufeff" + lines(
        HEADER,
        "dnt,,,Shop Pay,,,brand name",
        "",
        'term,en,es,order,pedido,false,"plural: ""pedidos"", see style guide"',
        'forbidden,,es,cesta,carrito,,"two\nlines"',
        ",,,,,,",
        "dnt,EN,,HOLIDAY25,,TRUE,",
    )
    terms = parse_table(text, ",")
    assert [(t.kind, t.source, t.target, t.source_lang, t.target_lang, t.case_sensitive) for t in terms] == [
        ("dnt", "Shop Pay", None, None, None, True),
        ("term", "order", "pedido", "en", "es", False),
        ("forbidden", "cesta", "carrito", None, "es", False),
        ("dnt", "HOLIDAY25", None, "en", None, True),
    ]
    assert terms[1].note == 'plural: "pedidos", see style guide'
    assert terms[2].note == "two\nlines"


def test_columns_in_any_order_and_case_with_variants_and_ids() -> None:
    text = lines("Source,Target,KIND,Target_Lang,source lang,Variants,ID", "order,pedido,Term,es,en,pedidos|Pedido,t-1")
    [term] = parse_table(text, ",")
    assert term == Term("term", "order", "pedido", "en", "es", False, ("pedidos", "Pedido"), "", "t-1")


def test_tsv() -> None:
    text = lines(HEADER.replace(",", "\t"), "term\ten\tde\tcart\tWarenkorb\t\tsee, commas are fine")
    [term] = parse_table(text, "\t")
    assert (term.source, term.target, term.note) == ("cart", "Warenkorb", "see, commas are fine")


def test_every_wrong_row_is_reported_with_the_line_a_person_sees() -> None:
    text = lines(
        HEADER,  # 1
        "dnt,,,Shop Pay,,,",  # 2
        'term,en,es,order,pedido,,"a note',  # 3
        'over two lines"',  # 4
        "",  # 5
        "slogan,en,es,x,y,,",  # 6
        "term,en,xx,refund,reembolso,,",  # 7
        "term,en,es,   ,reembolso,,",  # 8
        "dnt,,,shop pay,,true,",  # 9: case-sensitive, so not the same as line 2
        "dnt,,,Shop Pay,,,",  # 10
        "term,en,es,ORDER,pedido,,",  # 11: case-insensitive duplicate of line 3
        "term,en,es,refund",  # 12
        "term,en,es,,reembolso,,",  # 13
        "term,en,,refund,reembolso,,",  # 14
        "forbidden,,es,cesta,Cesta,,",  # 15
        "term,en,es,refund,reembolso,perhaps,",  # 16
    )
    assert errors_of(parse_table, text, ",") == [
        (6, "kind must be one of dnt, term, forbidden (got 'slogan')"),
        (7, "target_lang: unknown language code 'xx'; use an ISO 639-1 code such as 'es', 'de' or 'pt'"),
        (8, "source is only whitespace"),
        (10, "duplicate of line 2 (same kind, languages and source)"),
        (11, "duplicate of line 3 (same kind, languages and source)"),
        (12, "expected 7 columns (kind, source_lang, target_lang, source, target, case_sensitive, note), found 4"),
        (13, "source is required"),
        (14, "a term needs source_lang and target_lang"),
        (15, "the replacement of a forbidden word must differ from it"),
        (16, "case_sensitive must be true or false"),
    ]


def test_import_failed_message_lists_lines() -> None:
    with pytest.raises(ImportFailed, match=r"1 error\(s\), nothing imported: line 3: kind must be one of"):
        parse_table(lines(HEADER, "dnt,,,a,,,", "x,,,b,,,"), ",")


def test_reused_id_is_an_error() -> None:
    text = lines("kind,source,id", "dnt,Shop Pay,a1", "dnt,Re:amaze,a1")
    assert errors_of(parse_table, text, ",") == [(3, "id 'a1' is already used on line 2")]


def test_unknown_and_repeated_header_names_say_what_is_expected() -> None:
    [(line, message)] = errors_of(parse_table, lines("kind,sorce,target,note,Note", "dnt,x,,,"), ",")
    assert line == 1
    assert "unknown column(s) 'sorce': expected kind, source_lang, target_lang, source, target" in message
    assert "column(s) named twice: note" in message
    assert "missing column(s): source" in message


def test_header_after_blank_lines_keeps_real_line_numbers() -> None:
    text = "\n\n" + lines(HEADER, "nope,,,a,,,")
    assert errors_of(parse_table, text, ",") == [(4, "kind must be one of dnt, term, forbidden (got 'nope')")]


def test_unclosed_quote_points_at_the_row_where_it_opens() -> None:
    text = lines(HEADER, "dnt,,,a,,,", 'dnt,,,"b,,,', "dnt,,,c,,,")
    [(line, message)] = errors_of(parse_table, text, ",")
    assert line == 3 and "quoted field is never closed" in message


def test_stray_quote_is_malformed() -> None:
    [(line, message)] = errors_of(parse_table, lines(HEADER, 'dnt,,,"a"b,,,'), ",")
    assert (line, message) == (
        2,
        "malformed row: text follows a closing quote before the next comma: inside a quoted field write a quote"
        ' as two ("")',
    )


def test_empty_file_and_header_only() -> None:
    assert errors_of(parse_table, "", ",") == [(1, f"the file is empty: expected a header row {HEADER}")]
    assert errors_of(parse_table, "\ufeff\r\n  \r\n", ",")[0][0] == 1
    assert parse_table(HEADER + "\r\n", ",") == []


def test_two_columns_without_header_deepl_style() -> None:
    text = lines("order,pedido", "refund,reembolso", '"cart, shopping",carrito')
    terms = parse_table(text, ",", source_lang="en", target_lang="es-ES")
    assert [(t.kind, t.source, t.target, t.source_lang, t.target_lang) for t in terms] == [
        ("term", "order", "pedido", "en", "es"),
        ("term", "refund", "reembolso", "en", "es"),
        ("term", "cart, shopping", "carrito", "en", "es"),
    ]


def test_two_columns_with_header_and_errors() -> None:
    text = lines("source\ttarget", "order\tpedido", "refund", "order\tpedidos")
    assert errors_of(parse_table, text, "\t", source_lang="en", target_lang="es") == [
        (3, "expected 2 columns (source, target), found 1"),
        (4, "duplicate of line 2 (same kind, languages and source)"),
    ]


def test_two_columns_need_both_languages() -> None:
    assert errors_of(parse_table, lines("order,pedido"), ",", source_lang="en") == [
        (1, "a file without a kind column holds source,target pairs: give the target_lang parameter(s)")
    ]
    [(line, message)] = errors_of(parse_table, lines("order,pedido"), ",", source_lang="en", target_lang="klingon")
    assert line == 1 and message.startswith("language parameter: unknown language code 'klingon'")


def test_language_parameters_are_refused_for_a_file_with_a_kind_column() -> None:
    assert errors_of(parse_table, lines(HEADER, "dnt,,,a,,,"), ",", source_lang="en", target_lang="es") == [
        (1, "the file has a kind column: leave out the source_lang and target_lang parameters")
    ]


def test_no_header_and_not_two_columns() -> None:
    [(line, message)] = errors_of(parse_table, lines("a,b,c"), ",")
    assert line == 1 and message.startswith("no header row: name the columns (kind, source_lang")


def test_write_table_has_every_column_and_refuses_pipes_in_variants() -> None:
    term = make_term(
        {"kind": "term", "source": "a", "target": "b", "source_lang": "en", "target_lang": "es", "id": "x"}
    )
    assert write_table([term]) == ",".join(COLUMNS) + "\r\nterm,en,es,a,b,false,,,x\r\n"
    piped = Term("term", "a", "b", "en", "es", variants=("c|d",))
    with pytest.raises(InvalidTerm, match=r"'\|'"):
        write_table([piped])


# ---------------------------------------------------------------- TBX

TBX_V2 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">
<martif type="TBX-Basic" xml:lang="en-US">
  <martifHeader><fileDesc><sourceDesc><p>from a CAT tool</p></sourceDesc></fileDesc></martifHeader>
  <text><body>
    <termEntry id="c1">
      <descrip type="definition">What a customer buys</descrip>
      <langSet xml:lang="en-US">
        <tig><term>order</term><termNote type="partOfSpeech">noun</termNote></tig>
      </langSet>
      <langSet xml:lang="es-ES">
        <tig><term>pedido</term><termNote type="administrativeStatus">preferredTerm-admn</termNote></tig>
        <ntig><termGrp><term>pedidos</term></termGrp></ntig>
        <tig><term>orden</term><termNote type="administrativeStatus">deprecatedTerm-admn</termNote></tig>
      </langSet>
      <langSet xml:lang="de"><tig><term>Bestellung</term></tig></langSet>
    </termEntry>
    <termEntry id="c2">
      <note>brand</note>
      <descrip type="tonegate-kind">dnt</descrip>
      <langSet xml:lang="mul"><tig><term>Shop Pay</term></tig></langSet>
    </termEntry>
  </body></text>
</martif>
"""


def test_tbx_v2_concepts_become_entries() -> None:
    terms = parse_tbx(TBX_V2.encode())
    summary = [(t.kind, t.source_lang, t.target_lang, t.source, t.target, t.variants, t.id, t.note) for t in terms]
    assert summary == [
        ("forbidden", None, "es", "orden", "pedido", (), "c1", "What a customer buys"),
        ("term", "en", "es", "order", "pedido", ("pedidos",), "c1-2", "What a customer buys"),
        ("term", "en", "de", "order", "Bestellung", (), "c1-3", "What a customer buys"),
        ("dnt", None, None, "Shop Pay", None, (), "c2", "brand"),
    ]


TBX_V3 = """<?xml version="1.0" encoding="UTF-8"?>
<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
  <tbxHeader><fileDesc><sourceDesc><p>v3</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="k1">
      <langSec xml:lang="en"><termSec><term>cart</term></termSec></langSec>
      <langSec xml:lang="fr"><termSec><term>panier</term>
        <termNote type="administrativeStatus">preferredTerm-admn</termNote></termSec>
        <termSec><term>caddie</term><termNote type="administrativeStatus">forbidden</termNote></termSec>
      </langSec>
    </conceptEntry>
  </body></text>
</tbx>
"""


def test_tbx_v3_with_namespace() -> None:
    terms = parse_tbx(TBX_V3)
    assert [(t.kind, t.source, t.target, t.target_lang, t.id) for t in terms] == [
        ("forbidden", "caddie", "panier", "fr", "k1"),
        ("term", "cart", "panier", "fr", "k1-2"),
    ]


def tbx(body: str) -> str:
    """A TBX file whose first concept starts on line 4."""
    head = '<?xml version="1.0"?>\n<martif type="TBX-Basic" xml:lang="en">\n<text><body>\n'
    return f"{head}{body}</body></text>\n</martif>\n"


def test_tbx_errors_are_reported_with_their_lines() -> None:
    text = tbx(
        '<termEntry id="a">\n'  # 4
        '<langSet xml:lang="en"><tig><term>order</term></tig></langSet>\n'  # 5
        "</termEntry>\n"  # 6
        '<termEntry id="b">\n'  # 7
        '<langSet xml:lang="es"><tig><term>cesta</term>'  # 8
        '<termNote type="administrativeStatus">deprecatedTerm-admn</termNote></tig></langSet>\n'
        "</termEntry>\n"  # 9
        '<termEntry id="c">\n'  # 10
        '<langSet xml:lang="en"><tig><term>refund</term></tig></langSet>\n'  # 11
        '<langSet xml:lang="xx"><tig><term>x</term></tig></langSet>\n'  # 12
        "</termEntry>\n"  # 13
        '<termEntry id="d"><descrip type="tonegate-kind">slogan</descrip></termEntry>\n'  # 14
        '<termEntry id="e">\n'  # 15
        '<langSet xml:lang="en"><tig><term>refund</term></tig></langSet>\n'  # 16
        '<langSet xml:lang="de"><tig><term>Erstattung</term></tig></langSet>\n'  # 17
        "</termEntry>\n"  # 18
        '<termEntry id="f">\n'  # 19
        '<langSet xml:lang="en"><tig><term>Refund</term></tig></langSet>\n'  # 20
        '<langSet xml:lang="de"><tig><term>Rückerstattung</term></tig></langSet>\n'  # 21
        "</termEntry>\n"  # 22
        '<termEntry id="g"><langSet xml:lang="en"/></termEntry>\n'  # 23
    )
    assert errors_of(parse_tbx, text) == [
        (
            4,
            "concept 'a' has terms in one language only (en): add a translation, or mark it "
            '<descrip type="tonegate-kind">dnt</descrip> to keep it untranslated',
        ),
        (8, "concept 'b': the forbidden term 'cesta' has no preferred term in its language to replace it with"),
        (11, "target_lang: unknown language code 'xx'; use an ISO 639-1 code such as 'es', 'de' or 'pt'"),
        (14, "concept 'd': tonegate-kind must be dnt, term or forbidden (got 'slogan')"),
        (20, "duplicate of line 16 (same kind, languages and source)"),
        (23, "concept 'g' holds no <term>"),
    ]


def test_malformed_xml_reports_the_parser_line() -> None:
    [(line, message)] = errors_of(parse_tbx, tbx("<termEntry>\n<langSet>\n</termEntry>\n"))
    assert line == 6 and message.startswith("malformed XML: ") and "mismatch" in message


def test_not_tbx() -> None:
    assert errors_of(parse_tbx, b"<html><body/></html>") == [
        (1, "not a TBX file: the root is <html>, not <martif> (TBX v2) or <tbx> (v3)")
    ]
    assert errors_of(parse_tbx, b"")[0][0] == 1


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE martif [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE martif [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
)
def test_entities_are_refused(doctype: str) -> None:
    text = (
        f'<?xml version="1.0"?>\n{doctype}\n<martif><text><body><termEntry><langSet xml:lang="en"><tig><term>&b;&xxe;'
    )
    text += "</term></tig></langSet></termEntry></body></text></martif>"
    [(line, message)] = errors_of(parse_tbx, text.replace("&b;&xxe;", "&xxe;" if "xxe" in doctype else "&b;"))
    assert line == 1 and "entity declarations are not allowed" in message


def test_write_tbx_is_tbx_basic_xml() -> None:
    terms = [
        make_term({"kind": "dnt", "source": "Shop Pay", "id": "brand-1"}),
        make_term({"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "es"}),
    ]
    text = write_tbx(terms, "acme")
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<martif type=\"TBX-Basic\" xml:lang=\"en\">")
    root = etree.fromstring(text.encode())
    assert root.findtext("martifHeader/fileDesc/titleStmt/title") == "Tonegate termbase: acme"
    ids = [e.get("id") for e in root.iter("termEntry")]
    # XML ids cannot start with a digit: the writer prefixes those with "_".
    assert ids[0] == "brand-1" and ids[1] in (terms[1].id, f"_{terms[1].id}")
    assert parse_tbx(text) == terms


def test_write_tbx_refuses_characters_xml_cannot_hold() -> None:
    with pytest.raises(InvalidTerm, match="XML compatible"):
        write_tbx([Term("dnt", "bell\x07")], "acme")


# ---------------------------------------------------------------- round trips

_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Cn"))
_WORDS = st.text(_CHARS, min_size=1, max_size=12).filter(lambda s: s == s.strip() and bool(s))
_LANGS = st.sampled_from(["en", "es", "de", "fr", "ja"])
_NOTES = st.text(st.one_of(_CHARS, st.sampled_from('\n\r\t,;"|')), max_size=30)
_IDS = st.one_of(
    st.none(), st.text(st.sampled_from(string.ascii_letters + string.digits + "-_.: é"), min_size=1, max_size=10)
).filter(lambda s: s is None or s == s.strip())


@st.composite
def valid_terms(draw: st.DrawFn) -> Term:
    kind = draw(st.sampled_from(KINDS))
    data = {
        "kind": kind,
        "source": draw(_WORDS),
        "target": draw(_WORDS) if kind != "dnt" else None,
        "source_lang": draw(_LANGS if kind == "term" else st.one_of(st.none(), _LANGS)),
        "target_lang": draw(_LANGS if kind != "dnt" else st.one_of(st.none(), _LANGS)),
        "case_sensitive": draw(st.booleans()),
        "variants": draw(st.lists(_WORDS.filter(lambda v: "|" not in v), max_size=3)) if kind == "term" else [],
        "note": draw(_NOTES),
        "id": draw(_IDS),
    }
    try:
        return make_term(data)
    except InvalidTerm:
        assume(False)
        raise


_TERMBASES = st.lists(valid_terms(), max_size=8, unique_by=(lambda t: t.key, lambda t: t.id))


@settings(max_examples=200, deadline=None)
@given(_TERMBASES)
def test_csv_round_trip(terms: list[Term]) -> None:
    assert parse_table(write_table(terms, ","), ",") == terms


@settings(max_examples=200, deadline=None)
@given(_TERMBASES)
def test_tsv_round_trip(terms: list[Term]) -> None:
    assert parse_table(write_table(terms, "\t"), "\t") == terms


@settings(max_examples=200, deadline=None)
@given(_TERMBASES)
def test_tbx_round_trip(terms: list[Term]) -> None:
    text = write_tbx(terms, "acme")
    assert parse_tbx(text) == terms
    assert parse_tbx(text.encode("utf-8")) == terms


# ---------------------------------------------------------------- tables as people have them


EXCEL_HEADER = "kind;source_lang;target_lang;source;target;case_sensitive;note"


def test_delimiter_is_found_from_the_header() -> None:
    for sep in (",", ";", "\t"):
        text = lines(HEADER.replace(",", sep), sep.join(["term", "en", "es", "order", "pedido", "", '"a, b; c"']))
        [term] = parse_table(text)
        assert (term.source, term.target, term.note) == ("order", "pedido", "a, b; c"), sep
    assert sniff_delimiter(lines(EXCEL_HEADER)) == ";"
    assert sniff_delimiter(lines("Source\tTarget")) == "\t"


def test_headerless_two_columns_find_their_delimiter() -> None:
    terms = parse_table(lines("order;pedido", "refund;reembolso, devolución"), source_lang="en", target_lang="es")
    assert [(t.source, t.target) for t in terms] == [("order", "pedido"), ("refund", "reembolso, devolución")]
    # Commas and semicolons both split every row in two: the default (the content type's) wins.
    assert sniff_delimiter(lines("a,b;c", "d,e;f"), default=",") == ","
    assert sniff_delimiter(lines("a,b;c", "d,e;f"), default=";") == ";"


def test_excel_semicolon_export_with_sep_line_bom_quotes_crlf_and_trailing_columns() -> None:
    # What Excel (Spanish or German locale) writes for "CSV UTF-8" with a column someone once used.
    text = "\ufeff" + lines(
        "sep=;",
        EXCEL_HEADER + ";;",
        'term;en;es;order;pedido;FALSO;"plural; ""pedidos""";;',
        "dnt;;;SwiftShip;;WAHR;;;",
        ";;;;;;;;",
        "forbidden;;es;coger;tomar",
    )
    terms = parse_table(text)
    assert [(t.kind, t.source, t.target, t.case_sensitive, t.note) for t in terms] == [
        ("term", "order", "pedido", False, 'plural; "pedidos"'),
        ("dnt", "SwiftShip", None, True, ""),
        ("forbidden", "coger", "tomar", False, ""),
    ]
    # Line numbers stay those of the file: the sep= line is line 1, the header line 2.
    bad = text.replace("coger;tomar", "coger;coger")
    [(line, message)] = errors_of(parse_table, bad)
    assert line == 6 and message == "the replacement of a forbidden word must differ from it"


def test_old_mac_line_ends_and_a_quoted_header() -> None:
    text = '"kind","source","target"\r"dnt","SwiftShip",""\r'
    [term] = parse_table(text)
    assert (term.kind, term.source) == ("dnt", "SwiftShip")


def test_a_row_missing_a_required_cell_is_still_reported() -> None:
    text = lines("source;target", "order;pedido", "refund")
    assert errors_of(parse_table, text, source_lang="en", target_lang="es") == [
        (3, "expected 2 columns (source, target), found 1")
    ]


def test_a_header_with_a_blank_name_in_the_middle_says_which_column() -> None:
    [(line, message)] = errors_of(parse_table, lines("kind;;source;target", "dnt;;SwiftShip;"))
    assert line == 1 and message == "column(s) 2 have no name in the header"


def test_sep_line_with_another_delimiter_is_refused() -> None:
    assert errors_of(parse_table, lines("sep=|", "kind|source")) == [
        (1, "sep='|': the delimiter must be a comma, a semicolon or a tab")
    ]


def test_decode_table_reads_utf8_and_utf16_with_a_bom() -> None:
    text = lines(EXCEL_HEADER, "term;en;es;cesta;carrito;;")
    assert decode_table(("\ufeff" + text).encode("utf-8")) == text
    assert decode_table(text.encode("utf-8")) == text
    assert decode_table(("\ufeff" + text).encode("utf-16-le")) == text
    assert decode_table(("\ufeff" + text).encode("utf-16-be")) == text
    [(line, message)] = errors_of(decode_table, text.replace("cesta", "cafetería").encode("cp1252"))
    assert line == 2 and message == (
        "the file is not UTF-8 text (byte 0xed); save it as UTF-8 (Excel: Save As → CSV UTF-8)"
    )
