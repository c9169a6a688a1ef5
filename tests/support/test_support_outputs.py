"""The built sites: one set of response targets everywhere, and no internal support record on the customer site."""

from __future__ import annotations

from html.parser import HTMLParser

from support_testdata import internal_records, internal_values

from docskit.incident.targets import TARGET_KINDS, format_target

CUSTOMER_PAGE = "customer/support/index.html"
HANDBOOK_PAGES = ("handbook/support/severities/index.html", "handbook/support/index.html")


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def targets_table(site_root, page: str) -> list[list[str]]:
    """The response targets table of a built page (the one headed Severity | Target | plans…)."""
    parser = _Tables()
    parser.feed((site_root / page).read_text(encoding="utf-8"))
    tables = [t for t in parser.tables if t and t[0][:2] == ["Severity", "Target"]]
    assert len(tables) == 1, f"{page}: expected one response targets table, found {len(tables)}"
    return tables[0]


def expected_targets_rows(dataset) -> list[list[str]]:
    plans = dataset.customer["plans"]
    rows = [["Severity", "Target", *[p["name"] for p in plans]]]
    for sev in sorted(dataset.customer["severities"], key=lambda s: s["level"]):
        for kind in TARGET_KINDS.values():
            rows.append(
                [
                    f"{sev['name']} ({sev['label']})",
                    kind.label,
                    *[format_target(sev["targets"][p["id"]], kind.id) for p in plans],
                ]
            )
    return rows


def test_response_targets_are_identical_on_the_customer_page_and_in_the_handbook(built_project, dataset):
    site = built_project.build / "site"
    customer = targets_table(site, CUSTOMER_PAGE)
    assert customer == expected_targets_rows(dataset)
    for page in HANDBOOK_PAGES:
        assert targets_table(site, page) == customer, page


def test_runbook_pages_time_target_steps_with_the_same_wording(built_project, dataset):
    sev1 = next(s for s in dataset.internal["severities"] if s["id"] == "sev1")
    plans = dataset.internal["plans"]
    text = (built_project.build / "rendered" / "handbook" / "support" / "sev1-runbook.md").read_text(
        encoding="utf-8"
    )
    for plan in plans:
        assert f"{plan['name']} {format_target(sev1['targets'][plan['id']], 'first_response')}" in text
    for step in next(r for r in dataset.internal["runbooks"] if r["id"] == "sev1")["steps"]:
        assert f". {step['title']}" in text


def test_support_page_is_in_the_customer_nav_and_the_support_pages_in_the_handbook(built_project):
    site = built_project.build / "site"
    assert 'href="support/"' in (site / "customer" / "index.html").read_text(encoding="utf-8")
    for page in ("index", "severities", "roles", "sev1-runbook", "sev1-onboarding", "communications"):
        folder = site / "handbook" / "support" if page == "index" else site / "handbook" / "support" / page
        assert (folder / "index.html").is_file(), page


def test_internal_support_records_never_reach_the_customer_build(built_project, dataset):
    secrets = internal_values(internal_records(dataset.sources["data/support.yaml"].data))
    oncall = next(r for r in dataset.internal["support_roles"] if r["id"] == "engineering_oncall")
    assert oncall["paging"]["pager_number"] in secrets
    handbook = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (built_project.build / "rendered" / "handbook" / "support").rglob("*.md")
    )
    assert oncall["paging"]["pager_number"] in handbook, "canary must be visible where it belongs"

    customer_files = [
        p
        for folder in ("site/customer", "rendered/customer")
        for p in (built_project.build / folder).rglob("*")
        if p.is_file()
    ]
    assert customer_files
    leaks = []
    for path in customer_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        leaks += [(str(path.relative_to(built_project.build)), s) for s in secrets if s in text]
    assert leaks == []


def test_customer_context_has_no_internal_support_keys(dataset):
    customer = dataset.customer
    assert "incident_tooling" not in customer
    assert all("paging" not in role for role in customer["support_roles"])
    assert all("internal" not in channel for channel in customer["support_channels"])
