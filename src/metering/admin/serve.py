"""Run the admin UI on 127.0.0.1 over a demo store (what `./dev admin` starts)."""

from __future__ import annotations

import secrets

from ..demo import build_demo_meter
from ..dispatch_loop import DEFAULT_INTERVAL, DispatchLoop
from ..notify import Dispatcher, LogNotifier
from .accounts import Accounts
from .app import create_admin

ADMIN_USER = "ops"


def serve_demo(
    port: int = 8760, store: str = "memory://", days: int = 2, password: str = "", accounts: str = ""
) -> None:
    """Seed `store` with the demo tenants, print the URL and credentials, and serve until interrupted.

    With `accounts` (a file written by `./dev metering-admin-account`) its operators sign in by name instead of
    the one demo login.

    The demo's outbox is delivered every DEFAULT_INTERVAL seconds to the log only: its sample tenants must
    never reach a real webhook or mailbox, whatever the environment configures.
    """
    import uvicorn

    notifiers = [LogNotifier()]
    meter = build_demo_meter(store, days=days)
    operators = Accounts.from_file(accounts) if accounts else None
    password = password or secrets.token_urlsafe(12)
    app = create_admin(meter, ADMIN_USER, password, secrets.token_urlsafe(32), accounts=operators)
    loop = DispatchLoop(Dispatcher(meter.storage, notifiers), DEFAULT_INTERVAL)
    print(f"Metering admin (demo store {store}, {len(meter.tenants())} tenants, {days} days of usage)")
    print(f"  URL:      http://127.0.0.1:{port}/")
    if operators:
        print(f"  users:    {', '.join(sorted(operators.hashes))} (from {accounts})")
    else:
        print(f"  user:     {ADMIN_USER}")
        print(f"  password: {password}")
    print(f"  notify:   {', '.join(n.name for n in notifiers)}, every {DEFAULT_INTERVAL:g} s")
    print("Stop with Ctrl+C.", flush=True)
    loop.start()
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    finally:
        loop.stop()
