"""`kind = "libretranslate"`: a LibreTranslate server (or anything speaking its API, such as another gateway).

All of a batch's texts go in one `POST /translate` with `q` as an array (the server answers an
array in `translatedText`); `format` is html for HTML, text otherwise. Language codes follow the
server's `/languages` (e.g. "zh-Hans" for Chinese) when pairs are "auto".
"""

from __future__ import annotations

import httpx

from models.base import Hypothesis, LanguagePair, TranslationRules
from models.config import EngineSpec
from models.errors import ConfigError, EngineFailure
from models.remote.base import RemoteEngine, api_key, explicit_pairs
from models.remote.http import send

MAX_TEXTS = 64  # per request; the server's own char limit still applies
SCORE = -0.2  # LibreTranslate reports no confidence; Argos models are weaker than DeepL's

# LibreTranslate's codes that differ from ours; codes it has and we cannot tell apart are skipped.
_FROM_SERVER = {"zh-hans": "zh", "zh": "zh", "pb": None, "zt": None, "zh-hant": None}


def from_server(code: str) -> str | None:
    c = code.lower()
    return _FROM_SERVER[c] if c in _FROM_SERVER else c.split("-")[0]


class LibreTranslateEngine(RemoteEngine):
    kind = "libretranslate"

    def __init__(
        self,
        spec: EngineSpec,
        pairs: frozenset[LanguagePair],
        client: httpx.Client,
        key: str | None,
        codes: dict[str, str],
    ) -> None:
        super().__init__(spec, pairs)
        self.client = client
        self._key = key
        self._codes = codes  # ours → the server's

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> LibreTranslateEngine:
        if not spec.base_url:
            raise ConfigError(f'engine {spec.name}: set base_url, e.g. "http://localhost:5000"')
        key = api_key(spec, required=False)
        client = httpx.Client(base_url=spec.base_url.rstrip("/"), headers=dict(spec.headers), timeout=spec.timeout_s)
        pairs = explicit_pairs(spec)
        codes: dict[str, str] = {}
        if pairs is None:
            try:
                listed = send(client, "GET", "/languages", "LibreTranslate").json()
            except Exception as exc:
                client.close()
                raise ConfigError(
                    f"engine {spec.name}: cannot list LibreTranslate's languages ({exc}); "
                    "list pairs in the engines file"
                ) from None
            found: set[LanguagePair] = set()
            for lang in listed:
                src = from_server(lang["code"])
                if src is None:
                    continue
                codes.setdefault(src, lang["code"])
                for t in lang.get("targets", []):
                    tgt = from_server(t)
                    if tgt is not None and tgt != src:
                        found.add(LanguagePair(src, tgt))
            pairs = frozenset(found)
        return cls(spec, pairs, client, key, codes)

    def _translate_remote(self, segments: list[str], pair: LanguagePair, rules: TranslationRules) -> list[Hypothesis]:
        chunks = [segments[i : i + MAX_TEXTS] for i in range(0, len(segments), MAX_TEXTS)]
        futures = [self._pool.submit(self._request, chunk, pair, rules) for chunk in chunks]
        return [Hypothesis(t, SCORE) for f in futures for t in f.result()]

    def _request(self, chunk: list[str], pair: LanguagePair, rules: TranslationRules) -> list[str]:
        body: dict = {
            "q": chunk,
            "source": self._codes.get(pair.source, pair.source),
            "target": self._codes.get(pair.target, pair.target),
            "format": "html" if rules.fmt == "html" else "text",
        }
        if self._key:
            body["api_key"] = self._key
        response = self.resilience.call(
            lambda: send(self.client, "POST", "/translate", "LibreTranslate", json=body), "translate"
        )
        try:
            out = response.json()["translatedText"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineFailure(
                f"engine {self.name}: LibreTranslate's answer has no translatedText: {response.text[:200]}"
            ) from exc
        if isinstance(out, str):
            out = [out]
        if not isinstance(out, list) or len(out) != len(chunk):
            raise EngineFailure(f"engine {self.name}: sent {len(chunk)} texts, LibreTranslate returned {len(out)}")
        return [str(t) for t in out]

    def close(self) -> None:
        super().close()
        self.client.close()
