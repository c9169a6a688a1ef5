"""Procurement pack build speed: clean build vs. the sum of bare sequential WeasyPrint renders of the same HTML,
and a cached rebuild with no change. Run with `invoke bench --suite pdf`.

Both sides start from loaded data, as `invoke build` calls the pack step with the dataset the sites used.
Targets: clean pack wall time ≤ 0.7 × the sequential sum (both cores used); cached rebuild ≤ 10 % of clean.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docskit.datamodel import load_dataset  # noqa: E402
from docskit.paths import Project  # noqa: E402
from docskit.pdfrender import render_pdf  # noqa: E402
from docskit.procurement.build import build_pack, render_documents, render_jobs  # noqa: E402
from docskit.procurement.rendering import workers  # noqa: E402

CLEAN_TARGET = 0.7
CACHED_TARGET = 0.10


def _timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> int:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        project = Project.at(ROOT, Path(tmp) / "build")
        dataset = load_dataset(project)
        day = dt.date.fromisoformat(dataset.customer["pack"]["effective_date"])
        quiet = lambda *_: None  # noqa: E731

        printed, _ = render_documents(project, dataset)
        jobs = render_jobs(dataset.customer["pack"]["version"], printed)
        render_pdf(jobs[-1].html, identifier="warm-up")  # import and font loading are not part of either side
        singles = {}
        for job in jobs:
            singles[job.name], _ = _timed(lambda job=job: render_pdf(job.html, identifier=job.identifier))
        sequential = sum(singles.values())

        clean, result = _timed(lambda: build_pack(project, dataset, today=day, log=quiet))
        cached, again = _timed(lambda: build_pack(project, dataset, today=day, log=quiet))
        load_seconds, _ = _timed(lambda: load_dataset(project))
        assert again.unchanged

    ratio, cached_ratio = clean / sequential, cached / clean
    print(
        f"documents: {len(jobs)}, pages: {sum(d['pages'] for d in result.manifest['documents'])}, "
        f"worker processes: {workers()}"
    )
    print(f"sequential bare WeasyPrint renders (sum): {sequential:6.2f} s")
    largest = max(singles, key=singles.get)
    print(
        f"  largest single document: {largest} {singles[largest]:.2f} s (floor for any parallel build: "
        f"{singles[largest] / sequential:.2f} x)"
    )
    print(f"  load average at start: {', '.join(f'{x:.1f}' for x in load)}")
    print(
        f"clean pack build (wall):                  {clean:6.2f} s  = {ratio:.2f} x sequential "
        f"(target <= {CLEAN_TARGET}) {'OK' if ratio <= CLEAN_TARGET else 'MISSED'}"
    )
    print(f"  (loading and validating data/ takes {load_seconds:.2f} s; shared with the sites, not counted)")
    print(
        f"cached rebuild, no change (wall):         {cached:6.2f} s  = {cached_ratio:.1%} of clean "
        f"(target <= {CACHED_TARGET:.0%}) {'OK' if cached_ratio <= CACHED_TARGET else 'MISSED'}"
    )
    return 0 if ratio <= CLEAN_TARGET and cached_ratio <= CACHED_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
