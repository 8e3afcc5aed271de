"""Glossary files as people have them, through the real API on real Redis: Excel's exports, and
re-imports that change nothing."""

from __future__ import annotations

import httpx
import pytest

CSV = "text/csv"
TSV = "text/tab-separated-values"
# What Excel in a Spanish or German locale writes for "CSV UTF-8": a BOM, Excel's own sep= line,
# semicolons, CRLF, quoted fields, an empty column at the right, TRUE/FALSE in the workbook's language.
EXCEL = (
    "\ufeffsep=;\r\n"
    "kind;source_lang;target_lang;source;target;case_sensitive;note;\r\n"
    'term;en;es;order;pedido;FALSO;"plural; ""pedidos""";\r\n'
    "dnt;;;SwiftShip;;VERDADERO;;\r\n"
    ";;;;;;;\r\n"
    "forbidden;;es;coger;tomar;;;\r\n"
)


def _import(admin: httpx.Client, brand: str, body: bytes, ctype: str = CSV, **params) -> httpx.Response:
    return admin.post(
        f"/v1/brands/{brand}/glossary/import", params=params, content=body, headers={"Content-Type": ctype}
    )


@pytest.fixture
def brand(admin: httpx.Client, request) -> str:
    name = "files-" + request.node.name.removeprefix("test_").replace("_", "-")[:40]
    assert admin.put(f"/v1/brands/{name}").status_code in (200, 201)
    return name


def _entries(admin: httpx.Client, brand: str) -> list[tuple]:
    terms = admin.get(f"/v1/brands/{brand}/glossary").json()["terms"]
    return sorted((t["kind"], t["source"], t["target"], t["case_sensitive"], t["note"]) for t in terms)


def _versions(admin: httpx.Client, brand: str) -> int:
    return admin.get(f"/v1/brands/{brand}/glossary/versions").json()["total"]


def test_excel_semicolon_export_imports(admin, brand):
    r = _import(admin, brand, EXCEL.encode())
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 3
    assert _entries(admin, brand) == [
        ("dnt", "SwiftShip", None, True, ""),
        ("forbidden", "coger", "tomar", False, ""),
        ("term", "order", "pedido", False, 'plural; "pedidos"'),
    ]


def test_excel_unicode_text_utf16_tab_separated_imports(admin, brand):
    # Excel's "Unicode Text" export: UTF-16 little-endian with a BOM, tab-separated.
    text = "source\ttarget\r\norder\tpedido\r\ncart\tcesta de la compra\r\n"
    r = _import(admin, brand, ("\ufeff" + text).encode("utf-16-le"), TSV, source_lang="en", target_lang="es")
    assert r.status_code == 200, r.text
    assert [e[1:3] for e in _entries(admin, brand)] == [("cart", "cesta de la compra"), ("order", "pedido")]


def test_unchanged_reimport_keeps_the_version(admin, brand):
    first = _import(admin, brand, EXCEL.encode())
    assert first.status_code == 200, first.text
    version, history = first.json()["version"], _versions(admin, brand)
    for mode in ("merge", "replace"):
        again = _import(admin, brand, EXCEL.encode(), mode=mode)
        assert again.status_code == 200, again.text
        assert again.json() == {
            "version": version,
            "mode": mode,
            "imported": 3,
            "added": 0,
            "updated": 0,
            "removed": 0,
        }
    assert _versions(admin, brand) == history
    assert admin.get(f"/v1/brands/{brand}/glossary").json()["version"] == version
    # The exported file, in every format, is unchanged too.
    for fmt, ctype in (("csv", CSV), ("tsv", TSV), ("tbx", "application/x-tbx")):
        exported = admin.get(f"/v1/brands/{brand}/glossary/export", params={"format": fmt}).content
        r = _import(admin, brand, exported, ctype, mode="replace")
        assert r.status_code == 200 and r.json()["version"] == version, (fmt, r.text)
    # One changed cell is one update, and a new version.
    changed = _import(admin, brand, EXCEL.replace("tomar;", "agarrar;").encode())
    assert changed.json()["version"] == version + 1 and changed.json()["updated"] == 1, changed.text


def test_saving_an_entry_unchanged_keeps_the_version(admin, brand):
    r = admin.post(f"/v1/brands/{brand}/glossary", json={"kind": "dnt", "source": "SwiftShip"})
    term, version = r.json()["term"], r.json()["version"]
    body = {k: term[k] for k in ("kind", "source", "case_sensitive", "note")}
    again = admin.put(f"/v1/brands/{brand}/glossary/terms/{term['id']}", json=body)
    assert again.status_code == 200 and again.json()["version"] == version, again.text


def test_a_file_that_is_not_utf8_names_the_line_and_the_fix(admin, brand):
    text = "source;target\r\norder;pedido\r\ncafé;cafetería\r\n"
    r = _import(admin, brand, text.encode("cp1252"), source_lang="en", target_lang="es")
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["type"] == "import_failed"
    assert err["errors"] == [
        {"line": 3, "message": "the file is not UTF-8 text (byte 0xe9); save it as UTF-8 (Excel: Save As → CSV UTF-8)"}
    ]


def test_errors_are_in_plain_words_without_library_prefixes(admin, client, brand):
    r = client.post("/v1/translate", json={"text": "", "target_lang": "es"})
    assert r.status_code == 422 and "text is empty" in r.json()["error"]["message"], r.text
    assert "Value error" not in r.json()["error"]["message"]
    r = admin.put(f"/v1/brands/{brand}", json={"languages": ["en", "xx-nope"]})
    assert r.status_code == 422 and "Value error" not in r.json()["error"]["message"], r.text
    r = _import(admin, brand, b"kind;source;tarjet\r\ndnt;SwiftShip;\r\n")
    assert r.status_code == 422
    assert r.json()["error"]["errors"] == [
        {
            "line": 1,
            "message": "unknown column(s) 'tarjet': expected kind, source_lang, target_lang, source, target, "
            "case_sensitive, note, variants, id",
        }
    ]
