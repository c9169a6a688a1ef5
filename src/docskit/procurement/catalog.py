"""Which documents are in the pack, their current versions and review dates, all read from data/documents.yaml."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from ..datamodel import DataSet
from ..paths import Project

PACK_CLASSIFICATIONS = ("public", "customer-confidential")
CLASSIFICATION_LABELS = {
    "public": "Public",
    "customer-confidential": "Customer confidential",
    "internal": "Internal",
}


@dataclass(frozen=True)
class PackDocument:
    """One document of the pack, at its current version."""

    id: str
    title: str
    subject: str
    source: str
    owner: str
    owner_name: str
    classification: str
    version: str
    effective_date: str
    first_effective_date: str
    review_interval_months: int
    notice: str
    record: object  # the read-only data record, for templates

    @property
    def classification_label(self) -> str:
        return CLASSIFICATION_LABELS[self.classification]

    @property
    def review_due(self) -> dt.date:
        """The date by which the current version must be reviewed."""
        return add_months(dt.date.fromisoformat(self.effective_date), self.review_interval_months)

    @property
    def filename(self) -> str:
        return f"{self.id}.pdf"


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, clamped to the end of a shorter month (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_version(record) -> dict:
    """The current (last) version entry of a document record."""
    return record["versions"][-1]


def pack_info(dataset: DataSet) -> dict:
    """The pack's version, status, effective date and title."""
    return dict(dataset.customer["pack"])


def pack_documents(project: Project, dataset: DataSet) -> tuple[list[PackDocument], list[tuple[str, str]]]:
    """(documents in the pack, [(id, why left out)]), in data order.

    Only customer-context records with a pack classification qualify; a document that `requires_partial`
    is left out until that partial exists (e.g. the questionnaire answers written by another team).
    """
    roles = {r["id"]: r["name"] for r in dataset.customer["roles"]}
    included, skipped = [], []
    for record in dataset.customer["documents"]:
        if record["classification"] not in PACK_CLASSIFICATIONS:
            skipped.append((record["id"], f"classification {record['classification']} never enters the pack"))
            continue
        partial = record.get("requires_partial")
        if partial and not (project.root / partial).exists():
            skipped.append((record["id"], f"{partial} does not exist yet"))
            continue
        current = current_version(record)
        included.append(
            PackDocument(
                id=record["id"],
                title=record["title"],
                subject=record["subject"],
                source=record["source"],
                owner=record["owner"],
                owner_name=roles[record["owner"]],
                classification=record["classification"],
                version=current["version"],
                effective_date=current["effective_date"],
                first_effective_date=record["versions"][0]["effective_date"],
                review_interval_months=record["review_interval_months"],
                notice=record.get("notice", ""),
                record=record,
            )
        )
    return included, skipped
