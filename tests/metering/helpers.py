"""Test helpers: the repository data, contention workers, local webhook/SMTP receivers, a threaded server."""

from __future__ import annotations

import time
from collections.abc import Mapping

from docskit.paths import Project
from metering.catalog import Catalog
from metering.testing import RedisServer, free_port

__all__ = ["RedisServer", "free_port"]
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z: tests pass explicit times so windows are predictable


def repository_context() -> dict:
    """The internal data context of this repository (validated by docskit), as plain mutable data."""
    from docskit.datamodel import load_dataset

    return thaw(load_dataset(Project.at()).context("internal"))


def thaw(value):
    """Plain dicts and lists from the read-only context (MappingProxyType and tuples)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


HOT_CONTRACT = {
    "tenant": "hot",
    "plan": "team",
    # huge add-ons on the other dimensions, so each phase tests one limit alone
    "addons": {"runs_per_minute": 1_000_000, "concurrent_runs": 0, "writes_per_day": 0},
}


def contention_call(meter, phase: str, ident: str, i: int) -> bool:
    """One call of a contention phase on tenant `hot`; True when it was admitted (or, for same-key, new)."""
    if phase == "rate":
        return meter.hit("hot-rate", "runs_per_minute", now=T0).allowed
    if phase == "concurrency":
        return meter.admit_run("hot", ident, now=T0).allowed
    if phase == "expired":
        return meter.admit_run("hot", "late-" + ident, now=T0 + 3600).allowed
    if phase == "writes":
        return meter.reserve_writes("hot", "slack", 7, ident, now=T0).allowed
    if phase == "same-key":
        return not meter.reserve_writes("hot", "github", 5, f"shared-{i}", now=T0).replayed
    raise ValueError(f"unknown contention phase {phase!r}")


def contention_worker(url: str, catalog: Catalog, phase: str, threads: int, calls: int, worker: int) -> int:
    """Hammer tenant `hot` from `threads` threads; the number of admitted calls. Runs in a child process."""
    from concurrent.futures import ThreadPoolExecutor

    from metering import Meter

    meter = Meter(catalog, url, contract_ttl=60)

    def run(thread: int) -> int:
        return sum(contention_call(meter, phase, f"w{worker}-t{thread}-{i}", i) for i in range(calls))

    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(run, range(threads)))
    meter.storage.close()
    return total


def record_usage_in_child(url: str, catalog: Catalog) -> None:
    """Run in a child process: admit, reserve and hold a lease, then exit without cleaning up."""
    from metering import Meter

    meter = Meter(catalog, url)
    meter.put_contract({"tenant": "durable", "plan": "business"})
    assert meter.admit_run("durable", "run-1", writes={"slack": 4}, ttl=7200, now=T0).allowed
    assert meter.hit("durable", "writes_per_day", 96, connector="slack", now=T0).allowed
    meter.record_gauge("durable", "indexed_gb", 12.5, now=T0)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records POSTs and fails the first `fail_first` with HTTP 503."""

    def __init__(self, fail_first: int = 0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.received: list[tuple[dict, bytes]] = []
        self.fail_first = fail_first
        self.calls = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls += 1
                if receiver.calls <= receiver.fail_first:
                    self.send_response(503)
                else:
                    receiver.received.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/usage"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """A minimal SMTP server on 127.0.0.1 that keeps every message it is sent (RFC 5321 happy path)."""

    def __init__(self):
        import socketserver
        import threading

        receiver = self
        self.messages: list[tuple[list[str], bytes]] = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                rcpts, data = [], None
                self.wfile.write(b"220 localhost ESMTP test\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if data is not None:
                        if line == b".\r\n":
                            receiver.messages.append((rcpts, b"".join(data)))
                            data, rcpts = None, []
                            self.wfile.write(b"250 queued\r\n")
                        else:
                            data.append(line[1:] if line.startswith(b"..") else line)
                    elif verb in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250 localhost\r\n")
                    elif verb == b"RCPT":
                        rcpts.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                        self.wfile.write(b"250 ok\r\n")
                    elif verb == b"DATA":
                        data = []
                        self.wfile.write(b"354 end with .\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class ThreadedServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, app):
        import threading

        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)
