"""Real Redis topologies for the tests, on 127.0.0.1: a master + replica watched by a Sentinel, and a
three-master Redis Cluster. Each is real redis-server processes in a temp folder; every wait polls
with a deadline."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis

from gateway.embedded_redis import free_port

MASTER_NAME = "tonegate"


def wait_until(check: Callable[[], object], what: str, timeout_s: float = 30) -> object:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if value := check():
                return value
        except (redis.RedisError, OSError) as exc:  # a server still starting or failing over
            last = exc
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free and valid too."""
    for _ in range(1000):
        port = free_port()
        if port <= 55535 and _port_free(port + 10000):
            return port
    for port in range(20000, 55535, 7):  # the ephemeral range sits high on some hosts
        if _port_free(port) and _port_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


class Server:
    """One redis-server child with its own folder; `args` are extra command-line settings."""

    def __init__(self, workdir: Path, port: int, *args: str, config: str | None = None) -> None:
        self.dir = workdir / str(port)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port
        argv = ["redis-server"]
        if config is not None:  # Sentinel rewrites its config file, so it must be a real, writable one
            conf = self.dir / "sentinel.conf"
            conf.write_text(config)
            argv += [str(conf), "--sentinel"]
        argv += ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.dir), "--save", ""]
        argv += ["--logfile", str(self.dir / "log"), *args]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        wait_until(self.client.ping, f"redis-server on port {port}")

    def kill(self) -> None:
        """SIGKILL: the server dies without a word, as a crashed machine would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        log = self.dir / "log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""


class SentinelSetup:
    """A master, one replica and one Sentinel (quorum 1) that fails over a second after the master
    stops answering."""

    def __init__(self, workdir: Path) -> None:
        self.servers: list[Server] = []
        self.master = self._add(Server(workdir, free_port()))
        self.replica = self._add(Server(workdir, free_port(), "--replicaof", "127.0.0.1", str(self.master.port)))
        sport = free_port()
        self.sentinel = self._add(
            Server(
                workdir,
                sport,
                config=(
                    f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master.port} 1\n"
                    f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                    f"sentinel failover-timeout {MASTER_NAME} 10000\n"
                ),
            )
        )
        self.sentinels = f"127.0.0.1:{sport}"
        wait_until(self._replica_synced, "the replica to sync and the Sentinel to see it")

    def _add(self, server: Server) -> Server:
        self.servers.append(server)
        return server

    def _replica_synced(self) -> bool:
        if self.replica.client.info("replication").get("master_link_status") != "up":
            return False
        replicas = self.sentinel.client.execute_command("SENTINEL", "REPLICAS", MASTER_NAME)
        return any(_field(r, "port") == str(self.replica.port) and "s_down" not in _field(r, "flags") for r in replicas)

    def master_port(self) -> int:
        _host, port = self.sentinel.client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        return int(port)

    def kill_master_and_wait_for_promotion(self, timeout_s: float = 60) -> None:
        """Kill the master; return once the Sentinel names the replica master and it takes writes."""
        self.master.kill()
        wait_until(lambda: self.master_port() == self.replica.port, "the Sentinel to promote the replica", timeout_s)
        wait_until(lambda: self.replica.client.info("replication").get("role") == "master", "the replica to be master")

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def _field(entry: object, name: str) -> str:
    """A field of a SENTINEL REPLICAS entry: RESP2 gives a flat list (or a dict, by version)."""
    if isinstance(entry, dict):
        value = entry.get(name, entry.get(name.encode(), b""))
    else:
        pairs = list(entry)  # type: ignore[call-overload]
        found = dict(zip(pairs[::2], pairs[1::2], strict=False))
        value = found.get(name.encode(), found.get(name, b""))
    return value.decode() if isinstance(value, bytes) else str(value)


class ClusterSetup:
    """Three cluster-enabled masters, no replicas, slots spread by `redis-cli --cluster create`."""

    def __init__(self, workdir: Path, masters: int = 3) -> None:
        self.servers: list[Server] = []
        for _ in range(masters):
            self.servers.append(
                Server(workdir, cluster_port(), "--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
            )
        nodes = [f"127.0.0.1:{s.port}" for s in self.servers]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )
        wait_until(self._ok, "the cluster to report cluster_state:ok on every node")
        self.url = f"redis://127.0.0.1:{self.servers[0].port}/0"

    def _ok(self) -> bool:
        return all(_cluster_state(s.client) == "ok" for s in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _cluster_state(client: redis.Redis) -> str:
    info = client.execute_command("CLUSTER", "INFO")  # a dict or the raw text, by redis-py version
    if isinstance(info, dict):
        return str(info.get("cluster_state", ""))
    text = info.decode() if isinstance(info, bytes) else str(info)
    return next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("cluster_state:")), "")
