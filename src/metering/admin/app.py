"""The admin UI (Starlette + Jinja). HTTP Basic authentication of named operator accounts (Argon2 hashes, see
accounts.py) on every page, escaped output, CSRF tokens on forms, a strict Content-Security-Policy, and no asset
from outside this package."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from importlib import resources
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import MeteringError
from ..kitload import load_kit_contract
from ..meter import Meter
from . import svg, views
from .accounts import Accounts
from .fleet import PAGE_SIZES, FleetQuery, fleet_page

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
CSRF_MAX_AGE = 2 * 3600
#: Seconds between reloads of the fleet view (a meta refresh: the CSP allows no script); ?refresh=0 stops it.
REFRESH_SECONDS = 60
#: The largest kit file the upload form reads.
MAX_KIT_BYTES = 256 * 1024
NEW_TENANT = "new-tenant"  # what the add-tenant form's CSRF token signs


def _environment(warn_at: float) -> Environment:
    env = Environment(
        loader=PackageLoader("metering.admin", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    env.globals.update(
        bar=lambda percent, label: svg.usage_bar(percent, label, warn_at),
        level=lambda percent: svg.level(percent, warn_at),
        utc=views.utc,
        label=views.usage_label,
        swatch=svg.legend_swatch,
    )
    env.filters["amount"] = lambda v: "-" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".")
    return env


def create_admin(
    meter: Meter,
    username: str = "",
    password: str = "",
    secret: str = "",
    clock: Callable[[], float] | None = None,
    *,
    accounts: Accounts | None = None,
    refresh_seconds: int = REFRESH_SECONDS,
) -> Starlette:
    """The admin app. Every route needs HTTP Basic credentials of one of `accounts` (or, without accounts, the
    one account `username`/`password`); `secret` signs CSRF tokens; the fleet view reloads every
    `refresh_seconds`."""
    if accounts is None and username and password:
        accounts = Accounts.single(username, password)
    if accounts is None or not secret:
        raise ValueError("the admin UI needs operator accounts (or a username and a password) and a secret")
    env = _environment(min(meter.catalog.thresholds_percent))
    csrf = URLSafeTimedSerializer(secret, salt="metering-admin-csrf")
    now = clock or meter.clock
    css = (resources.files(__package__) / "static" / "admin.css").read_bytes()

    def operator(request: Request) -> str | None:
        """The operator account the request authenticates as, or None."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, given = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if accounts.check(user, given) else None

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def guarded(handler):
        async def wrapped(request: Request) -> Response:
            request.state.operator = await run_in_threadpool(operator, request)
            if request.state.operator is None:
                return Response(
                    "Authentication required.\n",
                    status_code=401,
                    media_type="text/plain",
                    headers={
                        "WWW-Authenticate": 'Basic realm="metering admin", charset="UTF-8"',
                        **SECURITY_HEADERS,
                    },
                )
            try:
                return await handler(request)
            except MeteringError as err:
                return page("error.html", status=err.status, title=err.title, detail=err.detail)

        return wrapped

    async def overview(request: Request) -> Response:
        t = now()
        fleet = await run_in_threadpool(fleet_page, meter, t, FleetQuery.from_params(request.query_params))
        refresh = 0 if request.query_params.get("refresh") == "0" else refresh_seconds
        return page("overview.html", f=fleet, page_sizes=PAGE_SIZES, refresh=refresh, generated=t)

    def tenant_context(tenant: str, t: float) -> dict:
        contract, limits = meter.contract(tenant), meter.limits(tenant)
        series, labels = views.hourly_series(meter, tenant, t)
        return {
            "contract": contract,
            "limits": limits,
            "rows": meter.usage(tenant, now=t),
            "events": meter.storage.events(tenant, int(t // 60) - 24 * 60),
            "notifications": meter.storage.notifications(tenant, limit=20),
            "chart": svg.line_chart(series, labels),
            "series": [name for name, _ in series],
            "generated": t,
            "month": views.utc(t)[:7],
            "modes": meter.catalog.modes,
            "csrf_token": csrf.dumps(tenant),
            "dimensions": [d for d in meter.catalog.dimensions],
            "at_minute": lambda m: views.utc(m * 60),
            "changes": views.contract_changes(meter, tenant),
        }

    async def tenant_page(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        context = await run_in_threadpool(tenant_context, tenant, now())
        return page("tenant.html", saved=request.query_params.get("saved") == "1", errors=None, **context)

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin") or request.headers.get("referer")
        if not origin:
            return True  # non-browser clients send neither; the CSRF token still has to match
        return urlsplit(origin).netloc == request.headers.get("host")

    def forged(request: Request, form, signed: str) -> Response | None:
        """The 403 page when the form's CSRF token is not one signed for `signed` or comes from another site."""
        try:
            valid = csrf.loads(str(form.get("csrf_token", "")), max_age=CSRF_MAX_AGE) == signed
        except BadSignature:
            valid = False
        if valid and same_origin(request):
            return None
        return page(
            "error.html",
            status=403,
            title="Form expired or forged",
            detail="Reload the page and submit the form again.",
        )

    async def update_contract(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        form = await request.form()
        if refused := forged(request, form, tenant):
            return refused
        current = meter.contract(tenant).to_dict()
        raw = dict(current)
        try:
            raw["cus"] = int(str(form.get("cus", "")).strip())
            raw["addons"] = {}
            raw["overage"] = {}
            for dim in meter.catalog.dimensions:
                amount = str(form.get(f"addon.{dim.id}", "")).strip()
                if amount and amount != "0":
                    raw["addons"][dim.id] = int(amount)
                mode = str(form.get(f"overage.{dim.id}", "")).strip()
                if mode and mode != meter.catalog.default_mode:
                    raw["overage"][dim.id] = mode
        except ValueError:
            errors = "CUs and add-ons must be whole numbers."
        else:
            try:
                await run_in_threadpool(
                    lambda: meter.put_contract(
                        raw,
                        changed_by=request.state.operator,
                        reason=str(form.get("reason", "")).strip()[:500],
                    )
                )
                return RedirectResponse(
                    f"/tenants/{tenant}?saved=1", status_code=303, headers=SECURITY_HEADERS
                )
            except MeteringError as err:
                errors = f"{err.field}: {err.detail}"
        context = await run_in_threadpool(tenant_context, tenant, now())
        return page("tenant.html", status=422, saved=False, errors=errors, **context)

    def month_of(request: Request) -> int:
        text = request.query_params.get("month") or views.utc(now())[:7]
        try:
            return views.parse_month(text)
        except ValueError:
            raise MeteringError("month must be written YYYY-MM", field="month") from None

    async def statement_page(request: Request) -> Response:
        s = await run_in_threadpool(views.statement, meter, request.path_params["tenant"], month_of(request))
        return page("statement.html", s=s, generated=now())

    async def statement_csv(request: Request) -> Response:
        s = await run_in_threadpool(views.statement, meter, request.path_params["tenant"], month_of(request))
        filename = f"{s.tenant}-{s.month}-usage.csv"
        return Response(
            views.statement_csv(s),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', **SECURITY_HEADERS},
        )

    def new_tenant_form(status: int = 200, errors: str = "", reason: str = "") -> HTMLResponse:
        token = csrf.dumps(NEW_TENANT)
        return page(
            "new_tenant.html", status, csrf_token=token, errors=errors, reason=reason, generated=now()
        )

    async def new_tenant_page(request: Request) -> Response:
        return new_tenant_form()

    async def add_tenant(request: Request) -> Response:
        """The kit's metering.json, loaded through the same code as PUT /v1/tenants/{tenant}/contract."""
        async with request.form(max_files=1, max_fields=10) as form:
            if refused := forged(request, form, NEW_TENANT):
                return refused
            reason = str(form.get("reason", "")).strip()
            upload = form.get("kit")
            raw = await upload.read(MAX_KIT_BYTES + 1) if hasattr(upload, "read") else b""
        if not raw:
            return new_tenant_form(422, "choose the kit's metering.json file", reason)
        if len(raw) > MAX_KIT_BYTES:
            return new_tenant_form(422, f"the file is larger than {MAX_KIT_BYTES // 1024} KiB", reason)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            return new_tenant_form(422, f"the file is not valid JSON ({err})", reason)
        try:
            load = await run_in_threadpool(
                lambda: load_kit_contract(
                    meter, body, changed_by=request.state.operator, reason=reason, now=now()
                )
            )
        except MeteringError as err:
            return new_tenant_form(422, f"{err.field}: {err.detail}" if err.field else err.detail, reason)
        return RedirectResponse(
            f"/tenants/{load.contract.tenant}?saved=1", status_code=303, headers=SECURITY_HEADERS
        )

    async def stylesheet(request: Request) -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    routes = [
        Route("/", guarded(overview)),
        Route("/tenants/new", guarded(new_tenant_page)),
        Route("/tenants/new", guarded(add_tenant), methods=["POST"]),
        Route("/tenants/{tenant}", guarded(tenant_page)),
        Route("/tenants/{tenant}/contract", guarded(update_contract), methods=["POST"]),
        Route("/tenants/{tenant}/statement", guarded(statement_page)),
        Route("/tenants/{tenant}/statement.csv", guarded(statement_csv)),
        Route("/static/admin.css", guarded(stylesheet)),
    ]
    app = Starlette(routes=routes)
    app.state.started = time.time()
    return app
