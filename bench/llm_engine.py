"""An OpenAI-compatible LLM server behind the gateway: throughput and latency at concurrency 1/8/32.

Starts an OpenAI-compatible server on 127.0.0.1 and `tonegate serve` with an engines file that
sends en→es to it (`kind = "openai"`, `max_concurrency = 64`, the translation cache off), then
sends chat-sized customer messages (the `instruction` column of the Bitext customer-support set,
each made unique) to `POST /v1/translate` from C closed-loop clients, C = 1, 8, 32. "One at a
time" is C = 1: the same gateway, one request after another. Finally the same messages go straight
to the server with the `openai` client and the engine's own prompt, one at a time: the difference
of the medians is the time the gateway adds per message (HTTP, protection, glossary and tone
checks, scoring, the engine's own client).

Servers (`--server`):
- `fake` (default): tests/models/remote_servers.py's vLLM-shaped server, answering every request
  after `--latency-ms` (300) however many arrive together, as a GPU server with continuous
  batching does for short chat answers; its answers carry log-probabilities.
- `transformers`: a real `transformers serve` on the tests' tiny random chat model (CPU, 2 cores
  shared with the gateway and the clients: it shows the protocol under load, not a GPU's speed).

    python bench/llm_engine.py --quick                     # 16/16/64 requests at C = 1/8/32 (~1 min)
    python bench/llm_engine.py --quick --server transformers

The last line is one JSON object: each level's throughput and p50/p99, `speedup_c8` and
`speedup_c32` (throughput over C = 1), and `gateway_added_ms_p50`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = (
    ROOT.parent / "shared" / "data" / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)
ADMIN_KEY = "bench-admin-key-0123456789abcdef"
LEVELS = (1, 8, 32)


def messages(n: int) -> list[str]:
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = list(dict.fromkeys(r["instruction"].strip() for r in csv.DictReader(f)))
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


def wait_for(url: str, proc: subprocess.Popen, what: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.3)


def start_server(kind: str, latency_ms: float, work: Path) -> tuple[subprocess.Popen, str, str]:
    """(process, base_url, model) of the OpenAI-compatible server."""
    port = free_port()
    if kind == "fake":
        code = (
            "import sys, threading\n"
            "from tests.models.remote_servers import FakeLLMServer\n"
            "s = FakeLLMServer(port=int(sys.argv[1]))\n"
            "s.hold_s = float(sys.argv[2])\n"
            "threading.Event().wait()\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", code, str(port), str(latency_ms / 1000)], cwd=ROOT)
        wait_for(f"http://127.0.0.1:{port}/v1/models", proc, "the fake LLM server")
        return proc, f"http://127.0.0.1:{port}/v1", "tiny-llm"
    from tests.models.tinymodels import build_causal_lm

    model = build_causal_lm(work / "tiny-chat")
    exe = Path(sys.executable).parent / "transformers"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1", "HF_HOME": str(work / "hf")}
    proc = subprocess.Popen(
        [str(exe), "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{port}/health", proc, "transformers serve")
    return proc, f"http://127.0.0.1:{port}/v1", str(model)


def start_gateway(base_url: str, model: str, work: Path, max_length: int) -> tuple[subprocess.Popen, str]:
    engines = work / "engines.toml"
    engines.write_text(
        f"""
