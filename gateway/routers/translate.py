from __future__ import annotations

import time

from fastapi import APIRouter

from gateway.admission import admitted
from gateway.brands import Brand
from gateway.deps import HelpdeskKey, JsonBody, ServicesDep, load_brand, texts_within_limits
from gateway.pipeline import TranslateJob, Translation, wrong_language
from gateway.review import NewItem
from gateway.schemas import DetectionOut, SignalOut, TranslateRequest, TranslateResponse, TranslationOut
from models.langid import Detection

router = APIRouter(tags=["translate"])


def detection_out(d: Detection, decided_by: str | None = None) -> DetectionOut:
    return DetectionOut(
        lang=d.lang,
        confidence=round(d.confidence, 4),
        reliable=d.reliable,
        alternatives=[{"lang": lang, "confidence": round(c, 4)} for lang, c in d.alternatives],
        reason=d.reason,
        decided_by=decided_by,
    )


def translation_out(t: Translation) -> TranslationOut:
    return TranslationOut(
        text=t.text,
        source_lang=t.source_lang,
        target_lang=t.target_lang,
        engine=t.engine,
        confidence=t.confidence.value,
        band=t.confidence.band,
        needs_review=t.needs_review,
        signals=[SignalOut(name=s.name, detail=s.detail) for s in t.confidence.signals],
        terms=list(t.terms),
        detected=detection_out(t.detection, t.decided_by) if t.detection else None,
    )


@router.post("/v1/translate", response_model=TranslateResponse, dependencies=[JsonBody])
async def translate(body: TranslateRequest, services: ServicesDep, key: HelpdeskKey) -> TranslateResponse:
    texts = texts_within_limits(body.text, services)
    brand = await load_brand(services, body.brand, key)
    job = TranslateJob(
        texts=tuple(texts),
        target=body.target_lang,
        source=body.source_lang,
        brand=brand,
        fmt=body.format,
        conversation_id=body.conversation_id,
        locale=body.locale,
    )
    started = time.perf_counter()
    async with admitted(services.admission, len(texts)):  # 429 past TONEGATE_MAX_INFLIGHT
        results = await services.pipeline.translate(job)
    outs = [translation_out(t) for t in results]
    if brand is not None and body.direction is not None:
        await _queue_for_review(services, body, brand, texts, results, outs, key.id)
    await services.stats.record_translations(
        outs, body.direction, time.perf_counter() - started, brand=brand.name if brand else None
    )
    return TranslateResponse(translations=outs)


async def _queue_for_review(services, body: TranslateRequest, brand: Brand, texts, results, outs, key_id: str) -> None:
    """Apply the brand's rule for this direction and channel; hold doubtful outbound replies."""
    rule = brand.review_rule(body.direction, body.channel)
    for source, t, out in zip(texts, results, outs, strict=True):
        if rule.below is not None:
            out.needs_review = t.source_lang is not None and (
                t.confidence.value < rule.below or wrong_language(t.confidence)
            )
        # Only agent replies with a conversation to deliver into are held; inbound text reaches the
        # agent at once whatever its score.
        if not (out.needs_review and body.direction == "outbound" and body.conversation_id):
            continue
        out.review_id = await services.review.create(
            NewItem(
                brand=brand.name,
                source_lang=t.source_lang or "und",
                target_lang=t.target_lang,
                conversation_id=body.conversation_id,
                channel=body.channel,
                direction=body.direction,
                source=source,
                mt=t.text,
                confidence=t.confidence.value,
                band=t.confidence.band,
                engine=t.engine,
                signals=[{"name": s.name, "detail": s.detail} for s in t.confidence.signals],
                deadline_s=rule.deadline_s,
                on_deadline=rule.on_deadline,
                callback_url=body.callback_url,
            ),
            who=f"key:{key_id}",
        )
