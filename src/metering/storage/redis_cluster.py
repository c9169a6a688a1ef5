"""redis+cluster://host:port[,host:port...] — the Redis store on a Redis Cluster.

The same Lua scripts and keys as `RedisStorage`: every key of a tenant carries the hash tag ``{tenant}``, so a
script only ever touches one slot, served by one master. `ClusterScriptWire` sends each script to the master
of its tenant's slot (learnt from the cluster and refreshed when a node stops answering or answers MOVED).

Replication is asynchronous in Redis, so a master killed right after answering could lose what it had just
counted, and a failover would then admit past a limit or forget a settlement. Each script is therefore sent
together with ``WAIT 1 <replica_ack_ms>`` in the same round trip: the answer comes back once a replica holds
the change too. A master whose replica does not acknowledge in time (none is attached, or it lags) is used
without the wait for RECHECK_SECONDS, logged once, then tried with it again. ``?replica_ack_ms=0`` turns the
wait off.

While a master is down and before its replica is promoted, calls for the tenants in its slots raise
redis ConnectionError or ClusterDownError: metering.guard turns them into StoreUnavailable (fail closed).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs

from redis.cluster import ClusterNode, RedisCluster
from redis.crc import key_slot
from redis.exceptions import (
    AskError,
    MovedError,
    NoScriptError,
    RedisClusterException,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..errors import ConfigError
from .base import FORK_GENERATION
from .redis import PREFIX, SCRIPTS, RedisStorage, _load_script
from .redis_wire import ScriptWire

log = logging.getLogger("metering.store")

SCHEME = "redis+cluster"
DEFAULT_REPLICA_ACK_MS = 100
#: Seconds a master whose replica did not acknowledge is used without waiting, before the wait is tried again.
RECHECK_SECONDS = 1.0
#: MOVED or ASK redirections followed for one call before giving up (a resharding in progress).
MAX_REDIRECTS = 3


def parse_cluster_url(url: str) -> tuple[list[ClusterNode], int]:
    """The seed nodes and the replica wait (ms) of a redis+cluster:// URL; ConfigError names what is wrong."""
    rest = url[len(SCHEME) + 3 :] if url.startswith(f"{SCHEME}://") else ""
    hosts, _, query = rest.partition("?")
    hosts = hosts.rstrip("/")
    nodes = []
    for seed in filter(None, hosts.split(",")):
        host, _, port = seed.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"{seed!r} in {url!r} is not host:port", "url")
        nodes.append(ClusterNode(host, int(port)))
    if not nodes:
        raise ConfigError(f"{url!r} names no node; use {SCHEME}://host:port[,host:port...]", "url")
    wait = parse_qs(query).get("replica_ack_ms", [str(DEFAULT_REPLICA_ACK_MS)])[0]
    if not wait.isdigit():
        raise ConfigError(f"replica_ack_ms in {url!r} must be a whole number of milliseconds", "url")
    return nodes, int(wait)


def first_key(packed: bytes) -> bytes:
    """The first key of a command packed by `ScriptWire.prefix`: EVALSHA, sha, key count, first key."""
    return packed.split(b"\r\n", 9)[8]


