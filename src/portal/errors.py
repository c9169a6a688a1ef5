"""Errors of the trust portal: each becomes a page that says what went wrong and what to do, and changes nothing."""

from __future__ import annotations


class PortalError(Exception):
    """Something the visitor asked for cannot be done; `status` is the HTTP status of the page that says so."""

    status = 400

    def __init__(self, title: str, detail: str, status: int | None = None):
        super().__init__(detail)
        self.title = title
        self.detail = detail
        if status is not None:
            self.status = status


class NotFound(PortalError):
    status = 404


class Forbidden(PortalError):
    status = 403


class InvalidInput(PortalError):
    """A form field is missing, too long or unusable; `field` names it."""

    status = 422

    def __init__(self, field: str, detail: str):
        super().__init__("Please check the form", detail)
        self.field = field


class TooManyRequests(PortalError):
    status = 429


class ConfigError(Exception):
    """The portal cannot start as configured (database URL, SMTP settings, secrets); the message says how to fix it."""
