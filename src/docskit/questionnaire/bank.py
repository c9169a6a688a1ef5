"""The answer bank as typed records: one Answer per entry of data/questionnaire/ccm_*.yaml, in CCM order.

The bank reads the validated data context (``questionnaire[<stem>]``), so schema checks have already run;
``integrity_problems`` adds the checks a schema cannot express across files (unique ids and CAIQ ids,
CAIQ ids inside their domain and its control range, each domain in the file named for it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..datamodel import DataSet
from ..problems import BuildFailed, Problem

FOLDER = "questionnaire"
SETTINGS = "questionnaire_settings"
THESAURUS = "thesaurus"
CAIQ_ID = re.compile(r"^(A&A|[A-Z]{3})-(\d{2})\.(\d+)$")


@dataclass(frozen=True)
class Domain:
    """One CSA CCM v4 domain the bank must cover."""

    id: str
    name: str
    file: str
    controls: int


@dataclass(frozen=True)
class Answer:
    """One answer of the bank, as stored: the description is still a Jinja template (see describe.py)."""

    id: str
    domain: str
    question: str
    phrasings: tuple[str, ...]
    answer: str
    description: str
    ssrm: str
    customer_responsibilities: str
    evidence: tuple[str, ...]
    caiq: tuple[str, ...]
    iso27001: tuple[str, ...]
    soc2: tuple[str, ...]
    owner: str
    last_reviewed: dt.date
    source: str
    index: int

    @property
    def texts(self) -> tuple[str, ...]:
        """Every wording the matcher compares a buyer's question with: canonical question first."""
        return (self.question, *self.phrasings)

    @property
    def yaml_path(self) -> list:
        """Where this answer stands in its data file, for line lookups."""
        return ["answers", self.index]


@dataclass(frozen=True)
class Bank:
    """Every answer in CCM domain order, with the settings that govern review and matching."""

    answers: tuple[Answer, ...]
    domains: tuple[Domain, ...]
    owner_roles: Mapping[str, str]
    review_interval_days: int
    review_warn_days: int
    threshold: float
    suggestion_floor: float
    thesaurus: Mapping | None = None  # data/questionnaire/thesaurus.yaml, as validated
    description_weight: float = 0.0  # share of the answer-description view in the matcher's blend

    def by_id(self) -> dict[str, Answer]:
        """Answers keyed by bank id."""
        return {a.id: a for a in self.answers}

    def by_caiq(self) -> dict[str, Answer]:
        """Answers keyed by every CAIQ v4 question id they answer."""
        return {qid: a for a in self.answers for qid in a.caiq}

    def caiq_rows(self) -> list[tuple[str, Answer]]:
        """(CAIQ question id, answer) for every mapped question id, in CCM domain and question order."""
        order = {d.id: i for i, d in enumerate(self.domains)}
        return sorted(
            self.by_caiq().items(), key=lambda item: (order.get(item[1].domain, 99), caiq_key(item[0]))
        )


def caiq_key(question_id: str) -> tuple:
    """Sort key of a CAIQ id: A&A-02.1 before A&A-10.1."""
    match = CAIQ_ID.match(question_id)
    if not match:
        return (question_id, 0, 0)
    return (match.group(1), int(match.group(2)), int(match.group(3)))


def settings_of(context: Mapping) -> Mapping:
    """The bank settings record of a data context."""
    return context[FOLDER][SETTINGS]


def load_bank(dataset: DataSet, strict: bool = True) -> Bank:
    """The bank from validated data (customer context); with `strict`, integrity problems raise BuildFailed."""
    context = dataset.context("customer")
    folder = context.get(FOLDER)
    if not folder or SETTINGS not in folder:
        raise BuildFailed(
            [
                Problem(
                    f"data/{FOLDER}/{SETTINGS}.yaml",
                    "the questionnaire settings file is missing",
                    hint="restore it from version control; it lists the CCM domains and owners",
                )
            ]
        )
    settings = folder[SETTINGS]
    domains = tuple(Domain(d["id"], d["name"], d["file"], d["controls"]) for d in settings["ccm_domains"])
    answers: list[Answer] = []
    for domain in domains:
        data = folder.get(domain.file)
        if not data or "answers" not in data:
            continue
        source = f"data/{FOLDER}/{domain.file}.yaml"
        for index, record in enumerate(data["answers"]):
            answers.append(_answer(record, data["domain"], source, index))
    bank = Bank(
        answers=tuple(answers),
        domains=domains,
        owner_roles={r["id"]: r["name"] for r in context["roles"]},
        review_interval_days=settings["review"]["interval_days"],
        review_warn_days=settings["review"]["warn_days"],
        threshold=float(settings["matching"]["threshold"]),
        suggestion_floor=float(settings["matching"]["suggestion_floor"]),
        thesaurus=folder.get(THESAURUS),
        description_weight=float(settings["matching"]["description_weight"]),
    )
    if strict:
        problems = integrity_problems(bank, dataset)
        if problems:
            raise BuildFailed(problems)
    return bank


