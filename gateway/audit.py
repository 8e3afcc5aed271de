"""The audit log: who (key id and label) changed which key, brand, glossary, integration or review item, and when.

Each change is one entry in a capped global Redis stream and in the capped stream of every brand it
touches, so a brand admin reads its brands' entries without scanning anyone else's. Entries are
flat strings (no pickle); `detail` is a small JSON object.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Literal

from redis.asyncio import Redis

from gateway.keys import ApiKey

KINDS: tuple[str, ...] = ("key", "brand", "glossary", "integration", "review")
Kind = Literal["key", "brand", "glossary", "integration", "review"]
_GLOBAL = "tonegate:audit"
_BRAND = "tonegate:audit:brand:"
GLOBAL_MAXLEN = 100_000
BRAND_MAXLEN = 20_000


def _s(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _entry(fields: dict) -> dict:
    f = {_s(k): _s(v) for k, v in fields.items()}
    return {
        "id": f["id"],
        "at": float(f["at"]),
        "kind": f["kind"],
        "action": f["action"],
        "target": f["target"],
        "brands": [b for b in f["brands"].split(",") if b],
        "key_id": f["key_id"],
        "key_label": f["key_label"],
        "detail": json.loads(f.get("detail") or "{}"),
    }


class AuditLog:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def record(
        self,
        who: ApiKey,
        kind: Kind,
        action: str,
        target: str,
        brands: Iterable[str | None] = (),
        detail: dict | None = None,
    ) -> None:
        named = sorted({b for b in brands if b})
        fields = {
            "id": secrets.token_hex(8),
            "at": repr(time.time()),
            "kind": kind,
            "action": action,
            "target": target,
            "brands": ",".join(named),
            "key_id": who.id,
            "key_label": who.label,
            "detail": json.dumps(detail or {}, ensure_ascii=False),
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(_GLOBAL, fields, maxlen=GLOBAL_MAXLEN, approximate=True)
            for brand in named:
                pipe.xadd(_BRAND + brand, fields, maxlen=BRAND_MAXLEN, approximate=True)
            await pipe.execute()

    async def read(
        self,
        *,
        brands: Sequence[str] | None,
        kind: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[dict]:
        """Newest first. brands None: the global stream (every entry); else those brands' streams merged."""
        streams = [_GLOBAL] if brands is None else [_BRAND + b for b in brands]
        low = "-" if since is None else str(int(since * 1000))
        found: dict[str, dict] = {}
        batch = max(limit, 200)
        for stream in streams:
            cursor, kept = "+", 0
            while kept < limit:
                # Read in pages so a kind filter still fills `limit` entries when it can.
                page = await self.redis.xrevrange(stream, max=cursor, min=low, count=batch)
                for _, fields in page:
                    e = _entry(fields)
                    if kind is None or e["kind"] == kind:
                        found.setdefault(e["id"], e)
                        kept += 1
                if len(page) < batch:
                    break
                cursor = "(" + _s(page[-1][0])
        return sorted(found.values(), key=lambda e: -e["at"])[:limit]
