"""Apertium through the gateway (HTTP, protection, scoring) against one `apertium` process per message.

Starts `tonegate serve` on a free port with its embedded Redis, sends chat-sized customer messages
(the `instruction` column of the Bitext customer-support set) one at a time, en→es, and reports
p50/p99 latency; then translates the same messages by starting `apertium eng-spa` per message.

    python bench/apertium_latency.py --quick
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DATA = (
    ROOT.parent / "shared" / "data" / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)
ADMIN_KEY = "bench-admin-key-0123456789abcdef"


def messages(n: int) -> list[str]:
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = [r["instruction"].strip() for r in csv.DictReader(f)]
    # A spread of the file, not its first rows (which all share one intent).
    step = max(1, len(rows) // n)
    return [r for r in rows[::step] if r][:n]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def through_gateway(texts: list[str]) -> tuple[list[float], list[float]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "TONEGATE_DATA_DIR": data_dir,
            "TONEGATE_ADMIN_KEY": ADMIN_KEY,
            "TONEGATE_LOG_LEVEL": "warning",
        }
        proc = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)], env=env, cwd=ROOT)
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
            ) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("the gateway did not start")
                    time.sleep(0.2)
                for t in texts[:10]:  # warm up
                    client.post("/v1/translate", json={"text": t, "source_lang": "en", "target_lang": "es"})
                results: list[list[float]] = []
                for extra in ({"source_lang": "en"}, {"brand": "demo"}):
                    times = []
                    for t in texts:
                        start = time.perf_counter()
                        r = client.post("/v1/translate", json={"text": t, "target_lang": "es", **extra})
                        times.append(time.perf_counter() - start)
                        r.raise_for_status()
                    results.append(times)
                return results[0], results[1]
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def process_per_message(texts: list[str]) -> list[float]:
    times = []
    for t in texts:
        start = time.perf_counter()
        subprocess.run(["apertium", "eng-spa"], input=t.encode(), capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def ms(v: float) -> float:
    return round(v * 1000, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 messages instead of 1000")
    args = ap.parse_args()
    texts = messages(200 if args.quick else 1000)
    given, detected = through_gateway(texts)
    per_proc = process_per_message(texts[: min(len(texts), 200)])
    rows = [
        ("gateway HTTP, source_lang given", given),
        ("gateway HTTP, language detected", detected),
        ("one apertium process per message", per_proc),
    ]
    print(f"{'path (en→es, one message at a time)':36} {'p50 ms':>8} {'p99 ms':>8} {'n':>6}")
    for name, times in rows:
        print(f"{name:36} {ms(pct(times, 0.5)):8} {ms(pct(times, 0.99)):8} {len(times):6}")
    result = {
        "gateway_p50_ms": ms(pct(given, 0.5)),
        "gateway_p99_ms": ms(pct(given, 0.99)),
        "gateway_detect_p50_ms": ms(pct(detected, 0.5)),
        "gateway_detect_p99_ms": ms(pct(detected, 0.99)),
        "process_per_message_p50_ms": ms(pct(per_proc, 0.5)),
        "process_per_message_p99_ms": ms(pct(per_proc, 0.99)),
        "p50_speedup": round(pct(per_proc, 0.5) / pct(given, 0.5), 1),
        "messages": len(given),
        "mean_words": round(statistics.mean(len(t.split()) for t in texts), 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
