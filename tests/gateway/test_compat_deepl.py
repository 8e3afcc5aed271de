"""The DeepL drop-in API against the real gateway (Apertium en↔es): the official `deepl` client
unchanged (`server_url` pointed at the gateway), and raw requests for form bodies and each error."""

from __future__ import annotations

import deepl
import httpx
import pytest
from deepl.api_data import MultilingualGlossaryDictionaryEntries


@pytest.fixture(scope="module")
def dl_key(admin: httpx.Client) -> str:
    r = admin.post("/v1/keys", json={"role": "helpdesk", "label": "deepl"})
    assert r.status_code == 201, r.text
    return r.json()["key"]


@pytest.fixture(scope="module")
def dl(gateway, dl_key: str) -> deepl.DeepLClient:
    return deepl.DeepLClient(dl_key, server_url=gateway.url, send_platform_info=False)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"DeepL-Auth-Key {key}"}


def test_translate_one_text(dl):
    r = dl.translate_text("Thank you for your patience.", source_lang="EN", target_lang="ES")
    assert "paciencia" in r.text, r.text
    assert r.detected_source_lang == "EN"
    assert r.billed_characters == len("Thank you for your patience.")


def test_translate_a_batch_detecting_the_source(dl):
    texts = ["Thank you for your patience.", "Gracias por su paciencia."]
    out = dl.translate_text(texts, target_lang="EN-US")
    assert len(out) == 2
    assert out[0].detected_source_lang == "EN" and out[0].text == texts[0]  # already English
    assert out[1].detected_source_lang == "ES" and "patience" in out[1].text


def test_formality_picks_the_register(dl):
    text = "You will receive your refund soon."
    informal = dl.translate_text(text, source_lang="EN", target_lang="ES", formality="less").text
    formal = dl.translate_text(text, source_lang="EN", target_lang="ES", formality="more").text
    assert "recibirás" in informal.lower(), informal
    assert "recibirás" not in formal.lower() and formal != informal, formal


def test_formality_where_the_language_has_none(dl):
    # prefer_* is a wish, more/less a demand DeepL refuses for such languages.
    out = dl.translate_text("Gracias por su paciencia.", source_lang="ES", target_lang="EN-GB", formality="prefer_more")
    assert "patience" in out.text
    with pytest.raises(deepl.DeepLException, match="formality"):
        dl.translate_text("Gracias.", source_lang="ES", target_lang="EN-GB", formality="more")


def test_html_tag_handling_keeps_the_markup(dl):
    out = dl.translate_text("<p>Thank you for your <b>patience</b>.</p>", target_lang="ES", tag_handling="html")
    assert out.text.startswith("<p>") and "<b>" in out.text and "paciencia" in out.text, out.text


def test_languages(dl):
    sources = {lang.code: lang for lang in dl.get_source_languages()}
    targets = {lang.code: lang for lang in dl.get_target_languages()}
    assert sources["EN"].name == "English" and "ES" in sources
    assert {"EN-GB", "EN-US", "ES"} <= set(targets)
    assert targets["ES"].supports_formality is True and targets["EN-US"].supports_formality is False
    pairs = {(p.source_lang, p.target_lang) for p in dl.get_glossary_languages()}
    assert ("en", "es") in pairs


def test_usage_counts_this_keys_characters(gateway, admin):
    key = admin.post("/v1/keys", json={"role": "helpdesk", "label": "usage"}).json()["key"]
    client = deepl.DeepLClient(key, server_url=gateway.url, send_platform_info=False)
    assert client.get_usage().character.count == 0
    client.translate_text(["Hello.", "Thank you."], source_lang="EN", target_lang="ES")
    usage = client.get_usage()
    assert usage.character.count == len("Hello.") + len("Thank you.")
    assert usage.character.valid and not usage.any_limit_reached


