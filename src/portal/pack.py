"""The released pack as the portal serves it: public PDFs byte for byte from the release folder, and gated ones
stamped per buyer by the pack's own stamping (`render_document` with a stamp, rendered like `./dev pack`).

A stamp is made once per buyer, document and version, kept on disk and recorded in the database: every later
download of it reads the file. Concurrent first downloads of the same stamp wait for one render.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import threading
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from docskit.datamodel import DataSet
from docskit.paths import Project
from docskit.procurement.build import MANIFEST, PackResult, build_pack, pdf_identifier
from docskit.procurement.catalog import CLASSIFICATION_LABELS, PackDocument, pack_documents
from docskit.procurement.distribute import safe_name
from docskit.procurement.htmldoc import print_environment, render_document
from docskit.procurement.rendering import RenderJob, render_job

from .errors import ConfigError, NotFound
from .store import Buyer, PortalStore

PUBLIC = "public"


@dataclass(frozen=True)
class ReleasedDocument:
    """One document of the released pack, as its manifest records it."""

    id: str
    title: str
    version: str
    effective_date: str
    classification: str
    file: str
    sha256: str
    pages: int

    @property
    def public(self) -> bool:
        return self.classification == PUBLIC

    @property
    def classification_label(self) -> str:
        return CLASSIFICATION_LABELS[self.classification]


class ReleasedPack:
    """The published, immutable pack folder of the current released version."""

    def __init__(self, folder: Path, manifest: dict):
        self.folder = folder
        self.manifest = manifest
        self.version = manifest["pack"]["version"]
        self.effective_date = manifest["pack"]["effective_date"]
        self.documents = {
            d["id"]: ReleasedDocument(**{k: d[k] for k in ReleasedDocument.__annotations__})
            for d in manifest["documents"]
        }

    @classmethod
    def from_result(cls, result: PackResult) -> ReleasedPack:
        return cls(result.folder, result.manifest)

    def document(self, doc_id: str, version: str) -> ReleasedDocument:
        """The released document `doc_id` at `version`; NotFound says which exist."""
        doc = self.documents.get(doc_id)
        if doc is None:
            raise NotFound("No such document", f"There is no document {doc_id!r} in pack {self.version}.")
        if version != doc.version:
            raise NotFound(
                "Version not available",
                f"{doc.title} version {version} is not in pack {self.version}; the released version is {doc.version}.",
            )
        return doc

    def public_bytes(self, doc: ReleasedDocument) -> bytes:
        return (self.folder / doc.file).read_bytes()

    def sections(self, doc_id: str) -> list[dict]:
        """The headings and text of a document's sections, as the pack build saved them."""
        return json.loads((self.folder / "sections" / f"{doc_id}.json").read_text(encoding="utf-8"))[
            "sections"
        ]

    @property
    def gated(self) -> list[ReleasedDocument]:
        return [d for d in self.documents.values() if not d.public]


def load_released_pack(project: Project, dataset: DataSet, today: dt.date | None = None) -> ReleasedPack:
    """Build or verify the current pack (refused if its sources changed after release) and return it released."""
    if dataset.customer["pack"]["status"] != "released":
        raise ConfigError(
            f"pack {dataset.customer['pack']['version']} is a draft in data/documents.yaml; "
            "the portal serves only a released pack (set pack.status: released)"
        )
    result = build_pack(project, dataset, today=today, log=lambda *_: None)
    if not (result.folder / MANIFEST).exists():
        raise ConfigError(f"no manifest in {result.folder}")
    return ReleasedPack.from_result(result)


def stamp_executor(dataset: DataSet) -> ProcessPoolExecutor:
    """The process pool WeasyPrint stamps in: `portal.stamp_workers` processes (data/portal.yaml), spawned
    rather than forked, so no lock held by a server thread is copied into a worker."""
    workers = dataset.internal["portal"]["stamp_workers"]
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


class Stamper:
    """Stamped copies of gated documents, one render per buyer, document and version."""

    def __init__(
        self,
        project: Project,
        dataset: DataSet,
        pack: ReleasedPack,
        store: PortalStore,
        folder: Path,
        executor: Executor | None = None,
    ):
        self.pack = pack
        self.store = store
        self.folder = folder
        self.executor = executor  # where WeasyPrint runs (a process pool); None: a thread of this process
        self._project, self._dataset = project, dataset
        self._documents: dict[str, PackDocument] = {}
        self._env = None
        self._setup = threading.Lock()
        self._locks: dict[tuple[int, str, str], asyncio.Lock] = {}
        self._records: dict[
            tuple[int, str, str], dict
        ] = {}  # stamp records already read: no query per download
        self.renders = 0  # renders done by this process: the benchmark reads it

    def _source(self, doc_id: str) -> PackDocument:
        with self._setup:  # the first renders may ask from several threads at once
            if self._env is None:
                self._documents = {d.id: d for d in pack_documents(self._project, self._dataset)[0]}
                self._env = print_environment(self._project, self._dataset)
        return self._documents[doc_id]

    def _job(self, buyer: Buyer, doc: ReleasedDocument, day: str) -> RenderJob:
        source = self._source(doc.id)
        stamp = {"recipient": buyer.recipient, "date": day}
        printed = render_document(self._env, source, stamp)
        return RenderJob(doc.id, printed.html, pdf_identifier(self.pack.version, source, stamp))

    def _cached(self, buyer: Buyer, doc: ReleasedDocument) -> bytes | None:
        """The stamp on disk if it is there and intact (its SHA-256 is the one recorded when it was made)."""
        key = (buyer.id, doc.id, doc.version)
        record = self._records.get(key)
        if record is None:
            record = self.store.stamp(*key)
            if record is None:
                return None
            self._records[key] = record
        try:
            data = (self.folder / record["file"]).read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == record["sha256"] else None

    async def stamped(self, buyer: Buyer, doc: ReleasedDocument, today: dt.date) -> tuple[bytes, bool]:
        """(PDF bytes, whether this call rendered it) of `doc` stamped for `buyer`."""
        data = await run_in_threadpool(self._cached, buyer, doc)
        if data is not None:
            return data, False
        key = (buyer.id, doc.id, doc.version)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            data = await run_in_threadpool(self._cached, buyer, doc)
            if data is not None:
                return data, False
            job = await run_in_threadpool(self._job, buyer, doc, today.isoformat())
            if self.executor is None:
                pdf = await run_in_threadpool(render_job, job)
            else:
                pdf = await asyncio.get_running_loop().run_in_executor(self.executor, render_job, job)
            self.renders += 1
            await run_in_threadpool(self._save, buyer, doc, today.isoformat(), pdf)
            return pdf.data, True

    def _save(self, buyer: Buyer, doc: ReleasedDocument, day: str, pdf) -> None:
        name = f"{buyer.id}/{doc.id}-{doc.version}-{safe_name(buyer.recipient)}.pdf"
        target = self.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
        tmp.write_bytes(pdf.data)
        os.replace(tmp, target)
        record = {
            "buyer_id": buyer.id,
            "document_id": doc.id,
            "version": doc.version,
            "pack_version": self.pack.version,
            "stamp_date": day,
            "file": name,
            "sha256": hashlib.sha256(pdf.data).hexdigest(),
            "pages": pdf.pages,
        }
        self.store.save_stamp(record)
        self._records[(buyer.id, doc.id, doc.version)] = record
