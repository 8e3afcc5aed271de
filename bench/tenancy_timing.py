"""Do the 404s a key of brand A gets tell, by their timing, whether brand B's thing exists?

Starts a redis-server and `tonegate serve` on free ports, creates brands A and B (a glossary entry
and a review item in B), and a helpdesk, an editor and a brand admin key of A. Then, interleaving
the two so drift hits both alike, it times N requests for B's real brand, review item and
integration against N for ones that do not exist, and reports the medians, the difference and a
Mann-Whitney U p-value (no difference: p well above 0.05).

    python bench/tenancy_timing.py --quick   # 300 pairs per route
    python bench/tenancy_timing.py           # 2,000 pairs per route
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from review_ops import ADMIN_KEY, start_gateway  # noqa: E402

from gateway.embedded_redis import EmbeddedRedis  # noqa: E402


def mann_whitney_p(x: list[float], y: list[float]) -> float:
    """Two-sided p of the U test, normal approximation (fine at these sizes), ties averaged."""
    ranked = sorted([(v, 0) for v in x] + [(v, 1) for v in y])
    ranks = [0.0] * len(ranked)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, ranked, strict=True) if g == 0)
    n1, n2 = len(x), len(y)
    u = r1 - n1 * (n1 + 1) / 2
    mu, sigma = n1 * n2 / 2, (n1 * n2 * (n1 + n2 + 1) / 12) ** 0.5
    z = abs(u - mu) / sigma
    return 2 * (1 - statistics.NormalDist().cdf(z))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 300 if args.quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        redis.start()
        proc, base = start_gateway(redis.url, str(Path(tmp) / "data"))
        try:
            admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60)
            rules = {"outbound": {"chat": {"below": 1.0, "deadline_s": 600, "on_deadline": "hold"}}}
            for brand in ("bench-a", "bench-b"):
                admin.put(f"/v1/brands/{brand}", json={"languages": ["en", "es"], "review": rules}).raise_for_status()
            admin.post("/v1/brands/bench-b/glossary", json={"kind": "dnt", "source": "Zorblax"}).raise_for_status()
            held = admin.post(
                "/v1/translate",
                json={"text": "Your zorblax order has shipped.", "source_lang": "en", "target_lang": "es",
                      "brand": "bench-b", "direction": "outbound", "channel": "chat", "conversation_id": "c1"},
            )  # fmt: skip
            item_b = held.json()["translations"][0]["review_id"]
            admin.post(
                "/v1/integrations",
                json={"name": "desk-b", "kind": "chatwoot", "base_url": "https://x.example", "brand": "bench-b",
                      "api_token": "t0ken-secret-123", "webhook_secret": "whsec-0123456789abcdef"},
            ).raise_for_status()  # fmt: skip
            key = admin.post("/v1/keys", json={"role": "admin", "brands": ["bench-a"]}).json()["key"]
            a = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60)
            routes = {
                "glossary": ("/v1/brands/bench-b/glossary", "/v1/brands/bench-z/glossary"),
                "review_item": (f"/v1/review/{item_b}", "/v1/review/rv_000000000000000000000000"),
                "brand": ("/v1/brands/bench-b", "/v1/brands/bench-z"),
                "integration": ("/v1/integrations/desk-b", "/v1/integrations/desk-z"),
            }
            results = {}
            for name, (real, missing) in routes.items():
                for _ in range(50):  # warm-up
                    a.get(real), a.get(missing)
                times: dict[str, list[float]] = {"real": [], "missing": []}
                for i in range(n):
                    order = (("real", real), ("missing", missing)) if i % 2 else (("missing", missing), ("real", real))
                    for label, url in order:
                        t0 = time.perf_counter()
                        r = a.get(url)
                        times[label].append((time.perf_counter() - t0) * 1000)
                        assert r.status_code == 404, (url, r.status_code)
                results[name] = {
                    "exists_p50_ms": round(statistics.median(times["real"]), 3),
                    "missing_p50_ms": round(statistics.median(times["missing"]), 3),
                    "diff_ms": round(statistics.median(times["real"]) - statistics.median(times["missing"]), 3),
                    "mann_whitney_p": round(mann_whitney_p(times["real"], times["missing"]), 3),
                }
                print(f"{name:12s} {results[name]}", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            redis.stop()
    print(json.dumps({"bench": "tenancy_timing", "pairs_per_route": n, "routes": results}))


if __name__ == "__main__":
    main()
