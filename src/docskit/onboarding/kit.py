"""`./dev onboard`: a tenant kit in <build>/kits/<slug>/ and the progress state kept with it.

A kit holds the tenant's own checklist (only its steps, with its time budget) as Markdown and PDF, its metering
configuration as YAML and JSON, the customer-facing documents that apply (residency statement; DPA cover page
when EU personal data is involved) as PDF, and kit.json (options and ticked steps). Kits are written to a staging
folder and swapped in, so a failed run leaves the previous kit untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import shutil
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..datamodel import DataSet
from ..paths import Project
from ..pdfrender import html_to_pdf
from ..render import make_environment, render_template
from ..sitebuild import publish
from ..tables import counted
from .budget import Budget, compute_budget
from .conditions import applies
from .metering_config import metering_config
from .model import Checklist, Step, load_checklist
from .options import OptionError, TenantOptions
from .tree import load_tree

KIT_TEMPLATES = Path("playbooks") / "onboarding" / "_kit"
STATE_FILE = "kit.json"
# Customer-facing documents the kit renders itself, by document id (data/decision_tree.yaml paperwork).
KIT_DOCUMENTS = {"data-residency": "residency-statement.html.j2", "dpa": "dpa-cover.html.j2"}


def _kit_file(template: str) -> str:
    return template.removesuffix(".html.j2") + ".pdf"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def tenant_slug(name: str) -> str:
    """A folder- and tenant-id-safe slug: ASCII letters, digits and dashes, plus a hash when the name differs.

    The hash keeps distinct names (unicode, punctuation) from sharing a kit; the same name always gives the
    same slug. The result matches metering's tenant id pattern.
    """
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    if not base:
        return f"tenant-{digest}"
    return base if base == name else f"{base}-{digest}"


def check_tenant_name(name: str) -> str:
    """The name without surrounding spaces; OptionError when it is empty, too long or has control characters."""
    name = (name or "").strip()
    if not name:
        raise OptionError(
            "the tenant name is empty; pass it as the first argument, e.g. ./dev onboard 'Acme GmbH'"
        )
    if len(name) > 200:
        raise OptionError(f"the tenant name is {len(name)} characters long; use at most 200")
    if _CONTROL.search(name):
        raise OptionError("the tenant name contains control characters (a line break or tab); remove them")
    return name


def md_escape(text: str) -> str:
    """Text safe inside Markdown: Markdown punctuation backslash-escaped, HTML special characters as entities."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", str(text)), quote=True)


@dataclass(frozen=True)
class TenantKit:
    """A kit on disk and what it was made from."""

    folder: Path
    name: str
    slug: str
    options: TenantOptions
    plan: str
    cus: int
    done: Mapping[str, str]
    terms: Mapping = field(default_factory=dict)


def handbook_url(base: str, page: str) -> str:
    """The handbook URL of a page under playbooks/: keys/index.md -> <base>/keys/, simulation.md -> <base>/simulation/."""
    path = page[: -len("index.md")] if page.endswith("index.md") else page[: -len(".md")] + "/"
    return f"{base}/{path}"


def kit_folder(project: Project, name: str) -> Path:
    return project.build / "kits" / tenant_slug(name)


def tenant_steps(checklist: Checklist, options: TenantOptions) -> tuple[Step, ...]:
    return checklist.for_tenant(options)


