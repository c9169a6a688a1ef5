"""Effective limits, the pricing table and the limits consistency checks."""

from __future__ import annotations

import copy

import pytest

from metering import Meter, effective_limits, parse_contract
from metering.checks import check_limits
from metering.errors import InvalidArgument
from metering.limits_view import plan_limits_rows


def test_effective_limits_add_contract_cus_and_add_ons_to_the_plan(catalog):
    dims = {d.id: d for d in catalog.dimensions}
    plan = catalog.plan("business")
    contract = parse_contract(
        {
            "tenant": "acme",
            "plan": "business",
            "cus": plan.min_cus + 3,
            "addons": {"writes_per_day": 500, "retention_days": 30},
            "overage": {"indexed_gb": "bill"},
        },
        catalog,
    )
    limits = effective_limits(catalog, contract)
    cus = plan.min_cus + 3
    assert limits["runs_per_minute"].limit == dims["runs_per_minute"].per_cu * cus
    assert limits["writes_per_day"].limit == dims["writes_per_day"].per_cu * cus + 500
    assert limits["retention_days"].limit == plan.retention_days + 30
    assert limits["indexed_gb"].mode == "bill"
    assert limits["concurrent_runs"].mode == catalog.default_mode


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"tenant": "acme", "plan": "gold"}, "plan"),
        ({"tenant": "Acme Corp", "plan": "team"}, "tenant"),
        ({"tenant": "acme", "plan": "enterprise", "cus": 2}, "cus"),
        ({"tenant": "acme", "plan": "team", "addons": {"writes_per_day": -5}}, "addons.writes_per_day"),
        (
            {"tenant": "acme", "plan": "team", "overage": {"writes_per_day": "ignore"}},
            "overage.writes_per_day",
        ),
        (
            {"tenant": "acme", "plan": "team", "thresholds": {"indexed_gb": [{"percent": 120}]}},
            "thresholds.indexed_gb[0]",
        ),
        ({"tenant": "acme", "plan": "team", "discount": 10}, "discount"),
    ],
)
def test_invalid_contracts_are_refused_naming_the_field(catalog, raw, field):
    with pytest.raises(InvalidArgument) as err:
        parse_contract(raw, catalog)
    assert err.value.field == field


def test_pricing_rows_equal_the_limits_metering_enforces_per_plan(catalog, context):
    meter = Meter(catalog, "memory://")
    for plan in catalog.plans:
        meter.put_contract({"tenant": f"t-{plan.id}", "plan": plan.id})
    for row in plan_limits_rows(context):
        for plan_id, shown in row["values"].items():
            assert meter.limits(f"t-{plan_id}")[row["id"]].limit == shown


def test_pricing_rows_and_enforcement_read_one_computation(catalog, context, monkeypatch):
    import metering.effective as effective

    original = effective.limit_value
    monkeypatch.setattr(effective, "limit_value", lambda *args: original(*args) * 3)
    meter = Meter(catalog, "memory://")
    meter.put_contract({"tenant": "t", "plan": "team"})
    row = next(r for r in plan_limits_rows(context) if r["id"] == "writes_per_day")
    assert row["values"]["team"] == meter.limits("t")["writes_per_day"].limit
    assert row["values"]["team"] == 3 * original(catalog.dimension("writes_per_day"), catalog.plan("team"), 1)


def test_pricing_rows_format_limits_in_plan_order(context):
    rows = {r["id"]: r for r in plan_limits_rows(context)}
    writes = rows["writes_per_day"]
    assert writes["plans"] == [p["id"] for p in sorted(context["plans"], key=lambda p: p["rank"])]
    assert writes["cells"] == [f"{writes['values'][p]:,}" for p in writes["plans"]]
    assert rows["retention_days"]["per_cu"] is None


def test_the_repository_limits_pass_every_check(context):
    from docskit.datamodel import load_dataset
    from docskit.paths import Project

    dataset = load_dataset(Project.at())
    assert check_limits(context) == []
    assert check_limits(dataset.context("internal"), dataset.context("customer")) == []


def test_a_higher_plan_granting_less_is_reported(context):
    context["plans"][2]["min_cus"] = 2  # enterprise below business
    problems = check_limits(context)
    assert any("plan enterprise grants less" in p.message for p in problems)
    assert all(p.file == "data/plans.yaml" for p in problems)


def test_concurrency_that_the_rate_cannot_fill_is_reported(context):
    conc = next(d for d in context["capacity_unit"]["dimensions"] if d["kind"] == "concurrency")
    conc["per_cu"] = 50
    problems = check_limits(context)
    assert any("cannot all be used" in p.message for p in problems)


def test_invalid_periods_are_reported(context):
    dims = context["capacity_unit"]["dimensions"]
    next(d for d in dims if d["kind"] == "rate")["period"] = "day"
    next(d for d in dims if d["kind"] == "quota")["period"] = "minute"
    messages = " ".join(p.message for p in check_limits(context))
    assert "counts per 'day'" in messages and "resets per 'minute'" in messages


def test_a_dimension_hidden_from_the_pricing_page_is_reported(context):
    customer = copy.deepcopy(context)
    customer["capacity_unit"]["dimensions"] = customer["capacity_unit"]["dimensions"][:-1]
    problems = check_limits(context, customer)
    assert any("other dimensions than metering enforces" in p.message for p in problems)
