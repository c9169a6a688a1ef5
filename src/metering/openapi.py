"""The OpenAPI 3.1 document of the metering HTTP API."""

from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


PROBLEM = {"content": {"application/problem+json": {"schema": _ref("Problem")}}}
ERRORS = {
    "400": {"description": "Malformed JSON body", **PROBLEM},
    "401": {"description": "Missing, wrong or expired token", **PROBLEM},
    "404": {"description": "Unknown tenant, dimension, connector, lease or reservation", **PROBLEM},
    "422": {"description": "A field has an invalid value; `field` names it", **PROBLEM},
}
REFUSED = {"429": {"description": "Throttled or rejected; see Retry-After and RateLimit", **PROBLEM}}
TENANT = {"name": "tenant", "in": "path", "required": True, "schema": {"type": "string"}}


def _path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _op(summary: str, ok: dict, body: dict | None = None, params=(), refused: bool = False) -> dict:
    op = {
        "summary": summary,
        "parameters": [TENANT, *params],
        "responses": {"200": {"description": "OK", **_json(ok)}, **ERRORS, **(REFUSED if refused else {})},
    }
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    return op


def _contract_put() -> dict:
    op = _op(
        "Load a tenant kit's metering configuration as the tenant's contract (idempotent)",
        _ref("ContractLoad"),
        _ref("KitMetering"),
    )
    op["description"] = (
        "Validates the kit's metering.json and stores its contract in the tenant's contract history with the "
        "token's subject as who and `reason` as why. The same contract again is a no-op: 200 with "
        "changed=false and no new history entry. 201 when the tenant had no contract."
    )
    op["responses"]["201"] = {
        "description": "Created: the tenant's first contract",
        **_json(_ref("ContractLoad")),
    }
    return op


