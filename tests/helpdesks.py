"""Fake helpdesks: real HTTP servers on 127.0.0.1 speaking the slice of each helpdesk's API that
Tonegate uses, so clients are tested over real sockets (no mocked httpx).

    desk = FakeHelpdesk("chatwoot", token="tok").start()
    ... ChatwootClient(desk.url, "tok") ...
    desk.messages("42")        # what was posted (Posted: id, text, internal, created_at, ...)
    desk.requests              # every request (Recorded: method, path, headers, json, status)
    desk.fail_with(503)        # answer 503 until up(); fail_with(429, times=1, retry_after="7")
    desk.slow(2.0)             # wait 2 s before every answer
    desk.stop(); desk.start()  # stop listening (connection refused), then listen again, same port
    desk.stop()

Endpoints, per kind (all check the helpdesk's own auth header and answer 401 otherwise):
- chatwoot: POST/GET /api/v1/accounts/{account}/conversations/{id}/messages (header api_access_token)
- zammad:   POST /api/v1/ticket_articles, GET /api/v1/ticket_articles/by_ticket/{id}
            (Authorization: Token token=...)
- zendesk:  PUT /api/v2/tickets/{id}.json, GET /api/v2/tickets/{id}/comments.json
            (Authorization: Bearer <token>, or Basic base64(<token>) for "email/token:X" tokens)
- generic:  POST / (Authorization: Bearer <token>); deduplicates on Idempotency-Key, as the
            generic contract asks of receivers. The real helpdesks ignore the header, and so do
            their fakes: a retried post lands twice there, which is what find_posted is for.

State is guarded by a lock: the server runs in its own thread and event loop, tests read it from
theirs.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.embedded_redis import free_port


@dataclass(frozen=True, slots=True)
class Posted:
    """A message stored by the fake, whether posted through its API or seeded by a test."""

    id: int
    conversation_id: str
    text: str
    internal: bool
    created_at: float  # unix seconds
    account_id: str | None = None
    article_type: str | None = None  # Zammad's article type ("note", "email"...)
    idempotency_key: str | None = None
    from_api: bool = True  # False for messages a test seeded with add_message()


@dataclass(frozen=True, slots=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    json: Any
    status: int  # what the fake answered


@dataclass
class _Fault:
    status: int
    remaining: int | None  # None: until up()
    retry_after: str | None
    body: str


@dataclass
class _State:
    posted: list[Posted] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    fault: _Fault | None = None
    delay_s: float = 0.0


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeHelpdesk:
    """One fake helpdesk of `kind` ("chatwoot", "zammad", "zendesk", "generic")."""

    def __init__(self, kind: str, *, token: str = "test-token", port: int | None = None) -> None:
        if kind not in ("chatwoot", "zammad", "zendesk", "generic"):
            raise ValueError(f"no fake for helpdesk kind {kind!r}")
        self.kind = kind
        self.token = token
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._state = _State()
        self._generation = 0  # bumped by reset(): a slow request from before must not leak into after
        self._ids = itertools.count(1001)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(routes=self._routes())

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> FakeHelpdesk:
        """Listen on `port` (again, after stop()); stored messages survive a restart."""
        if self._server is not None:
            return self
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"fake-{self.kind}", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError(f"the fake {self.kind} did not start on port {self.port}")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop listening: new connections are refused until start()."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> FakeHelpdesk:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- fault switches ---------------------------------------------------------------------

    def fail_with(
        self, status: int, *, times: int | None = None, retry_after: str | None = None, body: str | None = None
    ) -> None:
        """Answer `status` to the next `times` requests (every request until up() when None)."""
        with self._lock:
            self._state.fault = _Fault(status, times, retry_after, body or f'{{"error": "fake {status}"}}')

    def down(self) -> None:
        """Up but failing: 503 to everything (stop() is the other kind of down: nothing listening)."""
        self.fail_with(503, body='{"error": "Service Unavailable"}')

    def slow(self, seconds: float) -> None:
        with self._lock:
            self._state.delay_s = seconds

    def up(self) -> None:
        """Clear faults and delays (and listen again if stopped)."""
        with self._lock:
            self._state.fault = None
            self._state.delay_s = 0.0
        self.start()

    def reset(self) -> None:
        """Forget messages and requests, clear faults; keep the port."""
        with self._lock:
            self._state = _State()
            self._generation += 1
        self.start()

    # --- reading what happened --------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._state.requests)

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self._state.requests)

    def messages(self, conversation_id: str | None = None) -> list[Posted]:
        with self._lock:
            return [p for p in self._state.posted if conversation_id is None or p.conversation_id == conversation_id]

    def add_message(
        self,
        conversation_id: str,
        text: str,
        *,
        internal: bool = False,
        created_at: float | None = None,
        account_id: str | None = None,
    ) -> Posted:
        """Seed a message as if someone had written it in the helpdesk."""
        posted = Posted(
            next(self._ids),
            conversation_id,
            text,
            internal,
            time.time() if created_at is None else created_at,
            account_id=account_id,
            from_api=False,
        )
        with self._lock:
            self._state.posted.append(posted)
        return posted

    # --- HTTP -------------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        handlers = {
            "chatwoot": [
                Route(
                    "/api/v1/accounts/{account}/conversations/{conversation}/messages",
                    self._chatwoot,
                    methods=["GET", "POST"],
                ),
            ],
            "zammad": [
                Route("/api/v1/ticket_articles", self._zammad_post, methods=["POST"]),
                Route("/api/v1/ticket_articles/by_ticket/{ticket}", self._zammad_list, methods=["GET"]),
            ],
            "zendesk": [
                Route("/api/v2/tickets/{ticket}.json", self._zendesk_put, methods=["PUT"]),
                Route("/api/v2/tickets/{ticket}/comments.json", self._zendesk_list, methods=["GET"]),
            ],
            "generic": [Route("/", self._generic, methods=["POST"])],
        }
        return [Route(r.path, self._guarded(r.endpoint), methods=list(r.methods or ())) for r in handlers[self.kind]]

    def _authorized(self, request: Request) -> bool:
        if self.kind == "chatwoot":
            return request.headers.get("api_access_token") == self.token
        expected = {
            "zammad": {f"Token token={self.token}"},
            "zendesk": {f"Bearer {self.token}", "Basic " + base64.b64encode(self.token.encode()).decode()},
            "generic": {f"Bearer {self.token}"},
        }[self.kind]
        return request.headers.get("authorization") in expected

    def _guarded(self, endpoint: Any) -> Any:
        """Every request: recorded, delayed, failed on demand, authenticated, then served."""

        async def handle(request: Request) -> Response:
            raw = await request.body()
            try:
                body = await request.json() if raw else None
            except ValueError:
                body = None
            with self._lock:
                generation, delay, fault = self._generation, self._state.delay_s, self._state.fault
                if fault is not None and fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._state.fault = None
            if delay:
                await asyncio.sleep(delay)
                if generation != self._generation:  # the test that slowed us down is over
                    return Response(status_code=503)
            if fault is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                response: Response = Response(fault.body, fault.status, headers, media_type="application/json")
            elif not self._authorized(request):
                response = JSONResponse({"error": "You need to sign in or sign up before continuing."}, 401)
            else:
                response = await endpoint(request, body)
            with self._lock:
                self._state.requests.append(
                    Recorded(
                        request.method,
                        request.url.path,
                        request.url.query,
                        dict(request.headers),
                        body,
                        response.status_code,
                    )
                )
            return response

        return handle

    def _store(self, conversation_id: str, text: Any, internal: bool, request: Request, **extra: Any) -> Posted:
        posted = Posted(
            next(self._ids),
            conversation_id,
            str(text),
            internal,
            time.time(),
            idempotency_key=request.headers.get("idempotency-key"),
            **extra,
        )
        with self._lock:
            self._state.posted.append(posted)
        return posted

    # Chatwoot: messages API of an account's conversation
    async def _chatwoot(self, request: Request, body: Any) -> Response:
        account, conversation = request.path_params["account"], request.path_params["conversation"]
        if request.method == "GET":
            return JSONResponse(
                {
                    "meta": {},
                    "payload": [
                        self._chatwoot_message(p)
                        for p in self.messages(conversation)
                        if p.account_id in (None, account)
                    ],
                }
            )
        if not isinstance(body, dict) or not isinstance(body.get("content"), str):
            return JSONResponse({"error": "content is required"}, 422)
        posted = self._store(conversation, body["content"], bool(body.get("private")), request, account_id=account)
        return JSONResponse(self._chatwoot_message(posted))

    @staticmethod
    def _chatwoot_message(p: Posted) -> dict[str, Any]:
        return {
            "id": p.id,
            "content": p.text,
            "account_id": p.account_id,
            "conversation_id": p.conversation_id,
            "message_type": 1,
            "private": p.internal,
            "created_at": int(p.created_at),
            "content_type": "text",
        }

    # Zammad: ticket articles
    async def _zammad_post(self, request: Request, body: Any) -> Response:
        if not isinstance(body, dict) or "ticket_id" not in body or not isinstance(body.get("body"), str):
            return JSONResponse({"error": "Need ticket_id and body"}, 422)
        posted = self._store(
            str(body["ticket_id"]), body["body"], bool(body.get("internal")), request, article_type=body.get("type")
        )
        return JSONResponse(self._zammad_article(posted), 201)

    async def _zammad_list(self, request: Request, body: Any) -> Response:
        return JSONResponse([self._zammad_article(p) for p in self.messages(request.path_params["ticket"])])

    @staticmethod
    def _zammad_article(p: Posted) -> dict[str, Any]:
        return {
            "id": p.id,
            "ticket_id": int(p.conversation_id) if p.conversation_id.isdigit() else p.conversation_id,
            "body": p.text,
            "content_type": "text/plain",
            "internal": p.internal,
            "type": p.article_type or "note",
            "sender": "Agent",
            "created_at": _iso(p.created_at),
            "updated_at": _iso(p.created_at),
        }

    # Zendesk: ticket update with a comment, and the ticket's comments
    async def _zendesk_put(self, request: Request, body: Any) -> Response:
        ticket = request.path_params["ticket"]
        comment = body.get("ticket", {}).get("comment") if isinstance(body, dict) else None
        if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
            return JSONResponse({"error": "RecordInvalid", "description": "Record validation errors"}, 422)
        posted = self._store(ticket, comment["body"], not comment.get("public", True), request)
        return JSONResponse(
            {
                "ticket": {"id": int(ticket) if ticket.isdigit() else ticket, "updated_at": _iso(posted.created_at)},
                "audit": {
                    "id": posted.id + 500_000,
                    "ticket_id": ticket,
                    "created_at": _iso(posted.created_at),
                    "events": [
                        {"id": posted.id, "type": "Comment", "body": posted.text, "public": not posted.internal}
                    ],
                },
            }
        )

    async def _zendesk_list(self, request: Request, body: Any) -> Response:
        comments = [
            {
                "id": p.id,
                "type": "Comment",
                "body": p.text,
                "plain_body": p.text,
                "html_body": f"<p>{p.text}</p>",
                "public": not p.internal,
                "created_at": _iso(p.created_at).split(".")[0] + "Z",
            }
            for p in self.messages(request.path_params["ticket"])
        ]
        if request.query_params.get("sort_order") == "desc":
            comments.reverse()
        return JSONResponse({"comments": comments, "next_page": None, "previous_page": None, "count": len(comments)})

    # Generic: one POST endpoint, deduplicating on Idempotency-Key as the contract asks
    async def _generic(self, request: Request, body: Any) -> Response:
        if not isinstance(body, dict) or body.get("type") not in ("note", "reply") or not body.get("conversation_id"):
            return JSONResponse({"error": "type, conversation_id and text are required"}, 422)
        key = request.headers.get("idempotency-key")
        with self._lock:
            earlier = next((p for p in self._state.posted if key and p.idempotency_key == key), None)
        posted = earlier or self._store(
            str(body["conversation_id"]), body.get("text", ""), body["type"] == "note", request
        )
        return JSONResponse({"id": str(posted.id)}, 200 if earlier else 201)
