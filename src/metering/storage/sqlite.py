"""sqlite:///relative.db or sqlite:////absolute/path.db — the embedded default: one file, WAL mode.

Every operation is one `BEGIN IMMEDIATE` transaction, so several threads and processes sharing the file
are serialised by SQLite's write lock. `synchronous=NORMAL` keeps a committed decision through a process
crash; a power loss can drop the decisions since the last checkpoint. Checkpoints (which fsync) run in a
background thread every `checkpoint_seconds`, not inside a decision, so no decision waits for a disk sync.
New files use 1 KiB pages: a decision dirties a handful of small pages, and each is written to the WAL.

A lease not yet released is a state row ``l:<lease id>`` (window 0, value = expiry) beside the tenant's
counters, so a full admission writes one state page and one reservation page, and the tenant's state rows
it reads anyway give the active lease count. A release moves its lease into `leases`, the
tombstones that answer a late release or heartbeat idempotently; a released lease's tombstone holds minus
the release time, so that `reap_expired_leases` tells it from a lease that expired. Leases that expired
without a release are moved there by a later admission (once more than SWEEP_EXPIRED_LEASES have gathered)
and by `purge`.

Each connection keeps the state rows of the tenants it wrote last, with the data version (PRAGMA
data_version) it read inside that write transaction. A transaction that reads the same version inside its
own write lock knows that no other connection or process has committed since, and uses those rows instead
of reading them again; any other version drops the connection's copies.

Schema version (PRAGMA user_version) 1 keeps live leases in `state`. A version-0 file (every lease in
`leases`, with an expiry index) is migrated when opened: leases expiring after the wall-clock time move
into `state` and the index is dropped. Version-0 code must not write to a migrated file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from .. import engine
from ..errors import ConfigError
from ..models import Notification
from .base import (
    FORK_GENERATION,
    GAVE_UP,
    PEAK_METRICS,
    TOMBSTONE_SECONDS,
    USAGE_PREFIX,
    OutboxStats,
    TransactionalStorage,
    merge_held_usage,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS state(tenant TEXT, key TEXT, win INTEGER, val REAL,
    PRIMARY KEY(tenant, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases(tenant TEXT, id TEXT, expires REAL, PRIMARY KEY(tenant, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reservations(tenant TEXT, key TEXT, dim TEXT, scope TEXT, win INTEGER,
    amount REAL, state TEXT, used REAL, created REAL, PRIMARY KEY(tenant, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, tenant TEXT, dim TEXT, scope TEXT, period TEXT,
    threshold TEXT, usage REAL, lim REAL, created REAL, attempts INTEGER NOT NULL DEFAULT 0,
    due REAL NOT NULL DEFAULT 0, delivered REAL, error TEXT NOT NULL DEFAULT '',
    UNIQUE(tenant, dim, scope, period, threshold));
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(due) WHERE delivered IS NULL;
CREATE TABLE IF NOT EXISTS events(tenant TEXT, minute INTEGER, dim TEXT, scope TEXT, outcome TEXT, n INTEGER,
    PRIMARY KEY(tenant, minute, dim, scope, outcome)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage(tenant TEXT, hour INTEGER, dim TEXT, scope TEXT, metric TEXT, val REAL,
    PRIMARY KEY(tenant, hour, dim, scope, metric)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contracts(tenant TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contract_history(tenant TEXT, effective REAL, seq INTEGER, doc TEXT NOT NULL,
    PRIMARY KEY(tenant, effective, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, val REAL);
"""

UPSERT_STATE_HEAD = "INSERT INTO state VALUES"
UPSERT_STATE_TAIL = " ON CONFLICT DO UPDATE SET win=excluded.win, val=excluded.val"
#: One multi-row upsert per transaction; the text for n rows is built once (sqlite3 caches the statement).
_UPSERT_STATE_SQL: dict[int, str] = {}