def write_kit(
    project: Project,
    dataset: DataSet,
    name: str,
    options: TenantOptions,
    plan: str,
    cus: int,
    done: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    terms: Mapping | None = None,
) -> TenantKit:
    """Render every kit file into a staging folder and swap it in as <build>/kits/<slug>/.

    `terms` are the contract's add-ons and overage modes (see `metering_config.parse_terms`)."""
    name = check_tenant_name(name)
    slug = tenant_slug(name)
    context = dataset.internal
    checklist = load_checklist(context)
    steps = tenant_steps(checklist, options)
    budget = compute_budget(steps, checklist.budget_minutes)
    applicable = {s.id for s in steps}
    done = {k: v for k, v in (done or {}).items() if k in applicable}
    kits = project.build / "kits"
    staging = kits / f".staging-{slug}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        metering = metering_config(context, slug, name, plan, cus, options.connectors, terms)
        documents = _documents(context, options)
        values = {
            "tenant_name": name,
            "tenant_md": md_escape(name),
            "slug": slug,
            "options": options,
            "steps": steps,
            "budget": budget,
            "checklist": checklist,
            "done": done,
            "metering": metering,
            "documents": documents,
            "kit_documents": KIT_DOCUMENTS,
            "md_escape": md_escape,
            "today": (today or dt.date.today()).isoformat(),
            "handbook_url": handbook_url,
            "facts": tenant_facts(context, options, plan),
        }
        _render_internal(project, dataset, staging, values)
        _render_customer_documents(project, dataset, staging, values)
        (staging / "metering.yaml").write_text(
            f"# Metering configuration of tenant {slug}: load metering.json with ./dev metering-load --kit <this folder>.\n"
            + yaml.safe_dump(metering, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        (staging / "metering.json").write_text(
            json.dumps(metering, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        kit = TenantKit(kits / slug, name, slug, options, plan, cus, done, dict(terms or {}))
        _write_state(staging, kit)
        publish(staging, kits / slug)
        return kit
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def tenant_facts(context: Mapping, options: TenantOptions, plan: str) -> dict:
    """The data records a tenant's options point at: region, data mode, key mode and provider, plan, connectors."""

    def pick(records, record_id):
        return next((r for r in records if r["id"] == record_id), None)

    return {
        "region": pick(context["regions"], options.region),
        "data_mode": pick(context["data_modes"], options.data_mode),
        "key_mode": pick(context["key_modes"], options.key_mode),
        "provider": pick(context["key_providers"], options.key_provider) if options.key_provider else None,
        "plan": pick(context["plans"], plan),
        "connectors": [c for c in context["connectors"] if c["id"] in options.connectors],
    }


def _documents(context: Mapping, options: TenantOptions) -> list[dict]:
    """The paperwork that applies to the tenant, with titles from data/documents.yaml when it exists."""
    titles = {d["id"]: d.get("title", d["id"]) for d in context.get("documents") or ()}
    out = []
    for rule in load_tree(context).paperwork:
        if applies(rule.when, options):
            out.append(
                {
                    "id": rule.document,
                    "title": titles.get(rule.document, rule.document),
                    "variant": rule.variant,
                    "why": rule.why,
                    "file": _kit_file(KIT_DOCUMENTS[rule.document])
                    if rule.document in KIT_DOCUMENTS
                    else None,
                }
            )
    return out


def _render_internal(project: Project, dataset: DataSet, out: Path, values: dict) -> None:
    env = make_environment(project, dataset, "internal", [project.root / KIT_TEMPLATES])
    shown = (KIT_TEMPLATES / "checklist.md.j2").as_posix()
    (out / "checklist.md").write_text(
        render_template(env, "checklist.md.j2", shown, **values), encoding="utf-8"
    )
    page = render_template(
        env, "checklist.html.j2", (KIT_TEMPLATES / "checklist.html.j2").as_posix(), **values
    )
    html_to_pdf(page, out / "checklist.pdf")


def _render_customer_documents(project: Project, dataset: DataSet, out: Path, values: dict) -> None:
    """Customer-facing documents are rendered with the customer context only: no internal data can reach them."""
    env = make_environment(project, dataset, "customer", [project.root / KIT_TEMPLATES])
    customer_values = {k: values[k] for k in ("tenant_name", "options", "today", "documents")}
    customer_values["facts"] = tenant_facts(dataset.customer, values["options"], values["metering"]["plan"])
    for document in values["documents"]:
        template = KIT_DOCUMENTS.get(document["id"])
        if template:
            page = render_template(env, template, (KIT_TEMPLATES / template).as_posix(), **customer_values)
            html_to_pdf(page, out / document["file"])


def _write_state(folder: Path, kit: TenantKit) -> None:
    state = {
        "tenant": kit.name,
        "slug": kit.slug,
        "options": kit.options.to_dict(),
        "plan": kit.plan,
        "cus": kit.cus,
        "done": dict(kit.done),
        "terms": dict(kit.terms),
    }
    (folder / STATE_FILE).write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_kit(project: Project, name: str) -> TenantKit:
    """The kit of a tenant from its kit.json; OptionError when none was written yet."""
    name = check_tenant_name(name)
    folder = kit_folder(project, name)
    path = folder / STATE_FILE
    if not path.is_file():
        raise OptionError(
            f"no kit for {name!r} in {folder}; create it first with "
            "./dev onboard <tenant> --region … --data-mode … --keys … --connectors …"
        )
    state = json.loads(path.read_text(encoding="utf-8"))
    o = state["options"]
    options = TenantOptions(
        o["region"],
        o["data_mode"],
        o["key_mode"],
        o["key_provider"],
        tuple(o["connectors"]),
        bool(o["eu_personal_data"]),
    )
    return TenantKit(
        folder,
        state["tenant"],
        state["slug"],
        options,
        state["plan"],
        int(state["cus"]),
        dict(state["done"]),
        state.get("terms") or {},
    )


def tick(
    project: Project, dataset: DataSet, name: str, step_id: str, now: dt.datetime | None = None
) -> TenantKit:
    """Mark one of the tenant's steps done and re-render the kit; OptionError for a step the tenant does not have."""
    kit = read_kit(project, name)
    steps = tenant_steps(load_checklist(dataset.internal), kit.options)
    ids = [s.id for s in steps]
    if step_id not in ids:
        raise OptionError(f"{step_id!r} is not a step of {kit.name!r}; valid: {', '.join(ids)}")
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    done = {**kit.done, step_id: kit.done.get(step_id, stamp)}
    return write_kit(project, dataset, kit.name, kit.options, kit.plan, kit.cus, done, terms=kit.terms)


def status(project: Project, dataset: DataSet, name: str) -> str:
    """What is left of a tenant's checklist, against its budget, as printed by `./dev onboard --status`."""
    kit = read_kit(project, name)
    checklist = load_checklist(dataset.internal)
    steps = tenant_steps(checklist, kit.options)
    budget: Budget = compute_budget(steps, checklist.budget_minutes)
    left = [s for s in steps if s.id not in kit.done]
    lines = [
        f"{kit.name} ({kit.options.label()})",
        f"done {len(steps) - len(left)} of {counted(len(steps), 'step')}; {budget.remaining(set(kit.done))} of "
        f"{counted(budget.total, 'counted minute')} left (budget {budget.limit})",
    ]
    for step in left:
        step_counted = budget.counted_minutes(step.id)
        if step.timing == "offline":
            how = "offline, not counted"
        elif step_counted:
            how = f"{step_counted} min counted"
        else:
            how = f"runs while {step.parallel_with}"
        lines.append(
            f"  [ ] {step.id}: {step.title} ({checklist.owners[step.owner]}, {step.minutes} min, {how})"
        )
    return "\n".join(lines)
