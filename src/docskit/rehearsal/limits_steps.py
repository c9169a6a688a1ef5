"""Step 2: the kit's contract loaded through the API, every limit driven through the API, notifications, admin page.

Every call goes through the metering HTTP API the platform uses. A limit passes when the call over it gets the
answer data/plans.yaml documents for its overage mode (throttle: 429 throttled; hard_fail: 429 limit-exceeded;
both with Retry-After; bill: admitted and billed as overage) and usage never goes past it.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
import warnings
from collections import Counter

import httpx

from metering.api import issue_token
from metering.catalog import CONCURRENCY, GAUGE, QUOTA, RATE, Catalog
from metering.effective import rate_burst
from metering.kitload import read_kit_file

from .model import ScenarioRun

ITEM = "limits"
REFUSAL_TYPES = {"throttle": "/problems/throttled", "hard_fail": "/problems/limit-exceeded"}
WHERE_ENGINE = "src/metering/engine.py, src/metering/api.py, data/plans.yaml (overage modes)"
WORKER_PROGRAM = (
    "import sys, time, httpx\n"
    "base, token, tenant, run_id, ttl = sys.argv[1:6]\n"
    "r = httpx.post(f'{base}/v1/tenants/{tenant}/runs', json={'run_id': run_id, 'ttl': float(ttl)},\n"
    "               headers={'Authorization': f'Bearer {token}'}, timeout=10)\n"
    "print(r.status_code, flush=True)\n"
    "time.sleep(600)\n"
)


def _catalog(run: ScenarioRun) -> Catalog:
    if "catalog" not in run.shared:
        run.shared["catalog"] = Catalog.from_context(run.dataset.internal)
    return run.shared["catalog"]


def _api(run: ScenarioRun) -> httpx.Client:
    if "api" not in run.facts:
        run.facts["api"] = run.services.client(
            f"se:rehearsal/{run.scenario.id}", float(run.settings["http_timeout_seconds"])
        )
    return run.facts["api"]


def _tenant(run: ScenarioRun) -> str:
    return run.facts["kit"].slug


def _limit(run: ScenarioRun, dim_id: str) -> tuple[float, str]:
    row = run.facts["metering"]["limits"][dim_id]
    return row["limit"], row["overage_mode"]


def _dimension(run: ScenarioRun, kind: str):
    return _catalog(run).first_of_kind(kind)


def _usage(run: ScenarioRun, dim_id: str, connector: str | None = None) -> float:
    rows = _api(run).get(f"/v1/tenants/{_tenant(run)}/usage").json()["dimensions"]
    return next(r["used"] for r in rows if r["dimension"] == dim_id and r["connector"] == connector)


def _driven(run: ScenarioRun, dim_id: str, connector: str | None = None) -> None:
    """Remember a dimension (and connector) taken to its limit: its notifications are expected."""
    run.facts.setdefault("driven", []).append((dim_id, connector))


def _policy_limit(response: httpx.Response, name: str) -> int | None:
    """The quota `q` the RateLimit-Policy header states for policy `name`."""
    for part in response.headers.get("RateLimit-Policy", "").split(","):
        fields = part.strip().split(";")
        if fields[0] == f'"{name}"':
            for f in fields[1:]:
                if f.startswith("q="):
                    return int(f[2:])
    return None


def describe_answer(response: httpx.Response) -> str:
    """An answer as evidence: status, problem type or outcome, Retry-After and RateLimit fields."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    parts = [f"HTTP {response.status_code}"]
    if body.get("type"):
        parts.append(body["type"].rsplit("/", 1)[-1])
    elif body.get("outcome"):
        parts.append(body["outcome"])
    if "Retry-After" in response.headers:
        parts.append(f"Retry-After {response.headers['Retry-After']}")
    if "RateLimit" in response.headers:
        parts.append(f"RateLimit {response.headers['RateLimit']}")
    return " ".join(parts)


