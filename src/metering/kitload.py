"""Loading a tenant kit's metering configuration (`metering.json`) into a store, with who and why.

One function, `load_kit_contract`, serves every way in: the API's ``PUT /v1/tenants/{tenant}/contract``,
`./dev metering-load --kit <folder> --store <url>` and the admin page. The kit file is what `./dev onboard`
writes: ``{"contract": {...}, "plan": ..., "cus": ..., "limits": {<dimension>: {"limit", "overage_mode", ...}}}``.
`plan`, `cus` and `limits` are what the kit promised the tenant; they must match what this server's plan data
grants for the contract, so a kit built from other plan data is refused rather than loaded with other numbers.

Loading is idempotent: a contract equal to the one on file changes nothing and adds no history entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .contracts import Contract, parse_contract
from .effective import effective_limits
from .errors import InvalidArgument, UnknownTenant
from .meter import Meter

KIT_FILE = "metering.json"
KIT_FIELDS = ("contract", "plan", "cus", "limits")
MAX_REASON_CHARS = 500
MAX_BY_CHARS = 200


class KitFileError(InvalidArgument):
    """A kit folder or file that cannot be read as a metering configuration."""


@dataclass(frozen=True)
class ContractLoad:
    """What loading a kit did: `changed` False when the same contract was already on file (nothing written)."""

    contract: Contract
    changed: bool
    created: bool
    effective: float | None
    changed_by: str
    reason: str
    history_entries: int

    def to_dict(self, meter: Meter) -> dict:
        limits = meter.limits(self.contract.tenant)
        return {
            "tenant": self.contract.tenant,
            "changed": self.changed,
            "created": self.created,
            "effective": self.effective,
            "changed_by": self.changed_by,
            "reason": self.reason,
            "history_entries": self.history_entries,
            "contract": self.contract.to_dict(),
            "limits": {
                d: {"limit": lim.limit, "overage_mode": lim.mode} for d, lim in limits.dimensions.items()
            },
        }


def _text(value, field: str, limit: int, hint: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"{field} is required: {hint}", field=field)
    if len(value) > limit:
        raise InvalidArgument(f"{field} is {len(value)} characters long; use at most {limit}", field=field)
    return value.strip()


def kit_contract(body: Mapping, meter: Meter, tenant: str | None = None) -> Contract:
    """The contract of a kit's metering configuration, checked against the plan data of `meter`.

    InvalidArgument names the field: ``contract.<field>`` for the contract itself, ``plan``, ``cus`` or
    ``limits.<dimension>.<key>`` when the kit promised other numbers than this server grants.
    """
    if not isinstance(body, Mapping):
        raise InvalidArgument("the kit's metering configuration must be a JSON object", field="body")
    raw = body.get("contract")
    if not isinstance(raw, Mapping):
        raise InvalidArgument("contract is required: the kit's metering.json has it", field="contract")
    try:
        contract = parse_contract(raw, meter.catalog)
    except InvalidArgument as err:
        raise InvalidArgument(err.detail, field=f"contract.{err.field}") from None
    if tenant is not None and contract.tenant != tenant:
        raise InvalidArgument(
            f"the kit is for tenant {contract.tenant!r}, not {tenant!r}; PUT it to its own tenant",
            field="contract.tenant",
        )
    limits = effective_limits(meter.catalog, contract)
    for field, granted in (("plan", limits.plan), ("cus", limits.cus)):
        if field in body and body[field] != granted:
            raise InvalidArgument(
                f"the kit says {field} {body[field]!r} but its contract grants {granted!r}", field=field
            )
    promised = body.get("limits")
    if promised is None:
        return contract
    if not isinstance(promised, Mapping):
        raise InvalidArgument("limits must map dimension ids to their limits", field="limits")
    rebuild = "the kit was built from other plan data; rebuild it with ./dev onboard"
    for dim_id in sorted(set(promised) ^ set(limits.dimensions)):
        where = "is not metered here" if dim_id in promised else "is missing from the kit"
        raise InvalidArgument(f"dimension {dim_id!r} {where}; {rebuild}", field=f"limits.{dim_id}")
    for dim_id, lim in limits.dimensions.items():
        row = promised[dim_id]
        if not isinstance(row, Mapping):
            raise InvalidArgument("must be an object with limit and overage_mode", field=f"limits.{dim_id}")
        for key, granted in (("limit", lim.limit), ("overage_mode", lim.mode)):
            if key in row and row[key] != granted:
                raise InvalidArgument(
                    f"the kit promises {row[key]!r} but this server grants {granted!r}; {rebuild}",
                    field=f"limits.{dim_id}.{key}",
                )
    return contract


def load_kit_contract(
    meter: Meter,
    body: Mapping,
    *,
    changed_by: str,
    reason: str,
    tenant: str | None = None,
    now: float | None = None,
) -> ContractLoad:
    """Validate a kit's metering configuration and store its contract with who loaded it and why.

    `tenant`, when given (the API's path), must be the kit's tenant. A contract equal to the one on file is a
    no-op: nothing is written, the history keeps its entries and the result says ``changed=False``.
    """
    by = _text(changed_by, "changed_by", MAX_BY_CHARS, "who loads the contract")
    why = _text(reason, "reason", MAX_REASON_CHARS, "say in a few words why the contract changes")
    contract = kit_contract(body, meter, tenant)
    try:
        current = meter.contract(contract.tenant)
    except UnknownTenant:
        current = None
    if current is not None and current.to_dict() == contract.to_dict():
        history = meter.contract_changes(contract.tenant)
        effective = history[-1].effective if history else None
        return ContractLoad(current, False, False, effective, by, why, len(history))
    effective = meter.clock() if now is None else now
    meter.put_contract(contract, now=effective, changed_by=by, reason=why)
    history = meter.contract_changes(contract.tenant)
    return ContractLoad(contract, True, current is None, effective, by, why, len(history))


def read_kit_file(path: str | Path) -> dict:
    """The metering configuration of a kit: `path` is the kit folder or its metering.json.

    KitFileError names the path and what to do when it is missing or not a JSON object.
    """
    path = Path(path)
    file = path / KIT_FILE if path.is_dir() else path
    if not file.is_file():
        raise KitFileError(
            f"{file} does not exist; pass a kit folder written by ./dev onboard (it holds {KIT_FILE})",
            field="kit",
        )
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise KitFileError(f"{file} is not valid JSON: {err}", field="kit") from None
    if not isinstance(body, dict):
        raise KitFileError(f"{file} must hold a JSON object", field="kit")
    return body


def load_kit_into_store(kit: str | Path, store: str, reason: str = "", changed_by: str = "") -> str:
    """Load a kit folder (or its metering.json) into the store at URL `store`; one line saying what happened.

    What `./dev metering-load` runs. `changed_by` defaults to the operating-system user, `reason` to the kit's
    path; errors are MeteringError subclasses naming the field or file.
    """
    import getpass

    from .catalog import load_catalog

    body = read_kit_file(kit)
    meter = Meter(load_catalog(), store)
    try:
        load = load_kit_contract(
            meter,
            body,
            changed_by=changed_by or f"{getpass.getuser()} (./dev metering-load)",
            reason=reason or f"loaded from kit {Path(kit).resolve()}",
        )
        entries = load.history_entries
        history = f"contract history: {entries} {'entry' if entries == 1 else 'entries'}"
        limits = meter.limits(load.contract.tenant)
    finally:
        meter.storage.close()
    what = f"tenant {load.contract.tenant}: plan {limits.plan}, {limits.cus} CUs"
    if not load.changed:
        return f"metering-load: {what} already on file in {store}; nothing changed ({history})"
    verb = "created" if load.created else "updated"
    return f"metering-load: {what} {verb} in {store} ({history})"
