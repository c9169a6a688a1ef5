"""`invoke incident`: prints the messages, and turns bad input into a clear error with exit code 2."""

from __future__ import annotations

import pytest
from invoke import Context, Exit

import tasks
from tests.invoking import run_invoke

NOW = "2026-11-25T14:05:00Z"


def run_task(**options):
    options = {"sev": "1", "tenant": "Northwind Logistics", "summary": "Writes fail.", "now": NOW, **options}
    tasks.incident.body(Context(), **options)


def test_task_prints_email_and_slack_for_the_plan(capsys):
    run_task(plan="business", update=2)
    out = capsys.readouterr().out
    assert out.startswith("Sev-1 (Critical) | Northwind Logistics | Business plan | Update 2\n")
    assert "===== Email =====" in out and "Subject: " in out and ": update 2" in out
    assert "===== Shared Slack channel =====" in out


def test_task_refuses_an_unknown_severity_and_lists_the_valid_ones():
    with pytest.raises(Exit) as failed:
        run_task(sev="7")
    assert failed.value.code == 2
    assert "incident: unknown severity '7'; valid: 1 (Sev-1" in failed.value.message


def test_task_refuses_an_empty_summary():
    with pytest.raises(Exit) as failed:
        run_task(summary="")
    assert failed.value.code == 2 and "--summary is empty" in failed.value.message


@pytest.mark.slow
def test_invoke_command_line_parses_every_option():
    options = ["--sev", "sev2", "--tenant", "Acme <Ops>"]
    extra = ["--plan", "enterprise", "--update", "3", "--now", NOW]
    result = run_invoke("incident", *options, "--summary", "Approvals are not delivered.", *extra)
    assert result.returncode == 0, result.stderr
    assert "Sev-2 (High) | Acme <Ops> | Enterprise plan | Update 3" in result.stdout
    assert "Acme &lt;Ops&gt;" in result.stdout

    bad = run_invoke("incident", *options, "--summary", " ")
    assert bad.returncode == 2
    assert "--summary is empty" in bad.stderr
