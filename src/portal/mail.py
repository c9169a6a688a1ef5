"""E-mail from the portal through a real SMTP server (smtplib): magic links and new-version notices.

Settings come from the environment: PORTAL_SMTP_HOST, PORTAL_SMTP_PORT (default 25), PORTAL_SMTP_STARTTLS=1,
PORTAL_SMTP_USER and PORTAL_SMTP_PASSWORD. Addresses reach headers only through `email.message`, which refuses
line breaks, so a form field can never add a header.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from .errors import ConfigError

log = logging.getLogger("portal.mail")


@dataclass(frozen=True)
class SmtpMailer:
    """Sends one message per call over a new SMTP connection."""

    host: str
    port: int
    sender: str
    sender_name: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 15.0

    @classmethod
    def from_env(cls, sender: str, sender_name: str, environ=os.environ) -> SmtpMailer:
        """The mailer PORTAL_SMTP_* configure; ConfigError when the host is missing or the port is not a number."""
        host = environ.get("PORTAL_SMTP_HOST", "")
        if not host:
            raise ConfigError(
                "set PORTAL_SMTP_HOST (and PORTAL_SMTP_PORT) to the SMTP server the portal sends through"
            )
        try:
            port = int(environ.get("PORTAL_SMTP_PORT", "25"))
        except ValueError:
            raise ConfigError(
                f"PORTAL_SMTP_PORT must be a number, got {environ['PORTAL_SMTP_PORT']!r}"
            ) from None
        return cls(
            host,
            port,
            sender,
            sender_name,
            starttls=environ.get("PORTAL_SMTP_STARTTLS", "") == "1",
            username=environ.get("PORTAL_SMTP_USER", ""),
            password=environ.get("PORTAL_SMTP_PASSWORD", ""),
        )

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = formataddr((self.sender_name, self.sender))
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2])
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(body)
        return msg

    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one plain-text message; raises smtplib.SMTPException or OSError when the server refuses."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(self.message(to, subject, body))


def portal_mailer(company: dict, host: str, port: int) -> SmtpMailer:
    """A mailer that sends as the sales contact of data/company.yaml, named after the portal."""
    sender = next(c["email"] for c in company["contacts"] if c["id"] == "sales")
    return SmtpMailer(host, port, sender, f"{company['short_name']} trust portal")


def deliver(mailer: SmtpMailer, to: str, subject: str, body: str) -> bool:
    """Send, logging (never raising) a failure: a background send must not break the page already answered."""
    try:
        mailer.send(to, subject, body)
    except (smtplib.SMTPException, OSError) as exc:
        log.error("portal: could not send %r to %s: %s", subject, to, exc)
        return False
    return True
