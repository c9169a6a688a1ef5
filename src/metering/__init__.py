"""Metering: capacity units enforced per tenant with throttle + notify, on memory, SQLite or Redis stores.

from metering import Meter, load_catalog
meter = Meter(load_catalog(), "sqlite:///metering.db")
meter.put_contract({"tenant": "acme", "plan": "business", "cus": 8})
admission = meter.admit_run("acme", run_id="run-1", writes={"slack": 2})
"""

from .catalog import Catalog, load_catalog
from .contracts import Contract, parse_contract
from .effective import EffectiveLimits, effective_limits
from .errors import MeteringError
from .meter import Meter
from .models import Admission, Decision, Notification, Settlement
from .storage import storage_from_url

__all__ = [
    "Admission",
    "Catalog",
    "Contract",
    "Decision",
    "EffectiveLimits",
    "Meter",
    "MeteringError",
    "Notification",
    "Settlement",
    "effective_limits",
    "load_catalog",
    "parse_contract",
    "storage_from_url",
]
