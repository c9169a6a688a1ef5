"""Lua scripts run over one Redis connection per thread, with their commands packed by hand.

redis-py's client path (connection pool checkout, argument encoding, response callbacks) costs more than the
loopback round trip itself; a decision needs none of it. Connections still come from redis-py, so the URL's
host or unix socket, database, password and TLS settings apply as usual.
"""

from __future__ import annotations

import hashlib
import threading

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .base import FORK_GENERATION


def bulk(value: str) -> bytes:
    """One RESP bulk string."""
    data = value.encode()
    return b"$%d\r\n%b\r\n" % (len(data), data)


def bulks(values) -> bytes:
    """RESP bulk strings, one per value, joined."""
    return b"".join([bulk(v) for v in values])


def bulk_text(values) -> str:
    """RESP bulk strings as text (to be UTF-8 encoded), lengths counted in bytes."""
    return "".join([f"${len(v.encode())}\r\n{v}\r\n" for v in values])


class ScriptWire:
    """Runs named Lua scripts with EVALSHA, loading a script the first time the server does not know it.

    A connection error closes the thread's connection and sends the command once more on a new one, as
    redis-py's default retry does; a script that already ran before the connection broke may run twice, so
    callers pass idempotency keys (lease ids, reservation keys) where a repeat must not count twice.
    """

    def __init__(self, url: str, scripts: dict[str, str], **options):
        self.pool = redis.ConnectionPool.from_url(url, decode_responses=True, **options)
        self._sources = scripts
        self._shas = {name: hashlib.sha1(source.encode()).hexdigest() for name, source in scripts.items()}
        self._local = threading.local()
        self._opened: list = []
        self._lock = threading.Lock()

    def prefix(self, name: str, keys: list[str], argc: int) -> bytes:
        """The packed head of an EVALSHA of script `name` on `keys`, followed by `argc` arguments."""
        return b"*%d\r\n" % (3 + len(keys) + argc) + bulks(
            ["EVALSHA", self._shas[name], str(len(keys)), *keys]
        )

    def call(self, name: str, packed: bytes):
        """Send one packed EVALSHA of script `name` (see `prefix`) and return its parsed reply."""
        conn = self._connection()
        try:
            return self._send(conn, name, packed)
        except (RedisConnectionError, RedisTimeoutError):
            conn.disconnect()
            return self._send(conn, name, packed)

    def _send(self, conn, name: str, packed: bytes):
        conn.send_packed_command([packed], check_health=False)
        try:
            return conn.read_response()
        except NoScriptError:
            conn.send_command("SCRIPT", "LOAD", self._sources[name])
            conn.read_response()
            conn.send_packed_command([packed], check_health=False)
            return conn.read_response()

    def _connection(self):
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.generation != FORK_GENERATION[0]:
            conn = self.pool.make_connection()
            local.conn, local.generation = conn, FORK_GENERATION[0]
            with self._lock:
                self._opened.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this wire opened in this process."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.disconnect()
        self._local = threading.local()
        self.pool.disconnect()
