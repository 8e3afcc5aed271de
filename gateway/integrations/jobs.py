"""Jobs in the Redis stream: what a worker must do for one helpdesk message, and the dead letters.

A job is a flat map of strings (stream entries are), built and read only here. Kinds:
- `inbound`: a customer message; post its translation as an internal note for the agent;
- `outbound`: an agent reply marked for translation; post it translated to the customer, or hold
  it for review;
- `reply`: an approved review item; post its final text to the customer.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, fields
from typing import Literal

from redis.asyncio import Redis

from gateway.contract import STREAM_ID
from gateway.errors import InvalidInput, NotFound
from gateway.integrations.base import Ref
from gateway.queues import DEAD, JOBS

JobKind = Literal["inbound", "outbound", "reply"]
SEEN = "tonegate:{jobs}:seen:"  # + integration:delivery id -> job id, kept DEDUPE_TTL_S
OWN = "own"  # the dedupe value a worker leaves for a message it posted itself
DEDUPE_TTL_S = 7 * 24 * 3600  # helpdesks retry for minutes; a week also covers a manual replay
_ENTRY_ID = re.compile(STREAM_ID)


@dataclass(frozen=True, slots=True)
class Job:
    kind: JobKind
    integration: str
    conversation_id: str
    account_id: str = ""
    message_id: str = ""
    text: str = ""
    fmt: str = "text"
    channel: str = ""
    agent_id: str = ""
    locale: str = ""
    received_at: float = 0.0
    review_id: str = ""  # reply: the approved item
    source_lang: str = ""
    target_lang: str = ""

    @property
    def ref(self) -> Ref:
        return Ref(self.conversation_id, self.account_id or None)

    @property
    def conversation_key(self) -> str:
        """The conversation across the gateway (language memory, review items)."""
        return f"{self.integration}/{self.ref.key}"

    def fields(self) -> dict[str, str]:
        # getattr, not asdict(): asdict deep-copies, and this runs for every webhook.
        values = ((f.name, getattr(self, f.name)) for f in fields(self))
        return {k: repr(v) if isinstance(v, float) else str(v) for k, v in values}

    @classmethod
    def from_fields(cls, raw: dict) -> Job:
        data = {_s(k): _s(v) for k, v in raw.items()}
        known = {f.name for f in fields(cls)}
        values: dict[str, object] = {k: v for k, v in data.items() if k in known}
        values["received_at"] = float(data.get("received_at") or 0.0)
        return cls(**values)  # type: ignore[arg-type]


def ref_from_conversation_key(key: str) -> tuple[str, Ref]:
    """Undo Job.conversation_key: (integration, ref)."""
    integration, _, rest = key.partition("/")
    account, sep, conversation = rest.partition(":")
    return integration, Ref(conversation, account) if sep else Ref(rest)


def _s(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


# Dedupe, enqueue and count in one step: a replayed webhook finds its key and is not queued again,
# a crash can never leave a key without its job (which would drop the helpdesk's retry as a
# repeat), and the whole intake is one write, so one fsync of the append-only file.
# KEYS: the stream, the integration's health hash, the dedupe keys. ARGV: TTL, queue limit, now,
# the OWN marker, then the job's fields.
_ENQUEUE = """
local function count(counter)
  redis.call('HINCRBY', KEYS[2], counter, 1)
  redis.call('HSET', KEYS[2], 'last_' .. counter .. '_at', ARGV[3])
end
for i = 3, #KEYS do
  local seen = redis.call('GET', KEYS[i])
  if seen then
    if seen == ARGV[4] then count('ignored') else count('duplicates') end
    return {'duplicate', seen}
  end
