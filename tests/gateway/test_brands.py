"""Brands, their tone profile and their glossary through the HTTP API."""

from __future__ import annotations

import httpx

CSV = "text/csv"


def test_brand_lifecycle(admin: httpx.Client):
    r = admin.put("/v1/brands/lifecycle")  # an empty body creates the brand with defaults
    assert r.status_code == 201, r.text
    assert r.json()["languages"] == [] and r.json()["glossary_version"] == 0
    r = admin.put(
        "/v1/brands/lifecycle", json={"languages": ["en", "ES", "pt-BR"], "tone": {"es": "formal"}, "review_below": 0.7}
    )
    assert r.status_code == 200
    body = admin.get("/v1/brands/lifecycle").json()
    assert body["languages"] == ["en", "es", "pt"] and body["tone"] == {"es": "formal"} and body["review_below"] == 0.7
    assert "lifecycle" in admin.get("/v1/brands").json()
    assert admin.delete("/v1/brands/lifecycle").status_code == 204
    assert admin.get("/v1/brands/lifecycle").status_code == 404


def test_bad_brand_settings(admin: httpx.Client):
    r = admin.put("/v1/brands/Bad Name!")
    assert r.status_code == 422 and "brand names use" in r.json()["error"]["message"]
    r = admin.put("/v1/brands/bad", json={"languages": ["xx"]})
    assert r.status_code == 422 and "'xx'" in r.json()["error"]["message"]
    r = admin.put("/v1/brands/bad", json={"tone": {"ja": "formal"}})
    assert r.status_code == 422 and "no tone rules for 'ja'" in r.json()["error"]["message"]
    r = admin.put("/v1/brands/bad", json={"tone": {"es": "polite"}})
    assert r.status_code == 422 and "tone.es" in r.json()["error"]["message"]
    r = admin.put("/v1/brands/bad", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "bad_request"


def test_tone_endpoint(admin: httpx.Client):
    admin.put("/v1/brands/toned")
    r = admin.put("/v1/brands/toned/tone", json={"registers": {"de": "informal", "fr": "formal"}})
    assert r.status_code == 200 and r.json() == {"registers": {"de": "informal", "fr": "formal"}}
    assert admin.get("/v1/brands/toned/tone").json()["registers"]["de"] == "informal"


def test_glossary_entries_search_paging_and_versions(admin: httpx.Client):
    admin.put("/v1/brands/terms1")
    r = admin.post("/v1/brands/terms1/glossary", json={"kind": "dnt", "source": "Shop Pay"})
    assert r.status_code == 201, r.text
    dnt_id = r.json()["term"]["id"]
    r = admin.post(
        "/v1/brands/terms1/glossary",
        json={
            "kind": "term",
            "source": "order",
            "target": "pedido",
            "source_lang": "en",
            "target_lang": "es",
            "variants": ["pedidos"],
        },
    )
    term_id = r.json()["term"]["id"]
    assert r.json()["version"] == 2
    for i in range(5):
        admin.post(
            "/v1/brands/terms1/glossary",
            json={"kind": "forbidden", "source": f"mal{i}", "target": f"bien{i}", "target_lang": "es"},
        )
    page = admin.get("/v1/brands/terms1/glossary", params={"kind": "forbidden", "limit": 2, "offset": 2}).json()
    assert page["total"] == 5 and [t["source"] for t in page["terms"]] == ["mal2", "mal3"]
    found = admin.get("/v1/brands/terms1/glossary", params={"q": "pedidos"}).json()
    assert [t["id"] for t in found["terms"]] == [term_id]
    r = admin.put(
        f"/v1/brands/terms1/glossary/terms/{term_id}",
        json={"kind": "term", "source": "order", "target": "encargo", "source_lang": "en", "target_lang": "es"},
    )
    assert r.status_code == 200 and r.json()["term"]["target"] == "encargo"
    assert admin.get(f"/v1/brands/terms1/glossary/terms/{term_id}").json()["target"] == "encargo"
    assert admin.delete(f"/v1/brands/terms1/glossary/terms/{dnt_id}").status_code == 200
    assert admin.get(f"/v1/brands/terms1/glossary/terms/{dnt_id}").status_code == 404
    versions = admin.get("/v1/brands/terms1/glossary/versions").json()
    assert versions["total"] == 9
    assert versions["versions"][0]["action"] == "delete" and versions["versions"][0]["who"].startswith("key:bootstrap")
    assert versions["versions"][1]["changed"][0]["before"]["target"] == "pedido"
    r = admin.post("/v1/brands/terms1/glossary/versions/1/restore")
    assert r.status_code == 200 and r.json()["version"] == 10
    assert [t["source"] for t in admin.get("/v1/brands/terms1/glossary").json()["terms"]] == ["Shop Pay"]


def test_bad_entries_are_refused_with_what_to_fix(admin: httpx.Client):
    admin.put("/v1/brands/terms2")
    cases = [
        ({"kind": "slogan", "source": "x"}, "kind"),
        ({"kind": "dnt", "source": "   "}, "source is only whitespace"),
        # One schema per kind, so a missing field is named as such.
        ({"kind": "term", "source": "order", "target": "pedido"}, "source_lang: Field required"),
        ({"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "zz"}, "'zz'"),
        ({"kind": "forbidden", "source": "vosotros", "target": "ustedes"}, "target_lang: Field required"),
    ]
    for body, needle in cases:
        r = admin.post("/v1/brands/terms2/glossary", json=body)
        assert r.status_code == 422, (body, r.text)
        assert needle in r.json()["error"]["message"], (body, r.json())
    admin.post("/v1/brands/terms2/glossary", json={"kind": "dnt", "source": "HOLIDAY25"})
    r = admin.post("/v1/brands/terms2/glossary", json={"kind": "dnt", "source": "HOLIDAY25"})
    assert r.status_code == 409 and "duplicate entry" in r.json()["error"]["message"]
    assert admin.post("/v1/brands/nobrand/glossary", json={"kind": "dnt", "source": "x"}).status_code == 404


def test_import_validates_everything_first_and_reports_lines(admin: httpx.Client):
    admin.put("/v1/brands/imports")
    bad = (
        "kind,source_lang,target_lang,source,target,case_sensitive,note\n"
        "dnt,,,Shop Pay,,true,brand\n"
        "term,en,es,order,pedido,false,\n"
        "slogan,en,es,x,y,false,\n"
        "term,en,es,refund,,false,\n"
    )
    r = admin.post("/v1/brands/imports/glossary/import", content=bad.encode(), headers={"Content-Type": CSV})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["type"] == "import_failed"
    assert [e["line"] for e in err["errors"]] == [4, 5]
    assert admin.get("/v1/brands/imports/glossary").json()["total"] == 0  # nothing applied

    good = bad.replace("slogan,en,es,x,y,false,\n", "").replace("refund,,false", "refund,reembolso,false")
    r = admin.post("/v1/brands/imports/glossary/import", content=good.encode(), headers={"Content-Type": CSV})
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 3 and r.json()["added"] == 3

    two_col = "source,target\ncart,carrito\n"
    r = admin.post(
        "/v1/brands/imports/glossary/import",
        params={"source_lang": "en", "target_lang": "es"},
        content=two_col.encode(),
        headers={"Content-Type": CSV},
    )
    assert r.status_code == 200 and r.json()["added"] == 1
    r = admin.post(
        "/v1/brands/imports/glossary/import",
        params={"mode": "replace"},
        content=b"kind,source_lang,target_lang,source,target,case_sensitive,note\ndnt,,,West Path,,true,\n",
        headers={"Content-Type": "text/tab-separated-values"},
    )
    # A comma-separated file sent as TSV: the delimiter comes from the file, not the content type.
    assert r.status_code == 200, r.text
    assert [t["source"] for t in admin.get("/v1/brands/imports/glossary").json()["terms"]] == ["West Path"]
    r = admin.post("/v1/brands/imports/glossary/import", content=b"x", headers={"Content-Type": "application/pdf"})
    assert r.status_code == 415


def test_export_round_trips_in_every_format(admin: httpx.Client):
    admin.put("/v1/brands/roundtrip")
    admin.post("/v1/brands/roundtrip/glossary", json={"kind": "dnt", "source": "Re:amaze", "note": 'helpdesk, "brand"'})
    admin.post(
        "/v1/brands/roundtrip/glossary",
        json={
            "kind": "term",
            "source": "order",
            "target": "pedido",
            "source_lang": "en",
            "target_lang": "es",
            "case_sensitive": True,
            "variants": ["pedidos"],
        },
    )
    admin.post(
        "/v1/brands/roundtrip/glossary",
        json={"kind": "forbidden", "source": "vuestro", "target": "su", "target_lang": "es"},
    )
    original = sorted(admin.get("/v1/brands/roundtrip/glossary").json()["terms"], key=lambda t: t["id"])
    types = {"csv": CSV, "tsv": "text/tab-separated-values", "tbx": "application/x-tbx"}
    for fmt, ctype in types.items():
        exported = admin.get("/v1/brands/roundtrip/glossary/export", params={"format": fmt})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith(ctype)
        r = admin.post(
            "/v1/brands/roundtrip/glossary/import",
            params={"mode": "replace"},
            content=exported.content,
            headers={"Content-Type": ctype},
        )
        assert r.status_code == 200, (fmt, r.text)
        again = sorted(admin.get("/v1/brands/roundtrip/glossary").json()["terms"], key=lambda t: t["id"])
        assert again == original, fmt


def test_editor_reads_but_cannot_change(admin: httpx.Client, gateway):
    admin.put("/v1/brands/readonly")
    key = admin.post("/v1/keys", json={"role": "editor"}).json()["key"]
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {key}"}) as editor:
        assert editor.get("/v1/brands/readonly/glossary").status_code == 200
        assert editor.post("/v1/brands/readonly/glossary", json={"kind": "dnt", "source": "x"}).status_code == 403
        assert editor.put("/v1/brands/readonly").status_code == 403


def test_brand_settings_that_are_not_text_are_a_400(admin: httpx.Client):
    r = admin.put("/v1/brands/bytes", content=b"\xff\xfe\x00{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "bad_request"  # was a 500