def _answer(record: Mapping, domain: str, source: str, index: int) -> Answer:
    mappings = record["mappings"]
    return Answer(
        id=record["id"],
        domain=domain,
        question=record["question"],
        phrasings=tuple(record["phrasings"]),
        answer=record["answer"],
        description=record["description"],
        ssrm=record["ssrm"],
        customer_responsibilities=record.get("customer_responsibilities", ""),
        evidence=tuple(record["evidence"]),
        caiq=tuple(mappings["caiq"]),
        iso27001=tuple(mappings["iso27001"]),
        soc2=tuple(mappings["soc2"]),
        owner=record["owner"],
        last_reviewed=dt.date.fromisoformat(str(record["last_reviewed"])),
        source=source,
        index=index,
    )


def line_of(dataset: DataSet, source: str, path: list) -> int | None:
    """The line of `path` in a data file, when the dataset kept its source positions."""
    for name, yaml_source in dataset.sources.items():
        if name.replace("\\", "/").endswith(source):
            return yaml_source.line_of(path)
    return None


def integrity_problems(bank: Bank, dataset: DataSet) -> list[Problem]:
    """Cross-file rules: unique bank ids and CAIQ ids, CAIQ ids inside the answer's domain and control range,
    and every domain file declaring the domain it is named after."""
    problems: list[Problem] = []
    folder = dataset.context("customer")[FOLDER]
    for domain in bank.domains:
        declared = (folder.get(domain.file) or {}).get("domain")
        if declared is not None and declared != domain.id:
            problems.append(
                Problem(
                    f"data/{FOLDER}/{domain.file}.yaml",
                    f"declares domain {declared!r} but the file is named for {domain.id!r}",
                    line=line_of(dataset, f"{domain.file}.yaml", ["domain"]),
                    path="domain",
                    hint=f"set `domain: {domain.id}` or move the answers",
                )
            )
    controls = {d.id: d.controls for d in bank.domains}
    seen_ids: dict[str, Answer] = {}
    seen_caiq: dict[str, Answer] = {}
    for answer in bank.answers:
        where = {
            "line": line_of(dataset, answer.source, [*answer.yaml_path, "id"]),
            "path": f"answers[{answer.index}]",
        }
        if answer.id in seen_ids:
            first = seen_ids[answer.id]
            problems.append(
                Problem(
                    answer.source,
                    f"bank id {answer.id!r} is also used in {first.source}",
                    **where,
                    hint="give every answer its own id",
                )
            )
        seen_ids.setdefault(answer.id, answer)
        for qid in answer.caiq:
            match = CAIQ_ID.match(qid)
            if match and (match.group(1) != answer.domain or int(match.group(2)) > controls[answer.domain]):
                problems.append(
                    Problem(
                        answer.source,
                        f"CAIQ id {qid!r} is not a question of domain "
                        f"{answer.domain} (controls 01 to {controls[answer.domain]:02d})",
                        **where,
                        hint="map the answer to its own domain's question ids",
                    )
                )
            if qid in seen_caiq:
                problems.append(
                    Problem(
                        answer.source,
                        f"CAIQ id {qid!r} is already answered by "
                        f"{seen_caiq[qid].id!r} ({seen_caiq[qid].source})",
                        **where,
                        hint="each CAIQ question id has exactly one answer; remove one mapping",
                    )
                )
            seen_caiq.setdefault(qid, answer)
    return problems