def upsert_state_sql(rows: int) -> str:
    """The upsert of `rows` state rows in one statement."""
    sql = _UPSERT_STATE_SQL.get(rows)
    if sql is None:
        sql = _UPSERT_STATE_SQL[rows] = UPSERT_STATE_HEAD + ",".join(["(?,?,?,?)"] * rows) + UPSERT_STATE_TAIL
    return sql


# Usage of the current hour is kept in state rows (base.USAGE_PREFIX) and moved into the usage table when a
# later hour's usage arrives, so a decision writes no usage row of its own.
UPSERT_USAGE = (
    "INSERT INTO usage VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET val = CASE"
    " WHEN excluded.metric IN ('peak', 'over_peak') THEN max(val, excluded.val) ELSE val + excluded.val END"
)
UPSERT_EVENT = "INSERT INTO events VALUES(?,?,?,?,?,1) ON CONFLICT DO UPDATE SET n = n + 1"
# admit's read-ahead, one UNION ALL of: 4 = the data version, 0 = the state rows (unless cached),
# 1 = the lease's tombstone (the live lease is a state row), 3 = the reservations
PREFETCH_VERSION = "SELECT 4, NULL, data_version, NULL, NULL, NULL, NULL, NULL FROM pragma_data_version()"
PREFETCH_STATE = "SELECT 0, key, win, val, NULL, NULL, NULL, NULL FROM state WHERE tenant=?1"
PREFETCH_LEASE = "SELECT 1, id, NULL, expires, NULL, NULL, NULL, NULL FROM leases WHERE tenant=?1 AND id=?2"
PREFETCH_RESERVATIONS = (
    "SELECT 3, key, win, amount, dim, scope, state, used FROM reservations WHERE tenant=?1 AND key IN ({})"
)
_PREFETCH_SQL: dict[tuple[bool, bool, int], str] = {}
#: Tenants whose state one connection keeps between transactions (beyond this the cache starts afresh).
CACHED_TENANTS = 4096
#: State keys of live leases: LEASE_PREFIX + lease id; LEASE_RANGE bounds them for range scans.
LEASE_PREFIX = "l:"
LEASE_RANGE = "key>='l:' AND key<'l;'"


def prefetch_sql(state: bool, lease: bool, reservations: int) -> str:
    """admit's read-ahead query, built once per shape; parameters: tenant, lease id, reservation keys."""
    shape = (state, lease, reservations)
    sql = _PREFETCH_SQL.get(shape)
    if sql is None:
        parts = [PREFETCH_VERSION]
        if state:
            parts.append(PREFETCH_STATE)
        if lease:
            parts.append(PREFETCH_LEASE)
        if reservations:
            parts.append(PREFETCH_RESERVATIONS.format(",".join(f"?{i + 3}" for i in range(reservations))))
        sql = _PREFETCH_SQL[shape] = " UNION ALL ".join(parts)
    return sql


#: Expired, unreleased leases a tenant may gather in `state` before an admission moves them out.
SWEEP_EXPIRED_LEASES = 32
SCHEMA_VERSION = 1
END_EXPIRED_LEASES = (
    "INSERT OR REPLACE INTO leases SELECT tenant, substr(key, 3), val FROM state"
    f" WHERE {{where}} {LEASE_RANGE} AND val<=?",
    f"DELETE FROM state WHERE {{where}} {LEASE_RANGE} AND val<=?",
)


NOTIFICATION_COLUMNS = (
    "id, tenant, dim, scope, period, threshold, usage, lim, created, attempts, delivered, error"
)


def path_from_url(url: str) -> str:
    """The database path of a sqlite:// URL (three slashes: relative; four: absolute)."""
    if not url.startswith("sqlite:///"):
        raise ConfigError(f"not a sqlite URL: {url!r}; use sqlite:///relative.db or sqlite:////abs.db", "url")
    path = url[len("sqlite:///") :]
    if not path:
        raise ConfigError("sqlite URL names no file", field="url")
    return path


