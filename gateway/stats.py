"""Time-bucketed counters for the dashboard, in Redis.

Each event adds to one hash per resolution — a minute, an hour and a day bucket — so any period
is read from a handful of hashes: the last hour by minute, a day or a week by hour, a month by
day. Buckets expire on their own (TTL). A write is one pipelined round trip; so is a read.

Fields of a bucket hash:
  vol:{pair}:{direction}    texts translated (direction: inbound, outbound or none)
  flag:{pair}:{direction}   of which flagged for review (needs_review)
  lat_ms:{engine}, lat_n:{engine}   summed request latency (ms) and requests, per engine chain
  appr_s, appr_n            summed time from queueing to approval (s), and approvals

An event of a brand is also added to that brand's own buckets (`tonegate:stats:b:{brand}:…`), so
a key of some brands sees a dashboard of those brands only (brands are tenants).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("tonegate")

_PREFIX = "tonegate:stats:"
Period = Literal["1h", "24h", "7d", "30d"]
PERIODS: tuple[Period, ...] = ("1h", "24h", "7d", "30d")


@dataclass(frozen=True, slots=True)
class Resolution:
    name: str
    seconds: int
    ttl_s: int


MINUTE = Resolution("m", 60, 2 * 3600)
HOUR = Resolution("h", 3600, 8 * 86400)
DAY = Resolution("d", 86400, 400 * 86400)
RESOLUTIONS = (MINUTE, HOUR, DAY)
# Which buckets, and how many, make up each period.
_PERIOD: dict[Period, tuple[Resolution, int]] = {
    "1h": (MINUTE, 60),
    "24h": (HOUR, 24),
    "7d": (HOUR, 168),
    "30d": (DAY, 30),
}


class TranslationLike(Protocol):
    source_lang: str | None
    target_lang: str
    engine: str
    needs_review: bool


def bucket_key(res: Resolution, at: float, brand: str | None = None) -> str:
    scope = "" if brand is None else f"b:{brand}:"
    return f"{_PREFIX}{scope}{res.name}:{int(at // res.seconds) * res.seconds}"


@dataclass(slots=True)
class Dashboard:
    """A period's series, one value per bucket, oldest first; ready for a chart as JSON."""

    period: Period
    step_s: int
    times: list[int] = field(default_factory=list)  # bucket starts, unix seconds
    volume: dict[str, list[int]] = field(default_factory=dict)  # "en-es outbound" -> counts
    flagged_share: list[float | None] = field(default_factory=list)  # flagged / volume, all pairs
    approval_s: list[float | None] = field(default_factory=list)  # mean time to approval
    latency_ms: dict[str, list[float | None]] = field(default_factory=dict)  # engine -> mean ms
    totals: dict[str, dict[str, float]] = field(default_factory=dict)  # series -> volume, flagged, share

    def to_json(self) -> dict:
        return {
            "period": self.period,
            "step_s": self.step_s,
            "times": self.times,
            "volume": self.volume,
            "flagged_share": self.flagged_share,
            "approval_s": self.approval_s,
            "latency_ms": self.latency_ms,
        }


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v


class Stats:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def _add(self, increments: dict[str, float], at: float | None = None, brand: str | None = None) -> None:
        """Add to every resolution's bucket (the gateway's, and the brand's) in one round trip; a
        failure is logged, never raised: the dashboard is not worth failing a translation for."""
        at = time.time() if at is None else at
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for res in RESOLUTIONS:
                    for key in {bucket_key(res, at), bucket_key(res, at, brand)}:
                        for name, amount in increments.items():
                            if isinstance(amount, int):
                                pipe.hincrby(key, name, amount)
                            else:
                                pipe.hincrbyfloat(key, name, amount)
                        pipe.expire(key, res.ttl_s)
                await pipe.execute()
        except RedisError as exc:
            log.warning("dashboard counters not written: %s", exc)

    async def record_translations(
        self,
        translations: Iterable[TranslationLike],
        direction: str | None,
        elapsed_s: float,
        at: float | None = None,
        brand: str | None = None,
    ) -> None:
        """One request's texts: volume and flags per pair and direction, its latency per engine chain."""
        increments: dict[str, float] = defaultdict(int)
        engines: set[str] = set()
        for t in translations:
            if t.source_lang is None or t.engine == "none":
                continue  # nothing was translated
            series = f"{t.source_lang}-{t.target_lang}:{direction or 'none'}"
            increments["vol:" + series] += 1
            if t.needs_review:
                increments["flag:" + series] += 1
            engines.add(t.engine)
        for engine in engines:
            increments["lat_ms:" + engine] = round(elapsed_s * 1000, 3)
            increments["lat_n:" + engine] = 1
        if increments:
            await self._add(increments, at, brand)

    async def record_approval(self, created_at: float, approved_at: float | None, brand: str | None = None) -> None:
        approved_at = approved_at or time.time()
        await self._add({"appr_s": round(max(0.0, approved_at - created_at), 3), "appr_n": 1}, approved_at, brand)

    async def dashboard(
        self, period: Period, now: float | None = None, brands: Sequence[str] | None = None
    ) -> Dashboard:
        """The gateway's (brands None) or those brands' counters, summed."""
        res, count = _PERIOD[period]
        now = time.time() if now is None else now
        last = int(now // res.seconds) * res.seconds
        times = [last - (count - 1 - i) * res.seconds for i in range(count)]
        scopes: list[str | None] = [None] if brands is None else list(brands)
        async with self.redis.pipeline(transaction=False) as pipe:
            for t in times:
                for brand in scopes:
                    pipe.hgetall(bucket_key(res, t, brand))
            raw = await pipe.execute()
        buckets: list[dict[str, float]] = []
        for i in range(len(times)):
            merged: dict[str, float] = defaultdict(float)
            for h in raw[i * len(scopes) : (i + 1) * len(scopes)]:
                for k, v in h.items():
                    merged[_s(k)] += float(v)
            buckets.append(dict(merged))
        return _combine(period, res.seconds, times, buckets)


def _mean(total: float, n: float) -> float | None:
    return round(total / n, 3) if n else None


def _combine(period: Period, step_s: int, times: list[int], buckets: Sequence[dict[str, float]]) -> Dashboard:
    out = Dashboard(period, step_s, times)
    series = sorted({name.split(":", 1)[1] for b in buckets for name in b if name.startswith("vol:")})
    engines = sorted({name.split(":", 1)[1] for b in buckets for name in b if name.startswith("lat_n:")})
    for s in series:
        label = s.replace(":", " ")
        out.volume[label] = [int(b.get("vol:" + s, 0)) for b in buckets]
        volume = sum(out.volume[label])
        flagged = sum(b.get("flag:" + s, 0) for b in buckets)
        out.totals[label] = {"volume": volume, "flagged": flagged, "share": flagged / volume if volume else 0.0}
    for b in buckets:
        vol = sum(v for k, v in b.items() if k.startswith("vol:"))
        flagged = sum(v for k, v in b.items() if k.startswith("flag:"))
        out.flagged_share.append(_mean(flagged, vol))
        out.approval_s.append(_mean(b.get("appr_s", 0), b.get("appr_n", 0)))
    for e in engines:
        out.latency_ms[e] = [_mean(b.get("lat_ms:" + e, 0), b.get("lat_n:" + e, 0)) for b in buckets]
    return out
