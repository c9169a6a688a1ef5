"""Deliver the outbox on a schedule: a daemon thread that runs `Dispatcher.deliver_due` every few seconds.

`notifiers_from_env` picks the channels a server uses: always the log, plus a signed webhook when
METERING_WEBHOOK_URL and METERING_WEBHOOK_SECRET are both set.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from .errors import ConfigError
from .notify import DeliveryReport, Dispatcher, LogNotifier, Notifier, WebhookNotifier

log = logging.getLogger("metering.dispatch")

WEBHOOK_URL_ENV = "METERING_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "METERING_WEBHOOK_SECRET"
#: Seconds between two delivery rounds of a server.
DEFAULT_INTERVAL = 10.0


def notifiers_from_env(environ: Mapping[str, str] | None = None) -> list[Notifier]:
    """The log notifier, and a webhook notifier when both webhook variables are set.

    ConfigError when only one of them is set: a half-configured webhook would silently deliver nothing.
    """
    env = os.environ if environ is None else environ
    notifiers: list[Notifier] = [LogNotifier()]
    url, secret = env.get(WEBHOOK_URL_ENV, ""), env.get(WEBHOOK_SECRET_ENV, "")
    if url and secret:
        notifiers.append(WebhookNotifier(url, secret))
    elif url or secret:
        missing = WEBHOOK_SECRET_ENV if url else WEBHOOK_URL_ENV
        given = WEBHOOK_URL_ENV if url else WEBHOOK_SECRET_ENV
        raise ConfigError(
            f"{given} is set but {missing} is not; set both to send webhook notifications, or neither",
            missing,
        )
    return notifiers


class DispatchLoop:
    """Calls `dispatcher.deliver_due()` at start and then every `interval` seconds, on a daemon thread.

    A round that raises is logged and the loop carries on with the next one. `stop()` ends the loop and
    waits for the round in progress. Usable as a context manager (start on enter, stop on exit).
    """

    def __init__(self, dispatcher: Dispatcher, interval: float = DEFAULT_INTERVAL, *, name: str = ""):
        if not interval > 0:
            raise ValueError("the dispatch interval must be greater than zero seconds")
        self.dispatcher = dispatcher
        self.interval = float(interval)
        self.name = name or "metering-dispatch"
        self.rounds = 0
        self.failed_rounds = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> DispatchLoop:
        if self._thread is not None:
            raise RuntimeError("the dispatch loop was already started")
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def run_once(self) -> DeliveryReport | None:
        """One delivery round; None (and a logged traceback) when the round raised."""
        self.rounds += 1
        try:
            report = self.dispatcher.deliver_due()
        except Exception:
            self.failed_rounds += 1
            log.exception("notification delivery round failed; trying again in %g s", self.interval)
            return None
        if report.delivered or report.failed:
            log.info("notifications: %d delivered, %d failed", report.delivered, report.failed)
        return report

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after the round in progress (if any) and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> DispatchLoop:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
