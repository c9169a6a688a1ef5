"""Incident messages: right texts for every severity and plan, next update on the cadence, safe with any input."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import escape
from support_testdata import internal_records, internal_values

from docskit.incident.comms import (
    default_plan,
    format_messages,
    incident_channels,
    incident_from_options,
    render_messages,
)
from docskit.incident.schedule import IncidentInputError, utc_text
from docskit.incident.targets import format_target, report_due_text
from docskit.paths import Project

NOW = "2026-11-25T14:05:31Z"
NOW_MINUTE = dt.datetime(2026, 11, 25, 14, 5, tzinfo=dt.UTC)
SUMMARY = "Since 14:00 UTC every ServiceNow write of the change policies fails; no wrong writes were sent."


def render(dataset, **options):
    """(incident, {channel kind: message}) for these `invoke incident` options."""
    options = {"tenant": "Northwind Logistics", "summary": SUMMARY, "now": NOW, **options}
    incident = incident_from_options(dataset.customer, **options)
    messages = render_messages(Project.at(), dataset, incident)
    return incident, {m.channel["kind"]: m for m in messages}


def every_severity_and_plan(dataset):
    return [(s, p) for s in dataset.customer["severities"] for p in dataset.customer["plans"]]


def test_initial_notice_for_every_severity_and_plan_carries_its_targets_and_next_update(dataset):
    company = dataset.customer["company"]
    for sev, plan in every_severity_and_plan(dataset):
        _, messages = render(dataset, sev=sev["id"], plan=plan["id"])
        targets = sev["targets"][plan["id"]]
        next_update = utc_text(NOW_MINUTE + dt.timedelta(minutes=targets["update_every_minutes"]))
        cadence = format_target(targets, "update_every")
        expected_kinds = {c["kind"] for c in incident_channels(dataset.customer, plan)}
        assert set(messages) == expected_kinds, (sev["id"], plan["id"])

        email = messages["email"]
        assert (
            email.subject == f"[{company['short_name']} {sev['name']}] Northwind Logistics: incident notice"
        )
        body = email.body
        assert f"<strong>{sev['name']} ({sev['label']})</strong>" in body
        assert SUMMARY in body
        assert f"<strong>{next_update}</strong>" in body
        assert f"every\n{cadence} until the incident is resolved" in body
        assert (
            f"within {format_target(targets, 'workaround')} for a {sev['name']} on the {plan['name']} plan"
            in body
        )
        assert ("customer_guidance" in sev) == ("What you can do" in body)
        if "slack" in messages:
            slack = messages["slack"].body
            assert slack.startswith(
                f"*{company['short_name']} {sev['name']} ({sev['label']}): incident notice"
            )
            assert f"*Next update:* by {next_update}, then at least every {cadence} until resolved." in slack


def test_sev1_business_initial_notice_reads_exactly_like_this(dataset):
    sev1 = next(s for s in dataset.customer["severities"] if s["id"] == "sev1")
    assert sev1["targets"]["business"]["update_every_minutes"] == 30, (
        "data changed: update the phrasing below"
    )
    incident, messages = render(dataset, sev="1", plan="business")
    text = format_messages(incident, list(messages.values()))
    assert text.startswith(
        "Sev-1 (Critical) | Northwind Logistics | Business plan | Initial notice\n"
        "Next update due by 2026-11-25 14:35 UTC (every 30 minutes)\n"
    )
    assert "Subject: [Relaywright Sev-1] Northwind Logistics: incident notice" in text
    assert (
        "<p>We will send the next update by <strong>2026-11-25 14:35 UTC</strong>, and then at least every\n"
        "30 minutes until the incident is resolved, on this email thread and in our shared Slack channel.</p>"
    ) in text
    assert "*Next update:* by 2026-11-25 14:35 UTC, then at least every 30 minutes until resolved." in text


def test_next_update_follows_the_cadence_from_update_to_update(dataset):
    for sev, plan in every_severity_and_plan(dataset):
        cadence = dt.timedelta(minutes=sev["targets"][plan["id"]]["update_every_minutes"])
        sent_at = NOW_MINUTE
        for number in (1, 2, 3):
            incident, messages = render(
                dataset, sev=sev["id"], plan=plan["id"], update=number, now=sent_at.isoformat()
            )
            assert incident.next_update == sent_at + cadence
            assert messages["email"].subject.endswith(f": update {number}")
            assert f"<strong>{utc_text(sent_at + cadence)}</strong>" in messages["email"].body
            sent_at = incident.next_update


def test_now_drops_seconds_and_reads_offsets_and_naive_times_as_utc(dataset):
    a, _ = render(dataset, sev="2", plan="team", now="2026-11-25T14:05:59Z")
    b, _ = render(dataset, sev="2", plan="team", now="2026-11-25T15:05:00+01:00")
    c, _ = render(dataset, sev="2", plan="team", now="2026-11-25T14:05")
    assert a.next_update == b.next_update == c.next_update
    assert a.next_update.second == 0


def test_resolution_notice_has_no_next_update_and_states_the_report_deadline(dataset):
    for sev in dataset.customer["severities"]:
        incident, messages = render(dataset, sev=sev["id"], plan="enterprise", resolved=True)
        assert incident.next_update is None
        body = messages["email"].body
        assert "Next update" not in body
        assert f"resolved at {utc_text(NOW_MINUTE)}" in body
        due = report_due_text(sev)
        assert (f"post-incident report within {due}" in body) == bool(due)
        assert (
            f"within {due}" in messages["slack"].body
            if due
            else "Post-incident report" not in messages["slack"].body
        )


def test_post_incident_report_draft_lists_the_targets_that_applied(dataset):
    sev = dataset.customer["severities"][0]
    _, messages = render(dataset, sev=sev["id"], plan="team", report=True)
    body = messages["email"].body
    targets = sev["targets"]["team"]
    assert messages["email"].subject.endswith(": post-incident report")
    for line in (
        f"First response: {format_target(targets, 'first_response')}",
        f"Updates: every {format_target(targets, 'update_every')}",
        f"Workaround or fix: {format_target(targets, 'workaround')}",
    ):
        assert f"<li>{line}</li>" in body
    for heading in ("Impact", "Timeline (UTC)", "Root cause"):
        assert f"<h2>{heading}</h2>" in body


def test_without_a_plan_messages_are_timed_by_the_shortest_cadence_and_say_so(dataset):
    for sev in dataset.customer["severities"]:
        incident, messages = render(dataset, sev=sev["id"])
        fastest = min(s["update_every_minutes"] for s in sev["targets"].values())
        assert incident.plan == default_plan(sev, dataset.customer["plans"])
        assert sev["targets"][incident.plan["id"]]["update_every_minutes"] == fastest
        assert "Plan not given" in format_messages(incident, list(messages.values()))


HOSTILE_TENANT = '<script>alert("x")</script> & O\'Brien <b>Co</b>'


def test_tenant_and_summary_are_escaped_for_html_email_and_slack(dataset):
    _, messages = render(
        dataset, sev="1", plan="business", tenant=HOSTILE_TENANT, summary="Writes <fail> & stop"
    )
    email, slack = messages["email"].body, messages["slack"].body
    assert "<script>" not in email and "<b>Co</b>" not in email
    assert f"Hello {escape(HOSTILE_TENANT)} team," in email
    assert "Writes &lt;fail&gt; &amp; stop" in email
    assert "<script>" not in slack and "<b>" not in slack
    assert '&lt;script&gt;alert("x")&lt;/script&gt; &amp; O\'Brien &lt;b&gt;Co&lt;/b&gt;' in slack
    assert "Writes &lt;fail&gt; &amp; stop" in slack
    assert "\n" not in messages["email"].subject and HOSTILE_TENANT in messages["email"].subject


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sev": "5"}, "unknown severity '5'; valid: 1 (Sev-1, Critical), 2 (Sev-2, High)"),
        ({"sev": ""}, "unknown severity ''"),
        ({"summary": "   \n "}, "--summary is empty"),
        ({"summary": "x" * 601}, "--summary is 601 characters"),
        ({"summary": "bell \x07"}, "--summary contains a control character"),
        ({"tenant": ""}, "--tenant is empty"),
        ({"tenant": "Acme\nBcc: victim@example.com"}, "--tenant contains a line break"),
        ({"tenant": "A" * 121}, "--tenant is 121 characters"),
        ({"plan": "platinum"}, "unknown plan 'platinum'; valid: team, business, enterprise"),
        ({"update": 2, "resolved": True}, "choose one of --update N, --resolved or --report"),
        ({"resolved": True, "report": True}, "not --resolved and --report"),
        ({"update": -1}, "--update -1 is negative"),
        ({"now": "yesterday"}, "--now 'yesterday' is not an ISO-8601 time"),
    ],
)
def test_bad_input_is_refused_with_what_to_change(dataset, options, message):
    options = {"sev": "1", "tenant": "Northwind Logistics", "summary": SUMMARY, **options}
    with pytest.raises(IncidentInputError) as caught:
        incident_from_options(dataset.customer, **options)
    assert message in str(caught.value)


def test_incident_messages_never_contain_internal_support_records(dataset):
    secrets = internal_values(internal_records(dataset.sources["data/support.yaml"].data))
    assert secrets, "support.yaml must hold internal records for this test to mean anything"
    for sev, plan in every_severity_and_plan(dataset):
        for options in ({}, {"update": 1}, {"resolved": True}, {"report": True}):
            incident, messages = render(dataset, sev=sev["id"], plan=plan["id"], **options)
            text = format_messages(incident, list(messages.values()))
            leaked = [s for s in secrets if s in text]
            assert not leaked, (sev["id"], plan["id"], options, leaked)
