"""Network figures for the metering benchmark: a TCP proxy that makes each round trip slower, and Redis's own
count of the commands it ran.

`tc netem` is not available here (it needs root and the sch_netem kernel module), so the proxy stands in
for a network: it forwards every chunk a client sends only after `delay` seconds (replies go back at once),
so each request/reply round trip costs `delay` more. It also counts those chunks, which is the number of
round trips a client that waits for each reply makes.

Run it on its own (so that its threads do not share the measuring process's interpreter lock):
``python -m metering.netbench --upstream-port 6379 --delay 0.0005`` prints the port it listens on.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis

CHUNK = 65536
PR_SET_TIMERSLACK = 29


class DelayProxy:
    """Forwards TCP connections from 127.0.0.1:`port` to `upstream`, holding each client chunk `delay` seconds.

    `round_trips` counts the chunks clients sent (each is one request a waiting client makes).
    """

    def __init__(self, upstream: tuple[str, int], delay: float, port: int = 0):
        self.upstream = upstream
        self.delay = delay
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self.round_trips = 0
        self._count_lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False

    def serve_forever(self) -> None:
        """Accept connections until `close`; each gets two forwarding threads."""
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def start(self) -> DelayProxy:
        """Serve in a background thread of this process (for tests; see the module docstring for benchmarks)."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def _pump(self, source: socket.socket, target: socket.socket, request: bool) -> None:
        delay = self.delay if request else 0.0
        try:
            while chunk := source.recv(CHUNK):
                if request:
                    with self._count_lock:
                        self.round_trips += 1
                if delay:
                    time.sleep(delay)
                target.sendall(chunk)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in self._sockets:
            sock.close()


class ProxyProcess:
    """A DelayProxy in a child process (`python -m metering.netbench`); a context manager."""

    def __init__(self, upstream_port: int, delay: float):
        self.upstream_port = upstream_port
        self.delay = delay
        self.port = 0
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> ProxyProcess:
        command = [sys.executable, "-m", "metering.netbench", "--upstream-port", str(self.upstream_port)]
        self.process = subprocess.Popen(
            [*command, "--delay", repr(self.delay)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
        self.port = int(self.process.stdout.readline())
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(10)


def commands_during(client: redis.Redis, action) -> dict[str, int]:
    """The calls of each command the Redis server behind `client` ran while `action()` ran, by name, from
    INFO commandstats (which counts the commands a script runs as well as the script's own call)."""

    def calls():
        return {
            name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in client.info("commandstats").items()
        }

    before = calls()
    action()
    after = calls()
    after["info"] -= 1  # the first INFO
    return {name: n - before.get(name, 0) for name, n in sorted(after.items()) if n > before.get(name, 0)}


def _precise_sleep() -> None:
    """Ask Linux to wake sleeping threads on time: the default timer slack (50 us) is a tenth of the delay."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: the delay is a little longer
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="A TCP proxy on 127.0.0.1 that delays each client chunk.")
    parser.add_argument("--upstream-port", type=int, required=True, help="port on 127.0.0.1 to forward to")
    parser.add_argument("--delay", type=float, default=0.0005, help="seconds each client chunk is held")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    args = parser.parse_args(argv)
    _precise_sleep()
    proxy = DelayProxy(("127.0.0.1", args.upstream_port), args.delay, args.port)
    print(proxy.port, flush=True)
    proxy.serve_forever()


if __name__ == "__main__":
    main()
