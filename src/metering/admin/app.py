"""The admin UI (Starlette + Jinja). HTTP Basic authentication on every page, escaped output,
CSRF tokens on forms, a strict Content-Security-Policy, and no asset from outside this package."""

from __future__ import annotations

import base64
import hmac
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
from ..meter import Meter
from . import svg, views

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
    )
    env.filters["amount"] = lambda v: "-" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".")
    return env


def create_admin(
    meter: Meter, username: str, password: str, secret: str, clock: Callable[[], float] | None = None
) -> Starlette:
    """The admin app. Every route needs HTTP Basic `username`/`password`; `secret` signs CSRF tokens."""
    if not (username and password and secret):
        raise ValueError("the admin UI needs a username, a password and a secret")
    env = _environment(min(meter.catalog.thresholds_percent))
    csrf = URLSafeTimedSerializer(secret, salt="metering-admin-csrf")
    now = clock or meter.clock
    css = (resources.files(__package__) / "static" / "admin.css").read_bytes()

    def authenticated(request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, given = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user.encode(), username.encode()) & hmac.compare_digest(
            given.encode(), password.encode()
        )

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def guarded(handler):
        async def wrapped(request: Request) -> Response:
            if not authenticated(request):
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
        summaries = await run_in_threadpool(views.overview, meter, t)
        return page("overview.html", summaries=summaries, generated=t)

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

    async def update_contract(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        form = await request.form()
        try:
            valid = csrf.loads(str(form.get("csrf_token", "")), max_age=CSRF_MAX_AGE) == tenant
        except BadSignature:
            valid = False
        if not valid or not same_origin(request):
            return page(
                "error.html",
                status=403,
                title="Form expired or forged",
                detail="Reload the tenant page and submit the form again.",
            )
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
                await run_in_threadpool(meter.put_contract, raw)
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

    async def stylesheet(request: Request) -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    routes = [
        Route("/", guarded(overview)),
        Route("/tenants/{tenant}", guarded(tenant_page)),
        Route("/tenants/{tenant}/contract", guarded(update_contract), methods=["POST"]),
        Route("/tenants/{tenant}/statement", guarded(statement_page)),
        Route("/tenants/{tenant}/statement.csv", guarded(statement_csv)),
        Route("/static/admin.css", guarded(stylesheet)),
    ]
    app = Starlette(routes=routes)
    app.state.started = time.time()
    return app