end
local limit = tonumber(ARGV[2])
if limit > 0 and redis.call('XLEN', KEYS[1]) >= limit then return {'full', ''} end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 5))
for i = 3, #KEYS do redis.call('SET', KEYS[i], id, 'EX', ARGV[1]) end
count('accepted')
return {'queued', id}
"""

# Re-drive: back to the work stream as a fresh job, gone from the dead letters, atomically.
_REDRIVE = """
local entry = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #entry == 0 then return false end
local f = entry[1][2]
local job = {}
for i = 1, #f, 2 do
  if string.sub(f[i], 1, 5) ~= 'dead_' then
    job[#job + 1] = f[i]
    job[#job + 1] = f[i + 1]
  end
end
local id = redis.call('XADD', KEYS[1], '*', unpack(job))
redis.call('XDEL', KEYS[2], ARGV[1])
return id
"""


@dataclass(frozen=True, slots=True)
class Enqueued:
    status: Literal["queued", "duplicate", "full"]
    job_id: str


class JobQueue:
    def __init__(self, redis: Redis, max_queued: int = 0) -> None:
        self.redis = redis
        self.max_queued = max_queued  # 0: unbounded
        self._enqueue = redis.register_script(_ENQUEUE)
        self._redrive = redis.register_script(_REDRIVE)

    async def enqueue(self, job: Job, dedupe: list[str], health: str) -> Enqueued:
        """Queue `job` unless a dedupe key was seen; counts the outcome in the `health` hash."""
        keys = [JOBS, health, *(f"{SEEN}{job.integration}:{d}" for d in dedupe)]
        args: list[str | int | float] = [DEDUPE_TTL_S, self.max_queued, repr(time.time()), OWN]
        for k, v in job.fields().items():
            args += [k, v]
        status, job_id = await self._enqueue(keys=keys, args=args)
        return Enqueued(_s(status), _s(job_id))  # type: ignore[arg-type]

    async def depth(self) -> int:
        return int(await self.redis.xlen(JOBS))

    # -- dead letters --------------------------------------------------------------------------

    async def dead_letters(
        self, *, integration: str | None = None, after: str | None = None, limit: int = 50
    ) -> tuple[list[dict], int]:
        """Oldest first, after a cursor; and how many dead letters there are in all."""
        _check_id(after, "after")
        start = "-" if not after else "(" + after
        out: list[dict] = []
        # Filtering happens here, so read in pages until the page is full or the stream ends.
        while len(out) < limit:
            entries = await self.redis.xrange(DEAD, min=start, max="+", count=max(limit, 100))
            if not entries:
                break
            for entry_id, raw in entries:
                letter = dead_letter(_s(entry_id), raw)
                if integration is None or letter["job"]["integration"] == integration:
                    out.append(letter)
                    if len(out) == limit:
                        break
            start = "(" + _s(entries[-1][0])
        return out, int(await self.redis.xlen(DEAD))

    async def redrive(self, entry_id: str) -> str:
        _check_id(entry_id, "id")
        new_id = await self._redrive(keys=[JOBS, DEAD], args=[entry_id])
        if not new_id:
            raise NotFound(f"no dead letter {entry_id}; GET /v1/deadletters lists them")
        return _s(new_id)

    async def redrive_all(self, integration: str | None = None) -> list[str]:
        letters, moved = [], []
        after = None
        while True:
            page, _ = await self.dead_letters(integration=integration, after=after, limit=500)
            if not page:
                break
            letters += page
            after = page[-1]["id"]
        for letter in letters:
            moved.append(await self.redrive(letter["id"]))
        return moved

    async def drop(self, entry_id: str) -> None:
        _check_id(entry_id, "id")
        if not await self.redis.xdel(DEAD, entry_id):
            raise NotFound(f"no dead letter {entry_id}; GET /v1/deadletters lists them")


def dead_letter(entry_id: str, raw: dict) -> dict:
    data = {_s(k): _s(v) for k, v in raw.items()}
    job = Job.from_fields({k: v for k, v in data.items() if not k.startswith("dead_")})
    return {
        "id": entry_id,
        "job": asdict(job),
        "error": data.get("dead_error", ""),
        "attempts": int(data.get("dead_attempts", "0")),
        "failed_at": float(data.get("dead_at", "0")),
        "original_id": data.get("dead_original_id", ""),
    }


def dead_fields(job: Job, entry_id: str, error: str, attempts: int) -> dict[str, str]:
    return {
        **job.fields(),
        "dead_error": error[:2000],
        "dead_attempts": str(attempts),
        "dead_at": repr(time.time()),
        "dead_original_id": entry_id,
    }


def _check_id(value: str | None, name: str) -> None:
    if value is not None and not _ENTRY_ID.fullmatch(value):
        raise InvalidInput(f"{name} must be an id returned by /v1/deadletters (like '1764000000000-0'), not {value!r}")