[[engine]]
name = "llm"
kind = "openai"
base_url = "{base_url}"
model = "{model}"
pairs = ["en-es"]
max_concurrency = 64
max_length = {max_length}
timeout_s = 60
"""
    )
    port = free_port()
    env = {
        **os.environ,
        "TONEGATE_DATA_DIR": str(work / "data"),
        "TONEGATE_ADMIN_KEY": ADMIN_KEY,
        "TONEGATE_ENGINES": str(engines),
        "TONEGATE_CACHE_TTL_S": "0",
        "TONEGATE_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)], env=env, cwd=ROOT)
    wait_for(f"http://127.0.0.1:{port}/readyz", proc, "the gateway")
    return proc, f"http://127.0.0.1:{port}"


def run_level(url: str, texts: list[str], concurrency: int, requests: int, offset: int) -> dict:
    """C closed-loop clients share a counter of R requests; every text is unique (no cache, no memory)."""
    lock = threading.Lock()
    next_index = 0
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120, limits=limits) as client:

        def worker() -> None:
            nonlocal next_index
            while True:
                with lock:
                    i = next_index
                    next_index += 1
                if i >= requests:
                    return
                text = f"{texts[(offset + i) % len(texts)]} (#{offset + i})"
                started = time.perf_counter()
                r = client.post("/v1/translate", json={"text": text, "source_lang": "en", "target_lang": "es"})
                elapsed = time.perf_counter() - started
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    return
                with lock:
                    latencies.append(elapsed)

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"c={concurrency}: {errors[0]}")
    return {
        "concurrency": concurrency,
        "requests": requests,
        "throughput_per_s": round(requests / seconds, 2),
        "p50_ms": round(pct(latencies, 0.5) * 1000, 1),
        "p99_ms": round(pct(latencies, 0.99) * 1000, 1),
    }


def direct(base_url: str, model: str, texts: list[str], max_length: int) -> list[float]:
    """The same messages straight to the server, one at a time, with the engine's own prompt."""
    import openai

    from models.base import LanguagePair, TranslationRules
    from models.remote.prompt import messages as prompt

    client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=60)
    pair = LanguagePair("en", "es")
    times = []
    for i, text in enumerate(texts):
        started = time.perf_counter()
        client.chat.completions.create(
            model=model,
            messages=prompt(f"{text} (#d{i})", pair, TranslationRules()),  # type: ignore[arg-type]
            temperature=0,
            max_tokens=max_length,
            logprobs=True,
        )
        times.append(time.perf_counter() - started)
    client.close()
    return times


def engine_requests(url: str) -> float:
    metrics = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).text
    for line in metrics.splitlines():
        if line.startswith('tonegate_engine_requests{engine="llm"}'):
            return float(line.split()[-1])
    return float("nan")


def stage_seconds(url: str) -> dict[str, tuple[float, float]]:
    """(sum, count) of tonegate_stage_seconds per pipeline stage, from /metrics."""
    metrics = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).text
    out: dict[str, list[float]] = {}
    for line in metrics.splitlines():
        for suffix, i in (("_sum", 0), ("_count", 1)):
            if line.startswith(f"tonegate_stage_seconds{suffix}{{"):
                stage = line.split('stage="', 1)[1].split('"', 1)[0]
                out.setdefault(stage, [0.0, 0.0])[i] = float(line.split()[-1])
    return {k: (v[0], v[1]) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="16/16/64 requests at C = 1/8/32 instead of 64/128/256")
    ap.add_argument("--server", choices=("fake", "transformers"), default="fake")
    ap.add_argument("--latency-ms", type=float, default=300.0, help="the fake server's time per answer")
    args = ap.parse_args()
    counts = {1: 16, 8: 16, 32: 64} if args.quick else {1: 64, 8: 128, 32: 256}
    max_length = 16 if args.server == "transformers" else 256
    texts = messages(400)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server, base_url, model = start_server(args.server, args.latency_ms, work)
        gateway = None
        try:
            gateway, url = start_gateway(base_url, model, work, max_length)
            run_level(url, texts, 4, 8, offset=10_000)  # warm up: lingua, Redis, connections
            before = engine_requests(url)
            levels = []
            offset = 0
            stages_before = stage_seconds(url)
            for c in LEVELS:
                levels.append(run_level(url, texts, c, counts[c], offset))
                if c == 1:  # where one message's time goes, one at a time (ms per message)
                    after = stage_seconds(url)
                    stages = {
                        k: round((after[k][0] - stages_before.get(k, (0.0, 0.0))[0]) * 1000 / counts[1], 1)
                        for k in after
                        if after[k][1] > stages_before.get(k, (0.0, 0.0))[1]
                    }
                offset += counts[c]
                print(json.dumps(levels[-1]), file=sys.stderr)
            per_message = (engine_requests(url) - before) / offset
            direct_times = direct(base_url, model, texts[: counts[1]], max_length)
        finally:
            for proc in (gateway, server):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
    base = levels[0]
    result = {
        "server": args.server,
        "server_latency_ms": args.latency_ms if args.server == "fake" else None,
        "levels": levels,
        "speedup_c8": round(levels[1]["throughput_per_s"] / base["throughput_per_s"], 2),
        "speedup_c32": round(levels[2]["throughput_per_s"] / base["throughput_per_s"], 2),
        "direct_p50_ms": round(pct(direct_times, 0.5) * 1000, 1),
        "gateway_added_ms_p50": round(base["p50_ms"] - pct(direct_times, 0.5) * 1000, 1),
        "llm_requests_per_message": round(per_message, 2),
        "stage_ms_per_message_c1": stages,
        "messages": offset,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
