"""The published API contract holds under fuzzing: schemathesis, run as its users run it (the
CLI), against a real gateway on 127.0.0.1 with its own Redis and the real Apertium engines.

Every phase runs: examples, coverage (each constraint's edges), fuzzing, and stateful sequences
that follow the OpenAPI links (gateway/contract.py LINKS) from what one answer creates — a brand,
a glossary entry, a key, an integration, a memory entry — to the operations that use it. The
checks: no 5xx; every status, content type and body as documented; what the schema refuses is
refused; and what it allows is accepted (tests/contract/hooks.py: only the 422 types that name a
rule a JSON schema cannot state are let through).

Runtime: about 1-2 minutes on 2 cores (10 examples per operation). CI runs one fixed seed,
derandomized, as tests/conftest.py does for hypothesis; local runs draw a new seed each time
and print it, so a failure can be replayed with `--seed`.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ADMIN_KEY
from tests.integration_stack import start_gateway, start_redis

ROOT = Path(__file__).resolve().parents[2]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "schema_valid_is_accepted",  # tests/contract/hooks.py, in place of positive_data_acceptance
)
MAX_EXAMPLES = 10


class _Sink(BaseHTTPRequestHandler):
    """Where review callbacks and helpdesk posts would go: answers 200 and keeps nothing."""

    def _ok(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = _ok

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sink():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_the_api_holds_its_published_contract_under_fuzzing(tmp_path, sink):
    redis = start_redis(tmp_path / "redis")
    # No job workers: webhooks are accepted and queued, nothing is posted anywhere.
    gateway = start_gateway(redis.url, tmp_path / "data", workers=0)
    try:
        seed = 1 if os.environ.get("CI") else random.randrange(2**32)
        report = tmp_path / "report.json"
        cmd = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(ROOT / "tests" / "contract" / "schemathesis.toml"),
            "--no-color",
            "run",
            f"{gateway.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {ADMIN_KEY}",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(seed),
            # One worker: hypothesis' lambda-source cache is not thread-safe on Python 3.11.
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ]
        # No example database either way (deterministic mode implies none).
        cmd += ["--generation-deterministic"] if os.environ.get("CI") else ["--generation-database", "none"]
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.contract.hooks",
            "PYTHONPATH": str(ROOT),
            "TONEGATE_CONTRACT_SINK": sink,
        }
        # In tmp_path: schemathesis keeps its cache folder in the working directory.
        run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    finally:
        gateway.stop()
        redis.stop()
    out = run.stdout + run.stderr
    summary = out[out.rfind("SUMMARY") :] if "SUMMARY" in out else out[-3000:]
    print(summary)  # the figures (cases, failures) in the test log
    assert run.returncode == 0, f"seed {seed}:\n{out[-20000:]}"
    generated = re.search(r"(\d+) generated", summary)
    assert generated and int(generated.group(1)) > 1000, summary
    assert "Stateful" in summary and "✅ Stateful" in summary, summary
    assert json.loads(report.read_text())  # the machine-readable report was written
