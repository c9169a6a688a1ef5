"""The trust portal (Starlette + Jinja): the public page, access requests by magic link, the clickwrap NDA, the
buyer's documents stamped for them, subscriptions, and (in `internal.py`) the staff view.

Every form carries a CSRF token, every page a strict Content-Security-Policy and no asset from another host, and
pages work without JavaScript. Bad input gets a page that says what is wrong and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from docskit.datamodel import DataSet
from docskit.paths import Project
from docskit.procurement.catalog import pack_documents
from docskit.procurement.distribute import safe_name
from docskit.procurement.htmldoc import print_environment, render_document
from docskit.render import long_date

from . import internal
from .errors import ConfigError, Forbidden, InvalidInput, PortalError, TooManyRequests
from .mail import SmtpMailer, deliver
from .pack import ReleasedDocument, ReleasedPack, Stamper
from .public import PublicContent, public_content
from .ratelimit import RateLimiter
from .store import APPROVED, DENIED, PENDING, REVOKED, Buyer, PortalStore
from .validation import clean_email, clean_text, email_domain
from .web import SECURITY_HEADERS, Cookies, Csrf, Sessions, client_ip

NDA_ID = "nda"
MAX_FORM_BYTES = 16 * 1024
_MAIN = re.compile(r"<main>(.*)</main>", re.DOTALL)


@dataclass
class PortalConfig:
    """What the portal serves and where it keeps its state. `base_url` is how buyers reach it (links in mail)."""

    project: Project
    dataset: DataSet
    pack: ReleasedPack
    store: PortalStore
    mailer: SmtpMailer
    secret: str
    base_url: str
    stamps_folder: Path
    executor: Executor | None = None
    settings: dict = field(default_factory=dict)  # data/portal.yaml's `portal`; default: the dataset's

    def __post_init__(self):
        if len(self.secret) < 32:
            raise ConfigError("the portal secret must be at least 32 characters (PORTAL_SECRET)")
        self.settings = self.settings or dict(self.dataset.internal["portal"])
        self.base_url = self.base_url.rstrip("/")
        if NDA_ID not in self.pack.documents:
            raise ConfigError(
                f"pack {self.pack.version} has no {NDA_ID!r} document; add legal/nda.html.j2 to it"
            )


def utc(ts: float | None) -> str:
    """Epoch seconds as '2026-12-03 14:05 UTC' ('-' for None)."""
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def nda_html(project: Project, dataset: DataSet) -> Markup:
    """The NDA's body as the released PDF prints it (our own template, data autoescaped), for the clickwrap page."""
    env = print_environment(project, dataset)
    doc = next(d for d in pack_documents(project, dataset)[0] if d.id == NDA_ID)
    body = _MAIN.search(render_document(env, doc).html)
    return Markup(body.group(1) if body else "")


def template_environment(company: dict) -> Environment:
    env = Environment(
        loader=PackageLoader("portal", "templates"),
        autoescape=select_autoescape(["html", "css"]),
        undefined=StrictUndefined,
    )
    env.globals.update(company=company, utc=utc)
    env.filters["long_date"] = long_date
    return env


