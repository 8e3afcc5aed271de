"""Resident memory of `tonegate serve` with lingua, every Apertium pair and one CTranslate2 model.

Converts bench/engines.py's OPUS-MT-shaped Marian (random weights, the real size: 6+6 layers,
d_model 512, 58,101-entry vocabulary) with `tonegate models convert` (int8), writes an engines
file declaring it for en→es beside Apertium (`pairs = "auto"`), starts `tonegate serve` on a free
port with its embedded Redis, waits for /readyz, sends a few translations (so the Apertium
pipelines, morphology processes and the CTranslate2 model have all run), and reads VmRSS from
/proc for the gateway process and each of its child processes (Apertium stages, redis-server).

    python bench/memory.py --quick     # ~1 min on 2 cores (lingua preloads its models at start)

The last line is one JSON object (MiB): `gateway_rss_mib`, `children_rss_mib` by command, `total_rss_mib`
(a plain sum, which counts shared libraries once per process), and `total_pss_mib` (shared pages
split between the processes that map them: what the whole deployment really holds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engines import build_opus_shaped, messages  # noqa: E402
from gateway.embedded_redis import free_port  # noqa: E402

KEY = "bench-memory-admin-key-0123456789"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_mib(pid: int) -> float:
    """Proportional set size: shared pages (libraries, the same dictionary in two pipelines) split
    between the processes that map them, so a sum over processes is not inflated."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from each one's PPid in /proc (children of any thread count:
    /proc/PID/task/PID/children lists only the main thread's, and the engines start theirs elsewhere)."""
    parents: dict[int, list[int]] = defaultdict(list)
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("PPid:"))
        except (OSError, StopIteration, ValueError):  # exited meanwhile
            continue
        parents[ppid].append(int(status.parent.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def command(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    # redis-server rewrites its title into one string ("/usr/bin/redis-server unixsocket:...").
    return Path(argv[0].decode().split()[0]).name if argv and argv[0].strip() else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="(the only mode; kept for a uniform command line)")
    parser.add_argument(
        "--keep", type=Path, help="build (or reuse) the transformers model here, e.g. bench/out/engines"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tonegate-bench-") as tmp:
        root = Path(tmp)
        base = args.keep or root
        hf_dir = base / "opus-shaped"
        if not (hf_dir / "config.json").is_file():
            build_opus_shaped(hf_dir, messages())
        ct2_dir = root / "opus-shaped-ct2"
        tonegate = [sys.executable, "-m", "gateway"]
        subprocess.run([*tonegate, "models", "convert", str(hf_dir), str(ct2_dir)], check=True, cwd=ROOT)
        engines = root / "engines.toml"
        engines.write_text(
            f'[[engine]]\nname = "opus-shaped"\nkind = "ctranslate2"\nmodel = "{ct2_dir}"\npairs = ["en-es"]\n'
            'max_length = 32\n\n[[engine]]\nname = "apertium"\nkind = "apertium"\npairs = "auto"\n'
        )
        port = free_port()
        env = os.environ | {
            "TONEGATE_ENGINES": str(engines),
            "TONEGATE_DATA_DIR": str(root / "data"),
            "TONEGATE_ADMIN_KEY": KEY,
            "TONEGATE_PORT": str(port),
            "TONEGATE_LOG_LEVEL": "warning",
        }
        env.pop("TONEGATE_REDIS_URL", None)
        started = time.perf_counter()
        server = subprocess.Popen([*tonegate, "serve"], cwd=ROOT, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
                while True:
                    if server.poll() is not None:
                        raise SystemExit("tonegate serve exited")
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.5)
                ready_s = time.perf_counter() - started
                rss_ready = rss_mib(server.pid)
                for target, text in (
                    ("es", "Where is my order?"),
                    ("fr", "Where is my order?"),
                    ("en", "¿Dónde está?"),
                ):
                    r = client.post("/v1/translate", json={"text": text, "target_lang": target, "brand": "demo"})
                    r.raise_for_status()
            gateway, gateway_pss = rss_mib(server.pid), pss_mib(server.pid)
            children: dict[str, float] = defaultdict(float)
            counts: dict[str, int] = defaultdict(int)
            children_pss = 0.0
            for pid in descendants(server.pid):
                try:
                    name, rss, pss = command(pid), rss_mib(pid), pss_mib(pid)
                except (FileNotFoundError, ProcessLookupError):  # exited meanwhile
                    continue
                children[name] += rss
                counts[name] += 1
                children_pss += pss
        finally:
            server.terminate()
            server.wait(timeout=60)
    for name in sorted(children, key=children.get, reverse=True):
        print(f"  {name} ×{counts[name]}: {children[name]:.0f} MiB")
    print(f"gateway process: {gateway:.0f} MiB ({rss_ready:.0f} MiB when ready, after {ready_s:.0f} s)")
    result = {
        "gateway_rss_mib": round(gateway),
        "gateway_rss_ready_mib": round(rss_ready),
        "children_rss_mib": {k: round(v) for k, v in sorted(children.items())},
        "children_processes": dict(sorted(counts.items())),
        "total_rss_mib": round(gateway + sum(children.values())),
        "gateway_pss_mib": round(gateway_pss),
        "total_pss_mib": round(gateway_pss + children_pss),  # shared pages counted once
        "ready_s": round(ready_s, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
