"""HTTP hardening shared by the portal's pages: security headers with a strict CSP, cookie flags, CSRF tokens
bound to a per-browser cookie, the same-origin check, and the buyer's signed session cookie."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from metering.admin.app import SECURITY_HEADERS as ADMIN_HEADERS

# The metering admin's headers (strict CSP, no framing, no sniffing, same-origin referrers: magic-link URLs never
# leave in a Referer while forms keep their Origin), plus cross-origin isolation of the portal's pages and files.
SECURITY_HEADERS = {
    **ADMIN_HEADERS,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CSRF_COOKIE = "portal_csrf"
SESSION_COOKIE = "portal_session"
CSRF_MAX_AGE = 4 * 3600


class Cookies:
    """Cookie names and flags: HttpOnly, SameSite=Strict, and Secure (with the __Host- prefix) over HTTPS."""

    def __init__(self, https: bool):
        self.https = https
        prefix = "__Host-" if https else ""
        self.csrf, self.session = prefix + CSRF_COOKIE, prefix + SESSION_COOKIE

    def set(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=self.https, httponly=True, samesite="strict"
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", secure=self.https, httponly=True, samesite="strict")


class Csrf:
    """A form token is the signed value of the browser's CSRF cookie; both must come back together."""

    def __init__(self, secret: str, cookies: Cookies):
        self.serializer = URLSafeTimedSerializer(secret, salt="portal-csrf")
        self.cookies = cookies

    def nonce(self, request: Request) -> tuple[str, bool]:
        """(the browser's nonce, whether it is new and must be set as a cookie)."""
        current = request.cookies.get(self.cookies.csrf, "")
        if 20 <= len(current) <= 64:
            return current, False
        return secrets.token_urlsafe(24), True

    def token(self, nonce: str) -> str:
        return self.serializer.dumps(nonce)

    def valid(self, request: Request, form_token: str) -> bool:
        nonce = request.cookies.get(self.cookies.csrf, "")
        try:
            signed = self.serializer.loads(form_token, max_age=CSRF_MAX_AGE)
        except BadSignature:
            return False
        return bool(nonce) and secrets.compare_digest(str(signed), nonce) and same_origin(request)


def same_origin(request: Request) -> bool:
    """False when the browser says the form was posted from another origin (Origin, else Referer)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    return urlsplit(origin).netloc == request.headers.get("host")


class Sessions:
    """A buyer's session: the signed buyer id in a cookie; the buyer's status is re-read on every request."""

    def __init__(self, secret: str, max_age: int):
        self.serializer = URLSafeTimedSerializer(secret, salt="portal-session")
        self.max_age = max_age

    def dumps(self, buyer_id: int) -> str:
        return self.serializer.dumps({"buyer": buyer_id})

    def buyer_id(self, value: str) -> int | None:
        try:
            data = self.serializer.loads(value, max_age=self.max_age)
        except BadSignature:
            return None
        buyer = data.get("buyer") if isinstance(data, dict) else None
        return buyer if isinstance(buyer, int) else None


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with --forwarded-allow-ips so this is the client's)."""
    return request.client.host if request.client else "unknown"
