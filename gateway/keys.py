"""API keys: shown once, stored as SHA-256 digests in Redis, each with a role and its brands.

A key's `brands` are the tenants it may see: None means every brand (keys made before brands were
scoped keep working that way), a tuple means those brands only. An admin key scoped to brands is a
brand admin: it manages those brands' glossaries, tone, integrations and keys, and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass
from enum import StrEnum

from redis.asyncio import Redis

_KEY_PREFIX = "tg"
_REDIS_KEY = "tonegate:apikey:"
_REDIS_INDEX = "tonegate:apikeys"


class Role(StrEnum):
    helpdesk = "helpdesk"
    editor = "editor"
    admin = "admin"

    def allows(self, needed: Role) -> bool:
        """helpdesk ⊂ editor ⊂ admin: a role may do everything the roles below it may."""
        order = [Role.helpdesk, Role.editor, Role.admin]
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    role: Role
    label: str
    created_at: float
    created_by: str
    # Language pairs ("en-es") an editor may review; empty = every pair.
    pairs: tuple[str, ...] = ()
    # The brand whose glossary and tone apply when a caller names none (the drop-in LibreTranslate
    # and DeepL APIs have no brand field); None: no brand.
    brand: str | None = None
    # The brands this key may see (its tenants); None: every brand.
    brands: tuple[str, ...] | None = None
    # Unix seconds after which the key no longer authenticates; None: it never expires.
    expires_at: float | None = None

    def may_review(self, pair: str) -> bool:
        return self.role == Role.admin or not self.pairs or pair in self.pairs

    @property
    def all_brands(self) -> bool:
        return self.brands is None

    @property
    def is_global_admin(self) -> bool:
        return self.role == Role.admin and self.brands is None

    def sees(self, brand: str | None) -> bool:
        """May this key see the brand's data? (Data of no brand is visible to all-brands keys only.)"""
        return self.brands is None or (brand is not None and brand in self.brands)

    def covers(self, other: ApiKey) -> bool:
        """May this (admin) key manage the other key: every brand of the other is one of its own."""
        if self.brands is None:
            return True
        return other.brands is not None and set(other.brands) <= set(self.brands)

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and (now if now is not None else time.time()) >= self.expires_at


def normalize_pair(pair: str) -> str:
    """'EN-es' -> 'en-es'; raises ValueError naming the expected form."""
    from models.errors import UnknownLanguage
    from models.langcodes import normalize

    source, sep, target = pair.strip().partition("-")
    if not sep or not source or not target:
        raise ValueError(f"language pair {pair!r} must look like 'en-es' (source-target)")
    try:
        return f"{normalize(source)}-{normalize(target)}"
    except UnknownLanguage as exc:
        raise ValueError(str(exc)) from None


BOOTSTRAP_ID = "bootstrap"


def _bootstrap_key() -> ApiKey:
    return ApiKey(id=BOOTSTRAP_ID, role=Role.admin, label="TONEGATE_ADMIN_KEY", created_at=0, created_by="settings")


def _digest(token: str) -> str:
    # Keys carry 190+ bits of randomness, so a fast hash is safe (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


