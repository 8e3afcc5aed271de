"""Language identification against the real lingua and langdetect models (no mocks)."""

from __future__ import annotations

import threading

import pytest

from models.errors import ConfigError, UnknownLanguage
from models.langid import DEFAULT_LANGUAGES, DETECTOR_KINDS, Detection, LanguageDetector, build_detector
from models.langid.base import BoundedCache
from models.langid.text import strip_non_language, word_count, words


@pytest.fixture(scope="module")
def lingua() -> LanguageDetector:
    return build_detector("lingua")


@pytest.fixture(scope="module")
def lingua_no_prior(lingua: LanguageDetector) -> LanguageDetector:
    # lingua shares loaded models between detectors, so this one costs no second load.
    return build_detector("lingua", wordfreq_weight=0.0)


@pytest.fixture(scope="module")
def langdetect() -> LanguageDetector:
    return build_detector("langdetect")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hello, I still have not received my order, can you help me?", "en"),
        ("Hola, todavía no he recibido mi pedido, ¿me pueden ayudar?", "es"),
        ("Bonjour, je n'ai toujours pas reçu ma commande, pouvez-vous m'aider ?", "fr"),
        ("Hallo, ich habe meine Bestellung immer noch nicht erhalten, können Sie mir helfen?", "de"),
    ],
)
def test_clear_sentences(lingua: LanguageDetector, text: str, lang: str) -> None:
    (detection,) = lingua.detect([text])
    assert detection.lang == lang
    assert detection.confidence > 0.9
    assert detection.reason is None
    assert lang not in dict(detection.alternatives)


def test_german_is_german_although_no_engine_serves_it(lingua: LanguageDetector) -> None:
    # Detection knows more languages than the engines translate; the router decides what to do.
    assert "de" in lingua.default_languages
    (detection,) = lingua.detect(["Vielen Dank, das Paket ist heute angekommen."], candidates=["en", "es", "de"])
    assert detection.lang == "de"


def test_candidates_restrict_the_answer(lingua: LanguageDetector) -> None:
    # "como" is Portuguese and Spanish alike: between the two the guess is not reliable...
    (both,) = lingua.detect(["como"], candidates=["es", "pt"])
    assert not both.reliable and both.reason == "too_short"
    assert {both.lang, *(lang for lang, _ in both.alternatives)} == {"es", "pt"}
    # ...but a Portuguese-only brand gets Portuguese.
    (pt,) = lingua.detect(["como"], candidates=["pt"])
    assert (pt.lang, pt.confidence) == ("pt", 1.0)
    # "ano" reads as Portuguese among all defaults, as Czech for a brand serving cs/sk/en.
    (free,) = lingua.detect(["ano"])
    (czech,) = lingua.detect(["ano"], candidates=["cs", "sk", "en"])
    assert free.lang == "pt"
    assert czech.lang == "cs"


def test_candidates_accept_any_code_spelling(lingua: LanguageDetector) -> None:
    (detection,) = lingua.detect(["Obrigado pela ajuda"], candidates=["por", "es-ES", "pt-BR"])
    assert detection.lang == "pt"


@pytest.mark.parametrize(
    "text",
    ["👍👍 12345 https://x.com", "support@example.com", "@acme_help #4711", "", "   ", "www.example.com/order/123 🙂"],
)
def test_no_letters(lingua: LanguageDetector, text: str) -> None:
    assert lingua.detect([text]) == [Detection(None, 0.0, (), "no_letters")]


def test_links_and_numbers_do_not_sway_the_answer(lingua: LanguageDetector) -> None:
    (detection,) = lingua.detect(["Pedido 12345 https://shop.example.com/track?id=998 todavía no llegó"])
    assert detection.lang == "es"


def test_weak_single_word_keeps_its_best_guess_unreliable(lingua: LanguageDetector) -> None:
    (detection,) = lingua.detect(["ok"])
    assert detection.lang is not None and 0.0 < detection.confidence < 0.6
    assert detection.reason == "too_short" and not detection.reliable
    assert 1 <= len(detection.alternatives) <= 3
    scores = [detection.confidence, *(c for _, c in detection.alternatives)]
    assert scores == sorted(scores, reverse=True)


