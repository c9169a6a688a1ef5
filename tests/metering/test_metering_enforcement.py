"""Enforcement behaviour, run against every store (memory, SQLite, Redis)."""

from __future__ import annotations

import math

import pytest

from metering.errors import InvalidArgument, LeaseExpired, LeaseNotFound, UnknownDimension, UnknownTenant
from metering.models import ADMITTED, BILLED, REJECTED, THROTTLED
from tests.metering.helpers import T0

RATE, CONC, WRITES, INDEX = "runs_per_minute", "concurrent_runs", "writes_per_day", "indexed_gb"


def usage_of(meter, tenant, dim, scope="", now=T0):
    return next(u.used for u in meter.usage(tenant, now=now) if u.dimension.id == dim and u.scope == scope)


def test_rate_admits_the_burst_then_throttles_with_retry_after(meter):
    lim = meter.limits("acme")[RATE]
    decisions = [meter.hit("acme", RATE, now=T0) for _ in range(lim.burst + 1)]
    assert [d.outcome for d in decisions] == [ADMITTED] * lim.burst + [THROTTLED]
    assert [d.remaining for d in decisions[: lim.burst]] == list(range(lim.burst - 1, -1, -1))
    throttled = decisions[-1]
    assert throttled.retry_after == pytest.approx(lim.interval)
    assert meter.hit("acme", RATE, now=T0 + throttled.retry_after - 0.01).outcome == THROTTLED
    assert meter.hit("acme", RATE, now=T0 + throttled.retry_after).outcome == ADMITTED


def test_rate_sustains_the_granted_rate_after_the_burst(meter):
    lim = meter.limits("acme")[RATE]
    calls = [T0 + i * 0.1 for i in range(600)]  # ten calls a second for a minute, far above the rate
    admitted = sum(meter.hit("acme", RATE, now=t).allowed for t in calls)
    # GCRA admits the burst plus one run per emission interval elapsed, never more
    assert admitted == math.floor((calls[-1] - T0) / lim.interval + lim.burst)


def test_concurrency_leases_cap_runs_and_release_frees_a_slot(meter):
    limit = meter.limits("acme")[CONC].limit
    # spread the runs over time so only the concurrency limit is in play
    runs = [meter.admit_run("acme", f"run-{i}", now=T0 + i * 2) for i in range(limit + 1)]
    assert [r.allowed for r in runs] == [True] * limit + [False]
    assert runs[-1].denied.dimension == CONC and runs[-1].retry_after > 0
    assert meter.release("acme", "run-0", now=T0 + 20) is True
    assert meter.release("acme", "run-0", now=T0 + 21) is False  # idempotent
    assert meter.admit_run("acme", "run-late", now=T0 + 22).allowed


def test_a_crashed_workers_lease_expires_and_heartbeat_keeps_one_alive(meter):
    limit = meter.limits("acme")[CONC].limit
    for i in range(limit):
        assert meter.admit_run("acme", f"run-{i}", ttl=30, now=T0 + i * 2).allowed
    expiry = meter.heartbeat("acme", "run-0", ttl=100, now=T0 + 25)
    assert expiry == pytest.approx(T0 + 125)
    later = T0 + 60  # every lease but run-0 has expired
    assert usage_of(meter, "acme", CONC, now=later) == 1
    with pytest.raises(LeaseExpired):
        meter.heartbeat("acme", "run-1", now=later)
    assert meter.admit_run("acme", "run-new", now=later).allowed


def test_lease_ids_not_issued_to_the_tenant_are_refused(meter):
    assert meter.admit_run("acme", "run-a", now=T0).allowed
    with pytest.raises(LeaseNotFound) as err:
        meter.release("globex", "run-a", now=T0)
    assert err.value.field == "lease_id"
    with pytest.raises(LeaseNotFound):
        meter.heartbeat("acme", "never-issued", now=T0)
    assert usage_of(meter, "acme", CONC) == 1


