"""Shared by the portal tests: the staff login, the magic-link pattern, a settable clock, and a portal config."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

from portal.app import PortalConfig
from portal.mail import portal_mailer

STAFF = ("sales", "correct horse battery staple")
# Argon2id at its cheapest, so a new store per test costs a millisecond; the default is tested on its own.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECRET = "test-secret-" + "x" * 40
LINK = re.compile(r"https?://\S+/access/([A-Za-z0-9_-]+)")


class Clock:
    """A settable clock (epoch seconds) for link expiry and log times."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_config(portal_project, portal_dataset, released, store, outbox, tmp_path, base_url, **overrides):
    settings = dict(portal_dataset.internal["portal"])
    settings.update(overrides)
    return PortalConfig(
        project=portal_project,
        dataset=portal_dataset,
        pack=released,
        store=store,
        mailer=portal_mailer(portal_dataset.customer["company"], "127.0.0.1", outbox.port),
        secret=SECRET,
        base_url=base_url,
        stamps_folder=tmp_path / "stamps",
        settings=settings,
    )
