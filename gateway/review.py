"""The review queue: doubtful outbound translations wait here for an editor, in Redis.

Each item is a Redis hash of plain strings (no pickle), with sorted-set indexes scored by deadline
so filtered, paged listing happens in Redis. Every state change is one Lua script: the status, the
indexes, the history entry and — for approve and send_mt — the outbox entry change together or
not at all, so an item can be neither approved without its delivery nor delivered twice.

Every key carries the `{review}` hash tag so a Redis Cluster keeps them in one slot, which the
scripts need (they touch the item, its indexes and the outbox stream at once).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel
from redis.asyncio import Redis

from gateway.errors import Conflict, InvalidInput, NotFound

P = "tonegate:{review}:"
OUTBOX = P + "outbox"
DEADLINES = P + "deadlines"  # open items whose deadline policy has not run yet
LEASES = P + "leases"  # claimed items, scored by lease expiry
ALL = P + "all"
OPEN_INDEX = P + "open"  # pending + claimed, kept apart because it is the default listing

Status = Literal["pending", "claimed", "approved", "rejected", "sent_mt"]
STATUSES: tuple[str, ...] = ("pending", "claimed", "approved", "rejected", "sent_mt")
OPEN: tuple[str, ...] = ("pending", "claimed")


def item_key(item_id: str) -> str:
    return P + "item:" + item_id


def history_key(item_id: str) -> str:
    return P + "history:" + item_id


def status_key(status: str) -> str:
    return P + "status:" + status


def brand_key(brand: str) -> str:
    return P + "brand:" + brand


def _score(unix_s: float) -> int:
    """Milliseconds as a sorted-set score; far-off times clamp to ±10^15 s rather than overflow."""
    return int(max(-1e15, min(1e15, unix_s)) * 1000)


def pair_key(pair: str) -> str:
    return P + "pair:" + pair


class ReviewItem(BaseModel):
    id: str
    status: Status
    brand: str
    source_lang: str
    target_lang: str
    pair: str
    conversation_id: str
    channel: str | None
    direction: str
    source: str
    mt: str
    confidence: float
    band: str
    engine: str
    signals: list[dict[str, str]]
    created_at: float
    deadline_at: float
    on_deadline: Literal["hold", "send_mt"]
    overdue: bool = False
    callback_url: str | None = None
    claimed_by: str | None = None
    lease_until: float | None = None
    final_text: str | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    reason: str | None = None
    delivery_id: str | None = None

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> ReviewItem:
        """From the stored hash: all strings, '' for unset, times in epoch milliseconds."""

        def ms(name: str) -> float | None:
            return int(h[name]) / 1000 if h.get(name) else None

        data: dict[str, object] = {k: h[k] for k in cls.model_fields if k in h}
        data.update({k: h.get(k) or None for k in _NULLABLE})
        data.update(
            signals=json.loads(h["signals"]),
            created_at=ms("created_ms"),
            deadline_at=ms("deadline_ms"),
            lease_until=ms("lease_until"),
            decided_at=ms("decided_ms"),
            overdue=h.get("overdue") == "1",
            final_text=h.get("final_text") if h["status"] in ("approved", "sent_mt") else None,
        )
        return cls.model_validate(data)


_NULLABLE = ("channel", "callback_url", "claimed_by", "decided_by", "reason", "delivery_id")


@dataclass(frozen=True, slots=True)
class NewItem:
    """What the translate route knows when it queues a translation."""

    brand: str
    source_lang: str
    target_lang: str
    conversation_id: str
    channel: str | None
    direction: str
    source: str
    mt: str
    confidence: float
    band: str
    engine: str
    signals: Sequence[dict[str, str]]
    deadline_s: int
    on_deadline: Literal["hold", "send_mt"]
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    items: list[ReviewItem]


# Shared by every script. Time comes from the Redis server so that several API processes agree.
_LUA_HEAD = """
local P = ARGV[1]
local id = ARGV[2]
local who = ARGV[3]
local item = P .. 'item:' .. id
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local now = now_ms()
local function get(f) return redis.call('HGET', item, f) end
local function move(from, to)
  local score = get('deadline_ms')
  redis.call('ZREM', P .. 'status:' .. from, id)
  redis.call('ZADD', P .. 'status:' .. to, score, id)
end
local function record(action, before, after)
  redis.call('RPUSH', P .. 'history:' .. id,
    cjson.encode({at = now / 1000, who = who, action = action, before = before, after = after}))
