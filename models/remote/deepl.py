"""`kind = "deepl"`: the DeepL API v2 (free, pro, or any server that speaks it, such as another gateway).

Texts go in arrays of up to 50 per request with `tag_handling=html`: masked spans travel as
`<span translate="no">` elements DeepL leaves alone, and the text is HTML-escaped on the way out
and unescaped on the way back. The register becomes `formality` (prefer_more / prefer_less, which
languages without formality ignore instead of refusing). The brand's term list for the pair
becomes a DeepL glossary, created once per glossary version and replaced when the version changes.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from dataclasses import dataclass

import httpx

from models.base import PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, Hypothesis, LanguagePair, TermPair, TranslationRules
from models.config import EngineSpec
from models.errors import ConfigError, EngineFailure
from models.remote.base import RemoteEngine, api_key, explicit_pairs
from models.remote.http import send

FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"
MAX_TEXTS = 50  # DeepL's limit per request
# DeepL's own mark of confidence does not exist; a professional engine's typical doubt stands in.
SCORE = -0.1

# Target codes DeepL wants with a variant; sources take the bare language.
_TARGET_VARIANT = {"en": "EN-US", "pt": "PT-PT", "zh": "ZH-HANS"}
_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_OPEN) + r"(\d+)" + re.escape(PLACEHOLDER_CLOSE))
_WRAPPED = re.compile(
    r'<span translate="no">\s*' + re.escape(PLACEHOLDER_OPEN) + r"(\d+)" + re.escape(PLACEHOLDER_CLOSE) + r"\s*</span>"
)


def to_deepl(code: str, target: bool) -> str:
    return _TARGET_VARIANT.get(code, code.upper()) if target else code.upper()


def from_deepl(code: str) -> str:
    """EN-GB, EN-US → en; PT-BR → pt; ZH-HANS → zh."""
    return code.split("-")[0].lower()


def _to_html(segment: str) -> str:
    escaped = html.escape(segment, quote=False)
    return _PLACEHOLDER.sub(lambda m: f'<span translate="no">{m.group(0)}</span>', escaped)


def _from_html(text: str) -> str:
    return html.unescape(_WRAPPED.sub(lambda m: f"{PLACEHOLDER_OPEN}{m.group(1)}{PLACEHOLDER_CLOSE}", text))


@dataclass(frozen=True, slots=True)
class _Glossary:
    digest: str
    glossary_id: str | None  # None: DeepL refused it (the note says why); not retried for this version
    problem: str = ""


class DeepLEngine(RemoteEngine):
    kind = "deepl"

    def __init__(self, spec: EngineSpec, pairs: frozenset[LanguagePair], client: httpx.Client) -> None:
        super().__init__(spec, pairs)
        self.client = client
        self._glossaries: dict[tuple[str, str, str], _Glossary] = {}
        self._glossary_lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> DeepLEngine:
        custom = spec.base_url not in (None, "free", "pro")
        key = api_key(spec, required=not custom)
        if spec.base_url == "free" or (spec.base_url is None and key and key.endswith(":fx")):
            base = FREE_URL
        elif spec.base_url in (None, "pro"):
            base = PRO_URL
        else:
            base = str(spec.base_url).rstrip("/")
        headers = {**spec.headers, **({"Authorization": f"DeepL-Auth-Key {key}"} if key else {})}
        client = httpx.Client(base_url=base, headers=headers, timeout=spec.timeout_s)
        pairs = explicit_pairs(spec)
        if pairs is None:
            try:
                pairs = cls._server_pairs(client, spec.name)
            except Exception:
                client.close()
                raise
        return cls(spec, pairs, client)

    @staticmethod
    def _server_pairs(client: httpx.Client, name: str) -> frozenset[LanguagePair]:
        try:
            sources = send(client, "GET", "/v2/languages", "DeepL", params={"type": "source"}).json()
            targets = send(client, "GET", "/v2/languages", "DeepL", params={"type": "target"}).json()
        except Exception as exc:
            raise ConfigError(
                f"engine {name}: cannot list DeepL's languages ({exc}); list pairs in the engines file"
            ) from None
        src = {from_deepl(x["language"]) for x in sources}
        tgt = {from_deepl(x["language"]) for x in targets}
        return frozenset(LanguagePair(s, t) for s in src for t in tgt if s != t)

    def _translate_remote(self, segments: list[str], pair: LanguagePair, rules: TranslationRules) -> list[Hypothesis]:
        glossary = self._glossary(pair, rules)
        body: dict = {"source_lang": to_deepl(pair.source, False), "target_lang": to_deepl(pair.target, True)}
        body["tag_handling"] = "html"
        if rules.register:
            body["formality"] = "prefer_more" if rules.register == "formal" else "prefer_less"
        if glossary.glossary_id:
            body["glossary_id"] = glossary.glossary_id
        if rules.context:
            body["context"] = "\n".join(rules.context[-6:])
        notes = (f"DeepL glossary not used: {glossary.problem}",) if glossary.problem else ()
        chunks = [segments[i : i + MAX_TEXTS] for i in range(0, len(segments), MAX_TEXTS)]
        futures = [self._pool.submit(self._request, chunk, body) for chunk in chunks]
        texts = [t for f in futures for t in f.result()]
        return [Hypothesis(t, SCORE, {}, notes) for t in texts]

    def _request(self, chunk: list[str], body: dict) -> list[str]:
        payload = {**body, "text": [_to_html(s) for s in chunk]}
        response = self.resilience.call(
            lambda: send(self.client, "POST", "/v2/translate", "DeepL", json=payload), "translate"
        )
        try:
            out = [_from_html(t["text"]) for t in response.json()["translations"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineFailure(
                f"engine {self.name}: DeepL's answer is not a translation list: {response.text[:200]}"
            ) from exc
        if len(out) != len(chunk):
            raise EngineFailure(f"engine {self.name}: sent {len(chunk)} texts, DeepL returned {len(out)}")
        return out

    # --- glossaries ---------------------------------------------------------------------------

    def _glossary(self, pair: LanguagePair, rules: TranslationRules) -> _Glossary:
        """The DeepL glossary for this term list, created on first use; the previous version's is deleted."""
        entries = _entries(rules.glossary)
        if not entries:
            return _Glossary("", None)
        digest = hashlib.sha256(f"{rules.glossary_version}\n{entries}".encode()).hexdigest()[:16]
        key = (rules.glossary_key, pair.source, pair.target)
        with self._glossary_lock:  # one creation per version, however many callers arrive at once
            known = self._glossaries.get(key)
            if known is not None and known.digest == digest:
                return known
            made = self._create_glossary(pair, rules, entries, digest)
            self._glossaries[key] = made
        if known is not None and known.glossary_id:
            try:
                send(self.client, "DELETE", f"/v2/glossaries/{known.glossary_id}", "DeepL")
            except Exception:  # an old glossary left behind costs a slot, not a translation
                pass
        return made

    def _create_glossary(self, pair: LanguagePair, rules: TranslationRules, entries: str, digest: str) -> _Glossary:
        body = {
            "name": f"tonegate {rules.glossary_key or 'terms'} {pair} v{rules.glossary_version or digest}",
            "source_lang": pair.source,
            "target_lang": pair.target,
            "entries": entries,
            "entries_format": "tsv",
        }
        try:
            response = self.resilience.call(
                lambda: send(self.client, "POST", "/v2/glossaries", "DeepL", json=body), "create glossary"
            )
            return _Glossary(digest, str(response.json()["glossary_id"]))
        except EngineFailure as exc:
            return _Glossary(digest, None, str(exc))
        except (ValueError, KeyError, TypeError):
            return _Glossary(digest, None, "DeepL's answer had no glossary_id")

    def close(self) -> None:
        super().close()
        self.client.close()


def _entries(terms: tuple[TermPair, ...]) -> str:
    """TSV entries DeepL accepts: no tabs or newlines inside, one entry per source."""
    seen: dict[str, str] = {}
    for t in terms:
        s, tgt = t.source.strip(), t.target.strip()
        if s and tgt and not any(c in s + tgt for c in "\t\r\n") and s not in seen:
            seen[s] = tgt
    return "\n".join(f"{s}\t{t}" for s, t in sorted(seen.items()))
