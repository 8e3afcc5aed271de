"""Remote engines against real local servers that answer as vLLM, DeepL and LibreTranslate document."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from models.base import LanguagePair, TermPair, TranslationRules
from models.config import EngineSpec, parse_engine_specs
from models.errors import ConfigError, EngineFailure
from models.remote.deepl import FREE_URL, PRO_URL, DeepLEngine
from models.remote.http import CircuitOpen, retry_after
from models.remote.libretranslate import LibreTranslateEngine
from models.remote.openai_engine import NO_LOGPROBS_SCORE, OpenAIEngine
from models.remote.prompt import clean_answer
from models.remote.reviewer import MQMError, parse_review
from tests.models.remote_servers import FakeDeepLServer, FakeLibreTranslateServer, FakeLLMServer, Reply

EN_ES = LanguagePair("en", "es")


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    yield server
    server.close()


def openai_engine(server: FakeLLMServer, **settings) -> OpenAIEngine:
    spec = EngineSpec(
        name="llm", kind="openai", base_url=f"{server.url}/v1", model=server.model, pairs=["en-es"], **settings
    )
    return OpenAIEngine.from_spec(spec)


# --- openai ---------------------------------------------------------------------------------------


def test_openai_sends_the_brand_rules_and_scores_with_logprobs(llm, monkeypatch):
    monkeypatch.setenv("LLM_TEST_KEY", "sk-test")
    engine = openai_engine(llm, api_key_env="LLM_TEST_KEY", headers={"X-Team": "support"})
    rules = TranslationRules(
        keep=("Acme",),
        terms=(TermPair("order", "pedido"), TermPair("voucher", "cupón")),
        forbidden=("coger",),
        register="formal",
        context=("My parcel is late",),
    )
    try:
        [hyp] = engine.translate_with_rules(["Hello, your order has been shipped."], EN_ES, rules)
    finally:
        engine.close()
    assert hyp.text == "Hola, su pedido ha sido enviado."
    assert hyp.score == pytest.approx(-0.05)
    assert hyp.details["min_logprob"] == pytest.approx(-0.05) and hyp.details["tokens"] >= 5
    assert hyp.notes == ()
    [req] = llm.requests
    assert req["headers"]["authorization"] == "Bearer sk-test"
    assert req["headers"]["x-team"] == "support"
    body = req["body"]
    assert body["model"] == "tiny-llm" and body["temperature"] == 0 and body["logprobs"] is True
    system = body["messages"][0]["content"]
    assert "from English (en) into Spanish (es)" in system
    assert "formally" in system
    assert '"order" → "pedido"' in system
    assert "voucher" not in system  # an entry that does not occur in this text stays out
    assert '"coger"' in system
    assert "My parcel is late" in system
    assert "Acme" not in system  # not in this text either
    assert body["messages"][-1] == {"role": "user", "content": "Hello, your order has been shipped."}


def test_openai_keeps_placeholders_in_the_prompt(llm):
    engine = openai_engine(llm)
    try:
        [hyp] = engine.translate(["⟦0⟧ your refund is ready"], EN_ES)
    finally:
        engine.close()
    assert hyp.text == "⟦0⟧ tu reembolso está listo"
    assert "copy each one exactly" in llm.chat_requests()[0]["messages"][0]["content"]


@pytest.mark.parametrize(
    "answer, expected, note",
    [
        ("Here is the translation:\nHola", "Hola", "preamble"),
        ("Sure! Here's the Spanish translation: Hola", "Hola", "preamble"),
        ('"Hola"', "Hola", "quotation marks"),
        ("«Hola»", "Hola", "quotation marks"),
        ("```\nHola\n```", "Hola", "code block"),
        ("<think>the user wants Spanish</think>Hola", "Hola", "reasoning"),
        ("Hola\n\nNote: I kept the greeting informal.", "Hola", "note"),
    ],
)
def test_openai_cleans_chatty_answers_and_says_so(llm, answer, expected, note):
    llm.script.append(Reply(content=answer))
    engine = openai_engine(llm)
    try:
        [hyp] = engine.translate(["Hello"], EN_ES)
    finally:
        engine.close()
    assert hyp.text == expected
    assert any(note in n for n in hyp.notes), hyp.notes


def test_clean_answer_leaves_a_translation_that_only_looks_like_a_preamble():
    source = "Your translation order: 42 pages"
    assert clean_answer("Su pedido de traducción: 42 páginas", source).text == "Su pedido de traducción: 42 páginas"
    assert clean_answer('"Hola"', '"Hello"').text == '"Hola"'


@pytest.mark.parametrize("answer", ["", "   ", "Here is the translation:"])
def test_openai_fails_clearly_on_an_answer_with_no_translation(llm, answer):
    llm.script.append(Reply(content=answer))
    engine = openai_engine(llm, retries=0)
    try:
        with pytest.raises(EngineFailure, match="no translation"):
            engine.translate(["Hello"], EN_ES)
    finally:
        engine.close()


def test_openai_without_logprobs_gets_a_neutral_score(llm):
    llm.script.append(Reply(logprobs=False))
    engine = openai_engine(llm)
    try:
        [hyp] = engine.translate(["Hello"], EN_ES)
    finally:
        engine.close()
    assert hyp.score == pytest.approx(NO_LOGPROBS_SCORE)
    assert 0.1 < 1 - math.exp(hyp.score) < 0.2


def test_openai_asks_again_without_logprobs_when_the_server_refuses_them(llm):
    llm.script.append(Reply(status=400, message="logprobs is not supported by this model"))
    engine = openai_engine(llm, retries=0)
    try:
        [first] = engine.translate(["Hello"], EN_ES)
        [second] = engine.translate(["thanks"], EN_ES)
    finally:
        engine.close()
    assert (first.text, second.text) == ("Hola", "gracias")
    assert first.score == second.score == pytest.approx(NO_LOGPROBS_SCORE)
    asked = [r.get("logprobs") for r in llm.chat_requests()]
    assert asked == [True, None, None]  # refused once, then left out


def test_openai_reviews_a_translation_mqm_style(llm):
    answer = '```json\n{"errors": [{"category": "style/register", "severity": "major", "span": "tu"}]}\n```'
    llm.script.append(Reply(content=answer))
    engine = openai_engine(llm)
    try:
        review = engine.review("Your refund is ready.", "Tu reembolso está listo.", EN_ES)
    finally:
        engine.close()
    assert review.errors == (MQMError("style/register", "major", "tu"),)
    assert not review.fit and review.mqm_score == 5.0
    [req] = llm.chat_requests()
    assert "MQM" in req["messages"][0]["content"] and "Tu reembolso está listo." in req["messages"][1]["content"]
    assert req["temperature"] == 0 and "logprobs" not in req


@pytest.mark.parametrize(
    "answer, fit",
    [('{"errors": []}', True), ('{"errors": [{"category": "fluency/spelling", "severity": "Minor"}]}', True)],
)
def test_review_answers_are_read_strictly(answer, fit):
    assert parse_review(answer).fit is fit


@pytest.mark.parametrize(
    "answer", ["Looks good to me!", '{"errors": "none"}', '{"errors": [{"severity": "awful"}]}', "{not json}"]
)
def test_review_answers_that_are_not_the_asked_json_fail(answer):
    with pytest.raises(EngineFailure, match="reviewer"):
        parse_review(answer)


def test_openai_reports_an_answer_cut_at_max_length(llm):
    llm.script.append(Reply(finish_reason="length"))
    engine = openai_engine(llm)
    try:
        [hyp] = engine.translate(["Hello"], EN_ES)
    finally:
        engine.close()
    assert hyp.details["truncated"] == 1.0
    assert any("cut off" in n for n in hyp.notes)


def test_openai_retries_429_after_the_servers_retry_after(llm):
    llm.script.append(Reply(status=429, headers={"Retry-After": "1"}))
    engine = openai_engine(llm)
    try:
        [hyp] = engine.translate(["thanks"], EN_ES)
        health = engine.health()
    finally:
        engine.close()
    assert hyp.text == "gracias"
    assert len(llm.chat_requests()) == 2
    assert health.retries == 1 and health.retry_wait_s == pytest.approx(1.0)
    assert health.state == "ok" and health.failures == 0


def test_openai_retries_5xx_then_opens_the_circuit(llm):
    llm.script.extend(Reply(status=503) for _ in range(4))
    engine = openai_engine(llm, retries=1, failure_threshold=2, reset_after_s=600)
    try:
        for _ in range(2):
            with pytest.raises(EngineFailure, match="HTTP 503"):
                engine.translate(["Hello"], EN_ES)
        assert len(llm.chat_requests()) == 4  # two calls, each tried twice
        assert engine.health().state == "open"
        with pytest.raises(CircuitOpen, match="unavailable"):
            engine.translate(["Hello"], EN_ES)
        assert len(llm.chat_requests()) == 4  # refused without reaching the server
        health = engine.health()
    finally:
        engine.close()
    assert health.failures == 2 and health.circuit_opens == 1 and "503" in health.last_error


def test_an_open_circuit_lets_one_trial_through_and_closes_on_success(llm):
    import time

    llm.script.append(Reply(status=503))
    engine = openai_engine(llm, retries=0, failure_threshold=1, reset_after_s=0.2)
    try:
        with pytest.raises(EngineFailure):
            engine.translate(["Hello"], EN_ES)
        with pytest.raises(CircuitOpen):
            engine.translate(["Hello"], EN_ES)
        time.sleep(0.3)  # past reset_after_s: the next call is the half-open trial
        [hyp] = engine.translate(["thanks"], EN_ES)
        health = engine.health()
    finally:
        engine.close()
    assert hyp.text == "gracias"
    assert health.state == "ok" and health.circuit_opens == 1 and len(llm.chat_requests()) == 2


def test_openai_times_out_a_slow_server(llm):
    llm.script.append(Reply(delay_s=3))
    engine = openai_engine(llm, timeout_s=0.5, retries=0)
    try:
        with pytest.raises(EngineFailure, match=r"no answer within 0\.5 s"):
            engine.translate(["Hello"], EN_ES)
    finally:
        engine.close()


def test_openai_keeps_max_concurrency_requests_in_flight(llm):
    llm.hold_s = 0.3
    engine = openai_engine(llm, max_concurrency=3)
    try:
        hyps = engine.translate([f"Hello {i}" for i in range(9)], EN_ES)
    finally:
        engine.close()
    assert [h.text for h in hyps] == [f"Hola {i}" for i in range(9)]
    assert llm.max_in_flight == 3


def test_openai_does_not_retry_a_wrong_model(llm):
    spec = EngineSpec(name="llm", kind="openai", base_url=f"{llm.url}/v1", model="nope", pairs=["en-es"])
    engine = OpenAIEngine.from_spec(spec)
    try:
        with pytest.raises(EngineFailure, match="does not exist"):
            engine.translate(["Hello"], EN_ES)
    finally:
        engine.close()
    assert len(llm.chat_requests()) == 1


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"model": "m", "pairs": ["en-es"]}, "set base_url"),
        ({"base_url": "http://x/v1", "pairs": ["en-es"]}, "set model"),
        ({"base_url": "http://x/v1", "model": "m"}, "list its pairs"),
        ({"base_url": "http://x/v1", "model": "m", "pairs": ["en-es"], "api_key_env": "NO_SUCH_VAR_X"}, None),
    ],
)
def test_openai_settings_are_checked(settings, message):
    spec = EngineSpec(name="llm", kind="openai", **settings)
    if message is None:  # an unset key variable is allowed for local servers that take none
        OpenAIEngine.from_spec(spec).close()
        return
    with pytest.raises(ConfigError, match=message):
        OpenAIEngine.from_spec(spec)


def test_retry_after_reads_seconds_dates_and_milliseconds():
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10.0
    assert retry_after({}) is None


# --- deepl ----------------------------------------------------------------------------------------


@pytest.fixture
def deepl() -> Iterator[FakeDeepLServer]:
    server = FakeDeepLServer(key="secret:fx")
    yield server
    server.close()


def deepl_engine(server: FakeDeepLServer, monkeypatch, **settings) -> DeepLEngine:
    monkeypatch.setenv("DEEPL_TEST_KEY", server.key)
    spec = EngineSpec(name="deepl", kind="deepl", base_url=server.url, api_key_env="DEEPL_TEST_KEY", **settings)
    return DeepLEngine.from_spec(spec)


def test_deepl_lists_its_pairs_and_maps_codes(deepl, monkeypatch):
    engine = deepl_engine(deepl, monkeypatch)
    engine.close()
    assert {LanguagePair("en", "es"), LanguagePair("es", "en"), LanguagePair("en", "pt")} <= engine.pairs
    assert LanguagePair("en", "en") not in engine.pairs


def test_deepl_translates_with_formality_glossary_and_placeholders(deepl, monkeypatch):
    engine = deepl_engine(deepl, monkeypatch, pairs=["en-es", "en-en"])
    glossary = (TermPair("voucher", "cupón"), TermPair("refund", "devolución"))
    rules = TranslationRules(register="formal", glossary=glossary, glossary_key="acme", glossary_version="3")
    try:
        hyps = engine.translate_with_rules(["⟦0⟧ your voucher", "a < b & your refund"], EN_ES, rules)
        again = engine.translate_with_rules(["your voucher"], EN_ES, rules)
    finally:
        engine.close()
    assert [h.text for h in hyps] == ["⟦0⟧ su cupón", "un < b & su devolución"]
    assert again[0].text == "su cupón"
    translate = [r["body"] for r in deepl.requests if r["path"] == "/v2/translate"]
    assert translate[0]["source_lang"] == "EN" and translate[0]["target_lang"] == "ES"
    assert translate[0]["formality"] == "prefer_more" and translate[0]["tag_handling"] == "html"
    assert translate[0]["text"][0] == '<span translate="no">⟦0⟧</span> your voucher'
    assert translate[0]["text"][1] == "a &lt; b &amp; your refund"
    assert deepl.paths("POST").count("/v2/glossaries") == 1  # created once for this version
    [created] = deepl.glossaries.values()
    assert created["source_lang"] == "en" and created["entries_format"] == "tsv"
    assert created["parsed"] == {"refund": "devolución", "voucher": "cupón"}


def test_deepl_replaces_the_glossary_when_its_version_changes(deepl, monkeypatch):
    engine = deepl_engine(deepl, monkeypatch, pairs=["en-es"])
    first = TranslationRules(glossary=(TermPair("voucher", "cupón"),), glossary_key="acme", glossary_version="1")
    second = TranslationRules(glossary=(TermPair("voucher", "bono"),), glossary_key="acme", glossary_version="2")
    try:
        assert engine.translate_with_rules(["your voucher"], EN_ES, first)[0].text == "tu cupón"
        assert engine.translate_with_rules(["your voucher"], EN_ES, second)[0].text == "tu bono"
    finally:
        engine.close()
    assert deepl.paths("POST").count("/v2/glossaries") == 2
    assert deepl.paths("DELETE") and len(deepl.glossaries) == 1  # the old version was deleted


def test_deepl_without_a_glossary_for_the_pair_translates_and_says_so(deepl, monkeypatch):
    engine = deepl_engine(deepl, monkeypatch, pairs=["en-ja"])
    rules = TranslationRules(glossary=(TermPair("voucher", "クーポン"),), glossary_key="acme", glossary_version="1")
    try:
        first = engine.translate_with_rules(["thanks"], LanguagePair("en", "ja"), rules)
        second = engine.translate_with_rules(["thanks"], LanguagePair("en", "ja"), rules)
    finally:
        engine.close()
    assert first[0].text == "gracias"  # the toy server's one language; what matters is the note
    assert "DeepL glossary not used" in first[0].notes[0] and "Unsupported glossary language pair" in first[0].notes[0]
    assert second[0].notes == first[0].notes
    assert deepl.paths("POST").count("/v2/glossaries") == 1  # not asked again for this version
    assert "glossary_id" not in next(r["body"] for r in deepl.requests if r["path"] == "/v2/translate")


def test_deepl_retries_429_and_fails_clearly_on_a_wrong_key(deepl, monkeypatch):
    engine = deepl_engine(deepl, monkeypatch, pairs=["en-es"])
    deepl.fail_next.append((429, {"Retry-After": "0"}))
    try:
        assert engine.translate(["thanks"], EN_ES)[0].text == "gracias"
        assert engine.health().retries == 1
    finally:
        engine.close()
    monkeypatch.setenv("DEEPL_TEST_KEY", "wrong")
    spec = EngineSpec(name="d", kind="deepl", base_url=deepl.url, api_key_env="DEEPL_TEST_KEY", pairs=["en-es"])
    engine = DeepLEngine.from_spec(spec)
    try:
        with pytest.raises(EngineFailure, match="HTTP 403"):
            engine.translate(["thanks"], EN_ES)
        assert engine.health().retries == 0
    finally:
        engine.close()


def test_deepl_picks_free_or_pro_from_the_key(monkeypatch):
    for key, url in (("abc:fx", FREE_URL), ("abc", PRO_URL)):
        monkeypatch.setenv("DEEPL_TEST_KEY", key)
        spec = EngineSpec(name="d", kind="deepl", api_key_env="DEEPL_TEST_KEY", pairs=["en-es"])
        engine = DeepLEngine.from_spec(spec)
        engine.close()
        assert str(engine.client.base_url).rstrip("/") == url
    monkeypatch.delenv("DEEPL_TEST_KEY")
    with pytest.raises(ConfigError, match="DEEPL_TEST_KEY"):
        DeepLEngine.from_spec(EngineSpec(name="d", kind="deepl", api_key_env="DEEPL_TEST_KEY", pairs=["en-es"]))


# --- libretranslate -------------------------------------------------------------------------------


def test_libretranslate_lists_pairs_and_translates_a_batch_in_one_request(monkeypatch):
    server = FakeLibreTranslateServer(api_key="lt-key")
    monkeypatch.setenv("LT_TEST_KEY", "lt-key")
    spec = EngineSpec(name="lt", kind="libretranslate", base_url=server.url, api_key_env="LT_TEST_KEY")
    engine = LibreTranslateEngine.from_spec(spec)
    try:
        assert {LanguagePair("en", "es"), LanguagePair("es", "en"), LanguagePair("en", "zh")} <= engine.pairs
        assert not any(p.target == "pb" or p.source == "pb" for p in engine.pairs)
        hyps = engine.translate_with_rules(["Hello", "", "your refund is ready"], EN_ES, TranslationRules(fmt="html"))
        [zh] = engine.translate(["Hello"], LanguagePair("en", "zh"))
    finally:
        engine.close()
        server.close()
    assert [h.text for h in hyps] == ["Hola", "", "tu reembolso está listo"]
    assert zh.text == "Hola"
    posts = [r["body"] for r in server.requests if r["path"] == "/translate"]
    assert posts[0] == {
        "q": ["Hello", "your refund is ready"],
        "source": "en",
        "target": "es",
        "format": "html",
        "api_key": "lt-key",
    }
    assert posts[1]["target"] == "zh-Hans"  # the server's own code


def test_libretranslate_wrong_key_fails_without_retrying():
    server = FakeLibreTranslateServer(api_key="lt-key")
    spec = EngineSpec(name="lt", kind="libretranslate", base_url=server.url, pairs=["en-es"])
    engine = LibreTranslateEngine.from_spec(spec)
    try:
        with pytest.raises(EngineFailure, match=r"HTTP 403.*Invalid API key"):
            engine.translate(["Hello"], EN_ES)
        assert len(server.requests) == 1
    finally:
        engine.close()
        server.close()


# --- fallback chains ------------------------------------------------------------------------------


def test_fallback_chain_serves_with_the_next_engine_and_says_so(llm):
    from models.registry import EngineRegistry

    specs = parse_engine_specs(
        {
            "engine": [
                {"name": "apertium", "kind": "apertium", "pairs": ["en-es", "es-en"]},
                {
                    "name": "llm",
                    "kind": "openai",
                    "base_url": f"{llm.url}/v1",
                    "model": llm.model,
                    "pairs": ["en-es"],
                    "retries": 0,
                    "failure_threshold": 1,
                    "reset_after_s": 600,
                },
                {"name": "llm-first", "kind": "fallback", "engines": ["llm", "apertium"], "pairs": ["en-es"]},
            ]
        }
    )
    registry = EngineRegistry.from_specs(specs)
    try:
        assert registry.route("en", "es").label == "llm-first:en-es"
        assert registry.route("es", "en").label == "apertium:es-en"
        assert registry.route("en", "es").kinds == ("openai",) and registry.route("es", "en").kinds == ("apertium",)
        [ok], _ = registry.translate(["thanks"], "en", "es")
        assert ok.text == "gracias" and not ok.notes
        llm.script.append(Reply(status=500))
        [served], _ = registry.translate(["thanks"], "en", "es")
        assert served.text == "gracias" and served.details["fallback"] == 1.0  # Apertium's own "gracias"
        assert "apertium served because llm" in served.notes[0] and "HTTP 500" in served.notes[0]
        assert registry.health()["llm"].state == "open"
        sent = len(llm.chat_requests())
        [again], _ = registry.translate(["thanks"], "en", "es")
        assert len(llm.chat_requests()) == sent  # the open circuit skips the server at once
        assert "unavailable" in again.notes[0]
        assert registry.chains[0].fallbacks == 2
    finally:
        registry.close()


def test_a_chain_whose_engines_all_fail_says_why(llm):
    from models.registry import EngineRegistry

    common = {"kind": "openai", "model": llm.model, "pairs": ["en-es"], "retries": 0}
    specs = parse_engine_specs(
        {
            "engine": [
                {"name": "a", "base_url": f"{llm.url}/v1", **common},
                {"name": "b", "base_url": f"{llm.url}/v1", **common},
                {"name": "both", "kind": "fallback", "engines": ["a", "b"]},
            ]
        }
    )
    registry = EngineRegistry.from_specs(specs)
    llm.script.extend([Reply(status=500), Reply(status=502)])
    try:
        with pytest.raises(EngineFailure, match=r"every engine of both failed for en-es: a: .*500.*; b: .*502"):
            registry.translate(["Hello"], "en", "es")
    finally:
        registry.close()


@pytest.mark.parametrize(
    "tables, message",
    [
        ([{"name": "f", "kind": "fallback", "engines": ["a"]}], "at least two engines"),
        (
            [{"name": "a", "kind": "apertium"}, {"name": "f", "kind": "fallback", "engines": ["a", "zz"]}],
            "unknown engine 'zz' in engines; declared: a",
        ),
        ([{"name": "a", "kind": "apertium", "engines": ["b"]}], "belongs to kind"),
    ],
)
def test_fallback_declarations_are_checked(tables, message):
    with pytest.raises(ConfigError, match=message):
        parse_engine_specs({"engine": tables})