class KeyStore:
    def __init__(self, redis: Redis, bootstrap_admin_key: str | None = None) -> None:
        self.redis = redis
        self._bootstrap = _digest(bootstrap_admin_key) if bootstrap_admin_key else None

    async def create(
        self,
        role: Role,
        label: str = "",
        created_by: str = "cli",
        pairs: tuple[str, ...] = (),
        brand: str | None = None,
        brands: tuple[str, ...] | None = None,
        expires_at: float | None = None,
    ) -> tuple[ApiKey, str]:
        key_id = secrets.token_hex(6)
        token = f"{_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            id=key_id,
            role=role,
            label=label,
            created_at=time.time(),
            created_by=created_by,
            pairs=tuple(pairs),
            brand=brand,
            brands=None if brands is None else tuple(dict.fromkeys(brands)),
            expires_at=expires_at,
        )
        record = {
            **asdict(key),
            "role": role.value,
            "pairs": list(key.pairs),
            "brands": None if key.brands is None else list(key.brands),
            "digest": _digest(token),
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_REDIS_KEY + key_id, json.dumps(record))
            pipe.sadd(_REDIS_INDEX, key_id)
            await pipe.execute()
        return key, token

    async def expire(self, key_id: str, at: float) -> ApiKey | None:
        """Set (or bring forward) the key's expiry, e.g. the grace period of a rotation."""
        raw = await self.redis.get(_REDIS_KEY + key_id)
        if raw is None:
            return None
        record = json.loads(raw)
        current = record.get("expires_at")
        record["expires_at"] = at if current is None else min(current, at)
        await self.redis.set(_REDIS_KEY + key_id, json.dumps(record))
        return self._load(json.dumps(record))

    async def set_brands(self, key_id: str, brands: tuple[str, ...] | None) -> ApiKey | None:
        """Narrow (or widen) a stored key's brands in place: the token stays the same."""
        raw = await self.redis.get(_REDIS_KEY + key_id)
        if raw is None:
            return None
        record = json.loads(raw)
        record["brands"] = None if brands is None else list(dict.fromkeys(brands))
        if record.get("brand") and brands is not None and record["brand"] not in brands:
            raise ValueError(f"the key's default brand {record['brand']!r} must stay among its brands")
        await self.redis.set(_REDIS_KEY + key_id, json.dumps(record))
        return self._load(json.dumps(record))

    async def revoke(self, key_id: str) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(_REDIS_KEY + key_id)
            pipe.srem(_REDIS_INDEX, key_id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def list(self) -> list[ApiKey]:
        ids = sorted(k.decode() if isinstance(k, bytes) else k for k in await self.redis.smembers(_REDIS_INDEX))
        records = await self.redis.mget([_REDIS_KEY + i for i in ids]) if ids else []
        return [self._load(r) for r in records if r]

    async def count(self, role: Role | None = None) -> int:
        return sum(1 for k in await self.list() if role is None or k.role == role)

    async def get(self, key_id: str, *, live: bool = True) -> ApiKey | None:
        """The key as it is now (None once revoked, or expired when `live`); "bootstrap" is
        TONEGATE_ADMIN_KEY while configured."""
        if key_id == BOOTSTRAP_ID:
            return _bootstrap_key() if self._bootstrap else None
        raw = await self.redis.get(_REDIS_KEY + key_id)
        if not raw:
            return None
        key = self._load(raw)
        return None if live and key.expired() else key

    async def authenticate(self, token: str) -> ApiKey | None:
        digest = _digest(token)
        if self._bootstrap and hmac.compare_digest(digest, self._bootstrap):
            return _bootstrap_key()
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != _KEY_PREFIX:
            return None
        raw = await self.redis.get(_REDIS_KEY + parts[1])
        if raw is None:
            return None
        record = json.loads(raw)
        if not hmac.compare_digest(digest, record["digest"]):
            return None
        key = self._load(raw)
        return None if key.expired() else key

    async def ensure_admin(self) -> str | None:
        """Create the first admin key when none exists; returns the token to show once, or None."""
        if self._bootstrap:
            return None
        # SET NX makes this safe when several API processes start at once against one Redis.
        if not await self.redis.set("tonegate:admin-bootstrapped", "1", nx=True):
            return None
        if await self.count(Role.admin):
            return None
        _, token = await self.create(Role.admin, label="first admin key", created_by="first start")
        return token

    @staticmethod
    def _load(raw: bytes | str) -> ApiKey:
        r = json.loads(raw)
        return ApiKey(
            id=r["id"],
            role=Role(r["role"]),
            label=r["label"],
            created_at=r["created_at"],
            created_by=r["created_by"],
            pairs=tuple(r.get("pairs", ())),
            brand=r.get("brand"),
            brands=None if r.get("brands") is None else tuple(r["brands"]),
            expires_at=r.get("expires_at"),
        )