class _Txn:
    """One tenant transaction: scalar reads are loaded once, writes are batched until commit."""

    __slots__ = (
        "_active",
        "_dirty",
        "_events",
        "_local",
        "_reservations",
        "_scalars",
        "_tombstones",
        "_usage",
        "_version",
        "cur",
        "tenant",
    )

    def __init__(self, tenant: str, cur: sqlite3.Cursor, local):
        self.tenant = tenant
        self.cur = cur
        self._local = local
        self._version = None
        self._scalars = None
        self._dirty = {}
        self._usage = []
        self._events = []
        self._tombstones = {}
        self._reservations = {}
        self._active = None

    def prepare(self, req):
        """One query for the data version, the lease's tombstone, the reservations `req` needs and, unless
        this connection holds them, the tenant's state rows (which include its live leases)."""
        tenant, keys, lease_id = self.tenant, [c.key for c in req.checks if c.key], req.lease_id
        cached = self._local.cache.get(tenant)
        if keys:
            params = [tenant, lease_id, *keys]
        elif lease_id:
            params = [tenant, lease_id]
        else:
            params = [] if cached is not None else [tenant]
        if lease_id:
            self._tombstones[lease_id] = None
        scalars = {}
        version = None
        for kind, key, win, val, dim, scope, state, used in self.cur.execute(
            prefetch_sql(cached is None, bool(lease_id), len(keys)), params
        ):
            if kind == 0:
                scalars[key] = (win, val)
            elif kind == 4:
                version = win
            elif kind == 1:
                self._tombstones[key] = val
            else:
                self._reservations[key] = (dim, scope, win, val, state, used)
        for key in keys:
            self._reservations.setdefault(key, None)
        if cached is not None:
            scalars = self._valid_cache(version) or self._select_state()
        self._version = version
        self._scalars = scalars
        if lease_id:
            now, active, expired = req.now, 0, 0
            for key, (_, expires) in scalars.items():
                if key.startswith(LEASE_PREFIX):
                    if expires > now:
                        active += 1
                    else:
                        expired += 1
            self._active = (now, active)
            if expired > SWEEP_EXPIRED_LEASES:
                self._end_expired_leases(scalars, now)

    def _valid_cache(self, version):
        """This connection's copy of the tenant's state if no other connection has committed since it was
        taken (the data version is read inside the write transaction, so nothing can commit after it)."""
        local = self._local
        if version != local.version:
            local.cache.clear()
            return None
        return local.cache.get(self.tenant)

    def _select_state(self):
        rows = self.cur.execute("SELECT key, win, val FROM state WHERE tenant=?", (self.tenant,))
        return {k: (w, v) for k, w, v in rows}

    def get(self, key):
        if self._scalars is None:
            version = self.cur.execute("SELECT data_version FROM pragma_data_version()").fetchone()[0]
            self._scalars = self._valid_cache(version) or self._select_state()
            self._version = version
        return self._scalars.get(key)

    def committed(self):
        """Keep the tenant's state, as this transaction left it, for the connection's next transaction."""
        if self._scalars is not None:
            local = self._local
            if len(local.cache) >= CACHED_TENANTS:
                local.cache.clear()
            local.cache[self.tenant] = self._scalars
            local.version = self._version

    def put(self, key, window, value):
        if self._scalars is None:
            self.get(key)
        self._scalars[key] = self._dirty[key] = (window, value)

    def _end_expired_leases(self, scalars, now):
        """Move the tenant's expired live leases into the tombstones."""
        for sql in END_EXPIRED_LEASES:
            self.cur.execute(sql.format(where="tenant=? AND"), (self.tenant, now))
        for key in [k for k, (_, v) in scalars.items() if k.startswith(LEASE_PREFIX) and v <= now]:
            del scalars[key]

    def lease(self, lease_id):
        live = self.get(LEASE_PREFIX + lease_id)
        if live is not None:
            return live[1]
        if lease_id in self._tombstones:
            return self._tombstones[lease_id]
        row = self.cur.execute(
            "SELECT expires FROM leases WHERE tenant=? AND id=?", (self.tenant, lease_id)
        ).fetchone()
        return row[0] if row else None

    def put_lease(self, lease_id, expires):
        self.put(LEASE_PREFIX + lease_id, 0, expires)

    def end_lease(self, lease_id, now):
        key = LEASE_PREFIX + lease_id
        self.cur.execute("DELETE FROM state WHERE tenant=? AND key=?", (self.tenant, key))
        # a released lease's tombstone holds minus the release time: an expired one holds its (positive) expiry
        self.cur.execute("INSERT OR REPLACE INTO leases VALUES(?,?,?)", (self.tenant, lease_id, -now))
        if self._scalars is not None:
            self._scalars.pop(key, None)
        self._dirty.pop(key, None)

    def active_leases(self, now):
        if self._active is not None and self._active[0] == now:
            return self._active[1]
        self.get(LEASE_PREFIX)
        return sum(1 for k, (_, v) in self._scalars.items() if k.startswith(LEASE_PREFIX) and v > now)

    def reservation(self, key):
        if key in self._reservations:
            return self._reservations[key]
        return self.cur.execute(
            "SELECT dim, scope, win, amount, state, used FROM reservations WHERE tenant=? AND key=?",
            (self.tenant, key),
        ).fetchone()

    def put_reservation(self, key, record):
        self.cur.execute(
            "INSERT OR REPLACE INTO reservations VALUES(?,?,?,?,?,?,?,?,?)",
            (self.tenant, key, *record, time.time()),
        )

    def fire(self, dim, scope, period, label, usage, limit, now):
        self.cur.execute(
            "INSERT OR IGNORE INTO outbox(tenant, dim, scope, period, threshold, usage, lim, created)"
            " VALUES(?,?,?,?,?,?,?,?)",
            (self.tenant, dim, scope, period, label, usage, limit, now),
        )
        return self.cur.rowcount == 1

    def count_event(self, minute, dim, scope, outcome):
        self._events.append((self.tenant, minute, dim, scope, outcome))

    def add_usage(self, dim, scope, hour, metric, value):
        key = USAGE_PREFIX + dim + "|" + scope + "|" + metric
        scalars = self._scalars
        if scalars is None:
            self.get(key)
            scalars = self._scalars
        rec = scalars.get(key)
        if rec is not None:
            held_hour, held = rec
            if held_hour == hour:
                if metric not in PEAK_METRICS:
                    value += held
                elif value <= held:
                    return  # the hour's peak stands: nothing to write
            elif held_hour > hour:  # a call dated before the held hour goes straight into history
                self._usage.append((self.tenant, hour, dim, scope, metric, value))
                return
            else:  # a new hour: the held hour becomes history
                self._usage.append((self.tenant, held_hour, dim, scope, metric, held))
        scalars[key] = self._dirty[key] = (hour, value)

    def flush(self):
        cur, t = self.cur, self.tenant
        dirty, usage = self._dirty, self._usage
        if dirty:
            params = []
            for k, (w, v) in dirty.items():
                params += (t, k, w, v)
            cur.execute(upsert_state_sql(len(dirty)), params)
        if len(usage) == 1:
            cur.execute(UPSERT_USAGE, usage[0])
        elif usage:
            cur.executemany(UPSERT_USAGE, usage)
        if self._events:
            cur.executemany(UPSERT_EVENT, self._events)