class ClusterScriptWire(ScriptWire):
    """A ScriptWire that sends each script to the master of its keys' slot, followed by WAIT (see module)."""

    def __init__(self, cluster: RedisCluster, scripts: dict[str, str], replica_ack_ms: int):
        super().__init__("redis://", scripts)  # the inherited pool is never used: connections are per node
        self.cluster = cluster
        self.wait = b"*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n" + b"$%d\r\n%d\r\n" % (
            len(str(replica_ack_ms)),
            replica_ack_ms,
        )
        self.replica_ack_ms = replica_ack_ms
        self._unreplicated: dict[str, float] = {}

    def call(self, name: str, packed: bytes):
        slot = key_slot(first_key(packed))
        asking = None
        for _ in range(MAX_REDIRECTS + 1):
            node = asking or self.cluster.nodes_manager.get_node_from_slot(slot)
            conn = self._connection(node)
            try:
                return self._send_waited(conn, node.name, name, packed, asking is not None)
            except (RedisConnectionError, RedisTimeoutError):
                self._forget(node.name)
                if (
                    not self._refresh()
                    or self.cluster.nodes_manager.get_node_from_slot(slot).name == node.name
                ):
                    raise  # the slot's master is down and no replica has taken over yet: fail closed
                asking = None
            except MovedError as err:
                self.cluster.nodes_manager.move_slot(err)
                asking = None
            except AskError as err:
                asking = ClusterNode(err.host, err.port)
        raise RedisConnectionError(f"slot {slot} kept moving after {MAX_REDIRECTS} redirections; retry")

    def _send_waited(self, conn, node: str, name: str, packed: bytes, asking: bool):
        wait = self.replica_ack_ms > 0 and self._unreplicated.get(node, 0.0) <= time.monotonic()
        head = b"*1\r\n$6\r\nASKING\r\n" if asking else b""
        conn.send_packed_command([head + packed + (self.wait if wait else b"")], check_health=False)
        if asking:
            conn.read_response()
        try:
            reply = conn.read_response()
        except ResponseError as err:
            reply = err
        if wait:
            acked = conn.read_response()
            if acked < 1 and not isinstance(reply, ResponseError):
                self._unreplicated[node] = time.monotonic() + RECHECK_SECONDS
                log.warning(
                    "metering store: no replica of Redis master %s acknowledged within %d ms; its writes are "
                    "not waited for during the next %g s (a failover now could lose them)",
                    node,
                    self.replica_ack_ms,
                    RECHECK_SECONDS,
                )
        if isinstance(reply, NoScriptError):
            conn.send_command("SCRIPT", "LOAD", self._sources[name])
            conn.read_response()
            return self._send_waited(conn, node, name, packed, asking)
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    def _connection(self, node: ClusterNode):
        local = self._local
        conns = getattr(local, "conns", None)
        if conns is None or local.generation != FORK_GENERATION[0]:
            conns = local.conns = {}
            local.generation = FORK_GENERATION[0]
        conn = conns.get(node.name)
        if conn is None:
            # made outside the node's pool (whose connection count would otherwise grow with every reconnect)
            pool = self.cluster.get_redis_connection(node).connection_pool
            conn = conns[node.name] = pool.connection_class(**pool.connection_kwargs)
            with self._lock:
                self._opened.append(conn)
        return conn

    def _forget(self, node: str) -> None:
        conn = getattr(self._local, "conns", {}).pop(node, None)
        if conn is not None:
            conn.disconnect()

    def _refresh(self) -> bool:
        """Ask the cluster again which master serves which slot; False when no node answered."""
        try:
            self.cluster.nodes_manager.initialize()
        except (RedisError, RedisClusterException):  # e.g. "All slots are not covered" mid-failover
            return False
        return True


class RedisClusterStorage(RedisStorage):
    """RedisStorage on a Redis Cluster (see the module docstring)."""

    schemes = (SCHEME,)

    def __init__(self, url: str, **options):
        nodes, replica_ack_ms = parse_cluster_url(url)
        # RedisStorage's own state (its packing caches); its single-server client and wire, never connected,
        # are closed and replaced by the cluster's
        super().__init__("redis://127.0.0.1")
        self.close()
        options.setdefault("socket_timeout", 5)
        # a partial slot map is fine: tenants on the masters that answer are served while another fails over
        options.setdefault("require_full_coverage", False)
        self.client = RedisCluster(startup_nodes=nodes, decode_responses=True, **options)
        scripts = {name: _load_script(name) for name in SCRIPTS}
        self.wire = ClusterScriptWire(self.client, scripts, replica_ack_ms)

    def clear(self):
        # a multi-key DEL must stay within one slot, so keys are deleted one by one, node by node
        for node in self.client.get_primaries():
            client = self.client.get_redis_connection(node)
            keys = list(client.scan_iter(f"{PREFIX}:*", count=1000))
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.delete(key)
            pipe.execute()
