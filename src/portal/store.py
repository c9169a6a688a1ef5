"""What the portal remembers: buyers and their requests, magic links (hashed), NDA acceptances, per-document
grants, stamped copies, subscriptions, staff logins and the append-only audit log. Each change and its audit
line are written in one transaction, so the log never misses a step and never records one that did not happen."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from .db import audit_log, buyers, grants, magic_links, nda_acceptances, staff, stamps, subscriptions

PENDING, APPROVED, DENIED, REVOKED = "pending", "approved", "denied", "revoked"
TOKEN_BYTES = 32


@dataclass(frozen=True)
class Buyer:
    """A person at a prospective customer who asked for access."""

    id: int
    email: str
    name: str
    company: str
    status: str
    requested_at: float
    decided_at: float | None
    decided_by: str | None

    @property
    def recipient(self) -> str:
        """How stamped copies name them: person and organisation."""
        return f"{self.name}, {self.company}"


@dataclass(frozen=True)
class LinkResult:
    """The outcome of using a magic link: the buyer it signs in, or why it cannot."""

    buyer: Buyer | None
    problem: str = ""  # "", "unknown", "used", "expired", "closed"


def token_hash(token: str) -> str:
    """How a magic-link token is stored: its SHA-256 (a database leak reveals no usable link)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _buyer(row) -> Buyer | None:
    if row is None:
        return None
    m = row._mapping
    return Buyer(
        m["id"],
        m["email"],
        m["name"],
        m["company"],
        m["status"],
        m["requested_at"],
        m["decided_at"],
        m["decided_by"],
    )