def test_v2_glossary_round_trip(dl):
    before = dl.translate_text("I opened a ticket.", source_lang="EN", target_lang="ES").text
    info = dl.create_glossary("support words", "EN", "ES", {"ticket": "caso"})
    assert info.ready and info.entry_count == 1 and (info.source_lang, info.target_lang) == ("EN", "ES")
    assert info.glossary_id in {g.glossary_id for g in dl.list_glossaries()}
    assert dl.get_glossary(info.glossary_id).name == "support words"
    assert dl.get_glossary_entries(info) == {"ticket": "caso"}
    after = dl.translate_text("I opened a ticket.", source_lang="EN", target_lang="ES", glossary=info).text
    assert "caso" in after and "caso" not in before, (before, after)
    dl.delete_glossary(info)
    with pytest.raises(deepl.GlossaryNotFoundException):
        dl.get_glossary(info.glossary_id)


def test_glossary_from_csv_is_a_termbase_in_the_web_app(dl, admin):
    info = dl.create_glossary_from_csv("csv words", "EN", "ES", "ticket,caso\norder,pedido\n")
    assert info.entry_count == 2
    # Stored as one of the gateway's termbases: an editor sees it in the v1 API and the web app.
    page = admin.get(f"/v1/brands/deepl-{info.glossary_id}/glossary").json()
    assert {(t["source"], t["target"]) for t in page["terms"]} == {("ticket", "caso"), ("order", "pedido")}
    dl.delete_glossary(info.glossary_id)
    assert admin.get(f"/v1/brands/deepl-{info.glossary_id}").status_code == 404


def test_v3_multilingual_glossary(dl):
    g = dl.create_multilingual_glossary(
        "both ways",
        [
            MultilingualGlossaryDictionaryEntries("EN", "ES", {"ticket": "caso"}),
            MultilingualGlossaryDictionaryEntries("ES", "EN", {"caso": "case file"}),
        ],
    )
    assert {(d.source_lang, d.target_lang, d.entry_count) for d in g.dictionaries} == {("EN", "ES", 1), ("ES", "EN", 1)}
    assert g.glossary_id in {x.glossary_id for x in dl.list_multilingual_glossaries()}
    entries = dl.get_multilingual_glossary_entries(g, "EN", "ES").dictionaries[0]
    assert entries.entries == "ticket\tcaso"  # TSV, as DeepL sends it
    out = dl.translate_text("I opened a ticket.", source_lang="EN", target_lang="ES", glossary=g)
    assert "caso" in out.text, out.text
    d = dl.replace_multilingual_glossary_dictionary(
        g, MultilingualGlossaryDictionaryEntries("EN", "ES", {"ticket": "incidencia", "order": "pedido"})
    )
    assert d.entry_count == 2
    merged = dl.update_multilingual_glossary_dictionary(
        g, MultilingualGlossaryDictionaryEntries("EN", "ES", {"order": "encargo", "refund": "reembolso"})
    )
    assert {(x.source_lang, x.entry_count) for x in merged.dictionaries} == {("EN", 3), ("ES", 1)}
    tsv = dl.get_multilingual_glossary_entries(g, "EN", "ES").dictionaries[0].entries
    assert sorted(tsv.splitlines()) == ["order\tencargo", "refund\treembolso", "ticket\tincidencia"]
    renamed = dl.update_multilingual_glossary_name(g, "renamed")
    assert renamed.name == "renamed"
    dl.delete_multilingual_glossary_dictionary(g, source_lang="ES", target_lang="EN")
    assert [(x.source_lang, x.target_lang) for x in dl.get_multilingual_glossary(g.glossary_id).dictionaries] == [
        ("EN", "ES")
    ]
    dl.delete_multilingual_glossary(g)
    with pytest.raises(deepl.GlossaryNotFoundException):
        dl.get_multilingual_glossary(g.glossary_id)


def test_wrong_key_is_an_authorization_error(gateway):
    client = deepl.DeepLClient("tg_nope_nope", server_url=gateway.url, send_platform_info=False)
    with pytest.raises(deepl.AuthorizationException):
        client.translate_text("Hello", target_lang="ES")


