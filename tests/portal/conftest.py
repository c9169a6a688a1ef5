"""Portal fixtures: the released pack built once per session into a temporary build folder, a local SMTP server on
a random loopback port, and a portal app over a fresh SQLite database per test."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from docskit.datamodel import load_dataset
from docskit.paths import REPO_ROOT, Project
from portal.app import create_portal
from portal.db import migrate, open_engine
from portal.outbox import Outbox
from portal.pack import load_released_pack
from portal.store import PortalStore
from tests.portal.helpers import STAFF, Clock, make_config


@pytest.fixture(scope="session")
def portal_project(tmp_path_factory) -> Project:
    return Project.at(REPO_ROOT, tmp_path_factory.mktemp("portal-build"))


@pytest.fixture(scope="session")
def portal_dataset(portal_project):
    return load_dataset(portal_project)


@pytest.fixture(scope="session")
def released(portal_project, portal_dataset):
    """The current released pack, built once (on its effective date, so the review gate is stable)."""
    day = dt.date.fromisoformat(portal_dataset.customer["pack"]["effective_date"])
    return load_released_pack(portal_project, portal_dataset, today=day)


@pytest.fixture(scope="session")
def outbox():
    with Outbox() as box:
        yield box


@pytest.fixture
def clock(portal_dataset) -> Clock:
    day = dt.datetime.fromisoformat(portal_dataset.customer["pack"]["effective_date"] + "T09:00:00+00:00")
    return Clock(day.timestamp())


@pytest.fixture
def store(tmp_path, clock) -> PortalStore:
    engine = open_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    migrate(engine)
    portal_store = PortalStore(engine, clock)
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