def documented_answer(response: httpx.Response, mode: str, kind: str) -> bool:
    """Whether an over-limit answer is what data/plans.yaml documents for `mode`."""
    try:
        body = response.json()
    except ValueError:
        return False
    if mode == "bill":
        return response.status_code == 200 and body.get("outcome") == "billed"
    headers = response.headers
    with_window = kind != GAUGE  # gauges have no window, so no RateLimit fields
    return (
        response.status_code == 429
        and body.get("type") == REFUSAL_TYPES.get(mode)
        and "Retry-After" in headers
        and (not with_window or ("RateLimit" in headers and "RateLimit-Policy" in headers))
    )


def _record_answer(run: ScenarioRun, label: str, response: httpx.Response, mode: str, kind: str) -> bool:
    return run.record(
        ITEM,
        f"{label}: the call over the limit gets the documented '{mode}' answer",
        documented_answer(response, mode, kind),
        describe_answer(response),
        WHERE_ENGINE,
    )


# -- contract -------------------------------------------------------------------------------------------------


def load_contract(run: ScenarioRun) -> None:
    """PUT the kit's metering.json to the contract route, twice: created once, the second time a no-op."""
    api, tenant = _api(run), _tenant(run)
    body = {**read_kit_file(run.facts["kit"].folder), "reason": f"rehearsal {run.scenario.id}: kit loaded"}
    first = api.put(f"/v1/tenants/{tenant}/contract", json=body)
    again = api.put(f"/v1/tenants/{tenant}/contract", json=body)
    history = api.get(f"/v1/tenants/{tenant}/contract").json().get("history", [])
    loaded = first.json().get("limits", {}) if first.status_code == 201 else {}
    promised = {d: (r["limit"], r["overage_mode"]) for d, r in run.facts["metering"]["limits"].items()}
    got = {d: (r["limit"], r["overage_mode"]) for d, r in loaded.items()}
    run.record(
        ITEM,
        "The kit's metering configuration loads through PUT /v1/tenants/{tenant}/contract",
        first.status_code == 201 and got == promised,
        f"HTTP {first.status_code}; limits in force "
        + ", ".join(f"{d} {v[0]:,g} ({v[1]})" for d, v in got.items()),
        "src/metering/kitload.py, src/metering/api.py (put_contract)",
    )
    who = [(h.get("changed_by"), h.get("reason")) for h in history]
    run.record(
        ITEM,
        "Loading the same kit again changes nothing; the history records who and why",
        again.status_code == 200
        and again.json().get("changed") is False
        and len(history) == 1
        and all(who[0]),
        f"second PUT HTTP {again.status_code} changed={str(again.json().get('changed')).lower()}; "
        f"{len(history)} history entry: by {who[0][0] if who else '?'}, reason '{who[0][1] if who else '?'}'",
        "src/metering/kitload.py (load_kit_contract)",
    )


# -- concurrency ----------------------------------------------------------------------------------------------


