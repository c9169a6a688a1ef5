"""The metering admin UI: who is near a limit, one tenant's usage, monthly statements."""

from .app import create_admin

__all__ = ["create_admin"]
