"""Engine corrections (glossary/corrections/): see them, add your own, switch any off; versioned.

They apply to every brand, so changing them needs an admin key for all brands; editors may read them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from gateway.contract import PAIR_PATTERN
from gateway.deps import EditorKey, GlobalAdminKey, JsonBody, ServicesDep
from gateway.errors import GatewayError, InvalidInput, NotFound, SameLanguage, Unavailable
from gateway.keys import normalize_pair
from glossary.corrections import Correction, InvalidCorrection, shipped_pairs
from glossary.corrections.store import CorrectionNotFound, CorrectionStore

router = APIRouter(tags=["corrections"])

Engine = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="engine kind, e.g. apertium")]
# The schema names the language codes the gateway knows (gateway.contract), as _pair checks them.
Pair = Annotated[str, Path(json_schema_extra={"pattern": PAIR_PATTERN}, description="source-target, e.g. en-es")]
CorrectionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class InvalidCorrectionInput(InvalidInput):
    """A correction the schema allows but that cannot be used (e.g. a pattern that does not compile)."""

    type = "invalid_correction"


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    kind: Literal["source", "target"]
    match: str = Field(min_length=1, max_length=300, pattern=r"^[^\t\n\r]*\S[^\t\n\r]*$")
    replace: str = Field(max_length=300, pattern=r"^[^\t\n\r]*$")
    note: str = Field(default="", max_length=2000)


class Switch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class CorrectionOut(BaseModel):
    id: str
    kind: Literal["source", "target"]
    match: str
    replace: str
    note: str
    enabled: bool
    origin: Literal["shipped", "admin"]


class CorrectionsPage(BaseModel):
    engine: str
    source_lang: str
    target_lang: str
    version: int
    total: int
    active: int
    corrections: list[CorrectionOut]


class CorrectionChanged(BaseModel):
    version: int
    correction: CorrectionOut | None = None


class PairSummary(BaseModel):
    engine: str
    source_lang: str
    target_lang: str
    version: int
    total: int
    active: int


class PairsPage(BaseModel):
    pairs: list[PairSummary]


class HistoryPage(BaseModel):
    engine: str
    source_lang: str
    target_lang: str
    changes: list[dict]


def _store(services) -> CorrectionStore:
    store = getattr(services, "corrections", None)
    if store is None:
        raise Unavailable("engine corrections are not available on this gateway")
    return store


def _pair(pair: str) -> tuple[str, str]:
    try:
        source, _, target = normalize_pair(pair).partition("-")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if source == target:
        raise SameLanguage("the pair's source and target languages must differ")
    return source, target


def _out(c: Correction) -> CorrectionOut:
    return CorrectionOut(**c.to_dict())


def _who(key) -> str:
    return f"key:{key.id}" + (f" ({key.label})" if key.label else "")


def _domain(exc: Exception) -> GatewayError:
    if isinstance(exc, CorrectionNotFound):
        return NotFound(str(exc))
    return InvalidCorrectionInput(str(exc))


@router.get("/v1/corrections", response_model=PairsPage)
async def list_pairs(services: ServicesDep, key: EditorKey) -> PairsPage:
    store = _store(services)
    out = []
    for engine, source, target in shipped_pairs(store.data_dir):
        version, corrections = await store.list(engine, source, target)
        out.append(
            PairSummary(
                engine=engine,
                source_lang=source,
                target_lang=target,
                version=version,
                total=len(corrections),
                active=sum(c.enabled for c in corrections),
            )
        )
    return PairsPage(pairs=out)


@router.get("/v1/corrections/{engine}/{pair}", response_model=CorrectionsPage)
async def list_corrections(engine: Engine, pair: Pair, services: ServicesDep, key: EditorKey) -> CorrectionsPage:
    source, target = _pair(pair)
    version, corrections = await _store(services).list(engine, source, target)
    return CorrectionsPage(
        engine=engine,
        source_lang=source,
        target_lang=target,
        version=version,
        total=len(corrections),
        active=sum(c.enabled for c in corrections),
        corrections=[_out(c) for c in corrections],
    )


@router.post(
    "/v1/corrections/{engine}/{pair}", response_model=CorrectionChanged, status_code=201, dependencies=[JsonBody]
)
async def add_correction(
    engine: Engine, pair: Pair, body: CorrectionIn, services: ServicesDep, key: GlobalAdminKey
) -> CorrectionChanged:
    source, target = _pair(pair)
    try:
        version, correction = await _store(services).add(engine, source, target, body.model_dump(), _who(key))
    except (InvalidCorrection, CorrectionNotFound) as exc:
        raise _domain(exc) from None
    return CorrectionChanged(version=version, correction=_out(correction))


@router.patch(
    "/v1/corrections/{engine}/{pair}/{correction_id}", response_model=CorrectionChanged, dependencies=[JsonBody]
)
async def switch_correction(
    engine: Engine, pair: Pair, correction_id: CorrectionId, body: Switch, services: ServicesDep, key: GlobalAdminKey
) -> CorrectionChanged:
    source, target = _pair(pair)
    store = _store(services)
    try:
        version = await store.switch(engine, source, target, correction_id, body.enabled, _who(key))
    except (InvalidCorrection, CorrectionNotFound) as exc:
        raise _domain(exc) from None
    _, corrections = await store.list(engine, source, target)
    current = next(c for c in corrections if c.id == correction_id)
    return CorrectionChanged(version=version, correction=_out(current))


@router.delete("/v1/corrections/{engine}/{pair}/{correction_id}", response_model=CorrectionChanged)
async def delete_correction(
    engine: Engine, pair: Pair, correction_id: CorrectionId, services: ServicesDep, key: GlobalAdminKey
) -> CorrectionChanged:
    source, target = _pair(pair)
    try:
        version = await _store(services).delete(engine, source, target, correction_id, _who(key))
    except (InvalidCorrection, CorrectionNotFound) as exc:
        raise _domain(exc) from None
    return CorrectionChanged(version=version)


@router.get("/v1/corrections/{engine}/{pair}/history", response_model=HistoryPage)
async def history(engine: Engine, pair: Pair, services: ServicesDep, key: EditorKey) -> HistoryPage:
    source, target = _pair(pair)
    changes = await _store(services).history(engine, source, target)
    return HistoryPage(engine=engine, source_lang=source, target_lang=target, changes=changes)
