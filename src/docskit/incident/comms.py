"""Incident messages: validate what `./dev incident` is given, then render email and Slack texts from templates.

Messages are rendered with the *customer* data context, so internal records (pager numbers, internal channels)
cannot reach a customer. Email bodies are HTML and autoescaped; Slack texts escape &, < and > in every value
(Slack mrkdwn's control characters). Templates: overrides/partials/incident/<kind>.<part>.j2.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..datamodel import DataSet
from ..paths import Project
from ..render import make_environment, render_template
from .runbooks import role_name
from .schedule import IncidentInputError, next_update_at, parse_now, utc_text
from .severities import find_severity, valid_severities_text
from .targets import format_target, report_due_text

MESSAGE_KINDS = {
    "initial": "Initial notice",
    "update": "Update",
    "resolved": "Resolution",
    "report": "Post-incident report",
}
TENANT_MAX_CHARS = 120
SUMMARY_MAX_CHARS = 600
TEMPLATE_FOLDER = "incident"


@dataclass(frozen=True)
class Incident:
    """One message to send: which severity, tenant, plan and kind of message, at what time."""

    severity: Mapping
    plan: Mapping
    plan_given: bool
    tenant: str
    summary: str
    kind: str
    update_number: int
    now: dt.datetime

    @property
    def targets(self) -> Mapping:
        return self.severity["targets"][self.plan["id"]]

    @property
    def next_update(self) -> dt.datetime | None:
        """When the next update is due; None once the incident is resolved."""
        if self.kind in ("resolved", "report"):
            return None
        return next_update_at(self.now, self.targets["update_every_minutes"])


@dataclass(frozen=True)
class Message:
    """One ready-to-send message on one support channel (email has a subject, Slack does not)."""

    channel: Mapping
    subject: str | None
    body: str


def _clean_name(text: str) -> str:
    tenant = (text or "").strip()
    if not tenant:
        raise IncidentInputError("--tenant is empty; give the tenant's name as the customer writes it")
    if any(unicodedata.category(ch).startswith("C") for ch in tenant):
        raise IncidentInputError(
            "--tenant contains a line break or another control character; give the name on one line"
        )
    if len(tenant) > TENANT_MAX_CHARS:
        raise IncidentInputError(
            f"--tenant is {len(tenant)} characters; a tenant name has at most {TENANT_MAX_CHARS}"
        )
    return tenant


def _clean_summary(text: str) -> str:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in text or ""):
        raise IncidentInputError("--summary contains a control character; write plain text")
    summary = " ".join((text or "").split())
    if not summary:
        raise IncidentInputError(
            "--summary is empty; say in one or two sentences what the tenant sees and since when"
        )
    if len(summary) > SUMMARY_MAX_CHARS:
        raise IncidentInputError(
            f"--summary is {len(summary)} characters; keep it to {SUMMARY_MAX_CHARS} and put details in the ticket"
        )
    return summary


def default_plan(severity: Mapping, plans: Sequence[Mapping]) -> Mapping:
    """The plan to time messages by when none is given: the one with the shortest update interval for this
    severity (highest rank on a tie), so that the promised next update is never later than any plan requires."""
    return min(plans, key=lambda p: (severity["targets"][p["id"]]["update_every_minutes"], -p["rank"]))


def _find_plan(plans: Sequence[Mapping], text: str) -> Mapping:
    wanted = text.strip().lower()
    for plan in plans:
        if wanted in (plan["id"], plan["name"].lower()):
            return plan
    raise IncidentInputError(f"unknown plan {text!r}; valid: {', '.join(p['id'] for p in plans)}")


def _kind(update: int, resolved: bool, report: bool) -> str:
    if update < 0:
        raise IncidentInputError(
            f"--update {update} is negative; updates count 1, 2, 3 after the initial notice"
        )
    chosen = [
        name for name, on in (("--update", update > 0), ("--resolved", resolved), ("--report", report)) if on
    ]
    if len(chosen) > 1:
        raise IncidentInputError(
            f"choose one of --update N, --resolved or --report, not {' and '.join(chosen)}"
        )
    if report:
        return "report"
    if resolved:
        return "resolved"
    return "update" if update > 0 else "initial"


def incident_from_options(
    context: Mapping,
    *,
    sev: str,
    tenant: str,
    summary: str,
    plan: str = "",
    update: int = 0,
    resolved: bool = False,
    report: bool = False,
    now: str = "",
) -> Incident:
    """Check the options of `./dev incident` against the data; raise IncidentInputError saying what to fix."""
    severities, plans = context["severities"], context["plans"]
    severity = find_severity(severities, sev)
    if severity is None:
        raise IncidentInputError(f"unknown severity {sev!r}; valid: {valid_severities_text(severities)}")
    kind = _kind(update, resolved, report)
    return Incident(
        severity=severity,
        plan=_find_plan(plans, plan) if plan.strip() else default_plan(severity, plans),
        plan_given=bool(plan.strip()),
        tenant=_clean_name(tenant),
        summary=_clean_summary(summary),
        kind=kind,
        update_number=update,
        now=parse_now(now),
    )


def incident_channels(context: Mapping, plan: Mapping) -> list[Mapping]:
    """The support channels that carry incident messages on this plan, in data order."""
    return [c for c in context["support_channels"] if c["incident_updates"] and plan["id"] in c["plans"]]


def _phone_channel(context: Mapping, incident: Incident) -> Mapping | None:
    for channel in context["support_channels"]:
        if (
            channel["kind"] == "phone"
            and incident.plan["id"] in channel["plans"]
            and incident.severity["id"] in channel["severities"]
        ):
            return channel
    return None


def _support_email(context: Mapping) -> str:
    """The address of the email support channel, from its company contact."""
    contact = next(c["contact"] for c in context["support_channels"] if c["kind"] == "email")
    return next(c["email"] for c in context["company"]["contacts"] if c["id"] == contact)


def template_values(context: Mapping, incident: Incident) -> dict:
    """What the message templates read about this incident, every time and target already in words."""
    targets = incident.targets
    next_update = incident.next_update
    return {
        "tenant": incident.tenant,
        "summary": incident.summary,
        "kind": incident.kind,
        "update_number": incident.update_number,
        "severity": incident.severity,
        "plan": incident.plan,
        "owner": role_name(context["support_roles"], incident.severity["owner_role"]),
        "first_response": format_target(targets, "first_response"),
        "cadence": format_target(targets, "update_every"),
        "workaround": format_target(targets, "workaround"),
        "now": utc_text(incident.now),
        "next_update": utc_text(next_update) if next_update else "",
        "report_due": report_due_text(incident.severity),
        "support_email": _support_email(context),
        "phone": (_phone_channel(context, incident) or {}).get("phone", ""),
        "slack": any(c["kind"] == "slack" for c in incident_channels(context, incident.plan)),
    }


def slack_escape(value):
    """Escape Slack mrkdwn's control characters in text: & < > (other values pass unchanged)."""
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def render_messages(project: Project, dataset: DataSet, incident: Incident) -> list[Message]:
    """The ready-to-send messages for every incident channel of the tenant's plan."""
    context = dataset.context("customer")
    values = template_values(context, incident)
    env = make_environment(project, dataset, "customer")
    slack_env = make_environment(project, dataset, "customer")
    slack_env.finalize = slack_escape  # set before any template is compiled, so every {{ value }} is escaped
    messages = []
    for channel in incident_channels(context, incident.plan):
        base = f"{TEMPLATE_FOLDER}/{incident.kind}"
        if channel["kind"] == "email":
            subject = render_template(
                env, f"{base}.subject.txt.j2", f"{base}.subject.txt.j2", incident=values
            )
            body = render_template(env, f"{base}.email.html.j2", f"{base}.email.html.j2", incident=values)
            messages.append(Message(channel, " ".join(subject.split()), body.strip() + "\n"))
        elif channel["kind"] == "slack":
            body = render_template(slack_env, f"{base}.slack.txt.j2", f"{base}.slack.txt.j2", incident=values)
            messages.append(Message(channel, None, body.strip() + "\n"))
    return messages


