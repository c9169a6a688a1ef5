"""Metering fixtures: the catalog from the repository's data, and one store per backend.

Every test that takes `store_url` runs once per backend: memory, SQLite (a fresh file), Redis (a
`redis-server` this session starts on a free 127.0.0.1 port in a temporary folder, and stops at the end) and
Redis Cluster (three masters and three replicas this session starts the same way, on first use).
"""

from __future__ import annotations

import pytest

from metering import Meter
from metering.catalog import Catalog
from metering.testing_cluster import RedisClusterServers
from tests.metering.helpers import RedisServer, repository_context, thaw

BACKENDS = ("memory", "sqlite", "redis", "redis-cluster")


@pytest.fixture(scope="session")
def repo_context() -> dict:
    """The repository's internal data context, loaded and validated once per session."""
    return repository_context()


@pytest.fixture
def context(repo_context) -> dict:
    """A copy of the data context a test may change."""
    return thaw(repo_context)


@pytest.fixture(scope="session")
def catalog(repo_context) -> Catalog:
    return Catalog.from_context(repo_context)


@pytest.fixture(scope="session")
def demo_tenants(repo_context) -> list:
    return repo_context["demo_tenants"]["tenants"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A 3-master, 3-replica Redis Cluster on loopback; started within 30 s or the test errors, always stopped."""
    with RedisClusterServers(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """A URL of an empty store of each backend."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/metering.db"
    server = request.getfixturevalue("redis_cluster" if request.param == "redis-cluster" else "redis_server")
    server.flush()
    return server.url


@pytest.fixture
def meter(catalog, store_url):
    """A meter on each backend with a Team tenant `acme` and a Business tenant `globex`."""
    m = Meter(catalog, store_url, contract_ttl=0)
    m.put_contract({"tenant": "acme", "plan": "team", "contacts": ["ops@acme.example"]})
    m.put_contract({"tenant": "globex", "plan": "business", "cus": 6})
    yield m
    m.storage.close()
