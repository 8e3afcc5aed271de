"""What the drop-in APIs cost on top of /v1/translate: the same texts, the same gateway, three doors.

A gateway is served by uvicorn on 127.0.0.1 exactly as `tonegate serve` builds it (the app from
`gateway.app.create_app`, a private redis-server, Apertium en→es), with the translation cache off
(`TONEGATE_CACHE_TTL_S=0`) so every request translates. Customer messages of the Bitext set are
sent one per request, in turn to `POST /v1/translate`, LibreTranslate's `POST /translate` (form
body, `source=en`) and DeepL's `POST /v2/translate` (JSON, `source_lang=EN`), rotating which door
goes first, and each request's wall time is taken at the client. The adapter's cost is the
difference of the medians.

    python bench/compat.py --quick    # 40 messages per door
    python bench/compat.py            # 150

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engines import messages  # noqa: E402
from gateway.embedded_redis import EmbeddedRedis, free_port  # noqa: E402

ADMIN = "bench-admin-key-0123456789abcdef"


def serve(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 180
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.05)
    return server, thread


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 40 if args.quick else 150
    texts = [t for t in messages() if 6 <= len(t.split()) <= 30][:n]

    from gateway.app import create_app
    from gateway.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis", port=free_port(), fsync="everysec")
        redis.start()
        settings = load_settings(
            redis_url=redis.url, data_dir=Path(tmp), admin_key=ADMIN, cache_ttl_s=0, workers=0, demo_brand=False
        )
        port = free_port()
        server, thread = serve(create_app(settings), port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                key = http.post(
                    "/v1/keys", json={"role": "helpdesk"}, headers={"Authorization": f"Bearer {ADMIN}"}
                ).json()["key"]

                def v1(text: str) -> httpx.Response:
                    return http.post(
                        "/v1/translate",
                        json={"text": text, "source_lang": "en", "target_lang": "es"},
                        headers={"Authorization": f"Bearer {key}"},
                    )

                def libre(text: str) -> httpx.Response:
                    return http.post("/translate", data={"q": text, "source": "en", "target": "es", "api_key": key})

                def deepl(text: str) -> httpx.Response:
                    return http.post(
                        "/v2/translate",
                        json={"text": [text], "source_lang": "EN", "target_lang": "ES"},
                        headers={"Authorization": f"DeepL-Auth-Key {key}"},
                    )

                doors = {"v1": v1, "libretranslate": libre, "deepl": deepl}
                for door in doors.values():  # warm up: engines, morphologies, connections
                    door("Warm up the gateway, please.").raise_for_status()
                times: dict[str, list[float]] = {name: [] for name in doors}
                names = list(doors)
                for i, text in enumerate(texts):
                    order = names[i % 3 :] + names[: i % 3]
                    for name in order:
                        started = time.perf_counter()
                        doors[name](text).raise_for_status()
                        times[name].append((time.perf_counter() - started) * 1000)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            redis.stop()

    medians = {name: round(statistics.median(ms), 2) for name, ms in times.items()}
    for name, ms in times.items():
        print(f"{name:15} median {medians[name]:7.2f} ms  p90 {statistics.quantiles(ms, n=10)[-1]:7.2f} ms")
    print(
        json.dumps(
            {
                "messages": len(texts),
                "median_ms": medians,
                "libretranslate_minus_v1_ms": round(medians["libretranslate"] - medians["v1"], 2),
                "deepl_minus_v1_ms": round(medians["deepl"] - medians["v1"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
