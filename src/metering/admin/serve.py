"""Run the admin UI on 127.0.0.1 over a demo store (what `invoke admin` starts)."""

from __future__ import annotations

import secrets

from ..demo import build_demo_meter
from .app import create_admin

ADMIN_USER = "ops"


def serve_demo(port: int = 8760, store: str = "memory://", days: int = 2, password: str = "") -> None:
    """Seed `store` with the demo tenants, print the URL and credentials, and serve until interrupted."""
    import uvicorn

    meter = build_demo_meter(store, days=days)
    password = password or secrets.token_urlsafe(12)
    app = create_admin(meter, ADMIN_USER, password, secrets.token_urlsafe(32))
    print(f"Metering admin (demo store {store}, {len(meter.tenants())} tenants, {days} days of usage)")
    print(f"  URL:      http://127.0.0.1:{port}/")
    print(f"  user:     {ADMIN_USER}")
    print(f"  password: {password}")
    print("Stop with Ctrl+C.", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