class Portal:
    """The pieces every route uses: data, store, mailer, cookies, CSRF, sessions, templates, rate limits."""

    def __init__(self, config: PortalConfig):
        self.config = config
        self.store, self.pack = config.store, config.pack
        self.clock = config.store.clock
        https = config.base_url.startswith("https://")
        self.cookies = Cookies(https)
        self.csrf = Csrf(config.secret, self.cookies)
        settings = config.settings
        self.link_ttl = settings["magic_link_minutes"] * 60
        self.sessions = Sessions(config.secret, settings["session_hours"] * 3600)
        limits = settings["rate_limits"]
        self.request_limit = RateLimiter(limits["requests_per_ip_per_hour"])
        self.email_limit = RateLimiter(limits["links_per_email_per_hour"])
        self.attempt_limit = RateLimiter(limits["link_attempts_per_ip_per_hour"])
        self.auto_domains = set(settings["auto_approve_domains"])
        self.company = config.dataset.customer["company"]
        self.env = template_environment(self.company)
        self.content: PublicContent = public_content(config.project, config.dataset, config.pack)
        self.nda = nda_html(config.project, config.dataset)
        self.stamper = Stamper(
            config.project, config.dataset, config.pack, config.store, config.stamps_folder, config.executor
        )
        css = resources.files(__package__).joinpath("static", "portal.css.j2").read_text(encoding="utf-8")
        self.css = self.env.from_string(css).render().encode("utf-8")

    # -- responses -----------------------------------------------------------------------------------------
    def page(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        """Render a page with a CSRF token for its forms, the signed-in buyer, and the security headers."""
        nonce, new = self.csrf.nonce(request)
        context.setdefault("buyer", None)
        html = self.env.get_template(template).render(
            csrf_token=self.csrf.token(nonce), pack=self.pack, path=request.url.path, **context
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if new:
            self.cookies.set(response, self.cookies.csrf, nonce)
        return response

    def message(
        self, request: Request, title: str, detail: str, status: int = 200, **context
    ) -> HTMLResponse:
        return self.page(request, "message.html", status=status, title=title, detail=detail, **context)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)

    async def form(self, request: Request) -> dict[str, str]:
        """The posted form (fields as strings; lists for repeated names); PortalError when the CSRF check fails."""
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            raise PortalError(
                "Form too large", "A form of this portal is a few short fields. Send it again.", 413
            )
        form = await request.form(max_files=0, max_fields=50)
        if not self.csrf.valid(request, str(form.get("csrf_token", ""))):
            raise Forbidden("Form expired or forged", "Reload the page and submit the form again.")
        return form

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).date()

    # -- the signed-in buyer -------------------------------------------------------------------------------
    def session_record(self, request: Request) -> Buyer | None:
        """The buyer named by a valid session cookie, whatever their status now."""
        buyer_id = self.sessions.buyer_id(request.cookies.get(self.cookies.session, ""))
        return self.store.buyer(buyer_id) if buyer_id is not None else None

    def session_buyer(self, request: Request) -> Buyer | None:
        """The buyer of the session cookie, if that buyer may still use the portal (pending or approved)."""
        buyer = self.session_record(request)
        return buyer if buyer is not None and buyer.status in (PENDING, APPROVED) else None

    async def require_buyer(self, request: Request) -> Buyer:
        buyer = await run_in_threadpool(self.session_buyer, request)
        if buyer is None:
            raise Forbidden(
                "Please sign in",
                "Your session has ended or your access was withdrawn. Request a sign-in link on the portal's home "
                "page.",
            )
        return buyer

    @property
    def nda_version(self) -> str:
        return self.pack.documents[NDA_ID].version

    # -- mail ----------------------------------------------------------------------------------------------
    def send(self, to: str, subject: str, body: str) -> BackgroundTask:
        """Send after the page is answered, so the answer takes as long whether or not a message goes out."""
        return BackgroundTask(deliver, self.config.mailer, to, subject, body)

    def link_mail(self, buyer: Buyer, token: str) -> tuple[str, str]:
        expires = utc(self.clock() + self.link_ttl)
        body = (
            f"Hello {buyer.name},\n\n"
            f"Sign in to the {self.company['short_name']} trust portal with this link:\n\n"
            f"{self.config.base_url}/access/{token}\n\n"
            f"It works once, only for {buyer.email}, and expires at {expires}.\n"
            "If you did not ask for it, ignore this message: nothing happens without the link.\n\n"
            f"{self.company['legal_name']}\n"
        )
        return f"Your sign-in link for the {self.company['short_name']} trust portal", body


