"""PDF rendering with a content-hash cache and a process pool: only changed HTML is rendered, on every core."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .. import pdfrender
from ..pdfrender import RenderedPdf


@dataclass(frozen=True)
class RenderJob:
    """One PDF to render: a name for progress, its HTML and the seed of its PDF identifier."""

    name: str
    html: str
    identifier: str

    def cache_key(self) -> str:
        digest = hashlib.sha256()
        for part in (
            pdfrender.weasyprint_version(),
            pdfrender.PDF_VARIANT,
            pdfrender.RENDER_REVISION,
            self.identifier,
            self.html,
        ):
            digest.update(part.encode("utf-8"))
            digest.update(b"\0")
        return digest.hexdigest()


class RenderCache:
    """Rendered PDFs by content hash of their inputs, in one folder (safe for concurrent writers)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, key: str) -> RenderedPdf | None:
        pdf, meta = self.folder / f"{key}.pdf", self.folder / f"{key}.pages"
        if not (pdf.exists() and meta.exists()):
            return None
        return RenderedPdf(data=pdf.read_bytes(), pages=int(meta.read_text(encoding="ascii")))

    def put(self, key: str, rendered: RenderedPdf) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in ((".pdf", rendered.data), (".pages", str(rendered.pages).encode("ascii"))):
            tmp = self.folder / f".{key}{suffix}.{uuid.uuid4().hex[:8]}"
            tmp.write_bytes(data)
            os.replace(tmp, self.folder / f"{key}{suffix}")


# WeasyPrint allocates hundreds of thousands of long-lived box and style objects while it lays out a document;
# with the default threshold (700) the cyclic collector rescans them over and over (questionnaire-answers, quiet
# machine: 6.0 s CPU by default, 4.5 s with this setting). Collecting less often changes no output byte
# (test_pack_pdfs_equal_a_plain_weasyprint_render_of_the_same_html).
RENDER_GC_THRESHOLD = (50_000, 20, 100)


@contextlib.contextmanager
def _fewer_collections():
    previous = gc.get_threshold()
    gc.set_threshold(*RENDER_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def render_job(job: RenderJob) -> RenderedPdf:
    """Render one job as the pack's workers do (fewer garbage collections, same bytes)."""
    with _fewer_collections():
        return pdfrender.render_pdf(job.html, identifier=job.identifier)


class Progress:
    """One status line on a terminal (stderr); silent when output is not a TTY."""

    def __init__(self, total: int, label: str, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() and total > 0
        self.total, self.label, self.done, self.start = total, label, 0, time.monotonic()

    def step(self, name: str) -> None:
        self.done += 1
        if self.enabled:
            elapsed = time.monotonic() - self.start
            self.stream.write(
                f"\r{self.label}: {self.done}/{self.total} rendered ({name}, {elapsed:.1f} s)\x1b[K"
            )
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def workers() -> int:
    """Processes to render with: every available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def render_all(
    jobs: list[RenderJob], cache: RenderCache | None, label: str = "pdf"
) -> dict[str, RenderedPdf]:
    """{job name: rendered PDF}; cache hits are read, misses rendered in a process pool, largest first."""
    results: dict[str, RenderedPdf] = {}
    misses: list[tuple[RenderJob, str]] = []
    for job in jobs:
        key = job.cache_key()
        hit = cache.get(key) if cache else None
        if hit is not None:
            results[job.name] = hit
        else:
            misses.append((job, key))
    progress = Progress(len(misses), label)
    misses.sort(key=lambda item: len(item[0].html), reverse=True)  # longest first: shortest tail on the pool
    if len(misses) <= 1 or workers() == 1:
        for job, key in misses:
            results[job.name] = _store(cache, key, render_job(job))
            progress.step(job.name)
    else:
        import weasyprint  # noqa: F401 - imported before forking so workers start warm

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers(), len(misses)), mp_context=context) as pool:
            futures = {pool.submit(render_job, job): (job, key) for job, key in misses}
            for future in as_completed(futures):
                job, key = futures[future]
                results[job.name] = _store(cache, key, future.result())
                progress.step(job.name)
    progress.close()
    return results


def _store(cache: RenderCache | None, key: str, rendered: RenderedPdf) -> RenderedPdf:
    if cache is not None:
        cache.put(key, rendered)
    return rendered