class PortalStore:
    """Every read and write of the portal's state; `clock` returns epoch seconds (tests pass their own).

    Staff passwords are hashed with `hasher`, by default argon2-cffi's Argon2id defaults (RFC 9106's
    low-memory profile); tests pass a cheaper Argon2id so that each new store does not cost a tenth of a second.
    """

    def __init__(
        self, engine: Engine, clock: Callable[[], float] = time.time, hasher: PasswordHasher | None = None
    ):
        self.engine = engine
        self.clock = clock
        self._hasher = hasher or PasswordHasher()
        # An unknown login is checked against this, so it costs the same as a known one with the same hasher.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    # -- audit ---------------------------------------------------------------------------------------------
    def _audit(self, conn: Connection, action: str, actor: str, buyer: Buyer | None = None, **fields) -> None:
        values = {"at": self.clock(), "action": action, "actor": actor, **fields}
        if buyer is not None:
            values.update(buyer_id=buyer.id, email=buyer.email, company=buyer.company)
        conn.execute(insert(audit_log).values(**values))

    def audit(self, action: str, actor: str, buyer: Buyer | None = None, **fields) -> None:
        """Append one line to the audit log (fields: document_id, version, ip, detail, email, company)."""
        with self.engine.begin() as conn:
            self._audit(conn, action, actor, buyer, **fields)

    def log(self, company: str = "", document: str = "", actions: Iterable[str] = (), limit: int = 5000):
        """Audit lines, newest first, optionally for one company, one document, or some actions."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if company:
            query = query.where(audit_log.c.company == company)
        if document:
            query = query.where(audit_log.c.document_id == document)
        actions = list(actions)
        if actions:
            query = query.where(audit_log.c.action.in_(actions))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def downloads_by(self, column: str) -> list[tuple[str, int, int, float]]:
        """(company or document, downloads, distinct buyers, last download) for the access log summary."""
        key = audit_log.c[column]
        query = (
            select(
                key, func.count(), func.count(func.distinct(audit_log.c.buyer_id)), func.max(audit_log.c.at)
            )
            .where(audit_log.c.action == "download")
            .group_by(key)
            .order_by(key)
        )
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]

    # -- buyers --------------------------------------------------------------------------------------------
    def buyer(self, buyer_id: int) -> Buyer | None:
        with self.engine.connect() as conn:
            return _buyer(conn.execute(select(buyers).where(buyers.c.id == buyer_id)).first())

    def buyer_by_email(self, email: str) -> Buyer | None:
        with self.engine.connect() as conn:
            return _buyer(conn.execute(select(buyers).where(buyers.c.email == email)).first())

    def buyers(self, statuses: Iterable[str] = ()) -> list[Buyer]:
        """Buyers, oldest request first, optionally only those in `statuses`."""
        query = select(buyers).order_by(buyers.c.requested_at, buyers.c.id)
        statuses = list(statuses)
        if statuses:
            query = query.where(buyers.c.status.in_(statuses))
        with self.engine.connect() as conn:
            return [_buyer(r) for r in conn.execute(query)]

    def request_access(self, email: str, name: str, company: str, ip: str) -> tuple[Buyer, bool]:
        """(buyer, created): a new pending buyer, or the existing one unchanged (a request is also a sign-in)."""
        with self.engine.begin() as conn:
            existing = _buyer(conn.execute(select(buyers).where(buyers.c.email == email)).first())
            if existing is not None:
                return existing, False
            buyer_id = conn.execute(
                insert(buyers).values(
                    email=email,
                    name=name,
                    company=company,
                    status=PENDING,
                    requested_at=self.clock(),
                    request_ip=ip,
                )
            ).inserted_primary_key[0]
            buyer = _buyer(conn.execute(select(buyers).where(buyers.c.id == buyer_id)).first())
            self._audit(conn, "request", email, buyer, ip=ip)
            return buyer, True

    def _decide(
        self, buyer_id: int, status: str, by: str, allowed: tuple[str, ...], documents: Iterable[str] = ()
    ) -> Buyer:
        documents = sorted(set(documents))
        with self.engine.begin() as conn:
            buyer = _buyer(conn.execute(select(buyers).where(buyers.c.id == buyer_id)).first())
            if buyer is None or buyer.status not in allowed:
                raise LookupError(buyer.status if buyer else "unknown")
            conn.execute(
                update(buyers)
                .where(buyers.c.id == buyer_id)
                .values(status=status, decided_at=self.clock(), decided_by=by)
            )
            conn.execute(grants.delete().where(grants.c.buyer_id == buyer_id))
            for doc in documents:
                conn.execute(
                    insert(grants).values(
                        buyer_id=buyer_id, document_id=doc, granted_at=self.clock(), granted_by=by
                    )
                )
            action = {APPROVED: "approve", DENIED: "deny", REVOKED: "revoke"}[status]
            self._audit(conn, action, by, buyer, detail=", ".join(documents))
            return buyer

    def approve(self, buyer_id: int, documents: Iterable[str], by: str) -> Buyer:
        """Approve a pending buyer (or restore a denied or revoked one) for `documents`; LookupError if already
        approved or unknown."""
        return self._decide(buyer_id, APPROVED, by, (PENDING, DENIED, REVOKED), documents)

    def deny(self, buyer_id: int, by: str) -> Buyer:
        """Deny a pending buyer; LookupError if the buyer is not pending."""
        return self._decide(buyer_id, DENIED, by, (PENDING,))

    def revoke(self, buyer_id: int, by: str) -> Buyer:
        """Revoke an approved buyer: every grant goes, downloads and sign-ins stop at once."""
        return self._decide(buyer_id, REVOKED, by, (APPROVED, PENDING))

    def entitlement(self, buyer_id: int, document_id: str, nda_version: str) -> tuple[bool, bool]:
        """(accepted this NDA version, granted this document) in one query: what a download checks."""
        accepted = (
            select(nda_acceptances.c.id)
            .where(and_(nda_acceptances.c.buyer_id == buyer_id, nda_acceptances.c.nda_version == nda_version))
            .exists()
        )
        granted = (
            select(grants.c.buyer_id)
            .where(and_(grants.c.buyer_id == buyer_id, grants.c.document_id == document_id))
            .exists()
        )
        with self.engine.connect() as conn:
            row = conn.execute(select(accepted.label("accepted"), granted.label("granted"))).one()
        return bool(row.accepted), bool(row.granted)

    def granted(self, buyer_id: int) -> set[str]:
        with self.engine.connect() as conn:
            return set(
                conn.execute(select(grants.c.document_id).where(grants.c.buyer_id == buyer_id)).scalars()
            )

    # -- magic links ---------------------------------------------------------------------------------------
    def issue_link(self, buyer: Buyer, ttl_seconds: float) -> str:
        """A new single-use token for `buyer`'s e-mail address; only its SHA-256 is stored."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                insert(magic_links).values(
                    token_sha256=token_hash(token),
                    buyer_id=buyer.id,
                    email=buyer.email,
                    created_at=now,
                    expires_at=now + ttl_seconds,
                )
            )
            self._audit(conn, "link_sent", "portal", buyer)
        return token

    def peek_link(self, token: str) -> LinkResult:
        """Whether `token` could be used now, without using it (for the confirmation page)."""
        with self.engine.connect() as conn:
            return self._check_link(conn, token)

    def _check_link(self, conn: Connection, token: str) -> LinkResult:
        row = conn.execute(select(magic_links).where(magic_links.c.token_sha256 == token_hash(token))).first()
        if row is None:
            return LinkResult(None, "unknown")
        link = row._mapping
        buyer = _buyer(conn.execute(select(buyers).where(buyers.c.id == link["buyer_id"])).first())
        if buyer is None or buyer.email != link["email"]:
            return LinkResult(None, "unknown")
        if link["used_at"] is not None:
            return LinkResult(buyer, "used")
        if link["expires_at"] <= self.clock():
            return LinkResult(buyer, "expired")
        if buyer.status in (DENIED, REVOKED):
            return LinkResult(buyer, "closed")
        return LinkResult(buyer)

    def use_link(self, token: str, ip: str) -> LinkResult:
        """Use `token` once: the buyer it signs in, or the reason it cannot (the link is then unchanged)."""
        with self.engine.begin() as conn:
            result = self._check_link(conn, token)
            if result.problem:
                return result
            marked = conn.execute(
                update(magic_links)
                .where(and_(magic_links.c.token_sha256 == token_hash(token), magic_links.c.used_at.is_(None)))
                .values(used_at=self.clock())
            )
            if marked.rowcount != 1:  # another request used it between our read and this write
                return LinkResult(result.buyer, "used")
            self._audit(conn, "sign_in", result.buyer.email, result.buyer, ip=ip)
            return result

    # -- NDA -----------------------------------------------------------------------------------------------
    def accept_nda(self, buyer: Buyer, version: str, ip: str, user_agent: str) -> None:
        """Record a clickwrap acceptance: who, when, which NDA version, from which IP."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(nda_acceptances).values(
                    buyer_id=buyer.id,
                    nda_version=version,
                    accepted_at=self.clock(),
                    ip=ip,
                    user_agent=user_agent[:300],
                    name=buyer.name,
                    email=buyer.email,
                    company=buyer.company,
                )
            )
            self._audit(conn, "nda_accepted", buyer.email, buyer, document_id="nda", version=version, ip=ip)

    def accepted_nda(self, buyer_id: int, version: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(nda_acceptances.c.id).where(
                    and_(nda_acceptances.c.buyer_id == buyer_id, nda_acceptances.c.nda_version == version)
                )
            ).first()
        return found is not None

    def acceptances(self) -> list[dict]:
        """Every NDA acceptance, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(nda_acceptances).order_by(nda_acceptances.c.id.desc()))
            return [dict(r._mapping) for r in rows]

    # -- stamped copies ------------------------------------------------------------------------------------
    def stamp(self, buyer_id: int, document_id: str, version: str) -> dict | None:
        """The stamped copy already made for this buyer, document and version, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(stamps).where(
                    and_(
                        stamps.c.buyer_id == buyer_id,
                        stamps.c.document_id == document_id,
                        stamps.c.version == version,
                    )
                )
            ).first()
        return dict(row._mapping) if row else None

    def save_stamp(self, record: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(stamps).values(created_at=self.clock(), **record))

    # -- subscriptions -------------------------------------------------------------------------------------
    def subscribe(self, buyer: Buyer, document_id: str, version: str) -> None:
        """Subscribe to new versions of a document after `version` (idempotent)."""
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(subscriptions.c.buyer_id).where(
                    and_(subscriptions.c.buyer_id == buyer.id, subscriptions.c.document_id == document_id)
                )
            ).first()
            if exists:
                return
            conn.execute(
                insert(subscriptions).values(
                    buyer_id=buyer.id,
                    document_id=document_id,
                    created_at=self.clock(),
                    notified_version=version,
                )
            )
            self._audit(conn, "subscribe", buyer.email, buyer, document_id=document_id, version=version)

    def unsubscribe(self, buyer: Buyer, document_id: str) -> None:
        with self.engine.begin() as conn:
            gone = conn.execute(
                subscriptions.delete().where(
                    and_(subscriptions.c.buyer_id == buyer.id, subscriptions.c.document_id == document_id)
                )
            )
            if gone.rowcount:
                self._audit(conn, "unsubscribe", buyer.email, buyer, document_id=document_id)

    def subscribed(self, buyer_id: int) -> set[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subscriptions.c.document_id).where(subscriptions.c.buyer_id == buyer_id)
            )
            return set(rows.scalars())

    def subscriptions(self) -> list[tuple[Buyer, str, str]]:
        """(buyer, document, version last notified) for every subscription of a buyer who still has access."""
        query = (
            select(buyers, subscriptions.c.document_id, subscriptions.c.notified_version)
            .join(subscriptions, subscriptions.c.buyer_id == buyers.c.id)
            .where(buyers.c.status == APPROVED)
            .order_by(buyers.c.id, subscriptions.c.document_id)
        )
        with self.engine.connect() as conn:
            return [(_buyer(r), r.document_id, r.notified_version) for r in conn.execute(query)]

    def mark_notified(self, buyer: Buyer, document_id: str, version: str, detail: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(subscriptions)
                .where(and_(subscriptions.c.buyer_id == buyer.id, subscriptions.c.document_id == document_id))
                .values(notified_version=version)
            )
            self._audit(
                conn, "notified", "portal", buyer, document_id=document_id, version=version, detail=detail
            )

    # -- staff ---------------------------------------------------------------------------------------------
    def set_staff_password(self, username: str, password: str) -> None:
        """Create the staff login or change its password (stored as an Argon2id hash)."""
        digest = self._hasher.hash(password)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(staff).where(staff.c.username == username).values(password_hash=digest)
            )
            if not changed.rowcount:
                conn.execute(
                    insert(staff).values(username=username, password_hash=digest, created_at=self.clock())
                )

    def check_staff(self, username: str, password: str) -> bool:
        """Whether `password` is the staff login's; an unknown user costs the same hash check."""
        with self.engine.connect() as conn:
            digest = conn.execute(select(staff.c.password_hash).where(staff.c.username == username)).scalar()
        try:
            return self._hasher.verify(digest or self._dummy_hash, password) and digest is not None
        except (VerificationError, InvalidHashError):
            return False
