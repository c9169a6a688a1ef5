"""Tasks for the Relaywright docs repository. `invoke --list` shows them; each calls into src/."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from invoke import Exit, task

sys.path.insert(0, str(Path(__file__).parent / "src"))

from docskit.paths import Project
from docskit.problems import BuildFailed


def _project() -> Project:
    return Project.at()


def _fail(problems) -> None:
    raise Exit(str(BuildFailed(problems)), code=1)


@contextmanager
def _exits(task_name: str, *user_errors: type[Exception]):
    """A user's mistake (one of `user_errors`) exits 2 with the task's name; a failed build exits 1."""
    try:
        yield
    except user_errors as exc:
        raise Exit(f"{task_name}: {exc}", code=2) from None
    except BuildFailed as failed:
        raise Exit(str(failed), code=1) from None


@task(help={"site": "customer or handbook (default: both)", "builder": "mkdocs (default) or zensical"})
def build(c, site: str = "", builder: str = "mkdocs"):
    """Build everything: validate data, render and build both sites (and every output added later)."""
    from docskit.datamodel import load_dataset
    from docskit.outputs import run_build_steps
    from docskit.sitebuild import BUILDERS, SITES, build_sites

    names = [site] if site else list(SITES)
    if site and site not in SITES:
        raise Exit(f"unknown site {site!r}; valid: {', '.join(SITES)}", code=2)
    if builder not in BUILDERS:
        raise Exit(f"unknown builder {builder!r}; valid: {', '.join(BUILDERS)}", code=2)
    project = _project()
    with _exits("build"):
        dataset = load_dataset(project)
        published = build_sites(project, names, dataset=dataset, builder=builder)
        for name, folder in published.items():
            print(f"built {name}: {folder}")
        if not site:
            run_build_steps(project, dataset)


@task
def check(c):
    """Run every check: schemas, cross-references, content rules, strict builds, links, lint, spelling."""
    from docskit.checks import run_all

    problems = run_all(_project())
    if problems:
        _fail(problems)
    print("check: all passed")


@task
def a11y(c):
    """Build both sites and run axe-core in chromium on every page; fails on what the allow-list does not accept."""
    from docskit.accessibility import audit_project

    with _exits("a11y"):
        problems = audit_project(_project())
    if problems:
        _fail(problems)
    print("a11y: no failing axe findings")


# One pytest worker per core; each module's tests stay on one worker, so module fixtures run once.
PYTEST_PARALLEL = ["-n", "auto", "--dist", "worksteal", "--durations=10"]


@task(help={"pytest_args": "extra arguments for pytest, e.g. '-k approvals'"})
def test(c, pytest_args: str = ""):
    """Run all tests: every check, then the pytest suite in parallel; prints the slowest ten tests."""
    import os

    check(c)
    # The tests read the sites `check` has just built and link-checked instead of building them again.
    env = {**os.environ, "DOCSKIT_TEST_BUILD": str(_project().build)}
    command = [sys.executable, "-m", "pytest", *PYTEST_PARALLEL, *pytest_args.split()]
    result = subprocess.run(command, check=False, env=env)
    if result.returncode != 0:
        raise Exit(code=result.returncode)


@task(help={"site": "customer (default) or handbook", "port": "port on 127.0.0.1 (default 8000)"})
def serve(c, site: str = "customer", port: int = 8000):
    """Live preview on 127.0.0.1: editing a data file or a page re-renders and reloads the browser."""
    from docskit.serve import serve as run_serve

    run_serve(_project(), site, port)


@task
def fix(c):
    """Apply ruff's fixes and formatting to the whole tree."""
    c.run(f"{sys.executable} -m ruff check --fix .")
    c.run(f"{sys.executable} -m ruff format .")


@task
def lock(c):
    """Re-resolve requirements.in into the pinned requirements.lock (then commit both)."""
    c.run(f"{sys.executable} -m pip install -q -r requirements.in")
    c.run(f"{sys.executable} -m pip freeze --exclude-editable > requirements.lock")


