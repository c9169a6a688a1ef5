"""redis://host:port/db — shared by several app servers. Every operation is one Lua script (one round trip),
so it is atomic; all keys of a tenant carry the hash tag ``{tenant}`` and live in one cluster slot.

Scripts run through `ScriptWire` (one connection per thread, commands packed here). Admissions, the hot
path, pass their checks as positional arguments and get a flat reply; the other scripts take one JSON
argument and answer JSON.
"""

from __future__ import annotations

import json
from importlib import resources

import redis

from ..errors import InvalidArgument, LeaseExpired, LeaseNotFound
from ..models import Admission, Decision, Notification, Settlement
from .base import GAVE_UP, TOMBSTONE_SECONDS, USAGE_PREFIX, OutboxStats, Storage, merge_held_usage
from .redis_wire import ScriptWire, bulk, bulk_text

PREFIX = "mt"
CONTRACTS = f"{PREFIX}:contracts"
KEY_NAMES = ("s", "l", "r", "f", "o", "q", "e", "u")
#: A tenant's contract history: a list of "<in force from> <contract JSON>", in the order they were put.
HISTORY_KEY = "h"
SCRIPTS = ("admit", "set_gauge", "heartbeat", "release", "settle", "claim", "mark", "purge", "reap")
#: Packed script heads (per tenant) and check arguments (per limit shape) one store keeps; beyond this many,
#: a cache starts afresh.
CACHED_PACKINGS = 4096


def tenant_key(tenant: str, name: str) -> str:
    """One key of a tenant; the hash tag {tenant} keeps all of them in one cluster slot."""
    return f"{PREFIX}:{{{tenant}}}:{name}"


def tenant_keys(tenant: str) -> list[str]:
    """The eight keys of one tenant the scripts use, in the order the Lua prelude expects."""
    return [tenant_key(tenant, name) for name in KEY_NAMES]


def _load_script(name: str) -> str:
    lua = resources.files(__package__) / "lua"
    return (lua / "prelude.lua").read_text() + "\n" + (lua / f"{name}.lua").read_text()


def _decision(row) -> Decision:
    dim, scope, outcome, limit, used, remaining, reset, retry, overage = row
    return Decision(
        dim,
        scope,
        outcome,
        float(limit),
        float(used),
        float(remaining),
        float(reset),
        float(retry),
        float(overage),
    )


def _check_json(c) -> dict:
    return {
        "d": c.dim,
        "k": c.kind,
        "l": c.limit,
        "m": c.mode,
        "a": c.amount,
        "s": c.scope,
        "w": c.window,
        "r": c.reset_after,
        "p": c.notify_period,
        "t": [list(t) for t in c.thresholds],
        "i": c.interval,
        "tol": c.tolerance,
        "key": c.key,
    }


def _notification(raw: str) -> Notification:
    n = json.loads(raw)
    return Notification(
        f"{n['tenant']}:{n['id']}",
        n["tenant"],
        n["dim"],
        n["scope"],
        n["period"],
        n["threshold"],
        float(n["usage"]),
        float(n["limit"]),
        float(n["created"]),
        int(n["attempts"]),
        n.get("delivered"),
        n.get("error", ""),
    )


def _check_fixed(c) -> tuple[str, int]:
    """The packed arguments of a check that stay the same from call to call (all but the last two), and
    how many there are."""
    values = [c.dim, c.kind, repr(c.limit), c.mode, c.notify_period, repr(c.interval), repr(c.tolerance)]
    values.append(str(len(c.thresholds)))
    for label, value in c.thresholds:
        values += (label, repr(value))
    values += (repr(c.amount), c.scope, str(c.window))
    return bulk_text(values), len(values)