def test_brand_languages_weigh_in_without_blinding(lingua: LanguageDetector) -> None:
    # French under an en/es brand is still French...
    (fr,) = lingua.detect(["Bonjour, je n'ai pas reçu ma commande"], prefer=["en", "es"])
    assert (fr.lang, fr.reliable) == ("fr", True)
    # ...while a word the brand's language shares with another tips towards the brand.
    (alone,) = lingua.detect(["vale"])
    (brand,) = lingua.detect(["vale"], prefer=["en", "es"])
    assert alone.lang == brand.lang == "es"
    assert brand.confidence > alone.confidence
    assert brand.reliable and not alone.reliable
    # "como" reads as Portuguese among all languages, as Spanish for a Spanish-speaking brand.
    assert lingua.detect(["como"])[0].lang == "pt"
    assert lingua.detect(["como"], prefer=["es", "en"])[0].lang == "es"
    # A preferred language outside the default set is still a candidate.
    (eu,) = lingua.detect(["Kaixo, nire eskaera ez da iritsi oraindik"], prefer=["eu"])
    assert eu.lang == "eu"
    # One it cannot identify at all (Galician has no lingua model) is no error, just no weight.
    (gl,) = lingua.detect(["Bonjour, je n'ai pas reçu ma commande"], prefer=["gl", "es"])
    assert gl.lang == "fr"


def test_strong_single_word_is_decided(lingua: LanguageDetector) -> None:
    detections = lingua.detect(["obrigado", "Dankeschön", "спасибо", "ありがとう"])
    assert [d.lang for d in detections] == ["pt", "de", "ru", "ja"]


def test_word_frequency_prior_decides_common_words(lingua: LanguageDetector, lingua_no_prior: LanguageDetector) -> None:
    # Words too short for character n-grams alone; how common they are settles it.
    words = ["thanks", "pero", "exemplo", "und"]
    assert [(d.lang, d.reliable) for d in lingua.detect(words)] == [(w, True) for w in ("en", "es", "pt", "de")]
    assert not any(d.reliable for d in lingua_no_prior.detect(words))


def test_no_plausible_candidate_is_ambiguous(lingua: LanguageDetector) -> None:
    # Cyrillic for a brand serving only Latin-script languages: nothing to choose.
    (detection,) = lingua.detect(["Здравствуйте, где мой заказ?"], candidates=["es", "fr"])
    assert detection == Detection(None, 0.0, (), "ambiguous")


def test_batch_returns_one_detection_per_text_in_order(lingua: LanguageDetector) -> None:
    texts = [
        "Where is my parcel?",
        "🙂",
        "¿Dónde está mi paquete?",
        "12345",
        "Wo ist mein Paket?",
        "Où est mon colis ?",
    ]
    detections = lingua.detect(texts)
    assert len(detections) == len(texts)
    assert [d.lang for d in detections] == ["en", None, "es", None, "de", "fr"]
    assert [d.reason for d in detections] == [None, "no_letters", None, "no_letters", None, None]
    assert lingua.detect([]) == []


def test_detection_shape(lingua: LanguageDetector) -> None:
    for d in lingua.detect(["Merci beaucoup pour votre aide", "ok", "cadeira", "x"]):
        assert 0.0 <= d.confidence <= 1.0
        assert len(d.alternatives) <= 3
        assert all(0.0 <= c <= 1.0 for _, c in d.alternatives)
        assert d.lang is not None  # a best guess, always, for a text with letters
        assert d.reliable == (d.reason is None)


def test_unknown_candidate_code(lingua: LanguageDetector) -> None:
    with pytest.raises(UnknownLanguage) as info:
        lingua.detect(["hello"], candidates=["en", "xx"])
    assert info.value.code == "xx"


def test_candidate_the_backend_cannot_identify(lingua: LanguageDetector) -> None:
    # Galician has a gateway code but no lingua model: say so, and what it does know.
    with pytest.raises(UnknownLanguage, match=r"lingua detector cannot identify it.*es, et"):
        lingua.detect(["ola"], candidates=["es", "gl"])


def test_empty_candidates_is_a_config_error(lingua: LanguageDetector) -> None:
    with pytest.raises(ConfigError):
        lingua.detect(["hello"], candidates=[])


def test_a_lone_code_string_is_one_candidate(lingua: LanguageDetector) -> None:
    assert lingua.detect(["Hola"], candidates="es")[0].lang == "es"


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ConfigError, match="lingua, langdetect"):
        build_detector("fasttext")
    assert set(DETECTOR_KINDS) == {"lingua", "langdetect"}


