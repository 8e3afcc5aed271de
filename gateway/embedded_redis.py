"""A private redis-server child for single-machine installs (and for the tests)."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from gateway.errors import SettingsError

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedRedis:
    """Starts redis-server with append-only persistence in `data_dir`; `url` is where it listens.

    It listens on a unix socket inside the data folder by default (no port to collide with, no
    network exposure); `port` switches to TCP on 127.0.0.1, which the tests use.
    """

    def __init__(
        self, data_dir: Path, *, binary: str = "redis-server", port: int | None = None, fsync: str = "always"
    ) -> None:
        self.data_dir = data_dir
        self.binary = binary
        self.port = port
        self.fsync = fsync
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is not None:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self._socket}?db=0"

    @property
    def _socket(self) -> Path:
        return self.data_dir.resolve() / "redis.sock"

    def start(self, timeout_s: float = 10.0) -> str:
        exe = shutil.which(self.binary)
        if exe is None:
            raise SettingsError(
                f"TONEGATE_REDIS_SERVER: {self.binary!r} not found; install redis-server "
                "(apt-get install redis-server) or set TONEGATE_REDIS_URL to an existing Redis"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            exe,
            "--dir",
            str(self.data_dir.resolve()),
            "--appendonly",
            "yes",
            "--appendfsync",
            self.fsync,
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.data_dir.resolve() / "redis.log"),
        ]
        if self.port is not None:
            args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        else:
            if len(str(self._socket)) > 100:
                raise SettingsError(f"TONEGATE_DATA_DIR: path too long for a unix socket: {self._socket}")
            args += ["--port", "0", "--unixsocket", str(self._socket), "--unixsocketperm", "700"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                if self.proc.poll() is not None:
                    err = (self.proc.stderr.read() if self.proc.stderr else b"").decode(errors="replace")
                    log_tail = (
                        (self.data_dir / "redis.log").read_text(errors="replace")[-500:]
                        if (self.data_dir / "redis.log").exists()
                        else ""
                    )
                    raise SettingsError(f"embedded redis-server exited at start: {err or log_tail}".strip())
                try:
                    if client.ping():
                        break
                except (redis.ConnectionError, FileNotFoundError):
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise SettingsError(f"embedded redis-server did not answer within {timeout_s:.0f} s")
                time.sleep(0.02)
        finally:
            client.close()
        log.info("embedded redis-server (pid %s) at %s", self.proc.pid, self.url)
        return self.url

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # SIGTERM: redis flushes the append-only file and exits
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
