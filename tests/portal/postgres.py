"""A throwaway PostgreSQL cluster for the portal tests: initdb into a temporary folder, a server listening only on
127.0.0.1 at a random port (its unix socket inside that folder, fsync off: the data dies with the test run), and a
fresh database per test. The server binaries come from Debian's `postgresql` package, which `./dev` installs.

PostgreSQL refuses to run as root; when the tests run as root, initdb and the server run as the `postgres` user
(created by the Debian package) or, failing that, `nobody`.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.outbox import free_port

SUPERUSER = "portal"
START_TIMEOUT_SECONDS = 30
_PORT_ATTEMPTS = 3


class ClusterError(RuntimeError):
    """The throwaway cluster cannot be created or started; the message says why and what to do."""


def server_binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/<major>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    majors = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not majors:
        raise ClusterError(
            "PostgreSQL's server binaries (initdb, pg_ctl) are missing: run ./dev once to install the Debian "
            "package postgresql (the portal tests run every database test on SQLite and on PostgreSQL)"
        )
    return majors[-1].parent


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server when we are root (PostgreSQL refuses root); None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterError("running as root and neither a postgres nor a nobody user exists to run PostgreSQL")


class PostgresCluster:
    """One initdb'd cluster in `folder`; start() it, then create_database() per test, stop() at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.bin = server_binaries()
        self.user = _server_user()
        self.port = 0
        self._names = itertools.count(1)

    def _run(self, *argv: str, timeout: float) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user.pw_name, "--"] if self.user else []
        return subprocess.run(
            [*prefix, str(self.bin / argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.folder,
        )

    def init(self) -> None:
        """initdb with trust authentication (only this machine's loopback can reach it) and UTF-8."""
        if self.user:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        done = self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
            timeout=START_TIMEOUT_SECONDS,
        )
        if done.returncode:
            raise ClusterError(
                f"initdb failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            )

    def start(self) -> None:
        """Start on a random loopback port (another if that one was taken meanwhile), waiting a bounded time."""
        for _ in range(_PORT_ATTEMPTS):
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
            )
            done = self._run(
                "pg_ctl",
                "start",
                "--pgdata",
                str(self.data),
                "--log",
                str(self.log),
                "--wait",
                "--timeout",
                str(START_TIMEOUT_SECONDS),
                "-o",
                options,
                timeout=START_TIMEOUT_SECONDS + 10,
            )
            if done.returncode == 0:
                return
            log = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
            if not re.search(r"could not bind|Address already in use", log):
                break
        raise ClusterError(
            f"PostgreSQL did not start within {START_TIMEOUT_SECONDS}s on 127.0.0.1:{self.port}: "
            f"{done.stderr.strip()}\n{log[-2000:]}"
        )

    def stop(self) -> None:
        """Stop at once: nothing in this cluster is worth a clean shutdown."""
        self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "immediate", "--wait", timeout=30)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(statement)

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"test_{next(self._names)}"
        # FILE_COPY copies the template's files instead of writing them through the WAL: half the time here,
        # where fsync is off and the checkpoint it needs is cheap.
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing any connection a test left open."""
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def throwaway_cluster() -> Iterator[PostgresCluster]:
    """A started cluster in a new temporary folder; stopped and deleted afterwards, whatever happened."""
    # Not under pytest's tmp_path: its folders are private to the current user, and as root the server runs as
    # another user who must be able to reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="portal-postgres-"))
    cluster = None
    try:
        cluster = PostgresCluster(folder)
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster is not None and cluster.port:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
