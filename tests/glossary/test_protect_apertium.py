"""Protection through the real Apertium en→es pipeline: protected tokens come back intact."""

from __future__ import annotations

import pytest

from glossary.protect import protect, restore
from glossary.segment import join, split_masked
from models.apertium import ApertiumEngine
from models.base import LanguagePair
from models.config import EngineSpec

EN_ES = LanguagePair("en", "es")


@pytest.fixture(scope="module")
def engine():
    eng = ApertiumEngine.from_spec(EngineSpec(name="apertium", kind="apertium", pairs=("en-es",)))
    yield eng
    eng.close()


def translate(engine: ApertiumEngine, text: str, fmt: str = "text"):
    masked = protect(text, fmt)  # type: ignore[arg-type]
    segmented = split_masked(masked, "en")
    hyps = engine.translate(list(segmented.sentences), EN_ES)
    return restore(join(segmented, [h.text for h in hyps]), masked)


def test_without_protection_apertium_breaks_slots(engine):
    [hyp] = engine.translate(["Your order {{Order Number}} has shipped."], EN_ES)
    assert "{{Order Number}}" not in hyp.text


def test_slots_urls_emails_and_order_numbers_survive(engine):
    text = (
        "Your order {{Order Number}} (#48213) has shipped.\n\n"
        "Track it at https://track.example.com/parcel?id=1Z999AA10123456784 or write to support@acme.com. "
        "The refund of $5.99 arrives on 2024-05-01. 😀"
    )
    restored = translate(engine, text)
    for token in [
        "{{Order Number}}",
        "#48213",
        "https://track.example.com/parcel?id=1Z999AA10123456784",
        "support@acme.com",
        "$5.99",
        "2024-05-01",
        "😀",
    ]:
        assert token in restored.text
    assert (restored.lost, restored.duplicated) == ((), ())
    assert "pedido" in restored.text or "orden" in restored.text  # it was translated
    assert restored.text.count("\n\n") == 1
    assert "⟦" not in restored.text


def test_html_tags_survive_and_text_is_translated(engine):
    text = '<p>Your <b>order</b> has shipped. <a href="https://x.com/o?a=1&amp;b=2">Track it</a>.</p><p>Thanks!</p>'
    out = translate(engine, text, "html").text
    assert out.startswith("<p>") and out.endswith("</p>")
    assert '<a href="https://x.com/o?a=1&amp;b=2">' in out and "</a>" in out and "<b>" in out and "</b>" in out
    assert "Gracias" in out
