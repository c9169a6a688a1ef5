"""The database: versioned migrations, the audit log the database itself keeps append-only, database URLs, and
subscribers told about a newly released version with its change summary."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, func, inspect, select, text, update
from sqlalchemy.exc import DatabaseError

from docskit.datamodel import load_dataset
from portal.db import (
    MIGRATIONS,
    audit_log,
    check_connection,
    migrate,
    open_engine,
    schema_migrations,
    schema_version,
    staff,
)
from portal.errors import ConfigError
from portal.mail import portal_mailer
from portal.notify import notify_subscribers
from portal.outbox import free_port
from portal.pack import ReleasedPack
from portal.store import PortalStore


def test_migrations_run_once_in_order_and_a_newer_one_applies_to_an_older_database(engine, monkeypatch):
    import portal.db

    assert schema_version(engine) == 0
    with monkeypatch.context() as older_code:
        older_code.setattr(portal.db, "MIGRATIONS", MIGRATIONS[:1])
        assert migrate(engine) == [1]
    assert schema_version(engine) == 1
    assert migrate(engine) == [v for v, _, _ in MIGRATIONS[1:]]
    assert migrate(engine) == []
    assert schema_version(engine) == MIGRATIONS[-1][0]
    indexes = {index["name"] for index in inspect(engine).get_indexes("audit_log")}
    assert {"audit_log_by_company", "audit_log_by_document"} <= indexes


def test_two_portals_starting_at_once_apply_each_migration_once(engine):
    start = threading.Barrier(2)

    def migrate_when_both_are_ready() -> list[int]:
        start.wait()
        return migrate(engine)

    with ThreadPoolExecutor(2) as pool:
        applied = [f.result() for f in [pool.submit(migrate_when_both_are_ready) for _ in range(2)]]
    assert sorted(applied, key=len) == [[], [v for v, _, _ in MIGRATIONS]]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema_migrations)).scalar() == len(MIGRATIONS)


def test_a_failing_migration_leaves_the_database_as_it_was(engine, monkeypatch):
    import portal.db

    def broken(conn) -> None:
        conn.execute(text("CREATE TABLE half_done (id INTEGER)"))
        conn.execute(text("SELECT no_such_column FROM half_done"))

    monkeypatch.setattr(portal.db, "MIGRATIONS", [*MIGRATIONS, (99, "broken", broken)])
    with pytest.raises(DatabaseError):
        migrate(engine)
    assert schema_version(engine) == 0
    assert not inspect(engine).has_table("audit_log") and not inspect(engine).has_table("half_done")


def test_the_database_refuses_to_change_or_delete_audit_lines(store):
    store.audit("download", "someone@acme.example", document_id="dpa", version="1.0")
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(update(audit_log).values(actor="someone else"))
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(delete(audit_log))
    # SQLite has no TRUNCATE (DELETE without WHERE is refused above); PostgreSQL's needs its own trigger.
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert [r["actor"] for r in store.log()] == ["someone@acme.example"]


def test_database_urls_that_cannot_work_say_why(tmp_path):
    with pytest.raises(ConfigError, match=r"'pg8000' for postgresql\+pg8000 is not installed.*psycopg"):
        open_engine("postgresql+pg8000://portal@127.0.0.1/portal")
    with pytest.raises(ConfigError, match="malformed"):
        open_engine("not a url")
    with pytest.raises(ConfigError, match="unknown database URL"):
        open_engine("nosuchdb://x")


def test_a_database_server_that_does_not_answer_is_named_without_its_password():
    engine = open_engine(f"postgresql+psycopg://portal:s3cret-pw@127.0.0.1:{free_port()}/portal")
    with pytest.raises(
        ConfigError, match=r"cannot open the portal database .*127\.0\.0\.1.*PORTAL_DATABASE_URL"
    ) as err:
        check_connection(engine)
    assert "s3cret-pw" not in str(err.value)
    engine.dispose()


def test_staff_passwords_are_argon2_hashes(store):
    with store.engine.connect() as conn:
        digest = conn.execute(select(staff.c.password_hash)).scalar()
    assert digest.startswith("$argon2id$")
    assert store.check_staff("sales", "correct horse battery staple")
    assert not store.check_staff("sales", "Correct horse battery staple")
    assert not store.check_staff("nobody", "correct horse battery staple")


def test_a_store_hashes_staff_passwords_with_argon2_cffi_defaults_unless_told_otherwise(engine):
    migrate(engine)
    defaults = PasswordHasher()
    PortalStore(engine).set_staff_password("sales", "correct horse battery staple")
    with engine.connect() as conn:
        digest = conn.execute(select(staff.c.password_hash)).scalar()
    assert f"$m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}$" in digest
    assert (defaults.memory_cost, defaults.time_cost) == (65536, 3)  # RFC 9106's low-memory profile


def _release_with(project_copy, released, doc_id: str, version: str, changes: str) -> tuple:
    """A dataset whose documents.yaml adds `version` of `doc_id`, and the released pack that holds it."""
    data = project_copy.root / "data" / "documents.yaml"
    text_ = data.read_text(encoding="utf-8")
    marker = f"  - id: {doc_id}\n"
    head, rest = text_.split(marker, 1)
    body, tail = rest.split("\n  - id:", 1)
    body += f'\n      - {{version: "{version}", effective_date: 2026-12-10, changes: "{changes}"}}'
    data.write_text(head + marker + body + "\n  - id:" + tail, encoding="utf-8")
    manifest = {
        **released.manifest,
        "documents": [
            {**d, "version": version} if d["id"] == doc_id else d for d in released.manifest["documents"]
        ],
    }
    return load_dataset(project_copy), ReleasedPack(released.folder, manifest)


def test_subscribers_get_the_change_summary_of_a_new_release_once(
    project_copy, released, store, outbox, portal_dataset
):
    buyer, _ = store.request_access("subscriber@acme.example", "Sam Subscriber", "Acme Ltd", "127.0.0.1")
    store.approve(buyer.id, ["pentest-plan"], "sales")
    buyer = store.buyer(buyer.id)
    current = released.documents["subprocessors"].version
    store.subscribe(buyer, "subprocessors", current)
    mailer = portal_mailer(portal_dataset.customer["company"], "127.0.0.1", outbox.port)
    assert notify_subscribers(store, portal_dataset, released, mailer, "https://trust.example") == 0

    change = "Adds Example Analytics GmbH as a sub-processor for product analytics in the EU region."
    dataset, newer = _release_with(project_copy, released, "subprocessors", "1.9", change)
    assert notify_subscribers(store, dataset, newer, mailer, "https://trust.example") == 1
    [mail] = outbox.wait_for("subscriber@acme.example")
    body = mail.get_content()
    assert "Sub-processor List 1.9" in mail["Subject"]
    assert change in body and "effective 10 December 2026" in body and "https://trust.example/account" in body
    assert notify_subscribers(store, dataset, newer, mailer, "https://trust.example") == 0
    [notified] = store.log(actions=["notified"])
    assert (notified["document_id"], notified["version"]) == ("subprocessors", "1.9")

    store.revoke(buyer.id, "sales")
    dataset, newest = _release_with(project_copy, released, "subprocessors", "2.0", "Another change.")
    assert notify_subscribers(store, dataset, newest, mailer, "https://trust.example") == 0


def test_released_pack_verification_refuses_a_draft(project_copy):
    from portal.pack import load_released_pack

    data = project_copy.root / "data" / "documents.yaml"
    data.write_text(
        data.read_text(encoding="utf-8").replace("status: released", "status: draft"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="draft"):
        load_released_pack(project_copy, load_dataset(project_copy), today=dt.date(2026, 12, 3))
