"""Webhook intake and end-to-end delivery, measured against real processes.

Intake: `uvicorn` serves the real gateway app (its embedded Redis with the default fsync=always,
no job workers, so only intake runs) plus a bare FastAPI endpoint on the same server
(bench/webhook_app.py). `wrk` (Debian package `wrk`: a C load generator, so the client is not
the bottleneck) sends Chatwoot `message_created` webhooks — each with its own message id,
signed with `X-Chatwoot-Signature` over "{timestamp}.{body}" — at concurrency 1…64; the same
bodies go to the bare endpoint. Every webhook is verified, parsed, deduplicated and written to
the Redis stream before its 202, exactly as in production. Reported: requests/s and p50/p99
latency of each, and the gateway's share of the bare endpoint's requests/s (`intake_vs_bare`).

End to end: the same app with one job worker inside (the `tonegate serve` default), a fake
Chatwoot (a real HTTP server on 127.0.0.1, tests/helpdesks.py), and chat-sized customer
messages in English (the `instruction` column of the Bitext customer-support set) for agents
who read Spanish: Apertium en→es. Messages are sent at a fixed rate (open loop); latency is the
fake helpdesk's receipt of the internal note minus the moment the webhook was sent.

    python bench/webhooks.py --quick        # ~3 min on 2 cores
    python bench/webhooks.py                # longer runs per level, more messages

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.apertium_latency import free_port, messages, pct  # noqa: E402
from gateway.embedded_redis import EmbeddedRedis  # noqa: E402
from gateway.queues import JOBS  # noqa: E402
from tests.helpdesks import FakeHelpdesk  # noqa: E402

ADMIN_KEY = "bench-admin-key-0123456789abcdef"
SECRET = "whsec-bench-0123456789abcdef"
HELPDESK_TOKEN = "cw-bench-token"
LEVELS = (1, 2, 4, 8, 16, 32, 64)

# wrk reads pre-built, pre-signed requests (NUL-separated raw HTTP) and cycles through them;
# done() prints one JSON line with the figures.
WRK_SCRIPT = textwrap.dedent(
    """
    local threads = {}
    function setup(thread) table.insert(threads, thread) end
    function init(args)
      local f = assert(io.open(os.getenv("BENCH_REQUESTS"), "rb"))
      local data = f:read("*a"); f:close()
      reqs = {}
      for r in data:gmatch("([^%z]+)") do table.insert(reqs, r) end
      i = 0; accepted = 0; other = 0
    end
    function request() i = i % #reqs + 1; return reqs[i] end
    function response(status, headers, body)
      if status == 202 then accepted = accepted + 1 else other = other + 1 end
    end
    function done(summary, latency, requests)
      local a, o = 0, 0
      for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other") end
      io.write(string.format(
        '{"requests": %d, "duration_s": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, ' ..
        '"accepted": %d, "other": %d, "errors": %d}\\n',
        summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        a, o, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
    end
    """
)


def chatwoot_body(message_id: int, text: str) -> bytes:
    """A `message_created` webhook as Chatwoot sends it (see ../shared/helpdesk)."""
    return json.dumps(
        {
            "event": "message_created",
            "id": message_id,
            "content": text,
            "content_type": "text",
            "message_type": "incoming",
            "private": False,
            "created_at": "2026-11-25T10:00:00.000Z",
            "sender": {"id": 55, "type": "contact", "name": "Ana"},
            "conversation": {"id": message_id, "channel": "Channel::WebWidget", "additional_attributes": {}},
            "inbox": {"id": 1, "name": "Web"},
            "account": {"id": 1, "name": "Acme"},
        }
    ).encode()


def signed_headers(body: bytes, now: float) -> dict[str, str]:
    ts = str(int(now))
    mac = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": f"sha256={mac}"}


def raw_request(path: str, port: int, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Gateway:
    """The app (plus the bare endpoint) under uvicorn, in its own process."""

    def __init__(self, data_dir: Path, workers: int, fsync: str = "always") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "TONEGATE_DATA_DIR": str(data_dir),
            "TONEGATE_ADMIN_KEY": ADMIN_KEY,
            "TONEGATE_WORKERS": str(workers),
            "TONEGATE_REDIS_FSYNC": fsync,
            "TONEGATE_MAX_QUEUED_JOBS": "0",  # the intake run queues more than a day's chats
            "TONEGATE_LOG_LEVEL": "warning",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), "--factory", "webhook_app:make",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("the gateway exited while starting")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the gateway did not become ready in 180 s")
            time.sleep(0.3)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def add_integration(gateway: Gateway, desk: FakeHelpdesk) -> None:
    r = httpx.post(
        gateway.url + "/v1/integrations",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        json={"name": "cw", "kind": "chatwoot", "base_url": desk.url, "api_token": HELPDESK_TOKEN,
              "webhook_secret": SECRET, "brand": "demo", "agent_lang": "es"},
        timeout=30,
    )  # fmt: skip
    if r.status_code not in (201, 409):
        raise SystemExit(f"creating the integration failed: {r.status_code} {r.text}")


def wrk(url: str, concurrency: int, seconds: float, requests_file: Path, script: Path) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{round(seconds)}s", "--timeout", "10s", "-s", str(script), url],
        env=os.environ | {"BENCH_REQUESTS": str(requests_file)},
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["duration_s"]
    return result


def intake(work: Path, desk: FakeHelpdesk, levels: tuple[int, ...], seconds: float, fsync: str) -> list[dict]:
    gateway = Gateway(work / "intake", workers=0, fsync=fsync)
    try:
        add_integration(gateway, desk)
        script = work / "bench.lua"
        script.write_text(WRK_SCRIPT)
        text = "Hola, ¿dónde está mi pedido #48213? Lo pagué hace una semana."
        next_id = 1_000_000
        rows = []
        for c in levels:
            # Enough distinct messages that none repeats within a run (a repeat is a duplicate, 200).
            count = int(6000 * seconds)
            wh_file, bare_file = work / f"wh-{c}.bin", work / f"bare-{c}.bin"
            now = time.time()
            with wh_file.open("wb") as wh, bare_file.open("wb") as bare:
                for mid in range(next_id, next_id + count):
                    body = chatwoot_body(mid, text)
                    headers = signed_headers(body, now)
                    wh.write(raw_request("/v1/webhooks/cw", gateway.port, body, headers) + b"\0")
                    bare.write(raw_request("/bench/bare", gateway.port, body, headers) + b"\0")
            next_id += count
            bare_r = wrk(gateway.url, c, seconds, bare_file, script)
            wh_r = wrk(gateway.url, c, seconds, wh_file, script)
            if wh_r["requests"] > count:
                print(f"  warning: concurrency {c} repeated messages ({wh_r['requests']} > {count})")
            rows.append({"concurrency": c, "bare": bare_r, "webhook": wh_r})
            print(
                f"  c={c:>2}  bare {bare_r['rps']:7.0f}/s p50 {bare_r['p50_ms']:6.2f} p99 {bare_r['p99_ms']:6.2f} ms"
                f" | webhook {wh_r['rps']:7.0f}/s p50 {wh_r['p50_ms']:6.2f} p99 {wh_r['p99_ms']:6.2f} ms"
                f"  ({wh_r['accepted']} accepted, {wh_r['other']} other, {wh_r['errors']} errors)",
                flush=True,
            )
        # Every accepted webhook is in the stream: count them against wrk's 202s.
        queued = redis.Redis.from_url(EmbeddedRedis(work / "intake").url).xlen(JOBS)
        accepted = sum(r["webhook"]["accepted"] for r in rows)
        # The stream may hold a few more: requests in flight when wrk stopped were queued, unanswered.
        print(f"  stream holds {queued} jobs; wrk saw {accepted} answers 202")
        if queued < accepted:
            raise SystemExit(f"lost webhooks: {accepted} answered 202, only {queued} queued")
    finally:
        gateway.stop()
    return rows


def end_to_end(work: Path, desk: FakeHelpdesk, texts: list[str], rate: float) -> dict:
    """One webhook every 1/rate s; each message its own conversation, so its note is easy to find."""
    gateway = Gateway(work / f"e2e-{rate}", workers=1)
    desk.reset()
    try:
        add_integration(gateway, desk)
        sent: dict[str, float] = {}
        statuses: list[int] = []
        base_id = int(time.time() * 1000) % 10**9
        client = httpx.Client(timeout=30)
        lock = threading.Lock()

        def send(i: int, text: str) -> None:
            body = chatwoot_body(base_id + i, text)
            headers = signed_headers(body, time.time())
            start = time.time()
            r = client.post(gateway.url + "/v1/webhooks/cw", content=body, headers=headers)
            with lock:
                sent[str(base_id + i)] = start
                statuses.append(r.status_code)

        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            for i, text in enumerate(texts):
                time.sleep(max(0.0, started + i / rate - time.monotonic()))
                pool.submit(send, i, text)
        deadline = time.monotonic() + 120
        while len({p.conversation_id for p in desk.messages()}) < len(texts) and time.monotonic() < deadline:
            time.sleep(0.05)
        client.close()
        notes = {}
        for p in desk.messages():
            notes.setdefault(p.conversation_id, p)  # the first (and only) note of each conversation
        latencies = [(notes[c].created_at - t) * 1000 for c, t in sent.items() if c in notes]
        if len(latencies) < len(texts):
            raise SystemExit(f"only {len(latencies)} of {len(texts)} notes arrived within 120 s")
        if any(s != 202 for s in statuses) or not all(p.internal for p in notes.values()):
            raise SystemExit(f"unexpected answers {sorted(set(statuses))} or a note that was not internal")
        result = {
            "rate_per_s": rate,
            "messages": len(texts),
            "p50_ms": round(pct(latencies, 0.50), 1),
            "p99_ms": round(pct(latencies, 0.99), 1),
            "max_ms": round(max(latencies), 1),
        }
        print(f"  {rate:g} messages/s: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms ({len(texts)} notes)")
        return result
    finally:
        gateway.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 s per concurrency level, 150 messages per rate")
    parser.add_argument(
        "--fsync", choices=("always", "everysec"), default="always", help="the embedded Redis's TONEGATE_REDIS_FSYNC"
    )
    parser.add_argument("--intake-only", action="store_true", help="skip the end-to-end part")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("this bench needs wrk: apt-get install wrk")
    seconds = 3.0 if args.quick else 10.0
    per_rate = 150 if args.quick else 600
    rates = (2.0, 10.0)
    texts = messages(per_rate)
    desk = FakeHelpdesk("chatwoot", token=HELPDESK_TOKEN).start()
    try:
        with tempfile.TemporaryDirectory(prefix="tonegate-bench-") as tmp:
            work = Path(tmp)
            print(f"intake: wrk, {seconds:g} s per level, bare endpoint then webhook, fsync {args.fsync}", flush=True)
            rows = intake(work, desk, LEVELS, seconds, args.fsync)
            e2e = []
            if not args.intake_only:
                print("end to end: webhook sent → internal note received by the fake Chatwoot", flush=True)
                e2e = [end_to_end(work, desk, texts, rate) for rate in rates]
    finally:
        desk.stop()

    print("\n| concurrency | bare req/s | bare p50 / p99 ms | webhook req/s | webhook p50 / p99 ms | webhook / bare |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        b, w = r["bare"], r["webhook"]
        print(
            f"| {r['concurrency']} | {b['rps']:,.0f} | {b['p50_ms']:.2f} / {b['p99_ms']:.2f} | {w['rps']:,.0f} | "
            f"{w['p50_ms']:.2f} / {w['p99_ms']:.2f} | {w['rps'] / b['rps']:.2f} |"
        )
    best = max(rows, key=lambda r: r["webhook"]["rps"])
    result = {
        "intake_rps_max": round(best["webhook"]["rps"]),
        "intake_rps_max_concurrency": best["concurrency"],
        "bare_rps_max": round(max(r["bare"]["rps"] for r in rows)),
        "intake_vs_bare": round(best["webhook"]["rps"] / max(r["bare"]["rps"] for r in rows), 2),
        **{f"intake_rps_c{r['concurrency']}": round(r["webhook"]["rps"]) for r in rows},
        **{f"intake_p99_ms_c{r['concurrency']}": round(r["webhook"]["p99_ms"], 2) for r in rows},
        **{f"bare_rps_c{r['concurrency']}": round(r["bare"]["rps"]) for r in rows},
        "intake_p50_ms_c1": round(rows[0]["webhook"]["p50_ms"], 2),
        **{f"e2e_p50_ms_{e['rate_per_s']:g}_per_s": e["p50_ms"] for e in e2e},
        **{f"e2e_p99_ms_{e['rate_per_s']:g}_per_s": e["p99_ms"] for e in e2e},
        "seconds_per_level": seconds,
        "fsync": args.fsync,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
