"""Step 4: the legal and security pack stamped for the tenant and logged, the kit's customer documents, and a
buyer's questionnaire answered. Everything is written in the scratch folder: the distribution log too."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from ..paths import Project
from ..procurement.build import procurement_root
from ..procurement.catalog import pack_info
from ..procurement.distribute import distribute, distribution_log, read_log
from ..questionnaire.fill import ANSWERED, REVIEW, UNMATCHED, Filler
from .model import ScenarioRun

ITEM = "pack"
LOG_ENV = "DOCSKIT_DISTRIBUTION_LOG"


@contextmanager
def scratch_log(path: Path):
    """Point the distribution log at `path` for the duration (never the real log), then restore the setting."""
    before = os.environ.get(LOG_ENV)
    os.environ[LOG_ENV] = str(path)
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop(LOG_ENV, None)
        else:
            os.environ[LOG_ENV] = before


def pdf_text(path: Path) -> str:
    """The text of a PDF (poppler's pdftotext), for checking what a document says."""
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=False
    )
    return " ".join(result.stdout.split())


def seed_release(source_project: Project, scratch_project: Project, version: str) -> bool:
    """Copy a built release of the pack (and its render cache) from the real build folder into the scratch one,
    so that `distribute` finds it current instead of rendering it again; False when there is none to copy."""
    source = procurement_root(source_project)
    if not (source / version / "manifest.json").is_file():
        return False
    target = procurement_root(scratch_project)
    shutil.copytree(source / version, target / version, dirs_exist_ok=True)
    if (source / ".cache").is_dir():
        shutil.copytree(source / ".cache", target / ".cache", dirs_exist_ok=True)
    return True


def stamp_pack(run: ScenarioRun) -> None:
    """Stamp the released pack for the tenant and find the distribution in the scratch log."""
    tenant = run.scenario.tenant
    if "pack_seeded" not in run.shared:
        version = pack_info(run.dataset)["version"]
        source = run.shared.get("source_project")
        run.shared["pack_seeded"] = bool(source) and seed_release(source, run.project, version)
    with scratch_log(run.scratch / "distribution-log.jsonl") as log_path:
        record = distribute(run.project, tenant, on=dt.date.today(), dataset=run.dataset, log=lambda _: None)
        logged = [r for r in read_log(distribution_log(run.project)) if r["recipient"] == tenant]
    folder = run.project.build / record["folder"]
    stamped = [folder / d["id"] for d in record["documents"]]
    files = sorted(p.name for p in folder.glob("*.pdf"))
    sample = folder / files[0] if files else None
    printed = sample is not None and tenant in pdf_text(sample)
    run.record(
        ITEM,
        "The released procurement pack is stamped for the tenant",
        len(files) == len(stamped) > 0 and (folder / record["zip"]).is_file() and printed,
        f"pack {record['pack_version']}: {len(files)} documents and {record['zip']} "
        f"(sha256 {record['zip_sha256'][:12]}…); {files[0] if files else 'no PDF'} names '{tenant}'",
        "src/docskit/procurement/distribute.py, data/documents.yaml (pack)",
    )
    run.record(
        ITEM,
        "The distribution log records it",
        len(logged) == 1 and logged[0]["zip_sha256"] == record["zip_sha256"],
        f"{len(logged)} entry for '{tenant}' on {record['date']} in the rehearsal's own log "
        f"({log_path.name}); the real log is untouched",
        "src/docskit/procurement/distribute.py (append_log)",
    )


def kit_documents(run: ScenarioRun) -> None:
    """The kit holds the residency statement for the tenant's region, and the DPA cover when EU personal data."""
    kit, options = run.facts["kit"], run.facts["options"]
    region = next(r for r in run.dataset.customer["regions"] if r["id"] == options.region)
    residency = kit.folder / "residency-statement.pdf"
    text = pdf_text(residency) if residency.is_file() else ""
    run.record(
        ITEM,
        f"The kit holds the residency statement for the {region['name']} region",
        kit.name in text and region["name"] in text,
        f"residency-statement.pdf names '{kit.name}' and {region['name']}"
        if text
        else "residency-statement.pdf missing from the kit",
        "playbooks/onboarding/_kit/residency-statement.html.j2, data/decision_tree.yaml (paperwork)",
    )
    dpa = kit.folder / "dpa-cover.pdf"
    wanted = options.eu_personal_data
    run.record(
        ITEM,
        "The kit holds the DPA cover page" if wanted else "No DPA cover page without EU personal data",
        dpa.is_file() == wanted and (not wanted or kit.name in pdf_text(dpa)),
        ("dpa-cover.pdf names the tenant" if dpa.is_file() else "no dpa-cover.pdf")
        + f" (EU personal data: {'yes' if wanted else 'no'})",
        "playbooks/onboarding/_kit/dpa-cover.html.j2, data/decision_tree.yaml (paperwork)",
    )


def fill_questionnaire(run: ScenarioRun) -> None:
    """Answer the scenario's buyer questions (a CSV as buyers send them) from the answer bank."""
    source = run.scratch / f"{run.scenario.id}-questionnaire.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["#", "Question", "Answer", "Comments"])
        for i, question in enumerate(run.scenario.questionnaire, 1):
            writer.writerow([i, question, "", ""])
    if "filler" not in run.shared:
        run.shared["filler"] = Filler(run.project, run.dataset)
    output = source.with_name(source.stem + "-answered.csv")
    report = run.shared["filler"].fill(source, output)
    rows = report.rows
    unmatched = [f"'{r.question}'" for r in rows if r.status == UNMATCHED]
    review = [f"{r.match.answer_id} to {r.owner}" for r in rows if r.status == REVIEW]
    run.record(
        ITEM,
        "A buyer's security questionnaire is answered from the answer bank",
        output.is_file() and len(rows) == len(run.scenario.questionnaire) and not unmatched,
        f"{report.count(ANSWERED)} of {len(rows)} answered outright, {len(review)} sent for review "
        f"({', '.join(review) or 'none'}); bank answers "
        + ", ".join(f"{r.match.answer_id} ({r.match.confidence:.0f}%)" for r in rows if r.match.answer_id)
        + (f"; no bank answer for {', '.join(unmatched)}" if unmatched else ""),
        "data/questionnaire/ (answer bank), src/docskit/questionnaire/",
    )
