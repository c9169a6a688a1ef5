"""Portal fixtures: the released pack (built once per test run and copied into a private build folder), a local
SMTP server per test on a random loopback port, and a portal app over a fresh database per test. Every test that
touches the database runs on each backend the portal supports (SQLite, and PostgreSQL in a throwaway cluster
started once per session)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from docskit.datamodel import load_dataset
from docskit.paths import Project
from portal.app import create_portal
from portal.db import migrate, open_engine
from portal.outbox import Outbox
from portal.pack import load_released_pack
from portal.store import PortalStore
from tests.builds import pack_build_copy
from tests.portal.helpers import STAFF, TEST_HASHER, Clock, make_config
from tests.portal.postgres import ClusterError, throwaway_cluster

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def portal_project(tmp_path_factory, shared_pack_build) -> Project:
    return pack_build_copy(shared_pack_build, tmp_path_factory.mktemp("portal-build"))


@pytest.fixture(scope="session")
def portal_dataset(portal_project):
    return load_dataset(portal_project)


@pytest.fixture(scope="session")
def released(portal_project, portal_dataset):
    """The current released pack, built once (on its effective date, so the review gate is stable)."""
    day = dt.date.fromisoformat(portal_dataset.customer["pack"]["effective_date"])
    return load_released_pack(portal_project, portal_dataset, today=day)


@pytest.fixture
def outbox():
    """A local SMTP server per test (3 ms to start), so a test never reads mail another one sent."""
    with Outbox() as box:
        yield box


@pytest.fixture
def clock(portal_dataset) -> Clock:
    day = dt.datetime.fromisoformat(portal_dataset.customer["pack"]["effective_date"] + "T09:00:00+00:00")
    return Clock(day.timestamp())


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL cluster for this session; a missing or broken server fails the tests (./dev installs it)."""
    try:
        with throwaway_cluster() as cluster:
            yield cluster
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """The URL of a new, empty database on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.db'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def engine(database_url):
    """An engine on the test's database, disposed of (its connections closed) after the test."""
    portal_engine = open_engine(database_url)
    yield portal_engine
    portal_engine.dispose()


@pytest.fixture
def store(engine, clock) -> PortalStore:
    migrate(engine)
    portal_store = PortalStore(engine, clock, TEST_HASHER)
    portal_store.set_staff_password(*STAFF)
    return portal_store


@pytest.fixture
def portal_factory(portal_project, portal_dataset, released, store, outbox, tmp_path):
    """portal_factory(**settings) -> TestClient over HTTPS (secure cookies) with data/portal.yaml's settings
    overridden by `settings`."""
    clients = []

    def make(**overrides) -> TestClient:
        config = make_config(
            portal_project,
            portal_dataset,
            released,
            store,
            outbox,
            tmp_path,
            "https://testserver",
            **overrides,
        )
        client = TestClient(create_portal(config), base_url="https://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(portal_factory) -> TestClient:
    return portal_factory()
