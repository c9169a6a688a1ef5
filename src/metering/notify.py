"""Deliver threshold notifications from the outbox: to a log, a webhook (HMAC-signed) and e-mail (SMTP).

The outbox row is written in the same transaction as the usage that crossed the threshold, so a
notification exists exactly once. Delivery is at least once: a failed delivery is retried with
exponential backoff, and every message carries the notification id so receivers can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from .models import Notification
from .storage import Storage
from .storage.base import GAVE_UP

log = logging.getLogger("metering.notify")

SIGNATURE_HEADER = "X-Metering-Signature"
EVENT_ID_HEADER = "X-Metering-Event-Id"


class Notifier(Protocol):
    """Sends one notification; raises on failure so the dispatcher retries it."""

    name: str

    def send(self, notification: Notification) -> None: ...


def describe(n: Notification) -> str:
    """One line a person reads: who reached what."""
    scope = f" ({n.scope})" if n.scope else ""
    return (
        f"tenant {n.tenant} reached {n.threshold} of {n.dimension}{scope}: {n.usage:g} of {n.limit:g} "
        f"in period {n.period}"
    )


class LogNotifier:
    """Writes each notification to the `metering.notify` logger at WARNING."""

    name = "log"

    def __init__(self, logger: logging.Logger = log):
        self.logger = logger

    def send(self, notification: Notification) -> None:
        self.logger.warning("usage threshold: %s", describe(notification))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, tolerance: float = 300, now: float | None = None) -> bool:
    """Check a signature header as a receiver does: right MAC, and signed within `tolerance` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class WebhookNotifier:
    """POSTs the notification as JSON, signed with HMAC-SHA256; a non-2xx answer is a failure."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 5.0, client: httpx.Client | None = None):
        if not secret:
            raise ValueError("a webhook needs a signing secret")
        self.url = url
        self.secret = secret
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, notification: Notification) -> None:
        body = json.dumps(notification.payload(), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
            EVENT_ID_HEADER: notification.id,
        }
        response = self.client.post(self.url, content=body, headers=headers)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"webhook answered HTTP {response.status_code}")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how e-mail is sent."""

    host: str
    port: int = 25
    sender: str = "metering@localhost"
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0


class EmailNotifier:
    """Mails the tenant's contacts (from its contract) and the account team."""

    name = "email"

    def __init__(
        self,
        settings: SmtpSettings,
        account_team: Sequence[str],
        contacts_of: Callable[[str], Sequence[str]] = lambda tenant: (),
    ):
        self.settings = settings
        self.account_team = tuple(account_team)
        self.contacts_of = contacts_of

    def message(self, n: Notification) -> EmailMessage:
        """The e-mail for a notification (Message-ID from its id, so repeats can be recognised)."""
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = ", ".join(dict.fromkeys([*self.contacts_of(n.tenant), *self.account_team]))
        msg["Subject"] = f"Usage notice: {n.tenant} reached {n.threshold} of {n.dimension}"
        msg["Message-ID"] = f"<metering-{n.id.replace(':', '-')}@{self.settings.host}>"
        msg.set_content(
            f"{describe(n)}.\n\nWhat happens next depends on the overage mode of {n.dimension}: with throttle,"
            " runs queue, writes wait for the next window and indexing pauses until usage falls or the"
            " limit is raised.\n"
        )
        return msg

    def send(self, notification: Notification) -> None:
        msg = self.message(notification)
        if not msg["To"]:
            raise RuntimeError("no recipients: the contract has no contacts and no account team is set")
        s = self.settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username:
                smtp.login(s.username, s.password)
            smtp.send_message(msg)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0


class Dispatcher:
    """Claims due outbox entries and hands each to every notifier; failures are retried with backoff."""

    def __init__(
        self,
        storage: Storage,
        notifiers: Sequence[Notifier],
        *,
        max_attempts: int = 8,
        backoff_seconds: float = 30.0,
        lock_seconds: float = 120.0,
        clock: Callable[[], float] = time.time,
    ):
        self.storage = storage
        self.notifiers = list(notifiers)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.lock_seconds = lock_seconds
        self.clock = clock

    def retry_delay(self, attempts: int) -> float:
        """Seconds before attempt number `attempts + 1`: 30 s, 60 s, 120 s ... capped at six hours."""
        return min(self.backoff_seconds * 2 ** max(0, attempts - 1), 6 * 3600)

    def deliver_due(self, now: float | None = None, limit: int = 100) -> DeliveryReport:
        """Deliver what is due now; the counts of delivered and failed notifications."""
        now = self.clock() if now is None else now
        report = DeliveryReport()
        for n in self.storage.claim_due(now, limit, self.lock_seconds):
            try:
                for notifier in self.notifiers:
                    notifier.send(n)
            except Exception as err:  # any failure of any channel means: try again later
                report.failed += 1
                attempts = n.attempts + 1
                if attempts >= self.max_attempts:
                    retry_at = GAVE_UP
                    error = f"gave up after {attempts} attempts: {err}"
                else:
                    retry_at = now + self.retry_delay(attempts)
                    error = str(err)
                log.warning("notification %s not delivered (%s)", n.id, error)
                self.storage.mark_failed(n, retry_at, f"{type(err).__name__}: {error}")
            else:
                report.delivered += 1
                self.storage.mark_delivered(n, now)
        return report