@task(
    help={
        "sev": "severity: 1 to 4, sev1 or Sev-1",
        "tenant": "the tenant's name as the customer writes it",
        "summary": "what the tenant sees and since when, in one or two sentences",
        "plan": "the tenant's plan id (default: the plan with the shortest update interval for this severity)",
        "update": "number of this update (1, 2, ...); omit for the initial notice",
        "resolved": "print the resolution notice",
        "report": "print the post-incident report draft",
        "now": "the current time, ISO-8601, e.g. 2026-11-25T14:05Z (default: the clock, UTC)",
    }
)
def incident(c, sev="", tenant="", summary="", plan="", update=0, resolved=False, report=False, now=""):
    """Print ready-to-send incident email and Slack texts, with the next update time from severity and plan."""
    from docskit.datamodel import load_dataset
    from docskit.incident.comms import incident_text
    from docskit.incident.schedule import IncidentInputError

    project = _project()
    with _exits("incident", IncidentInputError):
        text = incident_text(
            project,
            load_dataset(project),
            sev=sev,
            tenant=tenant,
            summary=summary,
            plan=plan,
            update=update,
            resolved=resolved,
            report=report,
            now=now,
        )
    print(text, end="")


@task(
    help={
        "answers": "answers as question=answer,… (e.g. residency=eu_required,content=no_content)",
        "defaults": "take the default of every question not in --answers instead of asking",
    }
)
def decide(c, answers="", defaults=False):
    """Ask the region, data-mode and key questions (defaults shown) and print the outcome, paperwork and why."""
    from docskit.onboarding.cli import run_decide
    from docskit.onboarding.tree import AnswerError

    with _exits("decide", AnswerError):
        print(run_decide(_project(), answers, use_defaults=defaults, interactive=sys.stdin.isatty()))


@task(
    help={
        "tenant": "tenant name as the customer writes it (quotes, HTML and unicode are safe)",
        "region": "region id (see `./dev decide`)",
        "data_mode": "data mode id",
        "keys": "platform_managed, or the BYOK key service: aws_kms, gcp_kms, azure_key_vault",
        "connectors": "connector ids, comma-separated (e.g. slack,servicenow)",
        "plan": "plan id (default: the lowest plan)",
        "cus": "capacity units (default: the plan's minimum)",
        "eu_personal_data": "yes or no (default: yes for an EU region, no otherwise)",
        "done": "tick this step id in the tenant's kit",
        "status": "show the steps left against the time budget",
        "addons": "contract add-ons per dimension, e.g. writes_per_day=4000 (added to what the CUs grant)",
        "overage": "overage mode per dimension, e.g. indexed_gb=bill (throttle, bill or hard_fail)",
    }
)
def onboard(
    c,
    tenant,
    region="",
    data_mode="",
    keys="",
    connectors="",
    plan="",
    cus=None,
    eu_personal_data="",
    done="",
    status=False,
    addons="",
    overage="",
):
    """Write a tenant kit (checklist, metering configuration, customer documents) into <build>/kits/<tenant>/."""
    from docskit.onboarding.cli import run_onboard
    from docskit.onboarding.options import OptionError

    try:
        count = int(cus) if cus not in (None, "") else None
    except ValueError:
        raise Exit(f"onboard: --cus must be a whole number, got {cus!r}", code=2) from None
    with _exits("onboard", OptionError):
        args = (region, data_mode, keys, connectors, plan, count, eu_personal_data, done, status)
        print(run_onboard(_project(), tenant, *args, addons=addons, overage=overage))


@task(
    help={
        "diff": 'document id (or "DOC OLD NEW" in quotes): print its redline instead of building',
        "old": "older pack version (with --diff)",
        "new": "newer pack version (with --diff)",
    }
)
def pdf(c, diff="", old="", new=""):
    """Build the procurement PDF pack into <build>/procurement/<version>/ (or --diff DOC --old V --new V: redline)."""
    from docskit.procurement.build import build_pack
    from docskit.procurement.redline import redline

    with _exits("pdf"):
        if diff:
            doc, *versions = diff.split()
            old, new = versions if len(versions) == 2 else (old, new)
            if not (old and new):
                raise Exit("usage: ./dev pdf --diff <docid> --old <version> --new <version>", code=2)
            print(redline(_project(), doc, old, new))
            return
        result = build_pack(_project())
    state = "unchanged, matches the release" if result.unchanged else "written"
    print(f"pdf: pack {result.manifest['pack']['version']} {state}: {result.folder}")


@task(
    help={
        "recipient": "organisation receiving the pack, printed on every page (any script, quotes are fine)",
        "date": "distribution date YYYY-MM-DD (default: today)",
    }
)
def pack(c, recipient, date=""):
    """Stamp a copy of the released procurement pack for a recipient and record it in the distribution log."""
    import datetime as dt

    from docskit.procurement.distribute import distribute, distribution_log

    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise Exit(f"--date {date!r} is not a date; use YYYY-MM-DD", code=2) from None
    with _exits("pack"):
        record = distribute(_project(), recipient, on=day)
    print(
        f"pack: {len(record['documents'])} documents for {record['recipient']} in {record['folder']}; "
        f"logged in {distribution_log(_project())}"
    )


