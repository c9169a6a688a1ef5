"""Subscriptions: when a released pack holds a newer version of a document than a subscriber was last told about,
e-mail them the change summaries from data/documents.yaml. Runs when the portal starts on a new release and with
`./dev portal --notify`."""

from __future__ import annotations

from docskit.datamodel import DataSet
from docskit.render import long_date

from .mail import SmtpMailer, deliver
from .pack import ReleasedPack
from .store import PortalStore


def newer_versions(record, seen: str) -> list[dict]:
    """The version entries of a documents.yaml record after `seen`, oldest first (all of them if `seen` is not
    one of its versions)."""
    versions = list(record["versions"])
    numbers = [v["version"] for v in versions]
    return versions[numbers.index(seen) + 1 :] if seen in numbers else versions


def notice_text(company: dict, title: str, changes: list[dict], portal_url: str) -> str:
    """The body of a new-version e-mail: each new version with its date and summary, and where to download it."""
    lines = [f"A new version of {title} is in the {company['short_name']} trust portal.", ""]
    for entry in changes:
        lines.append(f"Version {entry['version']}, effective {long_date(entry['effective_date'])}:")
        lines.append(f"  {entry['changes']}")
        lines.append("")
    lines += [
        f"Download it, stamped for you, at {portal_url}/account",
        f"You receive this because you subscribed to {title}; unsubscribe on the same page.",
        "",
        f"{company['legal_name']}",
    ]
    return "\n".join(lines)


def notify_subscribers(
    store: PortalStore, dataset: DataSet, pack: ReleasedPack, mailer: SmtpMailer, portal_url: str
) -> int:
    """E-mail every subscriber whose document has a newer released version; return how many were told."""
    records = {r["id"]: r for r in dataset.customer["documents"]}
    company = dataset.customer["company"]
    told = 0
    for buyer, doc_id, seen in store.subscriptions():
        released = pack.documents.get(doc_id)
        if released is None or released.version == seen:
            continue
        changes = newer_versions(records[doc_id], seen)
        numbers = [v["version"] for v in changes]
        if released.version in numbers:  # a data file ahead of the release announces only what is released
            changes = changes[: numbers.index(released.version) + 1]
        subject = f"{released.title} {released.version}: new version"
        summary = "; ".join(f"{v['version']}: {v['changes']}" for v in changes)
        if deliver(mailer, buyer.email, subject, notice_text(company, released.title, changes, portal_url)):
            store.mark_notified(buyer, doc_id, released.version, summary)
            told += 1
    return told
