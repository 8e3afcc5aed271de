"""POST /v1/quality: the confidence of any translation, including ones made elsewhere."""

from __future__ import annotations

import anyio
from fastapi import APIRouter

from gateway.deps import HelpdeskKey, JsonBody, ServicesDep, load_brand
from gateway.errors import PayloadTooLarge, SameLanguage
from gateway.schemas import QualityRequest, QualityResponse, SignalOut
from models.langcodes import normalize

router = APIRouter(tags=["quality"])


@router.post("/v1/quality", response_model=QualityResponse, dependencies=[JsonBody])
async def quality(body: QualityRequest, services: ServicesDep, key: HelpdeskKey) -> QualityResponse:
    limit = services.settings.max_text_chars
    for name, text in (("source", body.source), ("translation", body.translation)):
        if len(text) > limit:
            raise PayloadTooLarge(f"{name} has {len(text)} characters; the limit is {limit} (TONEGATE_MAX_TEXT_CHARS)")
    source, target = normalize(body.source_lang), normalize(body.target_lang)
    if source == target:
        raise SameLanguage("source_lang and target_lang are the same; nothing was translated")
    brand = await load_brand(services, body.brand, key)
    pipeline = services.pipeline
    rules = await pipeline.brand_rules(brand, target)
    # Scoring may run an engine (forced decoding, the round trip) and the detector: off the loop.
    conf = await anyio.to_thread.run_sync(pipeline.quality, body.source, body.translation, source, target, rules)
    # Given text was made by someone else (another engine, a person): the "other" kind's default.
    threshold = pipeline.threshold((), brand.review_below if brand else None)
    return QualityResponse(
        confidence=conf.value,
        band=conf.band,
        needs_review=conf.value < threshold,
        signals=[SignalOut(name=s.name, detail=s.detail) for s in conf.signals],
    )