@task(
    help={
        "dry_run": "print the release (tag, assets, notes) without creating it; asks GitHub only with a token",
        "if_new": "a draft pack or an already released version is not an error: print so and exit 0 (CI)",
    }
)
def release(c, dry_run=False, if_new=False):
    """Publish the built procurement pack as a GitHub release ($GITHUB_TOKEN); a released version never again."""
    from docskit.datamodel import load_dataset
    from docskit.procurement.publish import run_release
    from docskit.procurement.release import ReleaseRefused

    project = _project()
    with _exits("release", ReleaseRefused):
        print(run_release(project, load_dataset(project), dry_run=dry_run, if_new=if_new))


from docskit.questionnaire.cli import ActionTask  # noqa: E402


@task(
    klass=ActionTask,
    positional=["action", "source"],
    help={
        "action": "fill (answer a buyer's file), learn (bank changes from an answered copy), export (CAIQ v4 "
        "XLSX and CSV) or due (answers to re-review)",
        "source": "fill: the buyer's questionnaire (.xlsx, .xlsm, .csv or .docx), never modified; learn: the "
        "answered copy",
        "output": "fill: where to write the answered copy (default: <name>-answered.<ext> beside the input)",
        "sheet": "fill: answer only this sheet (or Word table, e.g. 'Table 2'); default: every one with questions",
        "header_row": "fill: the header row number (default: found automatically)",
        "question_column": "fill: question column, as a letter or header text (default: found automatically)",
        "id_column": "fill: question-id column (e.g. CAIQ ids like A&A-01.1); default: found automatically",
        "answer_column": "fill: write answers here (default: the buyer's empty Answer column, else a new one)",
        "description_column": "fill: write descriptions here (default: an empty Comments column, else new)",
        "bank_id_column": "fill: write the matched bank id here (default: a new column)",
        "confidence_column": "fill: write the match confidence here (default: a new column)",
        "threshold": "fill: confidence 0-100 needed to count as answered (default: data/questionnaire settings)",
        "apply": "learn: write the proposed changes into data/questionnaire/ (default: only print the diff)",
    },
)
def questionnaire(
    c,
    action,
    source=None,
    output="",
    sheet="",
    header_row=0,
    question_column="",
    id_column="",
    answer_column="",
    description_column="",
    bank_id_column="",
    confidence_column="",
    threshold="",
    apply=False,
):
    """Security questionnaires: fill a buyer's file from the answer bank, learn from an answered copy, export
    CAIQ v4, list due reviews."""
    from docskit.questionnaire.cli import run

    options = {
        "sheet": sheet,
        "header_row": header_row,
        "question_column": question_column,
        "id_column": id_column,
        "answer_column": answer_column,
        "description_column": description_column,
        "bank_id_column": bank_id_column,
        "confidence_column": confidence_column,
        "threshold": threshold,
        "apply": apply,
    }
    run(action, source, output, options)


# Benchmark suites: name -> script under benchmarks/. Each script prints its figures and the targets.
BENCHMARKS = {
    "build": "benchmarks/bench_build.py",
    "metering": "benchmarks/bench_metering.py",
    "pdf": "benchmarks/bench_pdf.py",
    "questionnaire": "benchmarks/bench_questionnaire.py",
    "portal": "benchmarks/bench_portal.py",
}


@task(help={"suite": f"one of: {', '.join(BENCHMARKS)} (default: all)"})
def bench(c, suite: str = ""):
    """Run the speed and memory benchmarks and print their figures against the targets."""
    names = [suite] if suite else list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            raise Exit(f"unknown benchmark suite {name!r}; valid: {', '.join(BENCHMARKS)}", code=2)
    missed = []
    for name in names:
        print(f"== benchmark: {name}", flush=True)
        if c.run(f"{sys.executable} {BENCHMARKS[name]}", pty=False, warn=True).failed:
            missed.append(name)
    if missed:
        raise Exit(f"benchmark suites that missed a target or failed: {', '.join(missed)}", code=1)


