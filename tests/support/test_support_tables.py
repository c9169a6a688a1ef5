"""Formatting of targets, criteria, runbook times and channels: the functions every output shares."""

from __future__ import annotations

import pytest

from docskit.incident.channels import channel_address
from docskit.incident.runbooks import runbook_role_refs, step_time_text
from docskit.incident.severities import criterion_text, find_severity, threshold_text
from docskit.incident.targets import (
    TARGET_KINDS,
    format_target,
    report_due_text,
    support_targets_table,
    targets_by_plan,
)
from docskit.render import template_globals
from docskit.tables import minutes_text

PLAN_TARGETS = {"first_response_minutes": 15, "update_every_minutes": 90, "workaround_hours": 24}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("first_response", "15 minutes"), ("update_every", "90 minutes"), ("workaround", "1 day")],
)
def test_format_target_writes_each_kind_in_words(kind, expected):
    assert format_target(PLAN_TARGETS, kind) == expected


def test_format_target_rejects_an_unknown_kind_and_lists_the_valid_ones():
    with pytest.raises(KeyError, match="first_response, update_every, workaround"):
        format_target(PLAN_TARGETS, "resolution")


def test_format_target_agrees_with_minutes_text_used_by_the_other_tables(dataset):
    for sev in dataset.internal["severities"]:
        for plan in dataset.internal["plans"]:
            targets = sev["targets"][plan["id"]]
            assert format_target(targets, "first_response") == minutes_text(targets["first_response_minutes"])
            assert format_target(targets, "workaround") == minutes_text(targets["workaround_hours"] * 60)


def test_support_targets_table_has_one_row_per_severity_and_kind_and_one_column_per_plan(dataset):
    severities, plans = dataset.internal["severities"], dataset.internal["plans"]
    lines = support_targets_table(severities, plans).splitlines()
    assert len(lines) == 2 + len(severities) * len(TARGET_KINDS)
    assert lines[0] == "| Severity | Target | " + " | ".join(p["name"] for p in plans) + " |"
    sev = severities[0]
    first = [format_target(sev["targets"][p["id"]], "first_response") for p in plans]
    assert lines[2] == f"| {sev['name']} ({sev['label']}) | First response | " + " | ".join(first) + " |"


def test_support_helpers_are_template_globals():
    for name in (
        "support_targets_table",
        "format_target",
        "criterion_text",
        "step_time_text",
        "coverage_table",
    ):
        assert name in template_globals()


def test_targets_by_plan_names_every_plan_in_order(dataset):
    sev, plans = dataset.internal["severities"][0], dataset.internal["plans"]
    expected = ", ".join(
        f"{p['name']} {format_target(sev['targets'][p['id']], 'update_every')}" for p in plans
    )
    assert targets_by_plan(sev, plans, "update_every") == expected


def test_report_due_text_is_empty_without_a_report_and_pluralises():
    assert report_due_text({"post_incident_report_business_days": None}) == ""
    assert report_due_text({"post_incident_report_business_days": 1}) == "1 business day"
    assert report_due_text({"post_incident_report_business_days": 5}) == "5 business days"


def test_criterion_text_states_threshold_and_window_before_the_condition():
    metrics = [{"id": "runs_failing", "name": "Share of runs failing"}]
    criterion = {
        "metric": "runs_failing",
        "threshold_percent": 50,
        "window_minutes": 15,
        "condition": "The tenant's runs fail.",
    }
    assert (
        criterion_text(criterion, metrics)
        == "**Share of runs failing**, 50% or more over 15 minutes: the tenant's runs fail."
    )
    assert threshold_text({"window_minutes": 60}) == "for more than 1 hour"
    assert criterion_text({"metric": "runs_failing", "condition": "No runs fail."}, metrics) == (
        "**Share of runs failing**: No runs fail."
    )


@pytest.mark.parametrize("text", ["1", "sev1", "Sev-1", "SEV 1", " sev-1 "])
def test_find_severity_accepts_level_id_and_name(dataset, text):
    assert find_severity(dataset.internal["severities"], text)["id"] == "sev1"


@pytest.mark.parametrize("text", ["5", "sev5", "critical", ""])
def test_find_severity_returns_none_for_anything_else(dataset, text):
    assert find_severity(dataset.internal["severities"], text) is None


def test_step_time_text_covers_fixed_times_and_plan_targets(dataset):
    sev, plans = dataset.internal["severities"][0], dataset.internal["plans"]
    assert step_time_text({"clock": "start", "at_minutes": 0}, sev, plans) == "T+0"
    assert step_time_text({"clock": "start", "at_minutes": 20}, sev, plans) == "T+20 minutes"
    assert step_time_text({"clock": "resolved", "at_minutes": 0}, sev, plans) == "At resolution"
    assert step_time_text({"clock": "resolved", "at_minutes": 2880}, sev, plans) == "Resolution + 2 days"
    assert step_time_text({"clock": "start", "target": "workaround"}, sev, plans) == (
        f"By the workaround target: {targets_by_plan(sev, plans, 'workaround')}"
    )
    assert step_time_text({"clock": "resolved", "target": "post_incident_report"}, sev, plans) == (
        f"Within {report_due_text(sev)} of resolution"
    )


def test_runbook_role_refs_finds_responders_owners_and_helpers():
    runbook = {
        "first_responder": "a",
        "commander": "b",
        "steps": [{"owner_role": "c", "with_roles": ["d"]}, {"owner_role": "e"}],
    }
    assert list(runbook_role_refs(runbook)) == [
        ("a", ("first_responder",)),
        ("b", ("commander",)),
        ("c", ("steps", 0, "owner_role")),
        ("d", ("steps", 0, "with_roles", 0)),
        ("e", ("steps", 1, "owner_role")),
    ]


def test_channel_address_reads_the_company_contact_site_or_phone(dataset):
    company = dataset.customer["company"]
    by_kind = {c["kind"]: c for c in dataset.customer["support_channels"]}
    support = next(c["email"] for c in company["contacts"] if c["id"] == by_kind["email"]["contact"])
    assert channel_address(by_kind["email"], company) == support
    assert channel_address(by_kind["email"], company, link=True) == f"[{support}](mailto:{support})"
    assert channel_address(by_kind["portal"], company) == company["sites"][by_kind["portal"]["site"]]
    assert channel_address(by_kind["phone"], company) == by_kind["phone"]["phone"]
