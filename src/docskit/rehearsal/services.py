"""The running parts a rehearsal talks to, all on 127.0.0.1: the metering API, its store and a webhook receiver.

The API runs as a subprocess (`metering.serve_api.serve_api`, what `./dev api` runs) over a SQLite file in the
scratch folder, or over a `redis-server` started for the run. The receiver checks each delivery's signature with
`metering.notify.verify`, as a tenant's receiver would. `running_services` stops everything it started, in reverse
order, whatever happens.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from metering.api import issue_token
from metering.dispatch_loop import WEBHOOK_SECRET_ENV, WEBHOOK_URL_ENV
from metering.notify import EVENT_ID_HEADER, SIGNATURE_HEADER, verify
from metering.serve_api import SECRET_ENV
from metering.testing import RedisServer, free_port

from .scenarios import RehearsalInputError

HOST = "127.0.0.1"
STORES = ("sqlite", "redis")
SRC = Path(__file__).resolve().parents[2]
API_PROGRAM = (
    "import sys\n"
    "from metering.serve_api import serve_api\n"
    "serve_api(sys.argv[1], int(sys.argv[2]), sys.argv[3], dispatch_interval=float(sys.argv[4]))\n"
)


def port_in_use(port: int) -> bool:
    """True when something on 127.0.0.1 already listens on `port`."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def check_port(port: int) -> None:
    """RehearsalInputError when `port` is not a usable free port on 127.0.0.1."""
    if not 0 < port < 65536:
        raise RehearsalInputError(f"--port must be between 1 and 65535, got {port}")
    if port_in_use(port):
        raise RehearsalInputError(
            f"port {port} on {HOST} is in use; pass another --port, or leave --port out to use a free one"
        )


@dataclass
class Delivery:
    """One webhook request as the receiver saw it."""

    id: str
    payload: dict
    signature_valid: bool
    received: float


class WebhookReceiver:
    """A tenant's webhook endpoint on 127.0.0.1: verifies signatures, keeps every delivery, answers 204 (401 when
    the signature is wrong)."""

    def __init__(self, secret: str):
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = verify(receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body)
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {}
                receiver.add(Delivery(self.headers.get(EVENT_ID_HEADER, ""), payload, valid, time.time()))
                self.send_response(204 if valid else 401)
                self.end_headers()

            def log_message(self, format, *args):
                return

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}/metering-webhook"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="rehearsal-webhook", daemon=True
        )

    def add(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)

    def of_tenant(self, tenant: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.payload.get("tenant") == tenant]

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


class ApiProcess:
    """`serve_api` in a subprocess on 127.0.0.1:`port`; its output goes to `log` in the scratch folder."""

    def __init__(self, port: int, store: str, environ: dict, log: Path, interval: float):
        self.port = port
        self.base_url = f"http://{HOST}:{port}"
        self.log = log
        args = [sys.executable, "-c", API_PROGRAM, HOST, str(port), store, str(interval)]
        env = {
            **os.environ,
            **environ,
            "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        }
        with open(log, "wb") as out:
            self.process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until /openapi.json answers; RuntimeError with the end of the server's log when it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base_url}/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        tail = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"the metering API did not start on port {self.port}: {' | '.join(tail)}")

    def stop(self) -> None:
        """SIGTERM (the API closes its dispatch loop and store), then SIGKILL if it has not ended in 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@dataclass
class Services:
    """What the steps talk to: the API (base URL, token secret), the store URL and the webhook receiver."""

    base_url: str
    store_url: str
    store_kind: str
    secret: str
    receiver: WebhookReceiver
    api: ApiProcess
    clients: list = field(default_factory=list)

    def client(self, subject: str, timeout: float) -> httpx.Client:
        """An HTTP client for the API with a token whose subject is `subject` (recorded as who changed what)."""
        token = issue_token(self.secret, subject=subject)
        client = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
        self.clients.append(client)
        return client

    def close_clients(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()


@contextmanager
def running_services(scratch: Path, store: str, settings, port: int | None = None) -> Iterator[Services]:
    """Start the store (Redis when asked), the webhook receiver and the API; stop them all on leaving."""
    if store not in STORES:
        raise RehearsalInputError(f"unknown --store {store!r}; valid: {', '.join(STORES)}")
    if port is not None:
        check_port(port)
    with ExitStack() as stack:
        if store == "redis":
            folder = scratch / "redis"
            folder.mkdir(parents=True, exist_ok=True)
            redis = RedisServer(folder)
            stack.callback(redis.stop)
            redis.start()
            store_url = redis.url
        else:
            store_url = f"sqlite:///{scratch / 'metering.db'}"
        webhook_secret = secrets.token_urlsafe(32)
        receiver = WebhookReceiver(webhook_secret).start()
        stack.callback(receiver.stop)
        secret = secrets.token_urlsafe(32)
        environ = {SECRET_ENV: secret, WEBHOOK_URL_ENV: receiver.url, WEBHOOK_SECRET_ENV: webhook_secret}
        api = ApiProcess(
            port or free_port(),
            store_url,
            environ,
            scratch / "metering-api.log",
            float(settings["notification_interval_seconds"]),
        )
        stack.callback(api.stop)
        api.wait_ready()
        services = Services(api.base_url, store_url, store, secret, receiver, api)
        stack.callback(services.close_clients)
        yield services