end
local function deliver(kind, text)
  local f = redis.call('HMGET', item, 'brand', 'conversation_id', 'channel', 'source_lang',
    'target_lang', 'callback_url')
  local sid = redis.call('XADD', P .. 'outbox', '*', 'review_id', id, 'kind', kind, 'text', text,
    'brand', f[1], 'conversation_id', f[2], 'channel', f[3], 'source_lang', f[4],
    'target_lang', f[5], 'callback_url', f[6], 'at', tostring(now / 1000))
  redis.call('HSET', item, 'delivery_id', sid)
  return sid
end
local function close(to, text)
  local from = get('status')
  move(from, to)
  redis.call('HSET', item, 'status', to, 'final_text', text or '', 'decided_by', who,
    'decided_ms', now, 'claimed_by', '', 'lease_until', '')
  redis.call('ZREM', P .. 'deadlines', id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('ZREM', P .. 'open', id)
end
local st = get('status')
if not st then return {'not_found'} end
"""

# ARGV[4] = lease in ms. A holder may renew its own lease by claiming again.
_CLAIM = (
    _LUA_HEAD
    + """
local holder = get('claimed_by') or ''
if st == 'claimed' then
  if holder ~= who and tonumber(get('lease_until')) > now then
    return {'conflict', holder, get('lease_until')}
  end
elseif st ~= 'pending' then
  return {'closed', st}
end
local lease_until = now + tonumber(ARGV[4])
move(st, 'claimed')
redis.call('HSET', item, 'status', 'claimed', 'claimed_by', who, 'lease_until', lease_until)
redis.call('ZADD', P .. 'leases', lease_until, id)
record('claim', {status = st, claimed_by = holder}, {status = 'claimed', claimed_by = who,
  lease_until = lease_until / 1000})
return {'ok'}
"""
)

# ARGV[4] = '1' for an admin (may act without holding the lease), ARGV[5] = action,
# ARGV[6] = approved text or reject reason.
_DECIDE = (
    _LUA_HEAD
    + """
local admin = ARGV[4] == '1'
local action = ARGV[5]
if st ~= 'pending' and st ~= 'claimed' then return {'closed', st} end
local holder = get('claimed_by') or ''
if not admin then
  if st == 'pending' then return {'not_claimed'} end
  if holder ~= who then return {'conflict', holder, get('lease_until')} end
end
local mt = get('mt')
if action == 'approve' then
  close('approved', ARGV[6])
  local sid = deliver('approved', ARGV[6])
  record('approve', {status = st, claimed_by = holder, text = mt},
    {status = 'approved', text = ARGV[6], delivery_id = sid})
  return {'ok', sid}
end
close('rejected', nil)
redis.call('HSET', item, 'reason', ARGV[6])
record('reject', {status = st, claimed_by = holder, text = mt}, {status = 'rejected', reason = ARGV[6]})
return {'ok'}
"""
)

_RELEASE = (
    _LUA_HEAD
    + """
local admin = ARGV[4] == '1'
if st ~= 'claimed' then return {'closed', st} end
local holder = get('claimed_by')
if holder ~= who and not admin then return {'conflict', holder, get('lease_until')} end
move('claimed', 'pending')
redis.call('HSET', item, 'status', 'pending', 'claimed_by', '', 'lease_until', '')
redis.call('ZREM', P .. 'leases', id)
record('release', {status = 'claimed', claimed_by = holder}, {status = 'pending'})
return {'ok'}
"""
)

# Run by the sweeper for items whose deadline passed; a no-op when an editor got there first.
_DEADLINE = (
    _LUA_HEAD
    + """
if st ~= 'pending' and st ~= 'claimed' then
  redis.call('ZREM', P .. 'deadlines', id)
  return {'closed', st}
end
if tonumber(get('deadline_ms')) > now then return {'not_due'} end
local holder = get('claimed_by') or ''
if get('on_deadline') == 'send_mt' then
  local mt = get('mt')
  close('sent_mt', mt)
  local sid = deliver('sent_mt', mt)
  record('send_mt', {status = st, claimed_by = holder}, {status = 'sent_mt', text = mt, delivery_id = sid})
  return {'ok', sid}
end
redis.call('ZREM', P .. 'deadlines', id)
redis.call('HSET', item, 'overdue', '1')
record('deadline_passed', {status = st}, {status = st, overdue = true})
return {'ok'}
"""
)

_LEASE_EXPIRED = (
    _LUA_HEAD
    + """
if st ~= 'claimed' then
  redis.call('ZREM', P .. 'leases', id)
  return {'closed', st}
end
if tonumber(get('lease_until')) > now then return {'not_due'} end
local holder = get('claimed_by')
move('claimed', 'pending')
redis.call('HSET', item, 'status', 'pending', 'claimed_by', '', 'lease_until', '')
redis.call('ZREM', P .. 'leases', id)
record('lease_expired', {status = 'claimed', claimed_by = holder}, {status = 'pending'})
return {'ok'}
"""
)


# Returns each item's hash as one JSON object: a page of 20 items is then 20 strings to parse
# instead of ~1,000 (the pure-Python RESP parser dominated listing time before this).
_FETCH = """
local out = {}
for _, key in ipairs(KEYS) do
  local flat = redis.call('HGETALL', key)
  if #flat > 0 then
    local obj = {}
    for j = 1, #flat, 2 do obj[flat[j]] = flat[j + 1] end
    out[#out + 1] = cjson.encode(obj)
  end
end
return out
"""


def _s(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class ReviewStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._claim = redis.register_script(_CLAIM)
        self._decide = redis.register_script(_DECIDE)
        self._release = redis.register_script(_RELEASE)
        self._deadline = redis.register_script(_DEADLINE)
        self._lease_expired = redis.register_script(_LEASE_EXPIRED)
        self._fetch = redis.register_script(_FETCH)

    async def _items(self, ids: Sequence[str]) -> list[ReviewItem]:
        if not ids:
            return []
        return [ReviewItem.from_hash(json.loads(raw)) for raw in await self._fetch(keys=[item_key(i) for i in ids])]

    async def create(self, new: NewItem, who: str, item_id: str | None = None) -> str:
        """Queue an item. A caller that may retry (a worker) passes its own `item_id`: an item that
        already exists under it is left as it is, so a retry never queues a second one."""
        if item_id is not None and await self.redis.exists(item_key(item_id)):
            return item_id
        item_id = item_id or "rv_" + secrets.token_hex(8)
        now_ms = int(time.time() * 1000)
        deadline_ms = now_ms + new.deadline_s * 1000
        pair = f"{new.source_lang}-{new.target_lang}"
        fields = {
            "id": item_id,
            "status": "pending",
            "brand": new.brand,
            "source_lang": new.source_lang,
            "target_lang": new.target_lang,
            "pair": pair,
            "conversation_id": new.conversation_id,
            "channel": new.channel or "",
            "direction": new.direction,
            "source": new.source,
            "mt": new.mt,
            "confidence": repr(new.confidence),
            "band": new.band,
            "engine": new.engine,
            "signals": json.dumps(list(new.signals)),
            "created_ms": now_ms,
            "deadline_ms": deadline_ms,
            "on_deadline": new.on_deadline,
            "callback_url": new.callback_url or "",
        }
        entry = {
            "at": now_ms / 1000,
            "who": who,
            "action": "create",
            "before": None,
            "after": {"status": "pending", "text": new.mt, "confidence": new.confidence},
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(item_key(item_id), mapping=fields)
            pipe.rpush(history_key(item_id), json.dumps(entry))
            for index in (ALL, OPEN_INDEX, status_key("pending"), brand_key(new.brand), pair_key(pair), DEADLINES):
                pipe.zadd(index, {item_id: deadline_ms})
            await pipe.execute()
        return item_id

    async def get(self, item_id: str) -> ReviewItem:
        found = await self._items([item_id])
        if not found:
            raise NotFound(f"no review item {item_id!r}")
        return found[0]

    async def brand_of(self, item_id: str) -> str | None:
        """The item's brand alone (None: no such item), to authorize before loading it."""
        raw = await self.redis.hget(item_key(item_id), "brand")
        return None if raw is None else _s(raw)

    async def history(self, item_id: str) -> list[dict]:
        return [json.loads(e) for e in await self.redis.lrange(history_key(item_id), 0, -1)]

    async def list(
        self,
        *,
        statuses: Sequence[str] = OPEN,
        brand: str | None = None,
        pair: str | None = None,
        allowed_pairs: Sequence[str] = (),
        allowed_brands: Sequence[str] | None = None,
        deadline_before: float | None = None,
        deadline_after: float | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """Most urgent first. allowed_pairs (an editor's restriction) hides every other pair;
        allowed_brands (the key's tenants; None: all) every other brand."""
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise InvalidInput(f"unknown status {unknown[0]!r}; use one of: {', '.join(STATUSES)}")
        if pair and allowed_pairs and pair not in allowed_pairs:
            return Page(0, [])
        if allowed_brands is not None:
            if brand and brand not in allowed_brands:
                return Page(0, [])
            if not allowed_brands:
                return Page(0, [])
        lo = "-inf" if deadline_after is None else _score(deadline_after)
        hi = "+inf" if deadline_before is None else _score(deadline_before)
        tmp = P + "tmp:" + secrets.token_hex(8)
        temps: list[str] = []

        def union(pipe, keys: list[str]) -> str:
            if len(keys) == 1:
                return keys[0]
            name = f"{tmp}:{len(temps)}"
            temps.append(name)
            pipe.zunionstore(name, keys, aggregate="MAX")
            return name

        # The whole read is one MULTI so the count and the page agree.
        async with self.redis.pipeline(transaction=True) as pipe:
            if not statuses:
                sets = [ALL]
            elif set(statuses) == set(OPEN):
                sets = [OPEN_INDEX]
            else:
                sets = [union(pipe, [status_key(s) for s in statuses])]
            if brand:
                sets.append(brand_key(brand))
            elif allowed_brands is not None:
                sets.append(union(pipe, [brand_key(b) for b in allowed_brands]))
            if pair:
                sets.append(pair_key(pair))
            elif allowed_pairs:
                sets.append(union(pipe, [pair_key(p) for p in allowed_pairs]))
            source = sets[0]
            if len(sets) > 1:
                source = f"{tmp}:i"
                temps.append(source)
                pipe.zinterstore(source, sets, aggregate="MAX")
            pipe.zcount(source, lo, hi)
            pipe.zrangebyscore(source, lo, hi, start=offset, num=limit)
            if temps:
                pipe.delete(*temps)
            results = await pipe.execute()
        offset_of_count = len(results) - (3 if temps else 2)
        total, ids = results[offset_of_count], results[offset_of_count + 1]
        return Page(int(total), await self._items([_s(i) for i in ids]))

    async def pairs(self) -> list[str]:
        """The language pairs that have items, e.g. to filter on one side of a pair."""
        prefix = P + "pair:"
        return sorted({_s(k)[len(prefix) :] async for k in self.redis.scan_iter(match=prefix + "*", count=1000)})

    async def _run(self, script, item_id: str, who: str, *extra: object) -> list[str]:
        out = await script(keys=[item_key(item_id)], args=[P, item_id, who, *extra])
        result = [_s(v) for v in out]
        if result[0] == "not_found":
            raise NotFound(f"no review item {item_id!r}")
        if result[0] == "conflict":
            until = max(0.0, int(result[2]) / 1000 - time.time())
            raise Conflict(f"review item {item_id} is claimed by {result[1]} for another {until:.0f} s")
        if result[0] == "closed":
            raise Conflict(f"review item {item_id} is already {result[1]}")
        if result[0] == "not_claimed":
            raise Conflict(f"claim review item {item_id} first (POST /v1/review/{item_id}/claim)")
        return result

    async def claim(self, item_id: str, who: str, lease_s: float) -> ReviewItem:
        await self._run(self._claim, item_id, who, int(lease_s * 1000))
        return await self.get(item_id)

    async def release(self, item_id: str, who: str, admin: bool) -> ReviewItem:
        await self._run(self._release, item_id, who, "1" if admin else "0")
        return await self.get(item_id)

    async def approve(self, item_id: str, who: str, admin: bool, text: str) -> ReviewItem:
        await self._run(self._decide, item_id, who, "1" if admin else "0", "approve", text)
        return await self.get(item_id)

    async def reject(self, item_id: str, who: str, admin: bool, reason: str) -> ReviewItem:
        await self._run(self._decide, item_id, who, "1" if admin else "0", "reject", reason)
        return await self.get(item_id)

    async def sweep(self, batch: int = 200) -> int:
        """Apply deadline policies and end expired leases; returns how many items changed."""
        now_ms = int(time.time() * 1000)
        changed = 0
        for index, script in ((DEADLINES, self._deadline), (LEASES, self._lease_expired)):
            for raw in await self.redis.zrangebyscore(index, "-inf", now_ms, start=0, num=batch):
                item_id = _s(raw)
                out = await script(keys=[item_key(item_id)], args=[P, item_id, "system"])
                if _s(out[0]) == "ok":
                    changed += 1
                elif _s(out[0]) == "not_found":
                    await self.redis.zrem(index, item_id)
        return changed
