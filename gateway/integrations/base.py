"""What every helpdesk adapter provides, in the gateway's own terms.

An adapter turns one helpdesk's webhook into a `HelpdeskMessage` (or says why it needs no work),
and a `HelpdeskClient` posts notes and replies back through that helpdesk's API. Everything
above this line (intake, workers, retries) is the same for every helpdesk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Kind = Literal["chatwoot", "zammad", "zendesk", "generic"]
KINDS: tuple[str, ...] = ("chatwoot", "zammad", "zendesk", "generic")
Author = Literal["customer", "agent", "system"]


@dataclass(frozen=True, slots=True)
class Ref:
    """Where a message lives in the helpdesk: enough to post into the same conversation."""

    conversation_id: str  # Chatwoot: the display id; Zammad and Zendesk: the ticket id
    account_id: str | None = None  # Chatwoot only

    @property
    def key(self) -> str:
        """Unique within one integration (Chatwoot display ids repeat across accounts)."""
        return f"{self.account_id}:{self.conversation_id}" if self.account_id else self.conversation_id


@dataclass(frozen=True, slots=True)
class HelpdeskMessage:
    delivery_id: str  # deduplication key: the helpdesk's delivery id, else its message/event id
    message_id: str
    ref: Ref
    author: Author
    internal: bool  # a private/internal note, not visible to the customer
    text: str
    fmt: Literal["text", "html"] = "text"
    channel: str | None = None  # "chat", "email", ... where the helpdesk says
    agent_id: str | None = None  # who wrote it, when an agent did
    locale: str | None = None  # the customer's locale where the helpdesk knows it (browser language)
    tags: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ignored:
    """A webhook that was valid but needs no work (another event type, an empty message...)."""

    reason: str


class WebhookRejected(Exception):
    """The request is not a valid webhook: bad signature, stale timestamp, malformed body.

    `status` is the HTTP answer (401 for authentication, 400/422 for the body)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class DeliveryFailed(Exception):
    """Posting to the helpdesk failed. `retryable` is False when trying again cannot help
    (401/403/404/422: a wrong token or a deleted ticket), so the job goes to the dead letters."""

    def __init__(self, message: str, *, retryable: bool, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class HelpdeskClient(Protocol):
    """Posts into one helpdesk. Implementations raise DeliveryFailed, never httpx errors."""

    async def post_note(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        """An internal note agents see and customers do not; returns the helpdesk's id for it."""
        ...

    async def post_reply(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        """A public reply the customer receives; returns the helpdesk's id for it."""
        ...

    async def find_posted(self, ref: Ref, text: str, *, since: float) -> str | None:
        """The id of a message already in the conversation whose body contains `text`, posted at or
        after `since` (unix seconds), or None. Workers call it before retrying a post, so a crash
        between posting and recording the post never makes a second note. Helpdesks whose API
        cannot list messages return None and rely on the Idempotency-Key header."""
        ...

    async def aclose(self) -> None: ...