def _start_worker(run: ScenarioRun, run_id: str, ttl: float) -> tuple[subprocess.Popen, str, float]:
    """A separate process that admits one run with a short lease and then hangs (to be killed, never releasing)."""
    worker_token = issue_token(run.services.secret, subject=f"worker/{run.scenario.id}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER_PROGRAM,
            run.services.base_url,
            worker_token,
            _tenant(run),
            run_id,
            str(ttl),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    run.facts.setdefault("workers", []).append(proc)
    status = proc.stdout.readline().strip()
    return proc, status, time.time()


def stop_workers(run: ScenarioRun) -> None:
    """Kill any worker process a step left running (after a failure)."""
    for proc in run.facts.get("workers", []):
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        if proc.stdout:
            proc.stdout.close()


def drive_concurrency(run: ScenarioRun) -> None:
    """Fill every run slot (one held by a worker that is then killed), go over, and get the slot back."""
    dim = _dimension(run, CONCURRENCY)
    limit, mode = _limit(run, dim.id)
    api, tenant = _api(run), _tenant(run)
    ttl = float(run.settings["killed_worker_lease_seconds"])
    worker, status, admitted_at = _start_worker(run, "killed-worker", ttl)
    held, statuses = [], Counter()
    for i in range(int(limit) - 1):
        r = api.post(f"/v1/tenants/{tenant}/runs", json={"run_id": f"held-{i}"})
        statuses[r.status_code] += 1
        if r.status_code == 200:
            held.append(f"held-{i}")
    over = api.post(f"/v1/tenants/{tenant}/runs", json={"run_id": "over-1"})
    if over.status_code == 200:
        held.append("over-1")
    in_use = _usage(run, dim.id)
    run.record(
        ITEM,
        f"Concurrent runs: {limit:,g} runs hold a slot, none more",
        status == "200" and statuses[200] == limit - 1 and in_use == (limit + 1 if mode == "bill" else limit),
        f"worker admitted HTTP {status}; {statuses[200]} more admitted HTTP 200; {in_use:,g} of {limit:,g} slots in use",
        WHERE_ENGINE,
    )
    _record_answer(run, "Concurrent runs", over, mode, CONCURRENCY)
    _driven(run, dim.id)
    if mode == "bill":
        api.delete(f"/v1/tenants/{tenant}/runs/over-1")
        held.remove("over-1")
    worker.send_signal(signal.SIGKILL)
    worker.wait(5)
    killed_at = time.time()
    deadline = admitted_at + ttl + 5
    returned_at = None
    while time.time() < deadline:
        if _usage(run, dim.id) < limit:
            returned_at = time.time()
            break
        time.sleep(0.05)
    again = api.post(f"/v1/tenants/{tenant}/runs", json={"run_id": "after-lease"})
    if again.status_code == 200:
        held.append("after-lease")
    on_time = returned_at is not None and admitted_at + ttl - 0.5 <= returned_at <= admitted_at + ttl + 1.5
    run.record(
        ITEM,
        "A worker killed without releasing gives its slot back when its lease ends",
        on_time and again.status_code == 200,
        f"worker killed (SIGKILL) {killed_at - admitted_at:.2f} s after admission with a {ttl:g} s lease; "
        + (
            f"slot free again {returned_at - admitted_at:.2f} s after admission; next run HTTP {again.status_code}"
            if returned_at
            else f"slot still taken {deadline - admitted_at:.0f} s after admission"
        ),
        "src/metering/engine.py (leases), src/metering/storage/",
    )
    for run_id in held:
        api.delete(f"/v1/tenants/{tenant}/runs/{run_id}")
    left = _usage(run, dim.id)
    run.record(
        ITEM,
        "Released runs free their slots",
        left == 0,
        f"{len(held)} runs released with DELETE; {left:g} slots in use after",
        "src/metering/engine.py (release)",
    )


# -- rate -----------------------------------------------------------------------------------------------------


def drive_rate(run: ScenarioRun) -> None:
    """Start runs as fast as the API answers until one is refused; count what was admitted against the limit."""
    dim = _dimension(run, RATE)
    limit, mode = _limit(run, dim.id)
    api, tenant = _api(run), _tenant(run)
    burst = rate_burst(dim, int(limit))
    per_second = limit / 60.0
    admitted, calls, over, first_ok = 0, 0, None, None
    start = time.monotonic()
    while calls < 2 * burst + 20:
        r = api.post(f"/v1/tenants/{tenant}/usage/{dim.id}", json={"amount": 1})
        calls += 1
        body = r.json() if r.headers.get("content-type", "").endswith("json") else {}
        if r.status_code == 200 and body.get("outcome") == "admitted":
            admitted += 1
            first_ok = first_ok or r
            continue
        over = r
        break
    elapsed = time.monotonic() - start
    bound = burst + elapsed * per_second + 1
    stated = _policy_limit(first_ok, dim.id) if first_ok is not None else None
    run.record(
        ITEM,
        f"Runs per minute: at most the burst of {burst} plus {limit:,g} per minute are admitted",
        over is not None and admitted <= bound and stated == limit,
        f"{admitted} admitted in {elapsed:.2f} s (at most {math.floor(bound)}), call {calls} refused; "
        f"RateLimit-Policy states q={stated}",
        WHERE_ENGINE,
    )
    if over is not None:
        _record_answer(run, "Runs per minute", over, mode, RATE)
    _driven(run, dim.id)


# -- writes ---------------------------------------------------------------------------------------------------


def _threshold_amounts(limit: float, percents) -> list[float]:
    """Amounts that take usage from 0 exactly to each threshold in turn, the last to the limit."""
    marks = sorted({math.ceil(limit * p / 100) for p in percents} | {limit})
    return [b - a for a, b in zip([0, *marks], marks, strict=False) if b > a]


def drive_writes(run: ScenarioRun) -> None:
    """Reserve writes into each connector up to its daily cap through each threshold, retry one, go over."""
    dim = _dimension(run, QUOTA)
    limit, mode = _limit(run, dim.id)
    api, tenant = _api(run), _tenant(run)
    percents = _catalog(run).thresholds_percent
    for connector in run.scenario.connectors:
        amounts = _threshold_amounts(limit, percents)
        answers = []
        for i, amount in enumerate(amounts):
            r = api.post(
                f"/v1/tenants/{tenant}/writes",
                json={"connector": connector, "amount": amount, "key": f"{connector}-{i}"},
            )
            answers.append(r)
        replay = api.post(
            f"/v1/tenants/{tenant}/writes",
            json={"connector": connector, "amount": amounts[0], "key": f"{connector}-0"},
        )
        used = _usage(run, dim.id, connector)
        stated = _policy_limit(answers[0], f"{dim.id}.{connector}")
        run.record(
            ITEM,
            f"Writes into {connector}: reservations up to the daily cap of {limit:,g} are admitted, a retry counts once",
            all(r.status_code == 200 for r in answers)
            and replay.json().get("replayed") is True
            and used == limit
            and stated == limit,
            f"reserved {' + '.join(f'{a:,g}' for a in amounts)} (HTTP {', '.join(str(r.status_code) for r in answers)}); "
            f"retry of key {connector}-0 replayed={str(replay.json().get('replayed')).lower()}; used {used:,g} of {limit:,g}; "
            f"RateLimit-Policy states q={stated}",
            WHERE_ENGINE,
        )
        over = api.post(
            f"/v1/tenants/{tenant}/writes",
            json={"connector": connector, "amount": 1, "key": f"{connector}-over"},
        )
        _record_answer(run, f"Writes into {connector}", over, mode, QUOTA)
        after = _usage(run, dim.id, connector)
        expected = limit + 1 if mode == "bill" else limit
        run.record(
            ITEM,
            f"Writes into {connector}: nothing admitted over the cap"
            + (" unbilled" if mode == "bill" else ""),
            after == expected,
            f"used {after:,g} of {limit:,g} after the call over the cap"
            + (
                f" (overage {over.json()['decisions'][0].get('overage', 0):g} billed)"
                if mode == "bill"
                else ""
            ),
            WHERE_ENGINE,
        )
        _driven(run, dim.id, connector)


# -- indexed data ---------------------------------------------------------------------------------------------


def drive_indexed(run: ScenarioRun) -> None:
    """Report the index size through each threshold to the cap, then index one GB more."""
    dim = _dimension(run, GAUGE)
    data_mode = next(
        m for m in run.dataset.internal["data_modes"] if m["id"] == run.facts["options"].data_mode
    )
    if not data_mode["search_index"]:
        run.record(
            ITEM,
            f"{dim.name}: not metered for this tenant",
            True,
            f"data mode {data_mode['name']} keeps no search index (data/data_modes.yaml search_index: false)",
        )
        return
    limit, mode = _limit(run, dim.id)
    api, tenant = _api(run), _tenant(run)
    level, levels, answers = 0.0, [], []
    for amount in _threshold_amounts(limit, _catalog(run).thresholds_percent):
        level += amount
        levels.append(level)
        answers.append(api.put(f"/v1/tenants/{tenant}/gauges/{dim.id}", json={"value": level}))
    run.record(
        ITEM,
        f"{dim.name}: the index grows to its cap of {limit:,g} {dim.unit}",
        all(r.status_code == 200 for r in answers) and _usage(run, dim.id) == limit,
        f"gauge set to {', '.join(f'{v:,g}' for v in levels)} {dim.unit} "
        f"(HTTP {', '.join(str(r.status_code) for r in answers)})",
        WHERE_ENGINE,
    )
    over = api.post(f"/v1/tenants/{tenant}/usage/{dim.id}", json={"amount": 1})
    _record_answer(run, dim.name, over, mode, GAUGE)
    after = _usage(run, dim.id)
    run.record(
        ITEM,
        f"{dim.name}: nothing indexed over the cap" + (" unbilled" if mode == "bill" else ""),
        after == (limit + 1 if mode == "bill" else limit),
        f"{after:,g} of {limit:,g} {dim.unit} after indexing 1 {dim.unit} more",
        WHERE_ENGINE,
    )
    _driven(run, dim.id)


# -- notifications --------------------------------------------------------------------------------------------


def _key(payload: dict) -> tuple:
    return (payload.get("dimension"), payload.get("connector"), payload.get("threshold"))


def check_notifications(run: ScenarioRun) -> None:
    """Every threshold of every limit reached arrives once, signed, at the tenant's webhook receiver."""
    tenant = _tenant(run)
    labels = [f"{p:g}%" for p in _catalog(run).thresholds_percent]
    expected = {(d, c, label) for d, c in run.facts.get("driven", []) for label in labels}
    receiver = run.services.receiver
    interval = float(run.settings["notification_interval_seconds"])
    deadline = time.monotonic() + float(run.settings["notification_wait_seconds"])
    while time.monotonic() < deadline:
        if expected <= {_key(d.payload) for d in receiver.of_tenant(tenant)}:
            break
        time.sleep(interval / 2)
    time.sleep(3 * interval)  # a few more delivery rounds: a repeat would arrive now
    deliveries = receiver.of_tenant(tenant)
    counts = Counter(_key(d.payload) for d in deliveries)
    missing = sorted(expected - set(counts), key=str)
    repeated = sorted((k for k, n in counts.items() if n > 1), key=str)
    unexpected = sorted(set(counts) - expected, key=str)

    def name(key) -> str:
        dim, connector, label = key
        return f"{dim}{'.' + connector if connector else ''} {label}"

    ids = ", ".join(f"{name(_key(d.payload))} {d.id}" for d in deliveries)
    run.record(
        ITEM,
        f"Notifications at {' and '.join(labels)} arrive exactly once for every limit reached",
        not missing and not repeated and not unexpected,
        f"{len(deliveries)} delivered for {len(expected) // max(1, len(labels))} limits: {ids}"
        + (f"; missing {', '.join(map(name, missing))}" if missing else "")
        + (f"; sent more than once {', '.join(map(name, repeated))}" if repeated else "")
        + (f"; not expected {', '.join(map(name, unexpected))}" if unexpected else ""),
        "src/metering/engine.py (outbox), src/metering/notify.py, src/metering/dispatch_loop.py",
    )
    bad = [d.id for d in deliveries if not d.signature_valid]
    run.record(
        ITEM,
        "Every notification carries a valid HMAC-SHA256 signature",
        bool(deliveries) and not bad,
        f"{len(deliveries) - len(bad)} of {len(deliveries)} verified with the tenant's webhook secret"
        + (f"; invalid: {', '.join(bad)}" if bad else ""),
        "src/metering/notify.py (sign, verify)",
    )


# -- admin page -----------------------------------------------------------------------------------------------


def check_admin_page(run: ScenarioRun) -> None:
    """The metering admin page over the same store shows the tenant's plan, limits and usage."""
    import secrets

    from metering import Meter
    from metering.admin.app import create_admin

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    tenant = _tenant(run)
    meter = Meter(_catalog(run), run.services.store_url)
    password = secrets.token_urlsafe(16)
    try:
        app = create_admin(meter, "rehearsal", password, secrets.token_urlsafe(32))
        with TestClient(app, base_url="http://127.0.0.1") as client:
            page = client.get(f"/tenants/{tenant}", auth=("rehearsal", password))
        rows = meter.usage(tenant)
    finally:
        meter.storage.close()
    text = page.text
    shown = [d.name for d in _catalog(run).dimensions if d.name in text]
    wanted = [d.name for d in _catalog(run).dimensions]
    at_limit = sorted({r.dimension.name for r in rows if r.limit and r.used >= r.limit})
    run.record(
        ITEM,
        "The admin page shows the tenant's limits and usage",
        page.status_code == 200 and tenant in text and shown == wanted,
        f"GET /tenants/{tenant} HTTP {page.status_code}; shows {', '.join(shown)}; "
        f"at or over the limit: {', '.join(at_limit) or 'none'}",
        "src/metering/admin/ (templates/tenant.html)",
    )
