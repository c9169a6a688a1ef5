"""Notification delivery from the outbox: webhook with HMAC signature and retries, e-mail, log."""

from __future__ import annotations

import json
import logging
from email import message_from_bytes

from metering.notify import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    Dispatcher,
    EmailNotifier,
    LogNotifier,
    SmtpSettings,
    WebhookNotifier,
    verify,
)
from tests.metering.helpers import T0, SmtpReceiver, WebhookReceiver

SECRET = "whsec-test-only"


def reach_80_percent(meter):
    quota = meter.limits("acme")["writes_per_day"].limit
    assert meter.hit("acme", "writes_per_day", quota * 0.8, connector="slack", now=T0).allowed


def test_webhook_delivery_is_signed_and_retried_until_accepted(meter):
    reach_80_percent(meter)
    with WebhookReceiver(fail_first=2) as receiver:
        dispatcher = Dispatcher(meter.storage, [WebhookNotifier(receiver.url, SECRET)], backoff_seconds=30)
        assert dispatcher.deliver_due(now=T0).failed == 1
        assert dispatcher.deliver_due(now=T0 + 10).failed == 0  # not due again before the backoff
        assert dispatcher.deliver_due(now=T0 + 31).failed == 1
        assert dispatcher.deliver_due(now=T0 + 31 + 61).delivered == 1
        assert dispatcher.deliver_due(now=T0 + 10_000).delivered == 0  # delivered once, never again
    ((headers, body),) = receiver.received
    assert verify(SECRET, headers[SIGNATURE_HEADER], body)
    assert not verify("another-secret", headers[SIGNATURE_HEADER], body)
    assert not verify(SECRET, headers[SIGNATURE_HEADER], body + b" ")
    payload = json.loads(body)
    assert (payload["tenant"], payload["dimension"], payload["connector"], payload["threshold"]) == (
        "acme",
        "writes_per_day",
        "slack",
        "80%",
    )
    assert headers[EVENT_ID_HEADER] == payload["id"]
    (n,) = meter.storage.notifications("acme")
    assert n.attempts == 3 and n.delivered_at == T0 + 92


def test_a_notification_that_keeps_failing_is_given_up_and_kept(meter):
    reach_80_percent(meter)
    with WebhookReceiver(fail_first=100) as receiver:
        dispatcher = Dispatcher(meter.storage, [WebhookNotifier(receiver.url, SECRET)], max_attempts=2)
        dispatcher.deliver_due(now=T0)
        dispatcher.deliver_due(now=T0 + 3600)
        assert dispatcher.deliver_due(now=T0 + 10 * 365 * 86400).failed == 0
    (n,) = meter.storage.notifications("acme")
    assert n.delivered_at is None and "gave up after 2 attempts" in n.last_error


def test_email_goes_to_tenant_contacts_and_the_account_team(meter):
    reach_80_percent(meter)
    with SmtpReceiver() as smtp:
        notifier = EmailNotifier(
            SmtpSettings("127.0.0.1", smtp.port, sender="metering@ops.example"),
            ["accounts@ops.example"],
            lambda t: meter.contract(t).contacts,
        )
        assert Dispatcher(meter.storage, [notifier]).deliver_due(now=T0).delivered == 1
    ((rcpts, raw),) = smtp.messages
    assert rcpts == ["ops@acme.example", "accounts@ops.example"]
    message = message_from_bytes(raw)
    assert "acme reached 80% of writes_per_day" in message["Subject"]
    assert "slack" in message.get_payload()


def test_log_notifier_writes_a_warning(meter, caplog):
    reach_80_percent(meter)
    with caplog.at_level(logging.WARNING, logger="metering.notify"):
        Dispatcher(meter.storage, [LogNotifier()]).deliver_due(now=T0)
    assert "tenant acme reached 80% of writes_per_day (slack)" in caplog.text


def test_two_dispatchers_do_not_deliver_the_same_notification_twice(meter):
    reach_80_percent(meter)
    with WebhookReceiver() as receiver:
        notifier = WebhookNotifier(receiver.url, SECRET)
        first = Dispatcher(meter.storage, [notifier]).deliver_due(now=T0)
        second = Dispatcher(meter.storage, [notifier]).deliver_due(now=T0)
    assert (first.delivered, second.delivered) == (1, 0)
    assert len(receiver.received) == 1
