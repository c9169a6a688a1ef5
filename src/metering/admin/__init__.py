"""The metering admin UI: the fleet nearest to a limit first, one tenant's usage and contract changes, monthly
statements, and adding a tenant from its kit file."""

from .app import create_admin

__all__ = ["create_admin"]
