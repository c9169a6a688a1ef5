"""How metering runs in production (data/metering_operations.yaml): store-failure policy, waits, clock, metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FAIL_OPEN, FAIL_CLOSED = "fail_open", "fail_closed"


@dataclass(frozen=True)
class Operations:
    """The `metering_operations` settings; the defaults are what a context without the file gets.

    `fail_open` holds the dimensions admitted without counting while the store cannot be reached (every
    other dimension fails closed); `log_interval` is the seconds between two log lines about one kind of store
    failure; `sqlite_lock_timeout` is how long a SQLite decision waits for another writer; `clock_sync` is how
    often a server re-reads the Redis clock; `tenant_series_limit` and `metrics_refresh` shape /metrics.
    """

    fail_open: frozenset[str] = frozenset()
    log_interval: float = 60.0
    sqlite_lock_timeout: float = 5.0
    clock_sync: float = 30.0
    tenant_series_limit: int = 20
    metrics_refresh: float = 15.0

    def policy(self, dimension: str) -> str:
        """FAIL_OPEN or FAIL_CLOSED: what a decision on `dimension` does while the store is unreachable."""
        return FAIL_OPEN if dimension in self.fail_open else FAIL_CLOSED

    @classmethod
    def from_context(cls, context: Mapping) -> Operations:
        """The settings of a data context; the defaults when it has no `metering_operations`."""
        raw = context.get("metering_operations")
        if raw is None:
            return cls()
        store, metrics = raw["store"], raw["metrics"]
        return cls(
            fail_open=frozenset(store["fail_open_dimensions"]),
            log_interval=float(store["log_interval_seconds"]),
            sqlite_lock_timeout=float(store["sqlite_lock_timeout_seconds"]),
            clock_sync=float(store["clock_sync_seconds"]),
            tenant_series_limit=int(metrics["tenant_series_limit"]),
            metrics_refresh=float(metrics["refresh_seconds"]),
        )