def test_unknown_default_language() -> None:
    with pytest.raises(UnknownLanguage):
        build_detector("langdetect", ["en", "klingon"])


@pytest.mark.parametrize("options", [{"min_confidence_short": 1.5}, {"wordfreq_weight": -1.0}, {"prefer_weight": -0.5}])
def test_invalid_settings(options: dict) -> None:
    with pytest.raises(ConfigError):
        build_detector("langdetect", **options)


def test_default_languages() -> None:
    assert len(DEFAULT_LANGUAGES) == len(set(DEFAULT_LANGUAGES)) >= 30
    assert {"en", "es", "de", "zh", "ar", "he", "th"} <= set(DEFAULT_LANGUAGES)


def test_langdetect_backend(langdetect: LanguageDetector) -> None:
    texts = [
        "Hello, I still have not received my order.",
        "Hola, todavía no he recibido mi pedido.",
        "Hallo, ich habe meine Bestellung noch nicht erhalten.",
        "👍 12345",
    ]
    detections = langdetect.detect(texts)
    assert [d.lang for d in detections] == ["en", "es", "de", None]
    assert detections[3].reason == "no_letters"
    assert langdetect.name == "langdetect"
    assert isinstance(langdetect, LanguageDetector)


def test_langdetect_is_deterministic(langdetect: LanguageDetector) -> None:
    texts = ["ciao", "merci", "bom dia", "tak", "Das ist gut"]
    first = langdetect.detect(texts)
    assert langdetect.detect(texts) == first
    assert build_detector("langdetect").detect(texts) == first


def test_langdetect_restricts_and_merges_variants(langdetect: LanguageDetector) -> None:
    (zh,) = langdetect.detect(["我的订单还没有到"], candidates=["zh", "ja"])
    assert zh.lang == "zh"  # langdetect's zh-cn and zh-tw profiles count as one language
    (es,) = langdetect.detect(["Obrigado pela ajuda"], candidates=["es", "fr"])
    assert es.lang in {"es", "fr", None} and all(lang in {"es", "fr"} for lang, _ in es.alternatives)
    with pytest.raises(UnknownLanguage, match="langdetect detector cannot identify"):
        langdetect.detect(["kaixo"], candidates=["eu", "es"])


def test_text_cleaning() -> None:
    cleaned = strip_non_language("Mira https://x.com/a?b=1 y escribe a ana@x.es, @soporte: pedido #A-123")
    assert words(cleaned) == ["Mira", "y", "escribe", "a", "pedido"]
    assert word_count("hola") == 1
    assert word_count("muchas gracias") == 2
    assert word_count("ありがとうございます") > 2  # unspaced scripts are estimated by length
    assert word_count("谢谢") == 1


def test_bounded_cache_is_lru_and_builds_once() -> None:
    built: list[int] = []

    def build(key: int) -> str:
        built.append(key)
        return str(key)

    cache: BoundedCache[int, str] = BoundedCache(2)
    threads = [threading.Thread(target=cache.get, args=(1, build)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [1]
    cache.get(2, build)
    cache.get(1, build)  # 1 is now the most recent
    cache.get(3, build)  # evicts 2
    cache.get(1, build)
    cache.get(2, build)
    assert built == [1, 2, 3, 2]


def test_an_unseen_compound_of_two_listed_words_beats_an_unseen_word() -> None:
    import math

    from models.langid.prior import _compound, _log_probability, _Table

    table = _Table({"tjener": 1e-5, "navn": 1e-4, "rotation": 1e-5, "vinkel": 1e-5}, math.log(1e-7), "nb")
    expected = (math.log(1e-5) + math.log(1e-4)) / 2 - 4.0
    assert _log_probability("tjenernavn", table) == pytest.approx(expected)
    assert _compound("rotationsvinkel", table) > table.unseen  # with the linking "s"
    assert _compound("tjenerxyz", table) == table.unseen  # only one part is a word
    assert _compound("navn", table) == table.unseen  # too short to hold two parts
    # Never above a listed word, never below an unseen one.
    rare = _Table({"ab" + "c" * 4: 1e-9, "cd" + "e" * 4: 1e-9}, math.log(1e-7), "nb")
    assert _compound("abccccdeeee", rare) == rare.unseen
