"""Break one part on purpose and see the rehearsal name the exit-gate item that fails (and pass when intact)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from types import MappingProxyType

import pytest

from docskit.onboarding.metering_config import metering_config
from docskit.rehearsal.services import running_services
from metering import Meter
from metering.catalog import Catalog
from metering.notify import WebhookNotifier
from tests.rehearsal.conftest import failing, run_named

LIMIT_STEPS = ("onboard", "contract", "concurrency", "rate", "writes", "indexed", "notifications", "admin")


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_every_limit_holds_for_a_tenant_on_each_store(new_run, rehearsals, tmp_path, store):
    folder = tmp_path / store
    folder.mkdir()
    with running_services(folder, store, rehearsals.settings) as services:
        run = run_named(new_run("us-team-platform", services), *LIMIT_STEPS)
    assert run.result.failed() == [], failing(run, "limits")
    names = [c.name for c in run.result.checks if c.item == "limits"]
    assert "A worker killed without releasing gives its slot back when its lease ends" in names
    assert any(n.startswith("Notifications at 80% and 100% arrive exactly once") for n in names)


def test_a_limit_the_service_does_not_enforce_fails_the_limits_item(new_run, services, dataset):
    run = run_named(new_run("us-team-platform", services), "onboard", "contract")
    # The service now enforces another contract than the kit: a huge write add-on the tenant never bought.
    kit = run.facts["kit"]
    loose = metering_config(
        dataset.internal,
        kit.slug,
        kit.name,
        kit.plan,
        kit.cus,
        ["github"],
        {"addons": {"writes_per_day": 10**6}},
    )
    answer = run.facts["api"].put(
        f"/v1/tenants/{kit.slug}/contract", json={**loose, "reason": "fault injected by a test"}
    )
    assert answer.status_code == 200
    run_named(run, "writes")
    failed = failing(run, "limits")
    assert any(
        f.startswith("Writes into github: the call over the limit gets the documented 'throttle' answer")
        for f in failed
    ), failed
    assert any("nothing admitted over the cap" in f for f in failed)
    assert run.result.item_passed("limits") is False


def test_a_notification_sent_twice_fails_the_limits_item(new_run, services, dataset):
    run = run_named(new_run("us-team-platform", services), "onboard", "contract", "writes")
    meter = Meter(Catalog.from_context(dataset.internal), services.store_url)
    try:
        sent = [n for n in meter.storage.notifications(run.facts["kit"].slug) if n.threshold == "80%"]
    finally:
        meter.storage.close()
    assert sent
    WebhookNotifier(services.receiver.url, services.receiver.secret).send(sent[0])  # the duplicate
    run_named(run, "notifications")
    failed = failing(run, "limits")
    assert len(failed) == 1 and "sent more than once writes_per_day.github 80%" in failed[0], failed


def test_a_runbook_step_without_an_owner_fails_the_support_item(new_run, dataset, rehearsals):
    internal = json.loads(json.dumps(dataset.internal, default=dict))
    runbook = next(r for r in internal["runbooks"] if r["id"] == rehearsals.drill_runbook)
    del runbook["steps"][1]["owner_role"]
    broken = dataclasses.replace(dataset, internal=MappingProxyType(internal))
    run = run_named(new_run("eu-business-byok", data=broken), "onboard", "drill")
    failed = failing(run, "support")
    step = runbook["steps"][1]["id"]
    assert failed == [
        next(
            f
            for f in failed
            if f.startswith(f"Every step of the runbook '{rehearsals.drill_runbook}' has an owner")
        )
    ]
    assert f"without an owner: {rehearsals.drill_runbook} step '{step}'" in failed[0]
    assert run.result.item_passed("checklist") is True


def test_a_broken_link_in_a_quickstart_fails_the_docs_item(new_run, mkdocs_project, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(mkdocs_project.build / "site" / "customer", site)
    page = site / "connectors" / "github" / "index.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "</article>", '<a href="../no-such-page/">setup</a></article>', 1
        ),
        encoding="utf-8",
    )
    run = run_named(new_run("us-team-platform", shared={"customer_site": site}), "docs")
    failed = failing(run, "docs")
    assert len(failed) == 1 and failed[0].startswith("No broken link or anchor on them"), failed
    assert "no-such-page" in failed[0] and "connectors/github/" in failed[0]


def test_the_intact_quickstarts_pass_the_docs_item(new_run, mkdocs_project):
    run = run_named(
        new_run("enterprise-all-bill", shared={"customer_site": mkdocs_project.build / "site" / "customer"}),
        "docs",
    )
    assert run.result.item_passed("docs") is True, failing(run, "docs")


def test_a_step_that_raises_is_a_failing_check_and_its_dependents_are_skipped(new_run):
    run = new_run("us-team-platform")  # no services: the contract step cannot reach an API
    run_named(run, "onboard", "contract", "writes")
    failed = failing(run, "limits")
    assert failed[0].startswith("Step 'contract' completes: AttributeError")
    assert failed[1] == "Step 'writes' not run: it needs step 'contract', which did not complete"
