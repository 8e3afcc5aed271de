"""Sign-in sessions for the web app, kept server-side in Redis.

The browser holds only a random session id (HttpOnly, SameSite=Strict cookie). The session
stores the key's id and a CSRF token, never the API key itself; the key is loaded again on every
request, so a revoked key (or a changed role or pair list) takes effect at the next click.
Sessions slide: each request pushes the expiry SESSION_TTL_S further, but none outlives
SESSION_MAX_AGE_S (a queue page left open polls forever; the person signs in again each day).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from gateway.keys import ApiKey, KeyStore

SESSION_COOKIE = "tg_session"
SIGNIN_CSRF_COOKIE = "tg_signin"  # double-submit token for the sign-in form, before a session exists
SESSION_TTL_S = 8 * 3600
SESSION_MAX_AGE_S = 24 * 3600
_PREFIX = "tonegate:ui:session:"


@dataclass(slots=True)
class Session:
    id: str
    key_id: str
    role: str
    label: str
    csrf: str
    created_at: float
    flash: str = ""
    flash_kind: str = "ok"  # ok | error

    def record(self) -> str:
        data = asdict(self)
        del data["id"]
        return json.dumps(data)


class SessionStore:
    def __init__(self, redis: Redis, keys: KeyStore) -> None:
        self.redis = redis
        self.keys = keys

    async def create(self, key: ApiKey) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32),
            key_id=key.id,
            role=key.role.value,
            label=key.label,
            csrf=secrets.token_urlsafe(32),
            created_at=time.time(),
        )
        await self.redis.set(_PREFIX + session.id, session.record(), ex=SESSION_TTL_S)
        return session

    async def load(self, session_id: str) -> tuple[Session, ApiKey] | None:
        """The live session and its key as it is now; None (and the session ended) if the key is gone."""
        if not session_id or len(session_id) > 100:
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(_PREFIX + session_id)
            pipe.expire(_PREFIX + session_id, SESSION_TTL_S)
            raw, _ = await pipe.execute()
        if raw is None:
            return None
        session = Session(id=session_id, **json.loads(raw))
        key = await self.keys.get(session.key_id)
        if key is None or time.time() - session.created_at > SESSION_MAX_AGE_S:
            await self.end(session_id)
            return None
        return session, key

    async def save(self, session: Session) -> None:
        await self.redis.set(_PREFIX + session.id, session.record(), ex=SESSION_TTL_S)

    async def flash(self, session: Session, message: str, kind: str = "ok") -> None:
        """A one-time message for the next page (after a redirect)."""
        session.flash, session.flash_kind = message, kind
        await self.save(session)

    async def take_flash(self, session: Session) -> tuple[str, str] | None:
        if not session.flash:
            return None
        message, kind = session.flash, session.flash_kind
        session.flash, session.flash_kind = "", "ok"
        await self.save(session)
        return message, kind

    async def end(self, session_id: str) -> None:
        await self.redis.delete(_PREFIX + session_id)
