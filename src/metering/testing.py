"""Helpers for tests and benchmarks: a throwaway redis-server on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redis

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """Debian's redis-server on 127.0.0.1 and a free port, with append-only persistence in `folder`
    (none at all when `persistent` is False).

    `restart()` stops it with SIGTERM (it writes its data out) and starts it again on the same data.
    """

    def __init__(self, folder: Path, binary: str = REDIS_SERVER, *, persistent: bool = True):
        self.folder = Path(folder)
        self.binary = binary
        self.persistent = persistent
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes" if self.persistent else "no",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: redis-server writes its append-only file out and exits, as in a planned restart."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def flush(self) -> None:
        client = redis.Redis(port=self.port)
        client.flushall()
        client.close()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
