"""`./dev portal` as a person runs it: it serves on 127.0.0.1, prints the URL and the internal view's login, and
mails through its local outbox when no SMTP server is configured, on either database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from docskit.paths import REPO_ROOT
from portal.db import open_engine
from portal.outbox import free_port
from portal.store import PortalStore


def test_dev_portal_serves_on_loopback_and_prints_how_to_log_in(portal_project, released, database_url):
    """On SQLite as configured by default (the build folder), and on PostgreSQL through PORTAL_DATABASE_URL."""
    port = free_port()
    env = {**os.environ, "DOCSKIT_BUILD_DIR": str(portal_project.build)}
    for name in ("PORTAL_SMTP_HOST", "PORTAL_DATABASE_URL", "PORTAL_BASE_URL"):
        env.pop(name, None)
    on_postgresql = database_url.startswith("postgresql")
    if on_postgresql:
        env["PORTAL_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "invoke",
            "portal",
            "--port",
            str(port),
            "--password",
            "serving-test-password",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Stop with Ctrl+C"):
                break
        printed = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in printed, printed
        assert "user sales, password serving-test-password" in printed
        assert "local outbox on 127.0.0.1:" in printed
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                home = httpx.get(base + "/")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert home.status_code == 200 and f"pack {released.version}" in home.text.lower()
        assert httpx.get(base + "/internal").status_code == 401
        assert httpx.get(base + "/internal", auth=("sales", "serving-test-password")).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
    if on_postgresql:
        assert f"database {database_url})" in printed
        engine = open_engine(database_url)
        assert PortalStore(engine).check_staff("sales", "serving-test-password")
        engine.dispose()
    else:
        assert (portal_project.build / "portal" / "portal.db").exists()
