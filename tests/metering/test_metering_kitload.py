"""`./dev metering-load`: a tenant kit folder loaded into a store URL, once, with who and why."""

from __future__ import annotations

import json

import pytest

from metering import Meter
from metering.kitload import load_kit_into_store
from tests.invoking import run_invoke


@pytest.fixture
def kit(tmp_path, repo_context):
    """A kit folder holding the metering.json `./dev onboard` writes for a Team tenant on 2 CUs."""
    from docskit.onboarding.metering_config import metering_config

    folder = tmp_path / "kits" / "hooli"
    folder.mkdir(parents=True)
    body = metering_config(repo_context, "hooli", "Hooli", "team", 2, ["github"])
    (folder / "metering.json").write_text(json.dumps(body), encoding="utf-8")
    return folder


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_loading_a_kit_folder_twice_stores_one_contract_with_who_and_why(
    request, tmp_path, catalog, kit, backend
):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/metering.db"
    else:
        server = request.getfixturevalue("redis_server")
        server.flush()
        url = server.url
    first = load_kit_into_store(kit, url, reason="order form 7", changed_by="se:bob")
    again = load_kit_into_store(kit, url, reason="order form 7", changed_by="se:bob")
    assert "created" in first and "plan team, 2 CUs" in first
    assert "nothing changed" in again and "1 entry" in again
    meter = Meter(catalog, url)
    try:
        [change] = meter.contract_changes("hooli")
        assert (change.changed_by, change.reason) == ("se:bob", "order form 7")
        assert meter.limits("hooli").cus == 2
    finally:
        meter.storage.close()


def test_the_task_loads_a_kit_and_refuses_a_missing_folder_in_one_line(tmp_path, kit):
    url = f"sqlite:///{tmp_path}/metering.db"
    ok = run_invoke("metering-load", "--kit", str(kit), "--store", url)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("metering-load: tenant hooli: plan team, 2 CUs created")
    missing = run_invoke("metering-load", "--kit", str(tmp_path / "nope"), "--store", url)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"metering-load: {tmp_path / 'nope'} does not exist; pass a kit folder written by ./dev onboard "
        "(it holds metering.json)"
    ]


def test_a_kit_with_add_ons_and_overage_modes_is_enforced_with_them(tmp_path, catalog, repo_context):
    from docskit.onboarding.metering_config import metering_config, parse_terms

    terms = parse_terms("writes_per_day=500", "indexed_gb=bill")
    body = metering_config(repo_context, "hooli", "Hooli", "team", 1, ["github"], terms)
    (tmp_path / "metering.json").write_text(json.dumps(body), encoding="utf-8")
    url = f"sqlite:///{tmp_path}/metering.db"
    load_kit_into_store(tmp_path, url, reason="order form 8", changed_by="se:bob")
    meter = Meter(catalog, url)
    try:
        limits = meter.limits("hooli")
        per_cu = next(d.per_cu for d in catalog.dimensions if d.id == "writes_per_day")
        assert limits["writes_per_day"].limit == per_cu + 500
        assert limits["indexed_gb"].mode == "bill" and limits["writes_per_day"].mode == "throttle"
    finally:
        meter.storage.close()


@pytest.mark.parametrize(
    ("addons", "overage", "message"),
    [
        ("writes_per_day", "", "--addons takes dimension=value pairs"),
        ("writes_per_day=many", "", "--addons takes dimension=value pairs"),
        ("", "indexed_gb", "--overage takes dimension=value pairs"),
    ],
)
def test_badly_written_contract_terms_are_refused_with_an_example(addons, overage, message):
    from docskit.onboarding.metering_config import parse_terms
    from docskit.onboarding.options import OptionError

    with pytest.raises(OptionError, match=message):
        parse_terms(addons, overage)


def test_terms_the_plan_data_refuses_name_the_flag(repo_context):
    from docskit.onboarding.metering_config import metering_config
    from docskit.onboarding.options import OptionError

    with pytest.raises(OptionError, match=r"^--addons storage_gb: add-on for unknown dimension"):
        metering_config(repo_context, "hooli", "Hooli", "team", 1, ["github"], {"addons": {"storage_gb": 4}})
    with pytest.raises(OptionError, match=r"^--overage indexed_gb: unknown overage mode 'forgive'"):
        metering_config(
            repo_context, "hooli", "Hooli", "team", 1, ["github"], {"overage": {"indexed_gb": "forgive"}}
        )
