"""Local HTTP servers that answer as vLLM, DeepL and LibreTranslate document their APIs.

Real servers on 127.0.0.1 (the engines under test speak real HTTP to them), with a toy
word-for-word English→Spanish translator behind them, so tests can see what came back. Each
server records the requests it got; the LLM one can be scripted per request (a status with
Retry-After, a slow answer, a preamble, a dropped placeholder) to show what a tiny model cannot.

Request and response shapes: vLLM's OpenAI-compatible server (`POST /v1/chat/completions`, with
`logprobs.content[].logprob` when asked), DeepL API v2 (`/v2/translate`, `/v2/languages`,
`/v2/glossaries`, `Authorization: DeepL-Auth-Key`), LibreTranslate (`/translate` with `q` a string
or an array, `/languages`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

WORDS_ES = {
    "hello": "hola",
    "your": "tu",
    "order": "pedido",
    "has": "ha",
    "been": "sido",
    "shipped": "enviado",
    "thanks": "gracias",
    "the": "el",
    "refund": "reembolso",
    "is": "está",
    "ready": "listo",
    "please": "por favor",
    "check": "revisa",
    "we": "nosotros",
    "sent": "enviamos",
    "a": "un",
    "voucher": "vale",
    "to": "a",
    "today": "hoy",
}
_TOKEN = re.compile(r"⟦\d+⟧|<[^>]+>|\w+|[^\w\s]|\s+")


WORDS_EN = {es: en for en, es in WORDS_ES.items() if " " not in es}


def toy_translate(text: str, formal: bool = False, glossary: dict[str, str] | None = None, target: str = "es") -> str:
    """Word for word (English → Spanish, or back with target "en"); placeholders, tags and unknown words stay."""
    for src, tgt in (glossary or {}).items():
        text = re.sub(rf"\b{re.escape(src)}\b", tgt, text, flags=re.I)
    words = WORDS_EN if target == "en" else WORDS_ES
    out = []
    for tok in _TOKEN.findall(text):
        low = tok.lower()
        if low == "your" and formal:
            word = "su"
        else:
            word = words.get(low, tok)
        out.append(word.capitalize() if tok[:1].isupper() and word != tok else word)
    return "".join(out)


class _Listener(ThreadingHTTPServer):
    request_queue_size = 256  # a burst of 32+ clients connecting at once (bench/llm_engine.py)


class _Server:
    """A ThreadingHTTPServer on a free port in a daemon thread; `handle(method, path, query, body, headers)`."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args) -> None:  # quiet test output
                pass

            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = self.headers.get("content-type", "")
                if "json" in ctype and raw:
                    body = json.loads(raw)
                elif raw:
                    body = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw.decode()).items()}
                else:
                    body = {}
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.requests.append({"method": self.command, "path": url.path, "body": body, "headers": headers})
                status, payload, extra = owner.handle(self.command, url.path, query, body, headers)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                if payload is not None:
                    self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _any

        self.httpd = _Listener(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def handle(self, method: str, path: str, query: dict, body: dict, headers: dict) -> tuple[int, object, dict]:
        raise NotImplementedError

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self, method: str | None = None) -> list[str]:
        return [r["path"] for r in self.requests if method is None or r["method"] == method]