def test_admit_run_counts_all_dimensions_or_none(meter):
    quota = meter.limits("acme")[WRITES].limit
    meter.hit("acme", WRITES, quota - 1, connector="slack", now=T0)
    refused = meter.admit_run("acme", "run-1", writes={"slack": 2}, now=T0)
    assert not refused.allowed and refused.denied.dimension == WRITES
    assert usage_of(meter, "acme", RATE) == 0
    assert usage_of(meter, "acme", CONC) == 0
    assert usage_of(meter, "acme", WRITES, "slack") == quota - 1
    admitted = meter.admit_run("acme", "run-2", writes={"slack": 1}, now=T0)
    assert admitted.allowed and admitted.reservations == ("run-2:slack",)
    assert usage_of(meter, "acme", RATE) == 1
    assert usage_of(meter, "acme", CONC) == 1
    assert usage_of(meter, "acme", WRITES, "slack") == quota


def test_repeating_an_admission_with_the_same_run_id_counts_once(meter):
    first = meter.admit_run("acme", "run-1", writes={"github": 3}, now=T0)
    again = meter.admit_run("acme", "run-1", writes={"github": 3}, now=T0 + 1)
    assert first.allowed and again.allowed and again.replayed and not first.replayed
    assert usage_of(meter, "acme", CONC) == 1
    assert usage_of(meter, "acme", RATE) == 1
    assert usage_of(meter, "acme", WRITES, "github") == 3


def test_write_reservations_settle_refund_and_count_a_key_once(meter):
    r1 = meter.reserve_writes("acme", "servicenow", 5, "w-1", now=T0)
    r1_retry = meter.reserve_writes("acme", "servicenow", 5, "w-1", now=T0 + 1)
    assert r1.allowed and r1_retry.replayed
    assert usage_of(meter, "acme", WRITES, "servicenow") == 5
    settled = meter.settle_writes("acme", "w-1", 3, now=T0 + 2)
    assert (settled.reserved, settled.used, settled.refunded) == (5, 3, 2)
    assert meter.settle_writes("acme", "w-1", 3, now=T0 + 3).replayed
    assert usage_of(meter, "acme", WRITES, "servicenow") == 3
    meter.reserve_writes("acme", "servicenow", 4, "w-2", now=T0)
    meter.refund_writes("acme", "w-2", now=T0 + 4)
    assert usage_of(meter, "acme", WRITES, "servicenow") == 3
    meter.reserve_writes("acme", "servicenow", 1, "w-3", now=T0)
    with pytest.raises(InvalidArgument) as err:
        meter.settle_writes("acme", "w-3", 2, now=T0)
    assert err.value.field == "used"
    assert usage_of(meter, "acme", WRITES, "servicenow") == 4
    with pytest.raises(LeaseNotFound):
        meter.settle_writes("acme", "w-unknown", 1, now=T0)


def test_write_cap_holds_writes_until_the_utc_day_resets(meter):
    quota = meter.limits("acme")[WRITES].limit
    noon = T0 + 12 * 3600
    assert meter.hit("acme", WRITES, quota, connector="slack", now=noon).allowed
    held = meter.hit("acme", WRITES, 1, connector="slack", now=noon)
    assert held.outcome == THROTTLED
    assert held.retry_after == pytest.approx(12 * 3600)
    assert meter.hit("acme", WRITES, 1, connector="github", now=noon).allowed  # caps are per connector
    assert meter.hit("acme", WRITES, 1, connector="slack", now=T0 + 86400).allowed


