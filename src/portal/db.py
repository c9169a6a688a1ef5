"""The portal's database (SQLAlchemy Core): its tables, the engine for a URL, and versioned migrations.

SQLite in the build folder is the default; PostgreSQL through a URL such as
``postgresql+psycopg://user@host/portal`` (the psycopg driver is pinned in requirements.lock). Migrations are
numbered functions recorded in ``schema_migrations``; a database is brought up to date when the portal opens it,
inside one transaction. The audit log is append-only: the database itself refuses UPDATE and DELETE on it (a
trigger on SQLite and on PostgreSQL, which also refuses TRUNCATE). Tests run on both backends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from .errors import ConfigError

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", Float, nullable=False),
)

buyers = Table(
    "buyers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("company", String(100), nullable=False),
    Column("status", String(16), nullable=False),  # pending, approved, denied, revoked
    Column("requested_at", Float, nullable=False),
    Column("request_ip", String(45), nullable=False),
    Column("decided_at", Float),
    Column("decided_by", String(100)),
)

magic_links = Table(
    "magic_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("buyer_id", Integer, ForeignKey("buyers.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float),
)

nda_acceptances = Table(
    "nda_acceptances",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("buyer_id", Integer, ForeignKey("buyers.id"), nullable=False),
    Column("nda_version", String(20), nullable=False),
    Column("accepted_at", Float, nullable=False),
    Column("ip", String(45), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Column("name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("company", String(100), nullable=False),
)

grants = Table(
    "grants",
    metadata,
    Column("buyer_id", Integer, ForeignKey("buyers.id"), nullable=False),
    Column("document_id", String(64), nullable=False),
    Column("granted_at", Float, nullable=False),
    Column("granted_by", String(100), nullable=False),
    PrimaryKeyConstraint("buyer_id", "document_id"),
)

stamps = Table(
    "stamps",
    metadata,
    Column("buyer_id", Integer, ForeignKey("buyers.id"), nullable=False),
    Column("document_id", String(64), nullable=False),
    Column("version", String(20), nullable=False),
    Column("pack_version", String(20), nullable=False),
    Column("stamp_date", String(10), nullable=False),
    Column("file", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("buyer_id", "document_id", "version"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("buyer_id", Integer, ForeignKey("buyers.id"), nullable=False),
    Column("document_id", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("notified_version", String(20), nullable=False),
    PrimaryKeyConstraint("buyer_id", "document_id"),
)

staff = Table(
    "staff",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Float, nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(300), nullable=False),
    Column("buyer_id", Integer),
    Column("email", String(254), nullable=False, default=""),
    Column("company", String(100), nullable=False, default=""),
    Column("document_id", String(64), nullable=False, default=""),
    Column("version", String(20), nullable=False, default=""),
    Column("ip", String(45), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
)

_V1_TABLES = [buyers, magic_links, nda_acceptances, grants, stamps, subscriptions, staff, audit_log]

_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
    ],
}


def _v1_tables(conn) -> None:
    """Buyers, magic links, NDA acceptances, grants, stamps, subscriptions, staff and the append-only audit log."""
    metadata.create_all(conn, tables=_V1_TABLES)
    statements = _APPEND_ONLY.get(conn.dialect.name)
    if statements is None:
        raise ConfigError(
            f"the audit log cannot be made append-only on {conn.dialect.name}; use SQLite or PostgreSQL"
        )
    for statement in statements:
        conn.execute(text(statement))


# Written as DDL, not as Index objects on the tables: create_all in migration 1 would create those too.
_V2_INDEXES = [
    "CREATE INDEX audit_log_by_company ON audit_log (company, at)",
    "CREATE INDEX audit_log_by_document ON audit_log (document_id, at)",
    "CREATE INDEX buyers_by_status ON buyers (status)",
]


def _v2_log_indexes(conn) -> None:
    """Indexes for the access log per company and per document, and for the pending requests list."""
    for statement in _V2_INDEXES:
        conn.execute(text(statement))


#: (version, name, function). Append new migrations; never edit or reorder applied ones.
MIGRATIONS: list[tuple[int, str, Callable]] = [
    (1, "tables and append-only audit log", _v1_tables),
    (2, "indexes for the access log and the pending list", _v2_log_indexes),
]


def database_url(build: Path, configured: str = "") -> str:
    """The configured URL, else sqlite:///<build>/portal/portal.db."""
    if configured:
        return configured
    return f"sqlite:///{build / 'portal' / 'portal.db'}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # WAL with synchronous=NORMAL never corrupts the database; a power cut may lose the last commits, not more.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created. ConfigError names a bad URL or a missing driver."""
    # A pool as large as Starlette's thread pool: each request thread reuses a connection (on SQLite, no PRAGMAs
    # per request) and none waits for another's.
    pool = {"pool_size": 8, "max_overflow": 32, "pool_timeout": 120}
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        # pre_ping: a server restarted under a running portal costs a reconnect, not a failed request.
        return create_engine(url, pool_pre_ping=True, **pool)
    except NoSuchModuleError as exc:
        raise ConfigError(f"unknown database URL {url!r}: {exc}") from None
    except ArgumentError as exc:
        raise ConfigError(f"malformed database URL {url!r}: {exc}") from None
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"the database driver {exc.name!r} for {url.split(':', 1)[0]} is not installed; "
            f"install it in .venv (for PostgreSQL: pip install 'psycopg[binary]')"
        ) from None


def check_connection(engine: Engine) -> None:
    """Open and close one connection; ConfigError names the database (password hidden) and the driver's reason."""
    try:
        engine.connect().close()
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise ConfigError(
            f"cannot open the portal database {engine.url.render_as_string()}: {reason} "
            f"(check PORTAL_DATABASE_URL and that the server is running)"
        ) from None


# PostgreSQL advisory lock key held while migrating: any constant unique to this application will do.
_MIGRATION_LOCK = int.from_bytes(b"portal-m", "big") >> 1


def migrate(engine: Engine, clock: Callable[[], float] = time.time) -> list[int]:
    """Apply every migration the database has not had yet, in order, in one transaction that holds off any other
    migrator; return their versions."""
    applied_now = []
    with engine.begin() as conn:
        # One migrator at a time (two portals may start together), the second finding the work done.
        if conn.dialect.name == "sqlite":
            # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so CREATE statements would
            # commit one by one; an explicit BEGIN makes DDL roll back too, and IMMEDIATE takes the write lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        schema_migrations.create(conn, checkfirst=True)
        done = set(conn.execute(select(schema_migrations.c.version)).scalars())
        for version, name, apply in MIGRATIONS:
            if version in done:
                continue
            apply(conn)
            conn.execute(schema_migrations.insert().values(version=version, name=name, applied_at=clock()))
            applied_now.append(version)
    return applied_now


def schema_version(engine: Engine) -> int:
    """The highest migration applied (0 for an empty database)."""
    if not inspect(engine).has_table("schema_migrations"):
        return 0
    with engine.connect() as conn:
        return (
            conn.execute(
                select(schema_migrations.c.version).order_by(schema_migrations.c.version.desc())
            ).scalar()
            or 0
        )
