"""A local SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives: `./dev portal` sends its mail here when
no PORTAL_SMTP_HOST is set (and prints each message), and the tests read their magic links from it."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Outbox:
    """Receives mail on 127.0.0.1:`port`; keeps every message, optionally writes it to `folder` and echoes it."""

    def __init__(self, folder: Path | None = None, echo=None):
        self.folder, self.echo = folder, echo
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._controller: Controller | None = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{time.time():.6f}.eml").write_bytes(envelope.content)
        if self.echo is not None:
            self.echo(message)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> Outbox:
        self.port = free_port()
        self._controller = Controller(self, hostname=HOST, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Outbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, to: str, count: int = 1, timeout: float = 20.0) -> list[EmailMessage]:
        """The first `count` messages addressed to `to`, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [m for m in self.messages if m["To"] == to]
                if len(found) >= count or time.monotonic() >= deadline:
                    return found
                self._arrived.wait(max(0.05, deadline - time.monotonic()))