def test_form_body_with_repeated_text(anon, dl_key):
    # Weblate and older clients post a form: `text` repeated, languages in any case.
    r = anon.post(
        "/v2/translate",
        content=b"text=Thank+you+for+your+patience.&text=Hello.&target_lang=es&source_lang=en",
        headers={**auth(dl_key), "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text
    out = r.json()["translations"]
    assert len(out) == 2 and "paciencia" in out[0]["text"]
    assert out[0]["detected_source_language"] == "EN" and "billed_characters" not in out[0]
    assert r.headers["x-trace-id"]
    assert len(r.headers["x-tonegate-confidence"].split(",")) == 2


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"target_lang": "ES"}, 400, "'text'"),
        ({"text": ["Hello"]}, 400, "'target_lang'"),
        ({"text": ["Hello"], "target_lang": "XX"}, 400, "'target_lang'"),
        ({"text": ["Hello"], "target_lang": "ES", "tag_handling": "markdown"}, 400, "tag_handling"),
        ({"text": ["Hello"], "target_lang": "ES", "formality": "very"}, 400, "formality"),
        ({"text": ["Hello"], "target_lang": "ES", "glossary_id": "abc"}, 400, "source_lang"),
        ({"text": ["Hello"], "source_lang": "EN", "target_lang": "ES", "glossary_id": "abc"}, 404, "Glossary"),
        ({"text": ["x" * 2001], "target_lang": "ES"}, 413, "2000"),
    ],
)
def test_errors_in_deepl_shape(anon, dl_key, body, status, words):
    r = anon.post("/v2/translate", json=body, headers=auth(dl_key))
    assert r.status_code == status, r.text
    assert set(r.json()) == {"message"} and words in r.json()["message"], r.json()


@pytest.mark.parametrize("path", ["/v2/document", "/v2/write/rephrase", "/v3/style_rules"])
def test_what_is_not_offered_is_a_deepl_404(anon, dl_key, path):
    r = anon.post(path, json={}, headers=auth(dl_key))
    assert r.status_code == 404 and "not offered" in r.json()["message"]


def test_missing_auth_is_403(anon):
    r = anon.post("/v2/translate", json={"text": ["Hello"], "target_lang": "ES"})
    assert r.status_code == 403 and "DeepL-Auth-Key" in r.json()["message"]


def test_unknown_glossary_is_404(anon, dl_key):
    r = anon.get("/v2/glossaries/00000000-0000-0000-0000-000000000000", headers=auth(dl_key))
    assert r.status_code == 404 and "Glossary not found" in r.json()["message"]


def test_entries_differing_only_in_case_are_refused_before_anything_is_stored(dl):
    before = {g.glossary_id for g in dl.list_glossaries()}
    with pytest.raises(deepl.DeepLException, match="only in case"):
        dl.create_glossary("dupes", "EN", "ES", {"Ticket": "caso", "ticket": "incidencia"})
    assert {g.glossary_id for g in dl.list_glossaries()} == before


def test_bad_glossary_entries_are_400(anon, dl_key):
    r = anon.post(
        "/v2/glossaries",
        json={
            "name": "x",
            "source_lang": "en",
            "target_lang": "es",
            "entries": "only-one-column",
            "entries_format": "tsv",
        },
        headers=auth(dl_key),
    )
    assert r.status_code == 400 and "entries" in r.json()["message"]


def test_someone_elses_glossary_cannot_be_deleted(dl, gateway, admin):
    info = dl.create_glossary("mine", "EN", "ES", {"ticket": "caso"})
    other = admin.post("/v1/keys", json={"role": "helpdesk", "label": "other"}).json()["key"]
    r = httpx.delete(f"{gateway.url}/v2/glossaries/{info.glossary_id}", headers=auth(other))
    assert r.status_code == 403, r.text
    dl.delete_glossary(info)


