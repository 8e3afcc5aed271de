from __future__ import annotations

from fastapi import APIRouter

from gateway.deps import HelpdeskKey, JsonBody, ServicesDep
from gateway.errors import InvalidInput, PayloadTooLarge
from gateway.routers.translate import detection_out
from gateway.schemas import DetectRequest, DetectResponse

router = APIRouter(tags=["detect"])


@router.post("/v1/detect", response_model=DetectResponse, dependencies=[JsonBody])
async def detect(body: DetectRequest, services: ServicesDep, key: HelpdeskKey) -> DetectResponse:
    texts = [body.text] if isinstance(body.text, str) else body.text
    limits = services.settings
    if len(texts) > limits.max_texts:
        raise InvalidInput(f"at most {limits.max_texts} texts per request; split the batch")
    for i, t in enumerate(texts):
        if len(t) > limits.max_text_chars:
            raise PayloadTooLarge(f"text[{i}] has {len(t)} characters; the limit is {limits.max_text_chars}")
    detections = await services.pipeline.detect(texts, body.candidates)
    return DetectResponse(detections=[detection_out(d) for d in detections])
