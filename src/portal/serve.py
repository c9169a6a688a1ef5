"""`./dev portal`: open (and migrate) the database, verify the released pack, tell subscribers about new versions,
and serve the portal on 127.0.0.1, printing its URL and the staff login.

Environment: PORTAL_DATABASE_URL (default sqlite:///<build>/portal/portal.db; PostgreSQL:
postgresql+psycopg://user@host:port/database), PORTAL_SECRET (32+ characters; default: random, so sessions end on
restart), PORTAL_BASE_URL (the URL in e-mailed links; default the local URL), PORTAL_SMTP_* (see portal.mail;
default: a local outbox that prints each message).
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from docskit.datamodel import load_dataset
from docskit.paths import Project

from .app import PortalConfig, create_portal
from .db import check_connection, database_url, migrate, open_engine
from .mail import SmtpMailer, portal_mailer
from .notify import notify_subscribers
from .outbox import Outbox
from .pack import load_released_pack, stamp_executor
from .store import PortalStore

STAFF_USER = "sales"
DEFAULT_PORT = 8762


@dataclass
class Running:
    """A configured portal and what must be closed when it stops."""

    config: PortalConfig
    outbox: Outbox | None
    executor: ProcessPoolExecutor

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self.outbox is not None:
            self.outbox.stop()


def _echo(message) -> None:
    body = message.get_content().strip().replace("\n", "\n    ")
    print(f"\n--- mail to {message['To']}: {message['Subject']}\n    {body}\n---", flush=True)


def prepare(project: Project, port: int, password: str) -> tuple[Running, str]:
    """Everything `./dev portal` serves, and the staff password it set."""
    dataset = load_dataset(project)
    pack = load_released_pack(project, dataset)
    engine = open_engine(database_url(project.build, os.environ.get("PORTAL_DATABASE_URL", "")))
    check_connection(engine)
    migrate(engine)
    store = PortalStore(engine)
    password = password or secrets.token_urlsafe(12)
    store.set_staff_password(STAFF_USER, password)
    outbox = None
    mailer = portal_mailer(dataset.customer["company"], "", 0)
    if os.environ.get("PORTAL_SMTP_HOST"):
        mailer = SmtpMailer.from_env(mailer.sender, mailer.sender_name)
    else:
        outbox = Outbox(project.build / "portal" / "outbox", echo=_echo).start()
        mailer = portal_mailer(dataset.customer["company"], "127.0.0.1", outbox.port)
    executor = stamp_executor(dataset)
    config = PortalConfig(
        project=project,
        dataset=dataset,
        pack=pack,
        store=store,
        mailer=mailer,
        secret=os.environ.get("PORTAL_SECRET") or secrets.token_urlsafe(32),
        base_url=os.environ.get("PORTAL_BASE_URL") or f"http://127.0.0.1:{port}",
        stamps_folder=project.build / "portal" / "stamps",
        executor=executor,
    )
    return Running(config, outbox, executor), password


def serve_portal(port: int = DEFAULT_PORT, password: str = "", project: Project | None = None) -> None:
    """Serve the portal on 127.0.0.1:`port` until interrupted."""
    import uvicorn

    project = project or Project.at()
    running, password = prepare(project, port, password)
    config = running.config
    told = notify_subscribers(config.store, config.dataset, config.pack, config.mailer, config.base_url)
    app = create_portal(config, on_shutdown=running.close)
    print(f"Trust portal (pack {config.pack.version}, database {config.store.engine.url.render_as_string()})")
    print(f"  public page:   http://127.0.0.1:{port}/")
    print(f"  internal view: http://127.0.0.1:{port}/internal  (user {STAFF_USER}, password {password})")
    if running.outbox is not None:
        print(
            f"  mail:          local outbox on 127.0.0.1:{running.outbox.port}, printed here and saved in "
            f"{project.rel(running.outbox.folder)}"
        )
    print(f"  subscribers told about new versions: {told}")
    print("Stop with Ctrl+C.", flush=True)
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    finally:
        running.close()