@task(
    help={
        "port": "port on 127.0.0.1 (default 8760)",
        "store": "store URL (default memory://)",
        "days": "days of generated usage history (default 2)",
        "password": "admin password (default: random)",
        "accounts": "file of named operator accounts (./dev metering-admin-account); replaces the one demo login",
    }
)
def admin(
    c, port: int = 8760, store: str = "memory://", days: int = 2, password: str = "", accounts: str = ""
):
    """Start the metering admin UI on 127.0.0.1 with a demo store of sample tenants; prints URL and login."""
    from metering.admin.serve import serve_demo
    from metering.errors import ConfigError

    with _exits("admin", ConfigError):
        serve_demo(port=port, store=store, days=days, password=password, accounts=accounts)


@task(help={"file": "the accounts file (created if missing)", "name": "operator account name, e.g. ana"})
def metering_admin_account(c, file, name):
    """Add a metering admin operator account, or change its password (asked for; read from stdin when piped)."""
    import getpass

    from metering.admin.accounts import set_password
    from metering.errors import ConfigError

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise Exit("metering-admin-account: the two passwords differ; nothing changed", code=2)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with _exits("metering-admin-account", ConfigError):
        added = set_password(file, name, password)
    print(f"metering-admin-account: {'added' if added else 'changed the password of'} {name} in {file}")


@task(
    help={
        "host": "address to listen on (default 127.0.0.1; anything else is reachable from other machines)",
        "port": "port (default 8761)",
        "store": "store URL (default sqlite:///<build>/metering/metering.db)",
        "metrics": "serve Prometheus metrics at /metrics (bearer $METERING_METRICS_TOKEN; without it, loopback only)",
        "metrics-per-tenant": "add per-tenant usage series for the fullest tenants (data/metering_operations.yaml)",
    }
)
def api(
    c,
    host: str = "127.0.0.1",
    port: int = 8761,
    store: str = "",
    metrics: bool = False,
    metrics_per_tenant: bool = False,
):
    """Serve the metering HTTP API (token secret from $METERING_API_SECRET) and deliver its notifications."""
    from metering.errors import ConfigError
    from metering.serve_api import serve_api

    with _exits("api", ConfigError):
        serve_api(
            host=host,
            port=port,
            store=store,
            metrics=metrics or metrics_per_tenant,
            metrics_per_tenant=metrics_per_tenant,
        )


@task(
    help={
        "kit": "the tenant's kit folder (written by ./dev onboard) or its metering.json",
        "store": "store URL (default sqlite:///<build>/metering/metering.db, the store ./dev api serves)",
        "reason": "why the contract changes, kept in the contract history (default: the kit's path)",
    }
)
def metering_load(c, kit, store="", reason=""):
    """Load a tenant kit's metering configuration into a metering store as its contract (same kit twice: no-op)."""
    from metering.errors import MeteringError
    from metering.kitload import load_kit_into_store
    from metering.serve_api import default_store_url

    with _exits("metering-load", MeteringError):
        print(load_kit_into_store(kit, store or default_store_url(_project()), reason))


@task(
    help={
        "port": "port on 127.0.0.1 (default 8762)",
        "password": "password of the internal view's user 'sales' (default: random, printed)",
    }
)
def portal(c, port: int = 8762, password: str = ""):
    """Serve the trust portal on 127.0.0.1 (released pack, magic links, NDA, stamped downloads); prints URL and login."""
    from portal.errors import ConfigError
    from portal.serve import serve_portal

    with _exits("portal", ConfigError):
        serve_portal(port=port, password=password)


@task(
    help={
        "scenario": "scenario id from data/rehearsals.yaml, or several comma-separated (default: all)",
        "store": "metering store the API runs on: sqlite (default) or redis",
        "port": "port of the metering API on 127.0.0.1 (default: a free one)",
    }
)
def rehearse(c, scenario="", store="sqlite", port=0):
    """Rehearse paying tenants end to end on 127.0.0.1 and write the readiness report (handbook page and PDF)."""
    from docskit.rehearsal.runner import rehearse as run_rehearsal
    from docskit.rehearsal.scenarios import RehearsalInputError

    with _exits("rehearse", RehearsalInputError):
        outcome = run_rehearsal(_project(), scenario, store, int(port) or None)
    for kind, path in outcome.files.items():
        print(f"rehearse: {kind}: {path}")
    if not outcome.passed:
        failed = sum(1 for r in outcome.results if not r.passed)
        raise Exit(f"rehearse: {failed} of {len(outcome.results)} scenarios failed; see the report", code=1)
    print(f"rehearse: all {len(outcome.results)} scenarios passed in {outcome.seconds:.0f} s")