def test_body_over_the_request_limit_is_413(anon, dl_key):
    r = anon.post("/v2/translate", json={"text": ["a" * 70_000], "target_lang": "ES"}, headers=auth(dl_key))
    assert r.status_code == 413


def test_weblate_shape_xml_placeholders_stay(anon, dl_key):
    # weblate/machinery/deepl.py: placeholders as self-closing <x/> tags, tag_handling xml, ignore_tags x.
    r = anon.post(
        "/v2/translate",
        json={
            "text": ['Your order <x id="1"/> has shipped.'],
            "source_lang": "EN",
            "target_lang": "ES",
            "tag_handling": "xml",
            "ignore_tags": ["x"],
        },
        headers=auth(dl_key),
    )
    assert r.status_code == 200, r.text
    text = r.json()["translations"][0]["text"]
    assert '<x id="1"/>' in text and "pedido" in text, text


def test_languages_get_with_a_form_body(anon, dl_key):
    # The Python client sends `type=target` as a form body on a GET.
    r = anon.request(
        "GET",
        "/v2/languages",
        content=b"type=target",
        headers={**auth(dl_key), "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and "supports_formality" in r.json()[0]
    assert anon.get("/v2/languages?type=nope", headers=auth(dl_key)).status_code == 400


def test_ignore_tags_keep_their_content(dl):
    out = dl.translate_text(
        "Thank you for your patience with <keep>Thank you</keep>.",
        source_lang="EN",
        target_lang="ES",
        tag_handling="xml",
        ignore_tags=["keep"],
    )
    assert "<keep>Thank you</keep>" in out.text and "paciencia" in out.text, out.text


def test_options_the_gateway_does_not_act_on_are_accepted(dl):
    out = dl.translate_text(
        "Thank you for your patience.",
        source_lang="EN",
        target_lang="ES",
        context="A customer waited two days for a reply.",
        split_sentences="nonewlines",
        preserve_formatting=True,
        model_type="quality_optimized",
        non_splitting_tags="b",
        outline_detection=False,
    )
    assert "paciencia" in out.text


def test_a_brands_glossaries_are_its_own(gateway, admin):
    """A glossary made with brand A's key: A's keys and all-brands keys see and use it; brand B's
    key gets DeepL's 404, as for a glossary that does not exist, and does not list it."""
    for brand in ("gla", "glb"):
        assert admin.put(f"/v1/brands/{brand}", json={"languages": ["en", "es"]}).status_code in (200, 201)
    keys = {}
    for brand in ("gla", "glb"):
        r = admin.post("/v1/keys", json={"role": "helpdesk", "label": brand, "brands": [brand]})
        assert r.status_code == 201, r.text
        keys[brand] = deepl.DeepLClient(r.json()["key"], server_url=gateway.url, send_platform_info=False)
    mine = keys["gla"].create_glossary("A's terms", "EN", "ES", {"parcel": "paquete"})
    everyone = admin.post("/v1/keys", json={"role": "helpdesk", "label": "all"}).json()["key"]
    all_brands = deepl.DeepLClient(everyone, server_url=gateway.url, send_platform_info=False)
    assert all_brands.get_glossary(mine.glossary_id).name == "A's terms"
    assert mine.glossary_id in [g.glossary_id for g in keys["gla"].list_glossaries()]
    other = keys["glb"]
    assert mine.glossary_id not in [g.glossary_id for g in other.list_glossaries()]
    with pytest.raises(deepl.GlossaryNotFoundException):
        other.get_glossary(mine.glossary_id)
    with pytest.raises(deepl.DeepLException):
        other.translate_text("Your parcel is here.", source_lang="EN", target_lang="ES", glossary=mine.glossary_id)
    out = keys["gla"].translate_text("Your parcel is here.", source_lang="EN", target_lang="ES", glossary=mine)
    assert "paquete" in out.text