def headline(incident: Incident) -> str:
    """The first lines printed above the messages: what this is and when the next update is due."""
    sev = incident.severity
    lines = [
        f"{sev['name']} ({sev['label']}) | {incident.tenant} | {incident.plan['name']} plan | "
        f"{MESSAGE_KINDS[incident.kind]}{f' {incident.update_number}' if incident.kind == 'update' else ''}"
    ]
    if not incident.plan_given:
        lines.append(
            f"Plan not given: timed for {incident.plan['name']}, the plan with the shortest {sev['name']} "
            f"update interval. Pass --plan with the tenant's plan."
        )
    if incident.next_update:
        lines.append(
            f"Next update due by {utc_text(incident.next_update)} "
            f"(every {format_target(incident.targets, 'update_every')})"
        )
    return "\n".join(lines)


def format_messages(incident: Incident, messages: Sequence[Message]) -> str:
    """Everything `./dev incident` prints: the headline, then each message under its channel's name."""
    parts = [headline(incident)]
    for message in messages:
        parts.append(f"===== {message.channel['name']} =====")
        if message.subject is not None:
            parts.append(f"Subject: {message.subject}")
        parts.append(message.body.rstrip("\n"))
    return "\n\n".join(parts) + "\n"


def incident_text(project: Project, dataset: DataSet, **options) -> str:
    """`./dev incident` end to end: validate the options, render, and format for the terminal."""
    incident = incident_from_options(dataset.context("customer"), **options)
    return format_messages(incident, render_messages(project, dataset, incident))