@dataclass
class Reply:
    """One scripted answer of the LLM server; unset fields take the normal behaviour."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    content: str | None = None  # the answer's text instead of the toy translation
    transform: Callable[[str], str] | None = None  # applied to the toy translation
    logprobs: bool = True
    finish_reason: str = "stop"
    message: str = ""  # an error status's message


class FakeLLMServer(_Server):
    """An OpenAI-compatible chat server as vLLM documents it; `script` replies come first, in order."""

    def __init__(self, model: str = "tiny-llm", logprob: float = -0.05, port: int = 0) -> None:
        self.model = model
        self.logprob = logprob
        self.script: deque[Reply] = deque()
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold_s = 0.0  # every answer waits this long (to see concurrency)
        super().__init__(port)

    def chat_requests(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["path"] == "/v1/chat/completions"]

    def handle(self, method, path, query, body, headers):
        if path == "/v1/models":
            return 200, {"object": "list", "data": [{"id": self.model, "object": "model"}]}, {}
        if path != "/v1/chat/completions" or method != "POST":
            return 404, {"error": {"message": "not found"}}, {}
        with self._lock:
            reply = self.script.popleft() if self.script else Reply()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(max(reply.delay_s, self.hold_s))
            if reply.status != 200:
                text = reply.message or f"scripted {reply.status}"
                err = {"object": "error", "message": text, "type": "server", "code": reply.status}
                return reply.status, err, reply.headers
            if body.get("model") != self.model:
                return 404, {"object": "error", "message": f"The model `{body.get('model')}` does not exist."}, {}
            user = body["messages"][-1]["content"]
            system = body["messages"][0]["content"] if body["messages"][0]["role"] == "system" else ""
            # A well-behaved model: it follows the register and the term pairs it was given.
            formal = "formally" in system
            terms = dict(re.findall(r'"([^"]+)" → "([^"]+)"', system))
            into = re.search(r"into [^(]*\((\w+)\)", system)
            target = into.group(1) if into else "es"
            text = reply.content if reply.content is not None else toy_translate(user, formal, terms, target)
            if reply.transform:
                text = reply.transform(text)
            message = {"role": "assistant", "content": text}
            choice: dict = {"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}
            if body.get("logprobs") and reply.logprobs:
                tokens = re.findall(r"\S+\s*", text) or [text]
                choice["logprobs"] = {
                    "content": [
                        {"token": t, "logprob": self.logprob, "bytes": None, "top_logprobs": []} for t in tokens
                    ]
                }
            return (
                200,
                {
                    "id": f"chatcmpl-{uuid.uuid4().hex}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": self.model,
                    "choices": [choice],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                },
                {},
            )
        finally:
            with self._lock:
                self.in_flight -= 1


class FakeDeepLServer(_Server):
    """DeepL API v2: translate (JSON or form), languages, glossaries; auth by DeepL-Auth-Key."""

    def __init__(self, key: str = "secret:fx") -> None:
        self.key = key
        self.glossaries: dict[str, dict] = {}
        self.fail_next: deque[tuple[int, dict[str, str]]] = deque()
        super().__init__()

    def handle(self, method, path, query, body, headers):
        if headers.get("authorization") != f"DeepL-Auth-Key {self.key}":
            return 403, {"message": "Wrong endpoint or authorization key"}, {}
        if self.fail_next:
            status, extra = self.fail_next.popleft()
            return status, {"message": "Too many requests"}, extra
        if path == "/v2/languages":
            if query.get("type") == "target":
                codes = ["DE", "EN-GB", "EN-US", "ES", "FR", "PT-BR", "PT-PT"]
            else:
                codes = ["DE", "EN", "ES", "FR", "PT"]
            return 200, [{"language": c, "name": c} for c in codes], {}
        if path == "/v2/glossaries" and method == "POST":
            if {body.get("source_lang"), body.get("target_lang")} - {"en", "es", "de", "fr"}:
                return 400, {"message": "Unsupported glossary language pair"}, {}
            gid = str(uuid.uuid4())
            entries = dict(line.split("\t") for line in body["entries"].splitlines() if line)
            self.glossaries[gid] = {**body, "parsed": entries}
            return 201, {"glossary_id": gid, "ready": True, "name": body["name"], "entry_count": len(entries)}, {}
        if path.startswith("/v2/glossaries/") and method == "DELETE":
            return (204, None, {}) if self.glossaries.pop(path.rsplit("/", 1)[1], None) else (404, {"message": "x"}, {})
        if path == "/v2/translate" and method == "POST":
            texts = body["text"] if isinstance(body["text"], list) else [body["text"]]
            if not texts or len(texts) > 50:
                return 400, {"message": "Parameter 'text' must hold 1 to 50 texts"}, {}
            if body.get("target_lang") not in ("ES", "DE", "FR", "JA", "EN-US", "EN-GB", "PT-PT", "PT-BR"):
                return 400, {"message": f"Value for 'target_lang' not supported: {body.get('target_lang')}"}, {}
            glossary = None
            if body.get("glossary_id"):
                if body["glossary_id"] not in self.glossaries:
                    return 404, {"message": "Glossary not found"}, {}
                glossary = self.glossaries[body["glossary_id"]]["parsed"]
            formal = body.get("formality") in ("more", "prefer_more")
            target = body["target_lang"][:2].lower()
            source = body.get("source_lang") or "EN"
            out = [
                {"detected_source_language": source, "text": toy_translate(t, formal, glossary, target)} for t in texts
            ]
            return 200, {"translations": out}, {}
        return 404, {"message": "Not found"}, {}


class FakeLibreTranslateServer(_Server):
    """LibreTranslate: /translate (q a string or an array; api_key when required) and /languages."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        super().__init__()

    def handle(self, method, path, query, body, headers):
        if path == "/languages":
            return (
                200,
                [
                    {"code": "en", "name": "English", "targets": ["es", "zh-Hans", "pb"]},
                    {"code": "es", "name": "Spanish", "targets": ["en"]},
                    {"code": "zh-Hans", "name": "Chinese", "targets": ["en"]},
                    {"code": "pb", "name": "Portuguese (Brazil)", "targets": ["en"]},
                ],
                {},
            )
        if path == "/translate" and method == "POST":
            if self.api_key and body.get("api_key") != self.api_key:
                return 403, {"error": "Invalid API key"}, {}
            for name in ("q", "source", "target"):
                if not body.get(name):
                    return 400, {"error": f"Invalid request: missing {name} parameter"}, {}
            q = body["q"]
            if isinstance(q, list):
                return 200, {"translatedText": [toy_translate(t) for t in q]}, {}
            return 200, {"translatedText": toy_translate(q)}, {}
        return 404, {"error": "Not Found"}, {}
