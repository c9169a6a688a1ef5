"""Serve the metering HTTP API with uvicorn, and deliver threshold notifications while it runs.

What `./dev api` starts. The token secret comes from METERING_API_SECRET (at least 32 characters);
notification channels come from the environment too (see `metering.dispatch_loop.notifiers_from_env`).
With `--metrics`, GET /metrics serves Prometheus metrics: behind METERING_METRICS_TOKEN when it is set,
and otherwise only on a loopback address.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from .api import create_api
from .catalog import Catalog, load_catalog
from .clock import clock_for
from .dispatch_loop import DEFAULT_INTERVAL, DispatchLoop, notifiers_from_env
from .errors import ConfigError
from .guard import GuardedStorage
from .meter import Meter
from .metrics import MeteringMetrics
from .notify import Dispatcher
from .storage import storage_from_url

SECRET_ENV = "METERING_API_SECRET"
METRICS_TOKEN_ENV = "METERING_METRICS_TOKEN"
MIN_SECRET_CHARS = 32
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8761
TOKEN_MAX_AGE = 86400


def api_secret(environ: Mapping[str, str] | None = None) -> str:
    """The token secret from METERING_API_SECRET; ConfigError naming the variable if unset or too short."""
    secret = (os.environ if environ is None else environ).get(SECRET_ENV, "")
    how = (
        f"set {SECRET_ENV} to a random string of at least {MIN_SECRET_CHARS} characters, e.g. "
        "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )
    if not secret:
        raise ConfigError(f"{SECRET_ENV} is not set; {how}", SECRET_ENV)
    if len(secret) < MIN_SECRET_CHARS:
        raise ConfigError(f"{SECRET_ENV} is only {len(secret)} characters long; {how}", SECRET_ENV)
    return secret


def metrics_token(host: str, environ: Mapping[str, str] | None = None) -> str:
    """The bearer token /metrics needs (METERING_METRICS_TOKEN); ConfigError if it is unset off loopback."""
    token = (os.environ if environ is None else environ).get(METRICS_TOKEN_ENV, "")
    if token and len(token) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"{METRICS_TOKEN_ENV} is only {len(token)} characters long; use at least {MIN_SECRET_CHARS}",
            METRICS_TOKEN_ENV,
        )
    if not token and not is_loopback(host):
        raise ConfigError(
            f"/metrics on {host} would be open to other machines; set {METRICS_TOKEN_ENV} (at least "
            f"{MIN_SECRET_CHARS} characters, sent by Prometheus as a bearer token) or serve on 127.0.0.1",
            METRICS_TOKEN_ENV,
        )
    return token


def server_meter(
    catalog: Catalog, store: str, *, metrics: bool = False, per_tenant: bool = False
) -> tuple[Meter, MeteringMetrics | None]:
    """A meter as a server runs it: its store guarded (failure policy, timing), SQLite's lock wait and the
    clock from data/metering_operations.yaml, and the metrics when asked for."""
    ops = catalog.operations
    options = {"busy_timeout_ms": int(ops.sqlite_lock_timeout * 1000)} if store.startswith("sqlite:") else {}
    inner = storage_from_url(store, **options)
    guarded = GuardedStorage(inner, ops)
    meter = Meter(catalog, guarded, clock=clock_for(inner, ops.clock_sync))
    if not metrics:
        return meter, None
    guarded.metrics = MeteringMetrics(meter, per_tenant=per_tenant, clock=meter.clock)
    return meter, guarded.metrics


def default_store_url(project=None) -> str:
    """A SQLite file under the build folder: <build>/metering/metering.db."""
    from docskit.paths import Project

    build = (project or Project.at()).build
    return f"sqlite:///{build / 'metering' / 'metering.db'}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_command() -> str:
    """A shell command that prints a bearer token signed with $METERING_API_SECRET."""
    code = 'import os; from metering.api import issue_token; print(issue_token(os.environ["METERING_API_SECRET"]))'
    src = Path(__file__).resolve().parents[1]
    return f"PYTHONPATH={shlex.quote(str(src))} {shlex.quote(sys.executable)} -c {shlex.quote(code)}"


class _Terminated(Exception):
    """SIGTERM arrived: leave uvicorn.run so the dispatch loop and the store are closed in order."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated


def _configure_logging() -> None:
    """Timestamped log lines on stderr (a no-op when the embedding program configured logging)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("metering").setLevel(logging.INFO)


def serve_api(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    store: str = "",
    *,
    environ: Mapping[str, str] | None = None,
    dispatch_interval: float = DEFAULT_INTERVAL,
    catalog: Catalog | None = None,
    metrics: bool = False,
    metrics_per_tenant: bool = False,
) -> None:
    """Serve the API on `host`:`port` over `store` (default: `default_store_url()`) until interrupted.

    Checks the configuration (secret, webhook variables, port) before anything else and raises
    ConfigError with the fix; the outbox is delivered every `dispatch_interval` seconds while serving.
    `metrics` adds GET /metrics (see `metrics_token`); `metrics_per_tenant` adds per-tenant series.
    """
    import uvicorn

    secret = api_secret(environ)
    notifiers = notifiers_from_env(environ)
    if not 0 < port < 65536:
        raise ConfigError(f"port must be between 1 and 65535, got {port}", "port")
    token = metrics_token(host, environ) if metrics else ""
    store = store or default_store_url()
    meter, observed = server_meter(
        catalog or load_catalog(), store, metrics=metrics, per_tenant=metrics_per_tenant
    )
    app = create_api(meter, secret, token_max_age=TOKEN_MAX_AGE, metrics=observed, metrics_token=token)
    _configure_logging()
    loop = DispatchLoop(Dispatcher(meter.storage, notifiers, clock=meter.clock), dispatch_interval)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    print(f"Metering API (store {store}, {len(meter.tenants())} tenants)")
    print(f"  URL:      {base}/v1/tenants/<tenant>/…")
    print(f"  OpenAPI:  {base}/openapi.json")
    if observed is not None:
        guard = f"bearer ${METRICS_TOKEN_ENV}" if token else "open on loopback"
        print(f"  metrics:  {base}/metrics ({guard})")
    print(f"  token:    {token_command()}")
    print(
        f"            send it as 'Authorization: Bearer <token>'; it is valid {TOKEN_MAX_AGE // 3600} hours"
    )
    channels = ", ".join(n.name for n in notifiers)
    print(f"  notify:   {channels}, every {dispatch_interval:g} s")
    if not is_loopback(host):
        print(f"  warning:  listening on {host}, reachable from other machines; serve it behind TLS")
    print("Stop with Ctrl+C.", flush=True)
    # uvicorn shuts down gracefully on SIGTERM and then raises it again with the handler found at start;
    # with this one, that ends here instead of killing the process before the loop and store are closed.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main else None
    loop.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except _Terminated:
        print("Stopped (SIGTERM).", flush=True)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        loop.stop()
        meter.storage.close()
