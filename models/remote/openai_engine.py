"""`kind = "openai"`: any server speaking OpenAI's chat completions (vLLM, llama.cpp, Ollama, TGI, hosted APIs).

Each segment is one chat completion, sent with the official `openai` client (its own retries off:
models/remote/http.py retries, so every remote engine counts and backs off the same way). Up to
`max_concurrency` requests are in flight; the server batches them. With `logprobs`, the mean
token log-probability of the answer is the engine's score, like a neural engine's; a server that
returns none gets a neutral prior instead (below), never a false certainty.
"""

from __future__ import annotations

import logging
import math

import httpx
import openai

from models.base import Hypothesis, LanguagePair, TranslationRules
from models.config import EngineSpec
from models.errors import ConfigError, EngineFailure
from models.remote.base import RemoteEngine, api_key, explicit_pairs
from models.remote.http import RETRY_STATUSES, Transient, retry_after
from models.remote.prompt import clean_answer, messages
from models.remote.reviewer import Review, parse_review, review_messages

log = logging.getLogger(__name__)

# With no log-probabilities the engine vouches for nothing: 15 % doubt, the same as a middling neural score.
NO_LOGPROBS_SCORE = math.log(0.85)


class OpenAIEngine(RemoteEngine):
    kind = "openai"

    def __init__(self, spec: EngineSpec, pairs: frozenset[LanguagePair], client: openai.OpenAI) -> None:
        super().__init__(spec, pairs)
        self.client = client
        self.model = spec.model or ""
        self._logprobs = spec.logprobs

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> OpenAIEngine:
        if not spec.base_url:
            raise ConfigError(f'engine {spec.name}: set base_url, e.g. "http://localhost:8000/v1" (vLLM)')
        if not spec.model:
            raise ConfigError(f"engine {spec.name}: set model to the model name the server serves")
        pairs = explicit_pairs(spec)
        if pairs is None:
            raise ConfigError(
                f'engine {spec.name}: an LLM declares no languages; list its pairs, e.g. ["en-de", "de-en"]'
            )
        key = api_key(spec, required=False)
        http = httpx.Client(
            timeout=spec.timeout_s,
            limits=httpx.Limits(max_connections=spec.max_concurrency, max_keepalive_connections=spec.max_concurrency),
        )
        client = openai.OpenAI(
            base_url=spec.base_url,
            # Local servers (vLLM, Ollama, llama.cpp) take any key; the client insists on one.
            api_key=key or "none",
            default_headers=dict(spec.headers),
            timeout=spec.timeout_s,
            max_retries=0,
            http_client=http,
        )
        return cls(spec, pairs, client)

    def _translate_remote(self, segments: list[str], pair: LanguagePair, rules: TranslationRules) -> list[Hypothesis]:
        # Through the pool even for one segment: it is what caps the requests in flight.
        futures = [self._pool.submit(self._one, s, pair, rules) for s in segments]
        return [f.result() for f in futures]

    def _one(self, segment: str, pair: LanguagePair, rules: TranslationRules) -> Hypothesis:
        completion = self.resilience.call(lambda: self._complete(segment, pair, rules), "chat completion")
        if not completion.choices:
            raise EngineFailure(f"engine {self.name}: the server answered with no choices")
        choice = completion.choices[0]
        if choice.finish_reason == "content_filter":
            raise EngineFailure(f"engine {self.name}: the server's content filter withheld the answer")
        answer = clean_answer(choice.message.content, segment)
        notes = list(answer.notes)
        details: dict[str, float] = {}
        if choice.finish_reason == "length":
            notes.append("the answer was cut off at its token limit (raise max_length)")
            details["truncated"] = 1.0
        logprobs = [t.logprob for t in (choice.logprobs.content or [])] if choice.logprobs else []
        logprobs = [lp for lp in logprobs if lp is not None and math.isfinite(lp)]
        if logprobs:
            score = sum(logprobs) / len(logprobs)
            details.update(min_logprob=min(logprobs), tokens=float(len(logprobs)))
        else:
            score = NO_LOGPROBS_SCORE
        return Hypothesis(answer.text, score, details, tuple(notes))

    def review(self, source: str, translation: str, pair: LanguagePair) -> Review:
        """Blocking: the server's MQM-style judgement of a translation made anywhere (models/remote/reviewer.py)."""
        asked = review_messages(source, translation, pair)
        completion = self.resilience.call(lambda: self._create(asked, logprobs=False, max_tokens=512), "review")
        if not completion.choices:
            raise EngineFailure(f"engine {self.name}: the server answered the review with no choices")
        return parse_review(completion.choices[0].message.content)

    def _complete(self, segment: str, pair: LanguagePair, rules: TranslationRules):
        # A whole message can outgrow max_length: allow about twice its own length in tokens.
        budget = max(self.spec.max_length, len(segment) // 2 + 64)
        return self._create(messages(segment, pair, rules), self._logprobs, budget)

    def _create(self, asked: list[dict[str, str]], logprobs: bool, max_tokens: int):
        try:
            return self.client.chat.completions.create(
                model=self.model,
                messages=asked,  # type: ignore[arg-type]
                temperature=self.spec.temperature,
                max_tokens=max_tokens,
                logprobs=True if logprobs else openai.omit,  # null confuses some servers: leave it out
            )
        except openai.APIStatusError as exc:
            message = f"the server answered HTTP {exc.status_code}: {exc.message}"
            if exc.status_code in RETRY_STATUSES:
                raise Transient(message, retry_after(exc.response.headers)) from exc
            if exc.status_code == 400 and logprobs and "logprob" in str(exc.message).lower():
                # Some servers refuse the parameter outright: carry on without scores, from now on.
                log.warning("engine %s: the server refuses logprobs (%s); asking without them", self.name, exc.message)
                self._logprobs = False
                return self._create(asked, False, max_tokens)
            raise EngineFailure(f"engine {self.name}: {message}") from exc
        except openai.APITimeoutError as exc:
            raise Transient(f"no answer within {self.spec.timeout_s:g} s") from exc
        except openai.APIConnectionError as exc:
            raise Transient(f"cannot reach {self.spec.base_url}: {exc}") from exc

    def close(self) -> None:
        super().close()
        self.client.close()