class RedisStorage(Storage):
    """State in Redis; decisions run server-side in Lua."""

    schemes = ("redis", "rediss", "unix")

    def __init__(self, url: str, **options):
        self.client = redis.Redis.from_url(url, decode_responses=True, **options)
        self.wire = ScriptWire(url, {name: _load_script(name) for name in SCRIPTS}, **options)
        self._heads: dict[tuple[str, str, int], bytes] = {}
        self._fixed: dict[tuple, tuple[str, int]] = {}

    def _head(self, name: str, tenant: str, argc: int) -> bytes:
        """The packed EVALSHA head of script `name` for `tenant`, its id argument included."""
        shape = (name, tenant, argc)
        head = self._heads.get(shape)
        if head is None:
            if len(self._heads) >= CACHED_PACKINGS:
                self._heads.clear()
            head = self._heads[shape] = self.wire.prefix(name, tenant_keys(tenant), argc + 1) + bulk(tenant)
        return head

    def _run(self, name: str, tenant: str, request: dict):
        return self.wire.call(name, self._head(name, tenant, 1) + bulk(json.dumps(request)))

    def pack_admit(self, req) -> bytes:
        """The EVALSHA of admit.lua for `req` (argument order: see admit.lua)."""
        lease = req.lease_id
        text = [
            bulk_text((repr(req.now), str(req.hour), str(req.minute))),
            f"${len(lease.encode())}\r\n{lease}\r\n${len(ttl := repr(req.lease_ttl))}\r\n{ttl}\r\n",
        ]
        argc = 5
        cached = self._fixed
        for c in req.checks:
            shape = (c.dim, c.kind, c.limit, c.mode, c.notify_period, c.interval, c.tolerance, c.thresholds)
            shape += (c.amount, c.scope, c.window)
            fixed = cached.get(shape)
            if fixed is None:
                if len(cached) >= CACHED_PACKINGS:
                    cached.clear()
                fixed = cached[shape] = _check_fixed(c)
            reset, key = repr(c.reset_after), c.key
            text += (fixed[0], f"${len(reset)}\r\n{reset}\r\n${len(key.encode())}\r\n{key}\r\n")
            argc += fixed[1] + 2
        return self._head("admit", req.tenant, argc) + "".join(text).encode()

    def admit(self, req):
        reply = self.wire.call("admit", self.pack_admit(req)).split(" ")
        allowed = reply[0] == "1"
        decisions = [_decision(reply[i : i + 9]) for i in range(4, len(reply), 9)]
        return Admission(
            allowed,
            decisions,
            req.lease_id if allowed else "",
            float(reply[2]),
            tuple(c.key for c in req.checks if c.key) if allowed else (),
            reply[1] == "1",
            int(reply[3]),
        )

    def set_gauge(self, tenant, check, now, hour, minute):
        row = json.loads(
            self._run(
                "set_gauge", tenant, {"now": now, "hour": hour, "minute": minute, "check": _check_json(check)}
            )
        )
        return _decision(row)

    def heartbeat(self, tenant, lease_id, ttl, now):
        result = json.loads(self._run("heartbeat", tenant, {"now": now, "lease": lease_id, "ttl": ttl}))
        self._raise_lease(result, tenant, lease_id)
        return float(result["expires"])

    def release(self, tenant, lease_id, now):
        result = json.loads(self._run("release", tenant, {"now": now, "lease": lease_id}))
        self._raise_lease(result, tenant, lease_id)
        return bool(result["released"])

    @staticmethod
    def _raise_lease(result, tenant, lease_id):
        if result.get("error") == "not_found":
            raise LeaseNotFound(f"lease {lease_id!r} was not issued to tenant {tenant!r}", field="lease_id")
        if result.get("error") == "expired":
            raise LeaseExpired(f"lease {lease_id!r} expired or was released; admit the run again", "lease_id")

    def settle(self, tenant, key, used, windows, hour):
        import time

        r = json.loads(
            self._run(
                "settle",
                tenant,
                {"now": time.time(), "key": key, "used": used, "windows": windows, "hour": hour},
            )
        )
        if r.get("error") == "not_found":
            raise LeaseNotFound(f"reservation {key!r} was not made for tenant {tenant!r}", field="key")
        if r.get("error") == "over":
            raise InvalidArgument(
                f"used ({used:g}) exceeds the reservation ({r['amount']:g}); reserve more", field="used"
            )
        return Settlement(
            key,
            r["dim"],
            r["scope"],
            float(r["amount"]),
            float(r["used"]),
            float(r["refund"]),
            bool(r["replayed"]),
        )

    # Reading ---------------------------------------------------------------------------------------
    def _state(self, tenant):
        for key, value in self.client.hgetall(tenant_keys(tenant)[0]).items():
            win, val = value.split(" ")
            yield key, int(float(win)), float(val)

    def scalars(self, tenant):
        return {key: (win, val) for key, win, val in self._state(tenant) if not key.startswith(USAGE_PREFIX)}

    def active_leases(self, tenant, now):
        return self.client.zcount(tenant_keys(tenant)[1], f"({now!r}", "+inf")

    def usage_history(self, tenant, hour_from, hour_to):
        history = {}
        for field, value in self.client.hgetall(tenant_keys(tenant)[7]).items():
            dim, scope, hour, metric = field.split("|")
            hour = int(float(hour))
            if hour_from <= hour < hour_to:
                history[dim, scope, hour, metric] = float(value)
        return merge_held_usage(history, self._state(tenant), hour_from, hour_to)

    def events(self, tenant, minute_from):
        rows = []
        for field, count in self.client.hgetall(tenant_keys(tenant)[6]).items():
            minute, dim, scope, outcome = field.split("|")
            minute = int(float(minute))
            if minute >= minute_from:
                rows.append((minute, dim, scope, outcome, int(count)))
        return sorted(rows, reverse=True)

    def notifications(self, tenant=None, limit=100):
        found = []
        for t in [tenant] if tenant else self.tenants():
            raw = self.client.hgetall(tenant_keys(t)[4])
            found.extend(_notification(v) for k, v in raw.items() if k != "#seq")
        found.sort(key=lambda n: (n.created_at, int(n.id.rsplit(":", 1)[1])), reverse=True)
        return found[:limit]

    def claim_due(self, now, limit, lock_seconds):
        claimed = []
        for tenant in self.tenants():
            if len(claimed) >= limit:
                break
            raws = self._run(
                "claim", tenant, {"now": now, "limit": limit - len(claimed), "until": now + lock_seconds}
            )
            claimed.extend(_notification(r) for r in raws)
        return claimed

    def outbox_stats(self):
        tenants = self.tenants()
        pipe = self.client.pipeline(transaction=False)  # one round trip for the whole fleet
        for tenant in tenants:
            pending_key = tenant_keys(tenant)[5]
            pipe.zrangebyscore(pending_key, "-inf", f"({GAVE_UP!r}")
            pipe.zcount(pending_key, GAVE_UP, "+inf")
        replies = pipe.execute()
        waiting = {t: ids for t, ids in zip(tenants, replies[::2], strict=True) if ids}
        pipe = self.client.pipeline(transaction=False)
        for tenant, ids in waiting.items():
            pipe.hmget(tenant_keys(tenant)[4], ids)
        created = [_notification(raw).created_at for raws in pipe.execute() for raw in raws if raw]
        pending = sum(len(ids) for ids in waiting.values())
        return OutboxStats(pending, min(created, default=None), sum(replies[1::2]))

    def reap_expired_leases(self, now):
        counts = {tenant: int(self._run("reap", tenant, {"now": now})) for tenant in self.tenants()}
        return {tenant: n for tenant, n in counts.items() if n}

    def _mark(self, notification, request):
        tenant, nid = notification.id.rsplit(":", 1)
        self._run("mark", tenant, {**request, "id": nid})

    def mark_delivered(self, notification, now):
        self._mark(notification, {"now": now, "delivered": True})

    def mark_failed(self, notification, retry_at, error):
        self._mark(
            notification, {"now": retry_at, "delivered": False, "retry_at": retry_at, "error": error[:500]}
        )

    # Contracts and housekeeping --------------------------------------------------------------------
    def put_contract(self, tenant, document, effective):
        # Two keys in two cluster slots (the contracts hash and the tenant's history), so no MULTI: one round
        # trip, the contract first, so that the history never names a contract that was not saved.
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(CONTRACTS, tenant, document)
        pipe.rpush(tenant_key(tenant, HISTORY_KEY), f"{effective!r} {document}")
        pipe.execute()

    def get_contract(self, tenant):
        return self.client.hget(CONTRACTS, tenant)

    def contract_history(self, tenant):
        entries = []
        for raw in self.client.lrange(tenant_key(tenant, HISTORY_KEY), 0, -1):
            effective, document = raw.split(" ", 1)
            entries.append((float(effective), document))
        return sorted(entries, key=lambda entry: entry[0])

    def tenants(self):
        return sorted(self.client.hkeys(CONTRACTS))

    def purge(self, now):
        for tenant in self.tenants():
            self._run("purge", tenant, {"now": now, "cutoff": now - TOMBSTONE_SECONDS})

    def clear(self):
        keys = list(self.client.scan_iter(f"{PREFIX}:*"))
        for i in range(0, len(keys), 500):
            self.client.delete(*keys[i : i + 500])

    def close(self):
        self.wire.close()
        self.client.close()