def _notification(row) -> Notification:
    nid, tenant, dim, scope, period, threshold, usage, lim, created, attempts, delivered, error = row
    return Notification(
        str(nid), tenant, dim, scope, period, threshold, usage, lim, created, attempts, delivered, error
    )


class SqliteStorage(TransactionalStorage):
    """One SQLite file shared by every thread and process that opens it."""

    schemes = ("sqlite",)

    def __init__(self, url: str, busy_timeout_ms: int = 10_000, checkpoint_seconds: float = 1.0):
        self.path = path_from_url(url)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout_ms = busy_timeout_ms
        self.checkpoint_seconds = checkpoint_seconds
        self._local = threading.local()
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._checkpointer_pid = 0
        conn = self._conn()
        conn.executescript(SCHEMA)
        self._migrate(conn)

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Bring a file written by older code to SCHEMA_VERSION (see the module docstring)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < 1:
                now = (time.time(),)
                conn.execute(
                    "INSERT OR REPLACE INTO state SELECT tenant, ?2 || id, 0, expires FROM leases WHERE expires>?1",
                    (*now, LEASE_PREFIX),
                )
                conn.execute("DELETE FROM leases WHERE expires>?", now)
                conn.execute("DROP INDEX IF EXISTS leases_by_expiry")
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA page_size=1024")  # only takes effect on a new, empty file
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.generation != FORK_GENERATION[0]:
            conn = self._connect()
            self._local.conn, self._local.generation = conn, FORK_GENERATION[0]
            self._local.cur = conn.cursor()
            # tenant -> state rows as this connection's last transaction of the tenant left them, valid while
            # the data version is `version` (see _Txn.prepare)
            self._local.cache, self._local.version = {}, None
            self._start_checkpointer()
        return conn

    def _start_checkpointer(self) -> None:
        if self._checkpointer_pid == os.getpid() or self.checkpoint_seconds <= 0:
            return
        self._checkpointer_pid = os.getpid()
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="metering-sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        conn = self._connect()
        try:
            while not self._stop.wait(self.checkpoint_seconds):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            conn.close()

    @contextmanager
    def transaction(self, tenant):
        self._conn()
        cur = self._local.cur
        cur.execute("BEGIN IMMEDIATE")
        try:
            tx = _Txn(tenant, cur, self._local)
            yield tx
            tx.flush()
            cur.execute("COMMIT")
        except BaseException:
            self._forget(tenant, cur)
            raise
        tx.committed()

    def admit(self, req):
        local = self._local
        if getattr(local, "generation", -1) != FORK_GENERATION[0] or local.conn is None:
            self._conn()
        cur = local.cur
        cur.execute("BEGIN IMMEDIATE")
        try:
            tx = _Txn(req.tenant, cur, local)
            admission = engine.admit(tx, req)
            tx.flush()
            cur.execute("COMMIT")
        except BaseException:
            self._forget(req.tenant, cur)
            raise
        tx.committed()
        return admission

    def _forget(self, tenant, cur):
        """Roll back a failed transaction and drop the tenant's cached state, which it may have changed."""
        self._local.cache.pop(tenant, None)
        if cur.connection.in_transaction:
            cur.execute("ROLLBACK")

    def _read(self, sql, params=()):
        return self._conn().execute(sql, params).fetchall()

    def scalars(self, tenant):
        rows = self._read("SELECT key, win, val FROM state WHERE tenant=?", (tenant,))
        return {k: (w, v) for k, w, v in rows if not k.startswith((USAGE_PREFIX, LEASE_PREFIX))}

    def active_leases(self, tenant, now):
        sql = f"SELECT count(*) FROM state WHERE tenant=? AND {LEASE_RANGE} AND val>?"
        rows = self._read(sql, (tenant, now))
        return rows[0][0]

    def usage_history(self, tenant, hour_from, hour_to):
        history = {
            (dim, scope, hour, metric): val
            for dim, scope, hour, metric, val in self._read(
                "SELECT dim, scope, hour, metric, val FROM usage WHERE tenant=? AND hour>=? AND hour<?",
                (tenant, hour_from, hour_to),
            )
        }
        held = self._read(
            "SELECT key, win, val FROM state WHERE tenant=? AND key>=? AND key<?",
            (tenant, USAGE_PREFIX, USAGE_PREFIX[:-1] + chr(ord(USAGE_PREFIX[-1]) + 1)),
        )
        return merge_held_usage(history, held, hour_from, hour_to)

    def events(self, tenant, minute_from):
        return self._read(
            "SELECT minute, dim, scope, outcome, n FROM events WHERE tenant=? AND minute>=?"
            " ORDER BY minute DESC, dim DESC, scope DESC, outcome DESC",
            (tenant, minute_from),
        )

    def notifications(self, tenant=None, limit=100):
        if tenant is None:
            rows = self._read(f"SELECT {NOTIFICATION_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._read(
                f"SELECT {NOTIFICATION_COLUMNS} FROM outbox WHERE tenant=? ORDER BY id DESC LIMIT ?",
                (tenant, limit),
            )
        return [_notification(r) for r in rows]

    def claim_due(self, now, limit, lock_seconds):
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute(
                f"SELECT {NOTIFICATION_COLUMNS} FROM outbox WHERE delivered IS NULL AND due<=? ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
            conn.executemany("UPDATE outbox SET due=? WHERE id=?", [(now + lock_seconds, r[0]) for r in rows])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return [_notification(r) for r in rows]

    def mark_delivered(self, notification, now):
        self._conn().execute(
            "UPDATE outbox SET delivered=?, attempts=attempts+1 WHERE id=?", (now, int(notification.id))
        )

    def mark_failed(self, notification, retry_at, error):
        self._conn().execute(
            "UPDATE outbox SET due=?, attempts=attempts+1, error=? WHERE id=?",
            (retry_at, error[:500], int(notification.id)),
        )

    def outbox_stats(self):
        pending, oldest, gave_up = self._read(
            "SELECT count(*) FILTER (WHERE due<?1), min(created) FILTER (WHERE due<?1), count(*) FILTER"
            " (WHERE due>=?1) FROM outbox WHERE delivered IS NULL",
            (GAVE_UP,),
        )[0]
        return OutboxStats(pending, oldest, gave_up)

    def reap_expired_leases(self, now):
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT val FROM meta WHERE key='leases_reaped'").fetchone()
            since = row[0] if row else 0.0
            rows = conn.execute(
                f"SELECT tenant, count(*) FROM (SELECT tenant FROM state WHERE {LEASE_RANGE} AND val>?1 AND"
                " val<=?2 UNION ALL SELECT tenant FROM leases WHERE expires>?1 AND expires<=?2) GROUP BY tenant",
                (since, now),
            ).fetchall()
            conn.execute("INSERT OR REPLACE INTO meta VALUES('leases_reaped', ?)", (max(since, now),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return dict(rows)

    def put_contract(self, tenant, document, effective):
        json.loads(document)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT OR REPLACE INTO contracts VALUES(?,?)", (tenant, document))
            conn.execute(
                "INSERT INTO contract_history SELECT ?1, ?2, count(*), ?3 FROM contract_history"
                " WHERE tenant=?1 AND effective=?2",
                (tenant, effective, document),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def get_contract(self, tenant):
        rows = self._read("SELECT doc FROM contracts WHERE tenant=?", (tenant,))
        return rows[0][0] if rows else None

    def contract_history(self, tenant):
        sql = "SELECT effective, doc FROM contract_history WHERE tenant=? ORDER BY effective, seq"
        return [(effective, doc) for effective, doc in self._read(sql, (tenant,))]

    def tenants(self):
        return [r[0] for r in self._read("SELECT tenant FROM contracts ORDER BY tenant")]

    def purge(self, now):
        cutoff = now - TOMBSTONE_SECONDS
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        for sql in END_EXPIRED_LEASES:
            conn.execute(sql.format(where=""), (now,))
        conn.execute("DELETE FROM leases WHERE abs(expires)<?", (cutoff,))
        conn.execute("DELETE FROM reservations WHERE created<?", (cutoff,))
        conn.execute("DELETE FROM events WHERE minute<?", (int(cutoff // 60),))
        conn.execute("COMMIT")
        self._local.cache.clear()  # state changed on this connection, which does not move the data version

    def clear(self):
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        for table in ("state", "leases", "reservations", "outbox", "events", "usage", "meta"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM contracts")
        conn.execute("DELETE FROM contract_history")
        conn.execute("COMMIT")
        self._local.cache.clear()

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._checkpointer is not None and self._checkpointer_pid == os.getpid():
            self._stop.set()
            self._checkpointer.join(10)
            self._checkpointer, self._checkpointer_pid = None, 0