def _field(form, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def public_routes(portal: Portal) -> list[Route]:
    """The pages buyers use: home, request and sign-in, magic links, NDA, account, downloads, feed."""
    store, pack = portal.store, portal.pack

    async def home(request: Request) -> Response:
        buyer = await run_in_threadpool(portal.session_buyer, request)
        return portal.page(request, "home.html", content=portal.content, buyer=buyer, errors={}, values={})

    def queue_link(buyer: Buyer) -> BackgroundTask | None:
        if buyer.status not in (PENDING, APPROVED) or not portal.email_limit.allow(buyer.email):
            return None
        token = store.issue_link(buyer, portal.link_ttl)
        return portal.send(buyer.email, *portal.link_mail(buyer, token))

    def form_again(request: Request, field: str, detail: str, values: dict) -> Response:
        """The home page again with the form as typed and the problem under its field (nothing stored)."""
        return portal.page(
            request, "home.html", status=422, content=portal.content, errors={field: detail}, values=values
        )

    def limit_requests(request: Request) -> None:
        if not portal.request_limit.allow(client_ip(request)):
            raise TooManyRequests(
                "Too many requests", "Too many requests from your network. Try again in an hour."
            )

    def answer(request: Request, email: str, buyer: Buyer | None) -> Response:
        """The one answer to every request and sign-in, whether or not a link goes out."""
        response = portal.page(request, "sent.html", email=email)
        response.background = queue_link(buyer) if buyer is not None else None
        return response

    async def request_access(request: Request) -> Response:
        form = await portal.form(request)
        values = {k: _field(form, k) for k in ("name", "email", "company")}
        try:
            name = clean_text("name", "Your name", values["name"])
            email = clean_email(values["email"])
            company = clean_text("company", "Company", values["company"])
        except InvalidInput as bad:
            return form_again(request, bad.field, bad.detail, values)
        limit_requests(request)
        buyer, _ = await run_in_threadpool(store.request_access, email, name, company, client_ip(request))
        return await run_in_threadpool(answer, request, email, buyer)

    async def sign_in(request: Request) -> Response:
        form = await portal.form(request)
        try:
            email = clean_email(_field(form, "email"))
        except InvalidInput as bad:
            return form_again(request, "signin", bad.detail, {"signin": _field(form, "email")})
        limit_requests(request)
        buyer = await run_in_threadpool(store.buyer_by_email, email)
        return await run_in_threadpool(answer, request, email, buyer)

    def link_problem(request: Request, problem: str) -> Response:
        titles = {
            "unknown": ("This link is not valid", 404),
            "used": ("This link has already been used", 410),
            "expired": ("This link has expired", 410),
            "closed": ("Access closed", 403),
        }
        title, status = titles[problem]
        detail = (
            "Your access to the portal has been withdrawn. Contact your account owner if you think this is wrong."
            if problem == "closed"
            else "Each link works once and for a limited time. Ask for a new one on the portal's home page."
        )
        return portal.message(request, title, detail, status=status)

    def check_attempts(request: Request) -> None:
        if not portal.attempt_limit.allow(client_ip(request)):
            raise TooManyRequests(
                "Too many attempts", "Too many sign-in attempts from your network. Try again later."
            )

    async def link_page(request: Request) -> Response:
        check_attempts(request)
        result = await run_in_threadpool(store.peek_link, request.path_params["token"])
        if result.problem:
            return link_problem(request, result.problem)
        return portal.page(request, "link.html", email=result.buyer.email, token=request.path_params["token"])

    async def use_link(request: Request) -> Response:
        await portal.form(request)
        check_attempts(request)
        result = await run_in_threadpool(store.use_link, request.path_params["token"], client_ip(request))
        if result.problem:
            return link_problem(request, result.problem)
        accepted = await run_in_threadpool(store.accepted_nda, result.buyer.id, portal.nda_version)
        response = portal.redirect("/account" if accepted else "/nda")
        portal.cookies.set(
            response, portal.cookies.session, portal.sessions.dumps(result.buyer.id), portal.sessions.max_age
        )
        return response

    async def nda_page(request: Request) -> Response:
        buyer = await portal.require_buyer(request)
        accepted = await run_in_threadpool(store.accepted_nda, buyer.id, portal.nda_version)
        return portal.page(
            request,
            "nda.html",
            buyer=buyer,
            nda=portal.nda,
            nda_doc=pack.documents[NDA_ID],
            accepted=accepted,
            error="",
        )

    async def accept_nda(request: Request) -> Response:
        buyer = await portal.require_buyer(request)
        form = await portal.form(request)
        version = _field(form, "version")
        if _field(form, "accept") != "yes" or version != portal.nda_version:
            return portal.page(
                request,
                "nda.html",
                status=422,
                buyer=buyer,
                nda=portal.nda,
                nda_doc=pack.documents[NDA_ID],
                accepted=False,
                error="Tick the box to accept the agreement for your organisation, then confirm.",
            )
        if not await run_in_threadpool(store.accepted_nda, buyer.id, version):
            ua = request.headers.get("user-agent", "")
            await run_in_threadpool(store.accept_nda, buyer, version, client_ip(request), ua)
        domain = email_domain(buyer.email)
        if buyer.status == PENDING and domain in portal.auto_domains:
            gated = [d.id for d in pack.gated]
            await run_in_threadpool(store.approve, buyer.id, gated, f"auto-approve ({domain})")
        return portal.redirect("/account")

    async def account(request: Request) -> Response:
        buyer = await portal.require_buyer(request)
        accepted = await run_in_threadpool(store.accepted_nda, buyer.id, portal.nda_version)
        granted = await run_in_threadpool(store.granted, buyer.id)
        subscribed = await run_in_threadpool(store.subscribed, buyer.id)
        return portal.page(
            request,
            "account.html",
            buyer=buyer,
            accepted=accepted,
            granted=granted,
            subscribed=subscribed,
            documents=list(pack.documents.values()),
        )

    async def subscription(request: Request) -> Response:
        buyer = await portal.require_buyer(request)
        form = await portal.form(request)
        doc = pack.documents.get(_field(form, "document"))
        if doc is None:
            return portal.message(request, "No such document", "Choose a document listed on your page.", 404)
        if buyer.status != APPROVED:
            raise Forbidden("Not yet approved", "You can subscribe once your access is approved.")
        if _field(form, "action") == "unsubscribe":
            await run_in_threadpool(store.unsubscribe, buyer, doc.id)
        else:
            await run_in_threadpool(store.subscribe, buyer, doc.id, doc.version)
        return portal.redirect("/account")

    async def sign_out(request: Request) -> Response:
        await portal.form(request)
        response = portal.redirect("/")
        portal.cookies.clear(response, portal.cookies.session)
        return response

    def refuse(buyer: Buyer, doc: ReleasedDocument, ip: str) -> None:
        """Raise Forbidden (and log the refusal) unless `buyer` may download `doc` now."""
        reason, title = "", "Not available to you yet"
        accepted, granted = store.entitlement(buyer.id, doc.id, portal.nda_version)
        if buyer.status in (DENIED, REVOKED):
            title = f"Access {buyer.status}"
            reason = f"Your access was {buyer.status}. Contact your account owner if you think this is wrong."
        elif buyer.status != APPROVED:
            reason = "Your request is waiting for approval by your account owner."
        elif not accepted:
            reason = f"Accept the Non-Disclosure Agreement (version {portal.nda_version}) first."
        elif not granted:
            reason = f"Your access does not include {doc.title}. Ask your account owner."
        if reason:
            store.audit(
                "download_refused",
                buyer.email,
                buyer,
                document_id=doc.id,
                version=doc.version,
                ip=ip,
                detail=reason,
            )
            raise Forbidden(title, reason)

    async def download(request: Request) -> Response:
        doc = pack.document(request.path_params["doc_id"], request.path_params["version"])
        ip = client_ip(request)
        if doc.public:
            buyer = await run_in_threadpool(portal.session_buyer, request)
            actor = buyer.email if buyer else "anonymous"
            await run_in_threadpool(
                store.audit,
                "download",
                actor,
                buyer,
                document_id=doc.id,
                version=doc.version,
                ip=ip,
                detail="public",
            )
            data, filename = pack.public_bytes(doc), doc.file
        else:
            buyer = await run_in_threadpool(portal.session_record, request)
            if buyer is None:
                raise Forbidden(
                    "Please sign in", f"{doc.title} is confidential: request access or sign in first."
                )
            await run_in_threadpool(refuse, buyer, doc, ip)
            data, rendered = await portal.stamper.stamped(buyer, doc, portal.today())
            await run_in_threadpool(
                store.audit,
                "download",
                buyer.email,
                buyer,
                document_id=doc.id,
                version=doc.version,
                ip=ip,
                detail="stamped, rendered" if rendered else "stamped, cached",
            )
            filename = f"{doc.id}-{doc.version}-{safe_name(buyer.recipient)}.pdf"
        return Response(
            data,
            media_type="application/pdf",
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
        )

    async def feed(request: Request) -> Response:
        return Response(
            portal.content.feed_xml,
            media_type="application/atom+xml",
            headers={"Cache-Control": "max-age=300"},
        )

    async def stylesheet(request: Request) -> Response:
        return Response(portal.css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    async def logo(request: Request) -> Response:
        return Response(
            portal.content.logo_svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=300"}
        )

    return [
        Route("/", home),
        Route("/request", request_access, methods=["POST"]),
        Route("/sign-in", sign_in, methods=["POST"]),
        Route("/access/{token}", link_page),
        Route("/access/{token}", use_link, methods=["POST"]),
        Route("/nda", nda_page),
        Route("/nda", accept_nda, methods=["POST"]),
        Route("/account", account),
        Route("/subscriptions", subscription, methods=["POST"]),
        Route("/sign-out", sign_out, methods=["POST"]),
        Route("/documents/{doc_id}/{version}.pdf", download),
        Route("/feed.xml", feed),
        Route("/static/portal.css", stylesheet),
        Route("/static/logo.svg", logo),
    ]


def create_portal(config: PortalConfig, on_shutdown: Callable[[], None] | None = None) -> Starlette:
    """The portal app for `config`; `on_shutdown` runs when the server stops (e.g. to close a render pool)."""
    portal = Portal(config)

    async def portal_error(request: Request, exc: PortalError) -> Response:
        return portal.message(request, exc.title, exc.detail, status=exc.status)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        titles = {404: "Page not found", 405: "Not allowed"}
        detail = "Check the address, or start again from the portal's home page."
        return portal.message(
            request, titles.get(exc.status_code, "Request refused"), detail, exc.status_code
        )

    @asynccontextmanager
    async def lifespan(app):
        yield
        if on_shutdown:
            on_shutdown()

    app = Starlette(
        routes=public_routes(portal) + internal.routes(portal),
        exception_handlers={PortalError: portal_error, HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.portal = portal
    return app
