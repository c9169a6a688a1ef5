"""Named operator accounts for the admin UI: a file of ``name:argon2id-hash`` lines (salted, one per operator).

Add or change an account with `./dev metering-admin-account --file <path> --name <operator>` (asks for the
password); the admin page is then started with that file. Blank lines and lines starting with # are ignored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ConfigError

NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MIN_PASSWORD_CHARS = 12
#: Seconds a checked login is remembered, so that pages do not each pay for an Argon2 hash.
VERIFIED_FOR = 300.0
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


def read_accounts(path: str | Path) -> dict[str, str]:
    """{operator name: Argon2 hash} from an accounts file; ConfigError names the file and line when malformed."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; create it with ./dev metering-admin-account", "accounts")
    accounts = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, digest = line.partition(":")
        if not NAME.fullmatch(name) or not digest.startswith("$argon2"):
            raise ConfigError(f"{path}:{number}: expected name:$argon2id$... (an account line)", "accounts")
        accounts[name] = digest
    if not accounts:
        raise ConfigError(f"{path} holds no account; add one with ./dev metering-admin-account", "accounts")
    return accounts


def set_password(path: str | Path, name: str, password: str) -> bool:
    """Add account `name` to the file at `path` (created if missing) or change its password; True if added."""
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"account name {name!r}: use lowercase letters, digits and . _ @ - (at most 64 characters)",
            "name",
        )
    if len(password) < MIN_PASSWORD_CHARS:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD_CHARS} characters", "password")
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    entry = f"{name}:{_HASHER.hash(password)}"
    kept = [line for line in lines if line.partition(":")[0] != name]
    path.write_text("\n".join([*kept, entry]) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return len(kept) == len(lines)


class Accounts:
    """Checks operator logins against their Argon2 hashes; an unknown name costs the same hash check."""

    def __init__(self, hashes: dict[str, str]):
        self.hashes = dict(hashes)
        self._verified: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path) -> Accounts:
        return cls(read_accounts(path))

    @classmethod
    def single(cls, name: str, password: str) -> Accounts:
        """One account (the demo and tests)."""
        return cls({name: _HASHER.hash(password)})

    def check(self, name: str, password: str) -> bool:
        """Whether `password` is `name`'s."""
        key = hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()
        with self._lock:
            if self._verified.get(key, 0.0) > time.monotonic():
                return True
        digest = self.hashes.get(name)
        try:
            ok = _HASHER.verify(digest or _DUMMY, password) and digest is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if ok:
            with self._lock:
                self._verified[key] = time.monotonic() + VERIFIED_FOR
        return ok