def test_bill_mode_admits_over_the_limit_and_records_overage(meter):
    meter.put_contract({"tenant": "acme", "plan": "team", "overage": {WRITES: "bill", CONC: "hard_fail"}})
    quota = meter.limits("acme")[WRITES].limit
    meter.hit("acme", WRITES, quota - 2, connector="slack", now=T0)
    billed = meter.hit("acme", WRITES, 5, connector="slack", now=T0)
    assert billed.outcome == BILLED and billed.overage == 3
    history = meter.storage.usage_history("acme", 0, 10**9)
    assert ("writes_per_day", "slack", int(T0 // 3600), "over", 3.0) in history
    limit = meter.limits("acme")[CONC].limit
    runs = [meter.admit_run("acme", f"r{i}", now=T0 + 2 * i) for i in range(limit + 1)]
    assert runs[-1].outcome == REJECTED


def test_indexing_pauses_over_the_indexed_data_cap(meter):
    cap = meter.limits("acme")[INDEX].limit
    assert meter.check_index("acme", cap - 1, now=T0).allowed
    paused = meter.check_index("acme", 2, now=T0)
    assert paused.outcome == THROTTLED and paused.used == cap - 1
    assert meter.record_gauge("acme", INDEX, cap / 2, now=T0).allowed  # data was deleted
    assert meter.check_index("acme", 2, now=T0).allowed


def test_threshold_notifications_fire_once_per_period(meter):
    quota = meter.limits("acme")[WRITES].limit
    for _ in range(10):
        meter.hit("acme", WRITES, quota * 0.1, connector="slack", now=T0)
    meter.hit("acme", WRITES, 1, connector="slack", now=T0)  # throttled: already at 100%
    fired = meter.storage.notifications("acme")
    assert sorted(n.threshold for n in fired) == ["100%", "80%"]
    assert {n.period for n in fired} == {"2026-01-01"}
    meter.hit("acme", WRITES, quota, connector="slack", now=T0 + 86400)
    assert len(meter.storage.notifications("acme")) == 4


def test_absolute_thresholds_from_the_contract(meter):
    meter.put_contract({"tenant": "acme", "plan": "team", "thresholds": {WRITES: [{"absolute": 100}]}})
    meter.hit("acme", WRITES, 99, connector="github", now=T0)
    assert meter.storage.notifications("acme") == []
    meter.hit("acme", WRITES, 1, connector="github", now=T0)
    (n,) = meter.storage.notifications("acme")
    assert (n.threshold, n.scope, n.usage) == ("100", "github", 100)


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda m: m.hit("nobody", RATE, now=T0), UnknownTenant, "tenant"),
        (lambda m: m.hit("acme", "runs_per_hour", now=T0), UnknownDimension, "dimension"),
        (lambda m: m.hit("acme", WRITES, 1, connector="jira", now=T0), UnknownDimension, "connector"),
        (lambda m: m.hit("acme", RATE, 0, now=T0), InvalidArgument, "amount"),
        (lambda m: m.hit("acme", RATE, -3, now=T0), InvalidArgument, "amount"),
        (lambda m: m.hit("acme", RATE, float("nan"), now=T0), InvalidArgument, "amount"),
        (lambda m: m.reserve_writes("acme", "slack", -1, "k", now=T0), InvalidArgument, "amount"),
        (lambda m: m.reserve_writes("acme", "slack", 1, "", now=T0), InvalidArgument, "key"),
        (lambda m: m.admit_run("acme", "bad id!", now=T0), InvalidArgument, "run_id"),
        (lambda m: m.admit_run("acme", "r1", writes={"slack": 0}, now=T0), InvalidArgument, "writes.slack"),
        (lambda m: m.release("acme", "x" * 200, now=T0), InvalidArgument, "lease_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_no_usage(meter, call, error, field):
    with pytest.raises(error) as err:
        call(meter)
    assert err.value.field == field
    assert all(u.used == 0 for u in meter.usage("acme", now=T0))
    assert meter.storage.notifications() == []


def test_usage_history_keeps_each_hour_apart_with_sums_and_peaks(meter):
    hour = int(T0 // 3600)
    meter.hit("acme", WRITES, 2, connector="slack", now=T0)
    meter.hit("acme", WRITES, 3, connector="slack", now=T0 + 60)
    runs = [meter.admit_run("acme", f"h{i}", now=T0 + i) for i in range(3)]  # peak of 3 leases this hour
    assert all(r.allowed for r in runs)
    for i in range(3):
        meter.release("acme", f"h{i}", now=T0 + 10)
    meter.hit("acme", WRITES, 4, connector="slack", now=T0 + 3600)  # the next hour
    meter.admit_run("acme", "next", now=T0 + 3600)  # peak of 1 in the next hour
    meter.hit("acme", WRITES, 1, connector="slack", now=T0 + 120)  # a late call dated in the first hour
    history = meter.storage.usage_history("acme", hour, hour + 2)
    assert ("writes_per_day", "slack", hour, "used", 6.0) in history
    assert ("writes_per_day", "slack", hour + 1, "used", 4.0) in history
    assert (CONC, "", hour, "peak", 3.0) in history
    assert (CONC, "", hour + 1, "peak", 1.0) in history
    assert (RATE, "", hour, "used", 3.0) in history
    assert meter.storage.usage_history("acme", hour + 1, hour + 2) == [r for r in history if r[2] == hour + 1]