def openapi_document() -> dict:
    """The API description served at /openapi.json."""
    number = {"type": "number", "exclusiveMinimum": 0}
    schemas = {
        "Decision": {
            "type": "object",
            "properties": {
                "dimension": {"type": "string"},
                "scope": {"type": ["string", "null"]},
                "outcome": {"enum": ["admitted", "billed", "throttled", "rejected"]},
                "limit": {"type": "number"},
                "used": {"type": "number"},
                "remaining": {"type": "number"},
                "reset_after": {"type": "number"},
                "retry_after": {"type": "number"},
                "overage": {"type": "number"},
            },
        },
        "Admission": {
            "type": "object",
            "properties": {
                "allowed": {"type": "boolean"},
                "outcome": {"type": "string"},
                "lease_id": {"type": ["string", "null"]},
                "lease_expires": {"type": ["number", "null"]},
                "reservations": {"type": "array", "items": {"type": "string"}},
                "replayed": {"type": "boolean"},
                "decisions": {"type": "array", "items": _ref("Decision")},
            },
        },
        "Settlement": {
            "type": "object",
            "properties": {
                "key": {"type": "string"},
                "dimension": {"type": "string"},
                "connector": {"type": "string"},
                "reserved": {"type": "number"},
                "used": {"type": "number"},
                "refunded": {"type": "number"},
                "replayed": {"type": "boolean"},
            },
        },
        "Usage": {
            "type": "object",
            "properties": {
                "tenant": {"type": "string"},
                "plan": {"type": "string"},
                "cus": {"type": "integer"},
                "dimensions": {"type": "array", "items": {"type": "object"}},
            },
        },
        "KitMetering": {
            "type": "object",
            "description": "A tenant kit's metering.json (written by ./dev onboard) plus the reason for loading it. "
            "plan, cus and limits are what the kit promised; they must equal what this server grants.",
            "required": ["contract", "reason"],
            "additionalProperties": False,
            "properties": {
                "contract": {
                    "type": "object",
                    "required": ["tenant", "plan"],
                    "properties": {
                        "tenant": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,62}$"},
                        "plan": {"type": "string"},
                        "name": {"type": "string"},
                        "cus": {"type": "integer", "minimum": 1},
                        "addons": {
                            "type": "object",
                            "additionalProperties": {"type": "integer", "minimum": 0},
                        },
                        "overage": {"type": "object", "additionalProperties": {"type": "string"}},
                        "thresholds": {"type": "object"},
                        "contacts": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "plan": {"type": "string"},
                "cus": {"type": "integer"},
                "limits": {"type": "object", "additionalProperties": {"type": "object"}},
                "reason": {"type": "string", "minLength": 1, "maxLength": 500},
            },
        },
        "ContractLoad": {
            "type": "object",
            "properties": {
                "tenant": {"type": "string"},
                "changed": {
                    "type": "boolean",
                    "description": "false: the same contract was on file; nothing written",
                },
                "created": {"type": "boolean"},
                "effective": {"type": ["number", "null"]},
                "changed_by": {"type": "string", "description": "the subject of the bearer token"},
                "reason": {"type": "string"},
                "history_entries": {"type": "integer"},
                "contract": {"type": "object"},
                "limits": {"type": "object"},
            },
        },
        "ContractHistory": {
            "type": "object",
            "properties": {
                "tenant": {"type": "string"},
                "contract": {"type": "object"},
                "history": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "effective": {"type": "number"},
                            "changed_by": {"type": ["string", "null"]},
                            "reason": {"type": ["string", "null"]},
                            "contract": {"type": "object"},
                        },
                    },
                },
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "field": {"type": "string"},
                "invalid_params": {"type": "array", "items": {"type": "object"}},
                "retry_after": {"type": "integer"},
            },
        },
    }
    t = "/v1/tenants/{tenant}"
    paths = {
        f"{t}/runs": {
            "post": _op(
                "Admit a run: rate, concurrency lease and write reservations in one transaction",
                _ref("Admission"),
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "run_id": {"type": "string"},
                        "ttl": number,
                        "writes": {"type": "object", "additionalProperties": number},
                    },
                },
                refused=True,
            )
        },
        f"{t}/runs/{{lease_id}}/heartbeat": {
            "post": _op(
                "Extend a run's lease",
                {"type": "object"},
                {"type": "object", "properties": {"ttl": number}},
                [_path_param("lease_id")],
            )
        },
        f"{t}/runs/{{lease_id}}": {
            "delete": _op(
                "Release a run's lease (idempotent)", {"type": "object"}, None, [_path_param("lease_id")]
            )
        },
        f"{t}/writes": {
            "post": _op(
                "Reserve writes into a connector before sending them",
                _ref("Admission"),
                {
                    "type": "object",
                    "required": ["connector", "amount", "key"],
                    "properties": {
                        "connector": {"type": "string"},
                        "amount": number,
                        "key": {"type": "string"},
                    },
                },
                refused=True,
            )
        },
        f"{t}/writes/{{key}}/settle": {
            "post": _op(
                "Settle a reservation at the writes sent; the rest is refunded",
                _ref("Settlement"),
                {
                    "type": "object",
                    "required": ["used"],
                    "properties": {"used": {"type": "number", "minimum": 0}},
                },
                [_path_param("key")],
            )
        },
        f"{t}/writes/{{key}}/refund": {
            "post": _op("Refund a whole reservation", _ref("Settlement"), None, [_path_param("key")])
        },
        f"{t}/usage": {"get": _op("Usage against every limit", _ref("Usage"))},
        f"{t}/usage/{{dimension}}": {
            "post": _op(
                "Count usage of one rate, quota or gauge dimension",
                _ref("Decision"),
                {"type": "object", "properties": {"amount": number, "connector": {"type": "string"}}},
                [_path_param("dimension")],
                refused=True,
            )
        },
        f"{t}/gauges/{{dimension}}": {
            "put": _op(
                "Record a measured gauge (indexed GB, retention age)",
                _ref("Decision"),
                {
                    "type": "object",
                    "required": ["value"],
                    "properties": {"value": {"type": "number", "minimum": 0}},
                },
                [_path_param("dimension")],
            )
        },
        f"{t}/contract": {
            "put": _contract_put(),
            "get": _op(
                "The tenant's contract and its history (who changed it, when and why)",
                _ref("ContractHistory"),
            ),
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Metering API",
            "version": "1",
            "description": "Enforces each tenant's capacity units. Answers carry RateLimit-Policy and "
            "RateLimit headers; refusals are HTTP 429 problem+json with Retry-After.",
        },
        "servers": [{"url": "http://127.0.0.1:8750"}],
        "security": [{"bearer": []}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }
