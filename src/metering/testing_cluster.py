"""A throwaway Redis Cluster for tests: Debian's redis-server, three masters and three replicas on 127.0.0.1.

Each node runs in its own folder under `folder` on a free port (and a free cluster-bus port), without
persistence. `redis-cli --cluster create` joins them; `start()` returns once every node says cluster_state:ok,
or raises after `timeout` seconds having stopped what it started.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import redis

from .testing import REDIS_SERVER, free_port

REDIS_CLI = "/usr/bin/redis-cli"
#: Milliseconds a master may be unreachable before its replica takes over: short, so that failover tests are quick,
#: yet long enough that a node starved of CPU on a busy test machine is not failed over by mistake.
NODE_TIMEOUT_MS = 2000


class RedisClusterServers:
    """Six redis-server processes (`masters` masters, one replica each) forming one cluster on loopback."""

    def __init__(self, folder: Path, masters: int = 3, timeout: float = 30.0):
        self.folder = Path(folder)
        self.timeout = timeout
        self.ports = [free_port() for _ in range(2 * masters)]
        self.processes: dict[int, subprocess.Popen] = {}

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.ports]

    @property
    def url(self) -> str:
        """The store URL: every node as a seed, so the client finds the cluster whichever node is down."""
        return "redis+cluster://" + ",".join(self.addresses)

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, decode_responses=True, socket_timeout=2)

    def start_node(self, port: int) -> None:
        """Start (or restart, keeping its nodes.conf) the node on `port`."""
        folder = self.folder / str(port)
        folder.mkdir(parents=True, exist_ok=True)
        # the cluster bus port must be free too: pick one rather than trust port + 10000
        bus = free_port()
        options = {
            "port": port,
            "bind": "127.0.0.1",
            "dir": folder,
            "cluster-enabled": "yes",
            "cluster-port": bus,
            "cluster-config-file": "nodes.conf",
            "cluster-node-timeout": NODE_TIMEOUT_MS,
            # the other masters keep serving their tenants while one master's slots fail over
            "cluster-require-full-coverage": "no",
            "appendonly": "no",
            "save": "",
            "protected-mode": "yes",
        }
        arguments = [str(part) for name, value in options.items() for part in (f"--{name}", value)]
        self.processes[port] = subprocess.Popen(
            [REDIS_SERVER, *arguments],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(lambda: self.client(port).ping(), f"redis-server on port {port} did not start")

    def start(self) -> None:
        """Start the six nodes, create the cluster and wait until every node serves every slot."""
        try:
            for port in self.ports:
                self.start_node(port)
            subprocess.run(
                [
                    REDIS_CLI,
                    "--cluster",
                    "create",
                    *self.addresses,
                    "--cluster-replicas",
                    "1",
                    "--cluster-yes",
                ],
                check=True,
                capture_output=True,
                timeout=self.timeout,
            )
            self.wait_ok()
        except BaseException:
            self.stop()
            raise

    def wait_ok(self) -> None:
        """Return once every running node reports cluster_state:ok and every replica is in sync with its master."""

        def healthy() -> bool:
            for port, process in self.processes.items():
                if process.poll() is not None:
                    continue
                client = self.client(port)
                if _info(client)["cluster_state"] != "ok":
                    return False
                replication = client.info("replication")
                if replication["role"] == "slave" and replication.get("master_link_status") != "up":
                    return False
            return True

        self._wait(healthy, "the cluster did not reach cluster_state:ok")

    def master_of(self, key: str) -> int:
        """The port of the master that serves `key`'s slot now."""
        any_port = next(p for p, proc in self.processes.items() if proc.poll() is None)
        client = self.client(any_port)
        slot = int(client.execute_command("CLUSTER KEYSLOT", key))
        for start, end, master in _slots(client):
            if start <= slot <= end:
                return master
        raise RuntimeError(f"no master serves slot {slot}")

    def kill(self, port: int) -> None:
        """SIGKILL one node, as a crashed machine: no shutdown, nothing written."""
        process = self.processes[port]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def flush(self) -> None:
        """Empty every master (replicas follow)."""
        for port, process in self.processes.items():
            if process.poll() is None:
                client = self.client(port)
                if client.execute_command("ROLE")[0] == "master":
                    client.flushall()

    def stop(self) -> None:
        """Stop every node this object started; always safe to call."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes.clear()

    def _wait(self, ready, message: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if ready():
                    return
            except (redis.ConnectionError, redis.ResponseError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{message} within {self.timeout:g} s")
            time.sleep(0.05)

    def __enter__(self) -> RedisClusterServers:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _slots(client: redis.Redis) -> list[tuple[int, int, int]]:
    """(first slot, last slot, master port) of every slot range, from CLUSTER SLOTS."""
    raw = client.execute_command("CLUSTER SLOTS")
    return [(int(r[0]), int(r[1]), int(r[2][1])) for r in raw]


def _info(client: redis.Redis) -> dict[str, str]:
    """CLUSTER INFO as a dict."""
    raw = client.execute_command("CLUSTER INFO")
    if isinstance(raw, dict):
        return raw
    return dict(line.split(":", 1) for line in raw.splitlines() if ":" in line)
