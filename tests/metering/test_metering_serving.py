"""Serving: the dispatch loop delivers the outbox on its own, and `invoke api` serves the HTTP API."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import threading
import time

import httpx
import pytest

from docskit.paths import REPO_ROOT
from metering import Meter
from metering.api import issue_token
from metering.dispatch_loop import DispatchLoop, notifiers_from_env
from metering.errors import ConfigError
from metering.notify import DeliveryReport, Dispatcher, verify
from metering.serve_api import serve_api
from tests.invoking import run_invoke
from tests.metering.helpers import WebhookReceiver, free_port

SECRET = "s" * 32
WEBHOOK_SECRET = "whsec-serving-test"


class RecordingNotifier:
    """Keeps what it is sent; raises for the first `fail_first` sends."""

    name = "recording"

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.calls = 0
        self.sent = []
        self.arrived = threading.Event()

    def send(self, notification) -> None:
        self.calls += 1
        if self.calls <= self.fail_first:
            raise RuntimeError("receiver is down")
        self.sent.append(notification)
        self.arrived.set()


@pytest.fixture
def acme(catalog):
    """A meter on memory:// with tenant acme; crossing 80% of its Slack write cap queues a notification."""
    meter = Meter(catalog, "memory://", contract_ttl=0)
    meter.put_contract({"tenant": "acme", "plan": "team"})
    yield meter
    meter.storage.close()


def reach_80_percent(meter: Meter) -> None:
    quota = meter.limits("acme")["writes_per_day"].limit
    assert meter.hit("acme", "writes_per_day", quota * 0.8, connector="slack").allowed


def test_dispatch_loop_delivers_a_due_notification_within_two_intervals(acme):
    interval = 0.2
    notifier = RecordingNotifier()
    with DispatchLoop(Dispatcher(acme.storage, [notifier]), interval) as loop:
        time.sleep(interval / 2)  # the first round has run: what follows is the loop's own doing
        reach_80_percent(acme)
        queued = time.monotonic()
        assert notifier.arrived.wait(2 * interval + 0.3)
        assert time.monotonic() - queued <= 2 * interval + 0.3
        assert loop.running
    (sent,) = notifier.sent
    assert (sent.tenant, sent.dimension, sent.scope, sent.threshold) == (
        "acme",
        "writes_per_day",
        "slack",
        "80%",
    )
    (stored,) = acme.storage.notifications("acme")
    assert stored.delivered_at is not None and stored.attempts == 1
    assert not loop.running


def test_dispatch_loop_retries_after_a_notifier_raises(acme):
    notifier = RecordingNotifier(fail_first=1)
    dispatcher = Dispatcher(acme.storage, [notifier], backoff_seconds=0.05)
    reach_80_percent(acme)
    with DispatchLoop(dispatcher, 0.05) as loop:
        assert notifier.arrived.wait(3)
        assert loop.running
    (stored,) = acme.storage.notifications("acme")
    assert stored.attempts == 2 and stored.delivered_at is not None
    assert "receiver is down" in stored.last_error


def test_dispatch_loop_keeps_running_after_a_round_raises(caplog):
    class BrokenOnce:
        calls = 0

        def deliver_due(self):
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("store unreachable")
            return DeliveryReport()

    dispatcher = BrokenOnce()
    with caplog.at_level(logging.ERROR, logger="metering.dispatch"):
        loop = DispatchLoop(dispatcher, 0.02).start()
        deadline = time.monotonic() + 3
        while dispatcher.calls < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert loop.running
        loop.stop()
    assert dispatcher.calls >= 3 and loop.failed_rounds == 1
    assert "store unreachable" in caplog.text and "delivery round failed" in caplog.text


def test_stopping_the_loop_does_not_wait_for_the_next_round(acme):
    loop = DispatchLoop(Dispatcher(acme.storage, [RecordingNotifier()]), interval=60).start()
    started = time.monotonic()
    loop.stop()
    assert time.monotonic() - started < 2
    assert not loop.running


def test_webhook_from_the_environment_receives_the_loops_deliveries(acme):
    with WebhookReceiver() as receiver:
        env = {"METERING_WEBHOOK_URL": receiver.url, "METERING_WEBHOOK_SECRET": WEBHOOK_SECRET}
        notifiers = notifiers_from_env(env)
        assert [n.name for n in notifiers] == ["log", "webhook"]
        reach_80_percent(acme)
        with DispatchLoop(Dispatcher(acme.storage, notifiers), 0.05):
            deadline = time.monotonic() + 3
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.02)
    ((headers, body),) = receiver.received
    assert verify(WEBHOOK_SECRET, headers["X-Metering-Signature"], body)


def test_only_the_log_notifier_without_webhook_variables():
    assert [n.name for n in notifiers_from_env({})] == ["log"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "METERING_API_SECRET is not set"),
        ({"METERING_API_SECRET": ""}, "METERING_API_SECRET is not set"),
        ({"METERING_API_SECRET": "x" * 31}, "METERING_API_SECRET is only 31 characters long"),
        (
            {"METERING_API_SECRET": SECRET, "METERING_WEBHOOK_URL": "https://hooks.example/usage"},
            "METERING_WEBHOOK_URL is set but METERING_WEBHOOK_SECRET is not",
        ),
    ],
)
def test_serve_api_refuses_to_start_without_a_usable_configuration(environ, message, catalog, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("serve_api started serving"))
    with pytest.raises(ConfigError, match=message) as refused:
        serve_api(port=free_port(), store="memory://", environ=environ, catalog=catalog)
    assert "at least 32 characters" in str(refused.value) or "WEBHOOK" in message


def test_api_task_without_a_secret_exits_with_the_variable_named(monkeypatch):
    monkeypatch.delenv("METERING_API_SECRET", raising=False)
    result = run_invoke("api", "--port", str(free_port()), timeout=60)
    assert result.returncode == 2
    assert "api: METERING_API_SECRET is not set" in result.stderr


def test_api_task_serves_the_openapi_document_and_authorised_usage(catalog, tmp_path):
    build = tmp_path / "build"
    store = f"sqlite:///{build}/metering/metering.db"  # where the task keeps its store by default
    seeded = Meter(catalog, store)
    seeded.put_contract({"tenant": "acme", "plan": "team"})
    reach_80_percent(seeded)  # a notification waits in the outbox: the server's dispatch loop delivers it
    seeded.storage.close()
    secret = secrets.token_urlsafe(32)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("METERING_")},
        "METERING_API_SECRET": secret,
        "DOCSKIT_BUILD_DIR": str(build),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "invoke", "api", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 8
        while True:
            assert server.poll() is None, server.communicate()
            try:
                document = httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "invoke api did not answer within 8 s"
                time.sleep(0.05)
        assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
        assert httpx.get(f"{base}/v1/tenants/acme/usage", timeout=5).status_code == 401
        token = issue_token(secret)
        usage = httpx.get(
            f"{base}/v1/tenants/acme/usage", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert usage.status_code == 200, usage.text
        assert (usage.json()["tenant"], usage.json()["plan"]) == ("acme", "team")
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert server.returncode == 0, err
    assert f"URL:      {base}/v1/tenants/" in out
    assert f"OpenAPI:  {base}/openapi.json" in out
    assert "issue_token" in out and "notify:   log" in out
    assert "Stopped (SIGTERM)." in out
    assert "usage threshold: tenant acme reached 80% of writes_per_day (slack)" in err
    delivered = Meter(catalog, store)
    (notification,) = delivered.storage.notifications("acme")
    assert notification.delivered_at is not None
    delivered.storage.close()
