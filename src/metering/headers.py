"""HTTP headers stating limits: RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers),
the older RateLimit-Limit / -Remaining / -Reset trio for clients that read those, and Retry-After."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .catalog import CONCURRENCY, QUOTA, RATE, Catalog
from .models import Decision
from .periods import period_seconds


def policy_name(decision: Decision) -> str:
    """The policy identifier: the dimension id, with the connector for per-connector quotas."""
    return f"{decision.dimension}.{decision.scope}" if decision.scope else decision.dimension


def ratelimit_headers(decisions: Sequence[Decision], catalog: Catalog) -> dict[str, str]:
    """Headers for the rate, concurrency and quota decisions of one answer (gauges have no window)."""
    policies, states = [], []
    tightest = None
    for d in decisions:
        dim = catalog.dimension(d.dimension)
        if dim.kind not in (RATE, QUOTA, CONCURRENCY):
            continue
        name = f'"{policy_name(d)}"'
        if dim.kind == CONCURRENCY:
            policies.append(f'{name};q={int(d.limit)};qu="concurrent-requests"')
        else:
            policies.append(f"{name};q={int(d.limit)};w={int(period_seconds(dim.period))}")
        remaining = max(0, math.floor(d.remaining))
        reset = max(0, math.ceil(d.reset_after))
        states.append(f"{name};r={remaining};t={reset}")
        share = remaining / d.limit if d.limit else 0
        if tightest is None or share < tightest[0]:
            tightest = (share, d, remaining, reset)
    headers = {}
    if policies:
        headers["RateLimit-Policy"] = ", ".join(policies)
        headers["RateLimit"] = ", ".join(states)
        _, d, remaining, reset = tightest
        headers["RateLimit-Limit"] = str(int(d.limit))
        headers["RateLimit-Remaining"] = str(remaining)
        headers["RateLimit-Reset"] = str(reset)
    # Every refusal carries Retry-After, as data/plans.yaml promises for every HTTP 429: a gauge over its cap has
    # no window to wait for (indexing pauses until usage falls), so its client is told to look again in 1 s.
    refused = [d.retry_after for d in decisions if not d.allowed]
    if refused:
        headers["Retry-After"] = str(max(1, math.ceil(max(refused))))
    return headers
