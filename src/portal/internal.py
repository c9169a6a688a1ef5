"""The staff view under /internal: pending requests to approve or deny, NDA acceptances, revocation, and the access
log per company and per document with a CSV export. HTTP Basic authentication against the staff table (Argon2id
hashes), as the metering admin does; every form also carries a CSRF token."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import time
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from .store import APPROVED, DENIED, PENDING, REVOKED
from .web import SECURITY_HEADERS, client_ip

if TYPE_CHECKING:
    from .app import Portal

REALM = 'Basic realm="trust portal staff", charset="UTF-8"'
VERIFIED_FOR = 300.0  # seconds a checked login is remembered, so pages do not each pay for an Argon2 hash
LOG_COLUMNS = ["time_utc", "action", "actor", "email", "company", "document", "version", "ip", "detail"]


def spreadsheet_safe(text: str) -> str:
    """A CSV cell that a spreadsheet will show as text: a leading = + - @ tab or CR gets an apostrophe first."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def log_csv(rows: list[dict], utc) -> str:
    """Audit lines as CSV, one per line, in LOG_COLUMNS order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    for r in rows:
        values = [
            utc(r["at"]),
            r["action"],
            r["actor"],
            r["email"],
            r["company"],
            r["document_id"],
            r["version"],
            r["ip"],
            r["detail"],
        ]
        writer.writerow([spreadsheet_safe(str(v)) for v in values])
    return out.getvalue()


def routes(portal: Portal) -> list[Route]:
    """The /internal routes of `portal`."""
    store, pack = portal.store, portal.pack
    verified: dict[str, float] = {}

    def staff_user(request: Request) -> str | None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        key = hashlib.sha256(f"{user}\0{password}".encode()).hexdigest()
        if verified.get(key, 0) > time.monotonic():
            return user
        if not portal.attempt_limit.allow(f"staff:{client_ip(request)}"):
            raise TooManyRequests(
                "Too many attempts", "Too many sign-in attempts from your network. Try again later."
            )
        if store.check_staff(user, password):
            verified[key] = time.monotonic() + VERIFIED_FOR
            return user
        return None

    def guarded(handler):
        async def wrapped(request: Request) -> Response:
            user = await run_in_threadpool(staff_user, request)
            if user is None:
                return Response(
                    "Staff sign-in required.\n",
                    status_code=401,
                    media_type="text/plain",
                    headers={"WWW-Authenticate": REALM, **SECURITY_HEADERS},
                )
            return await handler(request, user)

        return wrapped

    async def overview(request: Request, user: str) -> Response:
        def collect():
            everyone = store.buyers()
            accepted = {a["buyer_id"] for a in store.acceptances() if a["nda_version"] == portal.nda_version}
            return {
                "pending": [b for b in everyone if b.status == PENDING],
                "approved": [b for b in everyone if b.status == APPROVED],
                "closed": [b for b in everyone if b.status in (DENIED, REVOKED)],
                "accepted": accepted,
                "acceptances": store.acceptances(),
                "grants": {b.id: store.granted(b.id) for b in everyone if b.status == APPROVED},
            }

        data = await run_in_threadpool(collect)
        return portal.page(
            request,
            "internal/overview.html",
            user=user,
            gated=pack.gated,
            done=request.query_params.get("done", ""),
            **data,
        )

    async def decide(request: Request, user: str) -> Response:
        form = await portal.form(request)
        action = request.path_params["action"]
        try:
            buyer_id = int(request.path_params["buyer_id"])
        except ValueError:
            raise NotFound("No such request", "That request does not exist.") from None
        buyer = await run_in_threadpool(store.buyer, buyer_id)
        if buyer is None:
            raise NotFound("No such request", "That request does not exist.")
        try:
            if action == "approve":
                chosen = form.getlist("documents")
                gated = {d.id for d in pack.gated}
                if not chosen or not set(chosen) <= gated:
                    raise InvalidInput(
                        "documents", "Choose at least one of the listed confidential documents."
                    )
                await run_in_threadpool(store.approve, buyer_id, chosen, user)
                subject = f"Your access to the {portal.company['short_name']} trust portal is approved"
                body = (
                    f"Hello {buyer.name},\n\nYou can now download the confidential documents, each stamped for you, "
                    f"at {portal.config.base_url}/account\n\n{portal.company['legal_name']}\n"
                )
                response = portal.redirect("/internal?done=approved")
                response.background = portal.send(buyer.email, subject, body)
                return response
            if action == "deny":
                await run_in_threadpool(store.deny, buyer_id, user)
            elif action == "revoke":
                await run_in_threadpool(store.revoke, buyer_id, user)
            else:
                raise NotFound("No such action", "Use approve, deny or revoke.")
        except LookupError as state:
            raise Forbidden(
                "Nothing changed", f"{buyer.name} ({buyer.email}) is {state}; {action} does not apply."
            ) from None
        return portal.redirect(f"/internal?done={action}")

    def filters(request: Request) -> tuple[str, str]:
        return request.query_params.get("company", "")[:100], request.query_params.get("document", "")[:64]

    async def log_page(request: Request, user: str) -> Response:
        company, document = filters(request)

        def collect():
            return {
                "rows": store.log(company, document, limit=500),
                "by_company": store.downloads_by("company"),
                "by_document": store.downloads_by("document_id"),
            }

        data = await run_in_threadpool(collect)
        return portal.page(
            request, "internal/log.html", user=user, only_company=company, only_document=document, **data
        )

    async def log_export(request: Request, user: str) -> Response:
        company, document = filters(request)
        rows = await run_in_threadpool(store.log, company, document)
        await run_in_threadpool(
            store.audit,
            "log_exported",
            user,
            None,
            ip=client_ip(request),
            detail=f"company={company!r} document={document!r} rows={len(rows)}",
        )
        return Response(
            log_csv(rows, portal.env.globals["utc"]),
            media_type="text/csv; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": 'attachment; filename="trust-portal-access-log.csv"',
            },
        )

    return [
        Route("/internal", guarded(overview)),
        Route("/internal/buyers/{buyer_id}/{action}", guarded(decide), methods=["POST"]),
        Route("/internal/log", guarded(log_page)),
        Route("/internal/log.csv", guarded(log_export)),
    ]
