"""The last confidently detected language of each conversation, so "ok" or "thanks!!" can't flip it."""

from __future__ import annotations

from redis.asyncio import Redis

_KEY = "tonegate:conversation:{}:lang"
_TTL_S = 60 * 60 * 24 * 30  # a month: long enough for an e-mail thread that comes back


class ConversationLanguages:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, conversation_id: str) -> str | None:
        raw = await self.redis.get(_KEY.format(conversation_id))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def remember(self, conversation_id: str, lang: str) -> None:
        await self.redis.set(_KEY.format(conversation_id), lang, ex=_TTL_S)
