"""memory:// — state in this process only (tests, the demo, single-process embedding)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from .. import engine
from ..models import Notification
from .base import GAVE_UP, PEAK_METRICS, TOMBSTONE_SECONDS, OutboxStats, TransactionalStorage


@dataclass
class _Tenant:
    """One tenant's state; it is its own Txn while the store lock is held."""

    tenant: str
    store: MemoryStorage
    scalars: dict = field(default_factory=dict)
    leases: dict = field(default_factory=dict)  # active (or expired but not yet noticed): id -> expiry
    ended: dict = field(default_factory=dict)  # released (id -> -when) or expired (id -> expiry)
    reservations: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    usage: dict = field(default_factory=dict)

    def __post_init__(self):
        self.get = self.scalars.get  # Txn.get, without a Python call on the hot path

    def prepare(self, req):
        pass  # everything is in memory already

    def put(self, key, window, value):
        self.scalars[key] = (window, value)

    def lease(self, lease_id):
        expires = self.leases.get(lease_id)
        return self.ended.get(lease_id) if expires is None else expires

    def put_lease(self, lease_id, expires):
        self.ended.pop(lease_id, None)
        self.leases[lease_id] = expires

    def end_lease(self, lease_id, now):
        self.leases.pop(lease_id, None)
        self.ended[lease_id] = -now

    def active_leases(self, now):
        leases = self.leases
        for lease_id in [k for k, e in leases.items() if e <= now]:
            self.ended[lease_id] = leases.pop(lease_id)
        return len(leases)

    def reservation(self, key):
        return self.reservations.get(key)

    def put_reservation(self, key, record):
        self.reservations[key] = record

    def fire(self, dim, scope, period, label, usage, limit, now):
        key = f"{self.tenant}|{dim}|{scope}|{period}|{label}"
        if key in self.store._fired:
            return False
        return self.store._fire(self, dim, scope, period, label, usage, limit, now)

    def count_event(self, minute, dim, scope, outcome):
        k = (minute, dim, scope, outcome)
        self.events[k] = self.events.get(k, 0) + 1

    def add_usage(self, dim, scope, hour, metric, value):
        k = (dim, scope, hour, metric)
        old = self.usage.get(k)
        if old is None:
            self.usage[k] = value
        else:
            self.usage[k] = max(old, value) if metric in PEAK_METRICS else old + value


class MemoryStorage(TransactionalStorage):
    """Dictionaries behind one lock. Fast, exact, gone when the process ends."""

    schemes = ("memory",)

    def __init__(self, url: str = "memory://"):
        self._lock = threading.RLock()
        self._tenants: dict[str, _Tenant] = {}
        self._outbox: list[Notification] = []
        self._fired: set[str] = set()
        self._contracts: dict[str, str] = {}
        self._contract_history: dict[str, list[tuple[float, str]]] = {}
        self._reaped = 0.0  # leases that expired up to this time were counted by reap_expired_leases

    def _tenant(self, tenant: str) -> _Tenant:
        t = self._tenants.get(tenant)
        if t is None:
            t = self._tenants[tenant] = _Tenant(tenant, self)
        return t

    @contextmanager
    def transaction(self, tenant):
        # engine functions raise only before they change anything, so there is nothing to undo
        with self._lock:
            yield self._tenant(tenant)

    def admit(self, req):
        with self._lock:  # the hot path, without the context manager's overhead
            t = self._tenants.get(req.tenant) or self._tenant(req.tenant)
            return engine.admit(t, req)

    def decide(self, tenant, check, now):
        with self._lock:
            t = self._tenants.get(tenant) or self._tenant(tenant)
            return engine.decide_one(t, check, now)[0]

    def _fire(self, t, dim, scope, period, label, usage, limit, now):
        n = Notification(str(len(self._outbox) + 1), t.tenant, dim, scope, period, label, usage, limit, now)
        if n.key in self._fired:
            return False
        self._fired.add(n.key)
        self._outbox.append(n)
        return True

    def scalars(self, tenant):
        with self._lock:
            return dict(self._tenant(tenant).scalars)

    def active_leases(self, tenant, now):
        with self._lock:
            return self._tenant(tenant).active_leases(now)

    def usage_history(self, tenant, hour_from, hour_to):
        with self._lock:
            items = self._tenant(tenant).usage.items()
            return sorted((*k, v) for k, v in items if hour_from <= k[2] < hour_to)

    def events(self, tenant, minute_from):
        with self._lock:
            items = self._tenant(tenant).events.items()
            return sorted(((*k, v) for k, v in items if k[0] >= minute_from), reverse=True)

    def notifications(self, tenant=None, limit=100):
        with self._lock:
            found = [replace(n) for n in reversed(self._outbox) if tenant is None or n.tenant == tenant]
            return found[:limit]

    def claim_due(self, now, limit, lock_seconds):
        with self._lock:
            due = []
            for n in self._outbox:
                if n.delivered_at is None and n.extra.get("due", 0.0) <= now:
                    n.extra["due"] = now + lock_seconds
                    due.append(replace(n, extra=dict(n.extra)))
                    if len(due) >= limit:
                        break
            return due

    def _find(self, notification_id):
        return next(n for n in self._outbox if n.id == notification_id)

    def mark_delivered(self, notification, now):
        with self._lock:
            n = self._find(notification.id)
            n.delivered_at = now
            n.attempts += 1

    def mark_failed(self, notification, retry_at, error):
        with self._lock:
            n = self._find(notification.id)
            n.attempts += 1
            n.last_error = error
            n.extra["due"] = retry_at

    def outbox_stats(self):
        with self._lock:
            waiting = [n for n in self._outbox if n.delivered_at is None]
            pending = [n.created_at for n in waiting if n.extra.get("due", 0.0) < GAVE_UP]
            return OutboxStats(len(pending), min(pending, default=None), len(waiting) - len(pending))

    def reap_expired_leases(self, now):
        with self._lock:
            since, self._reaped = self._reaped, max(self._reaped, now)
            counts = {}
            for t in self._tenants.values():
                expiries = [*t.leases.values(), *t.ended.values()]
                n = sum(1 for e in expiries if since < e <= now)
                if n:
                    counts[t.tenant] = n
            return counts

    def put_contract(self, tenant, document, effective):
        with self._lock:
            self._contracts[tenant] = document
            history = self._contract_history.setdefault(tenant, [])
            history.append((effective, document))
            history.sort(key=lambda entry: entry[0])

    def get_contract(self, tenant):
        return self._contracts.get(tenant)

    def contract_history(self, tenant):
        with self._lock:
            return list(self._contract_history.get(tenant, ()))

    def tenants(self):
        with self._lock:
            return sorted(self._contracts)

    def purge(self, now):
        cutoff = now - TOMBSTONE_SECONDS
        with self._lock:
            for t in self._tenants.values():
                t.active_leases(now)
                t.ended = {k: e for k, e in t.ended.items() if abs(e) > cutoff}

    def clear(self):
        with self._lock:
            self._tenants.clear()
            self._outbox.clear()
            self._fired.clear()
            self._contracts.clear()
            self._contract_history.clear()
