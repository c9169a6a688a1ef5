"""Support helpers exposed to every template as globals, next to the tables of `docskit.tables`."""

from __future__ import annotations

from .channels import channel_address, coverage_table, support_channels_table
from .runbooks import role_name, runbook_overview_table, step_time_text
from .severities import criterion_text, threshold_text
from .targets import (
    format_target,
    report_due_text,
    severity_target,
    support_targets_table,
    target_table,
    targets_by_plan,
)

SUPPORT_GLOBALS = {
    "support_channels_table": support_channels_table,
    "coverage_table": coverage_table,
    "channel_address": channel_address,
    "format_target": format_target,
    "severity_target": severity_target,
    "targets_by_plan": targets_by_plan,
    "report_due_text": report_due_text,
    "support_targets_table": support_targets_table,
    "target_table": target_table,
    "criterion_text": criterion_text,
    "threshold_text": threshold_text,
    "step_time_text": step_time_text,
    "role_name": role_name,
    "runbook_overview_table": runbook_overview_table,
}
