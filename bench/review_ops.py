"""Review-queue operations per second with 50 concurrent editors, through the live gateway.

Starts a redis-server and `tonegate serve` (one process) on free ports, seeds the queue directly
through gateway.review.ReviewStore (no machine translation: this measures the queue, not the
engines), creates one editor key per editor, then runs N asyncio editors with httpx. Each editor
loops: list the open items (GET /v1/review, 20 per page, most urgent first), pick one at random,
claim it, and approve it when the claim wins (a 409 counts as an operation: it is real work for
the queue). It stops when the queue is empty, then checks that every item was approved once and
has exactly one outbox entry. `--store` runs the same loop against ReviewStore directly
(no HTTP), to show what Redis itself allows.

    python bench/review_ops.py --quick      # 2,000 items, 50 editors (~1 minute)
    python bench/review_ops.py              # 10,000 items
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from gateway.keys import KeyStore, Role  # noqa: E402
from gateway.review import OUTBOX, NewItem, ReviewStore, status_key  # noqa: E402

ADMIN_KEY = "bench-admin-key-0123456789abcdef"
PAIRS = [("en", "es"), ("en", "fr"), ("es", "en"), ("fr", "en")]


async def seed(store: ReviewStore, n: int) -> None:
    async def one(i: int) -> None:
        source, target = PAIRS[i % len(PAIRS)]
        await store.create(
            NewItem(
                brand=f"brand{i % 5}",
                source_lang=source,
                target_lang=target,
                conversation_id=f"conv-{i}",
                channel="email",
                direction="outbound",
                source=f"Your order #{i} has shipped and will arrive on Monday.",
                mt=f"Su pedido #{i} ha sido enviado y llegará el lunes.",
                confidence=0.55,
                band="weak",
                engine="apertium:en-es",
                signals=[{"name": "unknown_words", "detail": "1 of 10 words were unknown"}],
                deadline_s=86400 + i,
                on_deadline="hold",
            ),
            who="bench",
        )

    for start in range(0, n, 100):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 100))))


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.conflicts = 0
        self.approved = 0

    def add(self, op: str, seconds: float) -> None:
        self.latency[op].append(seconds)


async def http_editor(base: str, token: str, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        while True:
            t = time.perf_counter()
            r = await c.get("/v1/review", params={"limit": 20, "status": "pending"})
            tally.add("list", time.perf_counter() - t)
            r.raise_for_status()
            items = r.json()["items"]
            if not items:
                return
            rid = random.choice(items)["id"]
            t = time.perf_counter()
            r = await c.post(f"/v1/review/{rid}/claim")
            tally.add("claim", time.perf_counter() - t)
            if r.status_code == 409:
                tally.conflicts += 1
                continue
            r.raise_for_status()
            t = time.perf_counter()
            r = await c.post(f"/v1/review/{rid}/approve", json={"text": "Su pedido ha sido enviado."})
            tally.add("approve", time.perf_counter() - t)
            r.raise_for_status()
            tally.approved += 1


async def store_editor(store: ReviewStore, who: str, tally: Tally) -> None:
    from gateway.errors import Conflict

    while True:
        t = time.perf_counter()
        page = await store.list(statuses=["pending"], limit=20)
        tally.add("list", time.perf_counter() - t)
        if not page.items:
            return
        rid = random.choice(page.items).id
        t = time.perf_counter()
        try:
            await store.claim(rid, who, 300)
        except Conflict:
            tally.conflicts += 1
            continue
        finally:
            tally.add("claim", time.perf_counter() - t)
        t = time.perf_counter()
        await store.approve(rid, who, False, "Su pedido ha sido enviado.")
        tally.add("approve", time.perf_counter() - t)
        tally.approved += 1


def start_gateway(redis_url: str, data_dir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "TONEGATE_REDIS_URL": redis_url,
        "TONEGATE_DATA_DIR": data_dir,
        "TONEGATE_ADMIN_KEY": ADMIN_KEY,
        "TONEGATE_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.terminate()
            raise SystemExit("the gateway did not start")
        time.sleep(0.2)


def ms(v: float) -> float:
    return round(v * 1000, 2)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench(redis_url: str, items: int, editors: int, base: str | None) -> dict:
    redis = Redis.from_url(redis_url, max_connections=200)
    store = ReviewStore(redis)
    await redis.flushall()
    t = time.perf_counter()
    await seed(store, items)
    seed_s = time.perf_counter() - t
    tally = Tally()
    if base:
        keys = KeyStore(redis)
        tokens = [(await keys.create(Role.editor, f"bench-{n}"))[1] for n in range(editors)]
        workers = [http_editor(base, token, tally) for token in tokens]
    else:
        workers = [store_editor(store, f"key:bench-{n}", tally) for n in range(editors)]
    t = time.perf_counter()
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - t
    approved_in_redis = await redis.zcard(status_key("approved"))
    outbox_entries = await redis.xlen(OUTBOX)
    await redis.aclose()
    ops = sum(len(v) for v in tally.latency.values())
    result = {
        "mode": "http" if base else "store",
        "items": items,
        "editors": editors,
        "ops": ops,
        "seconds": round(elapsed, 2),
        "ops_per_s": round(ops / elapsed, 1),
        "approvals_per_s": round(tally.approved / elapsed, 1),
        "claim_conflicts": tally.conflicts,
        "seed_items_per_s": round(items / seed_s, 1),
        "approved": approved_in_redis,
        "outbox_entries": outbox_entries,
        "exactly_once": approved_in_redis == items == outbox_entries == tally.approved,
    }
    for op, values in sorted(tally.latency.items()):
        result[f"{op}_p50_ms"] = ms(statistics.median(values))
        result[f"{op}_p99_ms"] = ms(pct(values, 0.99))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 items instead of 10,000")
    ap.add_argument("--items", type=int)
    ap.add_argument("--editors", type=int, default=50)
    ap.add_argument("--store", action="store_true", help="also run the loop against ReviewStore directly")
    args = ap.parse_args()
    items = args.items or (2000 if args.quick else 10_000)
    with tempfile.TemporaryDirectory() as data_dir:
        redis_server = EmbeddedRedis(Path(data_dir) / "redis", port=free_port())
        url = redis_server.start()
        proc, base = start_gateway(url, data_dir)
        try:
            results = [asyncio.run(bench(url, items, args.editors, base))]
            print(json.dumps(results[-1]), file=sys.stderr)
            if args.store:
                results.append(asyncio.run(bench(url, items, args.editors, None)))
                print(json.dumps(results[-1]), file=sys.stderr)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            redis_server.stop()
    summary = {"http": results[0]} | ({"store": results[1]} if len(results) > 1 else {})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
