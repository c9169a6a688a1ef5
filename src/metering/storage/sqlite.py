"""sqlite:///relative.db or sqlite:////absolute/path.db — the embedded default: one file, WAL mode.

Every operation is one `BEGIN IMMEDIATE` transaction, so several threads and processes sharing the file
are serialised by SQLite's write lock. `synchronous=NORMAL` keeps a committed decision through a process
crash; a power loss can drop the decisions since the last checkpoint. Checkpoints (which fsync) run in a
background thread every `checkpoint_seconds`, not inside a decision, so no decision waits for a disk sync.
New files use 1 KiB pages: a decision dirties a handful of small pages, and each is written to the WAL.
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
from .base import TOMBSTONE_SECONDS, TransactionalStorage

SCHEMA = """
CREATE TABLE IF NOT EXISTS state(tenant TEXT, key TEXT, win INTEGER, val REAL,
    PRIMARY KEY(tenant, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases(tenant TEXT, id TEXT, expires REAL, PRIMARY KEY(tenant, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases(tenant, expires);
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


#: Usage of the current hour is kept in state rows ``u:<dim>|<scope>|<metric>`` (window = hour) and moved
#: into the usage table when a later hour's usage arrives, so a decision writes no usage row of its own.
USAGE_PREFIX = "u:"
_MAX_FOLD = frozenset(("peak", "over_peak"))
UPSERT_USAGE = (
    "INSERT INTO usage VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET val = CASE"
    " WHEN excluded.metric IN ('peak', 'over_peak') THEN max(val, excluded.val) ELSE val + excluded.val END"
)
UPSERT_EVENT = "INSERT INTO events VALUES(?,?,?,?,?,1) ON CONFLICT DO UPDATE SET n = n + 1"
# admit's read-ahead: 0 = scalar state, 1 = the lease, 2 = active lease count, 3 = reservations
PREFETCH_STATE = "SELECT 0, key, win, val, NULL, NULL, NULL, NULL FROM state WHERE tenant=?1"
PREFETCH_LEASE = (
    " UNION ALL SELECT 1, id, NULL, expires, NULL, NULL, NULL, NULL FROM leases WHERE tenant=?1 AND id=?2"
    " UNION ALL SELECT 2, NULL, NULL, count(*), NULL, NULL, NULL, NULL FROM leases WHERE tenant=?1 AND expires>?3"
)
PREFETCH_RESERVATIONS = (
    " UNION ALL SELECT 3, key, win, amount, dim, scope, state, used FROM reservations"
    " WHERE tenant=?1 AND key IN ({})"
)
_PREFETCH_SQL: dict[tuple[bool, int], str] = {}


def prefetch_sql(lease: bool, reservations: int) -> str:
    """admit's read-ahead query, built once per shape."""
    sql = _PREFETCH_SQL.get((lease, reservations))
    if sql is None:
        sql = PREFETCH_STATE + (PREFETCH_LEASE if lease else "")
        if reservations:
            sql += PREFETCH_RESERVATIONS.format(",".join("?" * reservations))
        _PREFETCH_SQL[lease, reservations] = sql
    return sql


#: Bumped in a forked child, so each process opens its own connections (a connection must not cross a fork)
#: without asking the kernel for its pid on every decision.
_fork_generation = [0]
os.register_at_fork(after_in_child=lambda: _fork_generation.__setitem__(0, _fork_generation[0] + 1))

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
        "_leases",
        "_reservations",
        "_scalars",
        "_usage",
        "cur",
        "tenant",
    )

    def __init__(self, tenant: str, cur: sqlite3.Cursor):
        self.tenant = tenant
        self.cur = cur
        self._scalars = None
        self._dirty = {}
        self._usage = []
        self._events = []
        self._leases = {}
        self._reservations = {}
        self._active = None

    def prepare(self, req):
        """One query for the scalars, the lease, the active lease count and the reservations `req` needs."""
        keys = [c.key for c in req.checks if c.key]
        lease_id = req.lease_id
        if lease_id:
            params = [self.tenant, lease_id, req.now, *keys]
            self._leases[lease_id] = None
        else:
            params = [self.tenant, *keys]
        scalars = {}
        rows = self.cur.execute(prefetch_sql(bool(lease_id), len(keys)), params)
        for kind, key, win, val, dim, scope, state, used in rows:
            if kind == 0:
                scalars[key] = (win, val)
            elif kind == 1:
                self._leases[key] = val
            elif kind == 2:
                self._active = (req.now, int(val))
            else:
                self._reservations[key] = (dim, scope, win, val, state, used)
        for key in keys:
            self._reservations.setdefault(key, None)
        self._scalars = scalars

    def get(self, key):
        if self._scalars is None:
            rows = self.cur.execute("SELECT key, win, val FROM state WHERE tenant=?", (self.tenant,))
            self._scalars = {k: (w, v) for k, w, v in rows}
        return self._scalars.get(key)

    def put(self, key, window, value):
        if self._scalars is None:
            self.get(key)
        self._scalars[key] = self._dirty[key] = (window, value)

    def lease(self, lease_id):
        if lease_id in self._leases:
            return self._leases[lease_id]
        row = self.cur.execute(
            "SELECT expires FROM leases WHERE tenant=? AND id=?", (self.tenant, lease_id)
        ).fetchone()
        return row[0] if row else None

    def put_lease(self, lease_id, expires):
        self.cur.execute("INSERT OR REPLACE INTO leases VALUES(?,?,?)", (self.tenant, lease_id, expires))

    def active_leases(self, now):
        if self._active is not None and self._active[0] == now:
            return self._active[1]
        return self.cur.execute(
            "SELECT count(*) FROM leases WHERE tenant=? AND expires>?", (self.tenant, now)
        ).fetchone()[0]

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
                value = max(held, value) if metric in _MAX_FOLD else held + value
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
        if conn is None or self._local.generation != _fork_generation[0]:
            conn = self._connect()
            self._local.conn, self._local.generation = conn, _fork_generation[0]
            self._local.cur = conn.cursor()
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
            tx = _Txn(tenant, cur)
            yield tx
            tx.flush()
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def admit(self, req):
        local = self._local
        if getattr(local, "generation", -1) != _fork_generation[0] or local.conn is None:
            self._conn()
        cur = local.cur
        cur.execute("BEGIN IMMEDIATE")
        try:
            tx = _Txn(req.tenant, cur)
            admission = engine.admit(tx, req)
            tx.flush()
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")
        return admission

    def _read(self, sql, params=()):
        return self._conn().execute(sql, params).fetchall()

    def scalars(self, tenant):
        rows = self._read("SELECT key, win, val FROM state WHERE tenant=?", (tenant,))
        return {k: (w, v) for k, w, v in rows if not k.startswith(USAGE_PREFIX)}

    def active_leases(self, tenant, now):
        return self._read("SELECT count(*) FROM leases WHERE tenant=? AND expires>?", (tenant, now))[0][0]

    def usage_history(self, tenant, hour_from, hour_to):
        merged = {}
        for dim, scope, hour, metric, val in self._read(
            "SELECT dim, scope, hour, metric, val FROM usage WHERE tenant=? AND hour>=? AND hour<?",
            (tenant, hour_from, hour_to),
        ):
            merged[dim, scope, hour, metric] = val
        held = self._read(
            "SELECT key, win, val FROM state WHERE tenant=? AND key>=? AND key<? AND win>=? AND win<?",
            (tenant, USAGE_PREFIX, USAGE_PREFIX[:-1] + chr(ord(USAGE_PREFIX[-1]) + 1), hour_from, hour_to),
        )
        for key, hour, val in held:
            dim, scope, metric = key[len(USAGE_PREFIX) :].split("|")
            old = merged.get((dim, scope, hour, metric))
            if old is not None:
                val = max(old, val) if metric in _MAX_FOLD else old + val
            merged[dim, scope, hour, metric] = val
        return sorted((*k, v) for k, v in merged.items())

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

    def put_contract(self, tenant, document):
        json.loads(document)
        self._conn().execute("INSERT OR REPLACE INTO contracts VALUES(?,?)", (tenant, document))

    def get_contract(self, tenant):
        rows = self._read("SELECT doc FROM contracts WHERE tenant=?", (tenant,))
        return rows[0][0] if rows else None

    def tenants(self):
        return [r[0] for r in self._read("SELECT tenant FROM contracts ORDER BY tenant")]

    def purge(self, now):
        cutoff = now - TOMBSTONE_SECONDS
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM leases WHERE expires<?", (cutoff,))
        conn.execute("DELETE FROM reservations WHERE created<?", (cutoff,))
        conn.execute("DELETE FROM events WHERE minute<?", (int(cutoff // 60),))
        conn.execute("COMMIT")

    def clear(self):
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        for table in ("state", "leases", "reservations", "outbox", "events", "usage", "contracts"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("COMMIT")

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._checkpointer is not None and self._checkpointer_pid == os.getpid():
            self._stop.set()
            self._checkpointer.join(10)
            self._checkpointer, self._checkpointer_pid = None, 0
