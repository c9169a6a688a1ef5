"""Errors raised by metering, each naming the input field that is wrong so the HTTP API can say so."""

from __future__ import annotations


class MeteringError(Exception):
    """Base class: `field` names the offending input, `status` is the HTTP status the API answers with."""

    status = 400
    title = "Invalid request"
    slug = "invalid-request"

    def __init__(self, detail: str, field: str = ""):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidArgument(MeteringError):
    """A value is missing, of the wrong type or out of range."""

    status = 422
    title = "Invalid value"
    slug = "invalid-value"


class UnknownTenant(MeteringError):
    """No contract is on file for the tenant."""

    status = 404
    title = "Unknown tenant"
    slug = "unknown-tenant"


class UnknownDimension(MeteringError):
    """The dimension or connector is not metered."""

    status = 404
    title = "Unknown dimension"
    slug = "unknown-dimension"


class LeaseNotFound(MeteringError):
    """The lease or reservation id was never issued to this tenant."""

    status = 404
    title = "Not found"
    slug = "not-found"


class LeaseExpired(MeteringError):
    """The lease expired or was released; its slot is gone and the run must be admitted again."""

    status = 409
    title = "Lease expired"
    slug = "lease-expired"


class ConfigError(MeteringError):
    """plans.yaml, a contract or a storage URL cannot be used."""

    status = 500
    title = "Configuration error"
    slug = "configuration-error"


class MalformedRequest(MeteringError):
    """The request body is not a JSON object."""

    status = 400
    title = "Malformed request"
    slug = "malformed-request"


class Unauthorized(MeteringError):
    """No token, a wrong token or an expired token."""

    status = 401
    title = "Unauthorized"
    slug = "unauthorized"


class StoreUnavailable(MeteringError):
    """The store did not answer (unreachable, restarting, or locked past the wait) and the dimension fails closed."""

    status = 503
    title = "Store unavailable"
    slug = "store-unavailable"
