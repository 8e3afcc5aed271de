from __future__ import annotations

from fastapi import APIRouter

from gateway.deps import HelpdeskKey, JsonBody, ServicesDep, texts_within_limits
from gateway.routers.translate import detection_out
from gateway.schemas import DetectRequest, DetectResponse

router = APIRouter(tags=["detect"])


@router.post("/v1/detect", response_model=DetectResponse, dependencies=[JsonBody])
async def detect(body: DetectRequest, services: ServicesDep, key: HelpdeskKey) -> DetectResponse:
    texts = texts_within_limits(body.text, services)
    detections = await services.pipeline.detect(texts, body.candidates, body.prefer)
    return DetectResponse(detections=[detection_out(d) for d in detections])
