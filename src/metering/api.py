"""The metering HTTP API (Starlette), for platform services that do not embed the library.

Every /v1 route needs ``Authorization: Bearer <token>`` (see `issue_token`). Errors are problem+json
(RFC 9457) bodies that name the offending field; a refused admission is HTTP 429 with Retry-After.
Bad input is refused before any usage is counted.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Awaitable, Callable

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import InvalidArgument, MalformedRequest, MeteringError, Unauthorized
from .headers import ratelimit_headers
from .kitload import KIT_FIELDS, load_kit_contract
from .meter import Meter
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .models import REJECTED, Admission, Decision
from .openapi import openapi_document

PROBLEM_JSON = "application/problem+json"
TOKEN_SALT = "metering-api"


def issue_token(secret: str, subject: str = "platform") -> str:
    """A bearer token for the API, signed with `secret`; it expires `token_max_age` after issue."""
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT).dumps({"sub": subject})


def problem(
    status: int, slug: str, title: str, detail: str, field: str = "", headers=None, **extra
) -> Response:
    """A problem+json response; `field` names the input that is wrong."""
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, **extra}
    if field:
        body["field"] = field
        body["invalid_params"] = [{"name": field, "reason": detail}]
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _body(request: Request, allowed: tuple[str, ...]) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedRequest(f"the body is not valid JSON: {err}", field="body") from None
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object", field="body")
    for key in body:
        if key not in allowed:
            raise InvalidArgument(f"unknown field {key!r}; allowed: {', '.join(allowed)}", field=key)
    return body


def _admission_response(meter: Meter, admission: Admission) -> Response:
    headers = ratelimit_headers(admission.decisions, meter.catalog)
    body = admission.to_dict()
    if admission.allowed:
        return JSONResponse(body, headers=headers)
    denied = admission.denied
    return _refusal(denied, headers, admission=body)


def _refusal(denied: Decision, headers: dict, **extra) -> Response:
    scope = f" for {denied.scope}" if denied.scope else ""
    if denied.outcome == REJECTED:
        return problem(
            429,
            "limit-exceeded",
            "Limit exceeded",
            f"{denied.dimension}{scope} is at its limit of {denied.limit:g}; the request is rejected",
            headers=headers,
            dimension=denied.dimension,
            retry_after=math.ceil(denied.retry_after),
            **extra,
        )
    return problem(
        429,
        "throttled",
        "Throttled",
        f"{denied.dimension}{scope} is at its limit of {denied.limit:g}; retry after "
        f"{math.ceil(denied.retry_after)} s",
        headers=headers,
        dimension=denied.dimension,
        retry_after=math.ceil(denied.retry_after),
        **extra,
    )


def create_api(
    meter: Meter, secret: str, *, token_max_age: int = 86400, metrics=None, metrics_token: str = ""
) -> Starlette:
    """The API app for `meter`; tokens are those `issue_token(secret)` made less than `token_max_age` ago.

    With `metrics` (a MeteringMetrics), GET /metrics serves them; with `metrics_token` it needs
    ``Authorization: Bearer <metrics_token>``, without one the caller keeps the port private (loopback).
    """
    if not secret:
        raise ValueError("the API needs a token secret")
    serializer = URLSafeTimedSerializer(secret, salt=TOKEN_SALT)

    def authorize(request: Request) -> str:
        """The token's subject; Unauthorized when the token is missing, forged or expired."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("send Authorization: Bearer <token>", field="Authorization")
        try:
            payload = serializer.loads(token, max_age=token_max_age)
        except SignatureExpired:
            raise Unauthorized("the token has expired; ask for a new one", field="Authorization") from None
        except BadSignature:
            raise Unauthorized("the token is not valid", field="Authorization") from None
        return str(payload.get("sub", "")) if isinstance(payload, dict) else ""

    def endpoint(handler: Callable[[Request], Awaitable[Response]]):
        async def wrapped(request: Request) -> Response:
            try:
                request.state.subject = authorize(request)
                return await handler(request)
            except Unauthorized as err:
                return problem(
                    err.status,
                    err.slug,
                    err.title,
                    err.detail,
                    err.field,
                    headers={"WWW-Authenticate": 'Bearer realm="metering"'},
                )
            except MeteringError as err:
                return problem(err.status, err.slug, err.title, err.detail, err.field)

        return wrapped

    def call(fn, *args, **kwargs):
        return run_in_threadpool(fn, *args, **kwargs)

    async def admit_run(request: Request) -> Response:
        body = await _body(request, ("run_id", "writes", "ttl"))
        tenant = request.path_params["tenant"]
        admission = await call(
            meter.admit_run, tenant, body.get("run_id"), body.get("writes"), ttl=body.get("ttl")
        )
        return _admission_response(meter, admission)

    async def heartbeat(request: Request) -> Response:
        body = await _body(request, ("ttl",))
        p = request.path_params
        expires = await call(meter.heartbeat, p["tenant"], p["lease_id"], ttl=body.get("ttl"))
        return JSONResponse({"lease_id": p["lease_id"], "expires": expires})

    async def release(request: Request) -> Response:
        p = request.path_params
        released = await call(meter.release, p["tenant"], p["lease_id"])
        return JSONResponse({"lease_id": p["lease_id"], "released": released})

    async def reserve(request: Request) -> Response:
        body = await _body(request, ("connector", "amount", "key"))
        for field in ("connector", "amount", "key"):
            if field not in body:
                raise InvalidArgument(f"{field} is required", field=field)
        admission = await call(
            meter.reserve_writes,
            request.path_params["tenant"],
            body["connector"],
            body["amount"],
            body["key"],
        )
        return _admission_response(meter, admission)

    async def settle(request: Request) -> Response:
        body = await _body(request, ("used",))
        if "used" not in body:
            raise InvalidArgument("used is required", field="used")
        p = request.path_params
        settlement = await call(meter.settle_writes, p["tenant"], p["key"], body["used"])
        return JSONResponse(settlement.to_dict())

    async def refund(request: Request) -> Response:
        await _body(request, ())
        p = request.path_params
        return JSONResponse((await call(meter.refund_writes, p["tenant"], p["key"])).to_dict())

    async def record(request: Request) -> Response:
        body = await _body(request, ("amount", "connector"))
        p = request.path_params
        decision = await call(
            meter.hit, p["tenant"], p["dimension"], body.get("amount", 1), connector=body.get("connector", "")
        )
        headers = ratelimit_headers([decision], meter.catalog)
        if decision.allowed:
            return JSONResponse(decision.to_dict(), headers=headers)
        return _refusal(decision, headers, decision=decision.to_dict())

    async def gauge(request: Request) -> Response:
        body = await _body(request, ("value",))
        if "value" not in body:
            raise InvalidArgument("value is required", field="value")
        p = request.path_params
        decision = await call(meter.record_gauge, p["tenant"], p["dimension"], body["value"])
        return JSONResponse(decision.to_dict())

    async def usage(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        limits = await call(meter.limits, tenant)
        rows = await call(meter.usage, tenant)
        return JSONResponse(
            {
                "tenant": tenant,
                "plan": limits.plan,
                "cus": limits.cus,
                "dimensions": [r.to_dict() for r in rows],
            }
        )

    async def put_contract(request: Request) -> Response:
        body = await _body(request, (*KIT_FIELDS, "reason"))
        load = await call(
            load_kit_contract,
            meter,
            body,
            changed_by=request.state.subject or "unnamed token",
            reason=body.get("reason"),
            tenant=request.path_params["tenant"],
        )
        result = await call(load.to_dict, meter)
        return JSONResponse(result, status_code=201 if load.created else 200)

    async def get_contract(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        contract = await call(meter.contract, tenant)
        history = await call(meter.contract_changes, tenant)
        return JSONResponse(
            {"tenant": tenant, "contract": contract.to_dict(), "history": [c.to_dict() for c in history]}
        )

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def serve_metrics(request: Request) -> Response:
        if metrics_token:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), metrics_token.encode()):
                return problem(
                    401,
                    "unauthorized",
                    "Unauthorized",
                    "send Authorization: Bearer <the metrics token>",
                    "Authorization",
                    headers={"WWW-Authenticate": 'Bearer realm="metering-metrics"'},
                )
        body = await call(metrics.render)
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    t = "/v1/tenants/{tenant}"
    routes = [
        Route(f"{t}/runs", endpoint(admit_run), methods=["POST"]),
        Route(f"{t}/runs/{{lease_id}}/heartbeat", endpoint(heartbeat), methods=["POST"]),
        Route(f"{t}/runs/{{lease_id}}", endpoint(release), methods=["DELETE"]),
        Route(f"{t}/writes", endpoint(reserve), methods=["POST"]),
        Route(f"{t}/writes/{{key}}/settle", endpoint(settle), methods=["POST"]),
        Route(f"{t}/writes/{{key}}/refund", endpoint(refund), methods=["POST"]),
        Route(f"{t}/usage", endpoint(usage), methods=["GET"]),
        Route(f"{t}/usage/{{dimension}}", endpoint(record), methods=["POST"]),
        Route(f"{t}/gauges/{{dimension}}", endpoint(gauge), methods=["PUT"]),
        Route(f"{t}/contract", endpoint(put_contract), methods=["PUT"]),
        Route(f"{t}/contract", endpoint(get_contract), methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    if metrics is not None:
        routes.append(Route("/metrics", serve_metrics, methods=["GET"]))
    return Starlette(routes=routes)
