"""Trust portal downloads: 200 concurrent stamped downloads of the pack's largest document, cold then warm, against
the portal served by uvicorn on 127.0.0.1 with its render pool. Run with `./dev bench --suite portal`.

The cold wave spreads 200 downloads over BENCH_PORTAL_BUYERS buyers (default 4) who have no stamp yet: each buyer's
stamp must be rendered exactly once however many of their downloads arrive together. The warm wave repeats the
200 downloads: every one must be served from the stamp cache, with no render at all.

Targets, as ratios against a peer measured in the same run (the first render of a stamp: the time a buyer waits for
their first copy): renders cold = buyers and warm = 0; one cached download (warm wall time / downloads) costs
<= 1 % of the first render; warm p99 <= 50 % of it (the last of 200 concurrent cached copies still arrives in
half the time one render takes). Both waves' median and p99 and the memory used (the server's peak RSS, the render workers' peak RSS) are
printed. The client runs in its own process, so it takes no time from the server's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

DOWNLOADS = 200
PER_DOWNLOAD_TARGET = 0.01
WARM_P99_TARGET = 0.50


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share 0.99 for p99)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def rss_mb() -> float:
    """This process's resident set size now, in MB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _download_all(jobs: list[dict]) -> list[dict]:
    import httpx

    limits = httpx.Limits(max_connections=len(jobs), max_keepalive_connections=len(jobs))
    async with httpx.AsyncClient(limits=limits, timeout=600) as client:

        async def one(job):
            start = time.perf_counter()
            response = await client.get(job["url"], cookies={job["cookie"]: job["session"]})
            return {
                "seconds": time.perf_counter() - start,
                "status": response.status_code,
                "bytes": len(response.content),
            }

        return await asyncio.gather(*(one(job) for job in jobs))


def client_main() -> int:
    """The client process: download every job of stdin's JSON at once; print the results as JSON."""
    jobs = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(_download_all(jobs))))
    return 0


def wave(jobs: list[dict]) -> list[dict]:
    result = subprocess.run(
        [sys.executable, __file__, "--client"],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def main() -> int:
    from docskit.datamodel import load_dataset
    from docskit.paths import Project
    from portal.app import PortalConfig, create_portal
    from portal.db import migrate, open_engine
    from portal.mail import portal_mailer
    from portal.pack import load_released_pack, stamp_executor
    from portal.store import PortalStore
    from tests.metering.helpers import ThreadedServer

    buyers_count = max(1, int(os.environ.get("BENCH_PORTAL_BUYERS", "4")))
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        project = Project.at(ROOT, Path(tmp) / "build")
        dataset = load_dataset(project)
        day = dt.date.fromisoformat(dataset.customer["pack"]["effective_date"])
        pack = load_released_pack(project, dataset, today=day)
        largest = max(pack.gated, key=lambda d: d.pages)
        engine = open_engine(f"sqlite:///{Path(tmp) / 'portal.db'}")
        migrate(engine)
        store = PortalStore(engine)
        buyers = []
        for i in range(buyers_count):
            buyer, _ = store.request_access(
                f"buyer{i}@bench.example", f"Buyer {i}", f"Bench Company {i}", "127.0.0.1"
            )
            store.accept_nda(buyer, pack.documents["nda"].version, "127.0.0.1", "bench")
            buyers.append(store.approve(buyer.id, [largest.id], "bench"))
        executor = stamp_executor(dataset)
        config = PortalConfig(
            project=project,
            dataset=dataset,
            pack=pack,
            store=store,
            mailer=portal_mailer(dataset.customer["company"], "127.0.0.1", 9),
            secret="bench-" + "s" * 40,
            base_url="http://127.0.0.1",
            stamps_folder=Path(tmp) / "stamps",
            executor=executor,
        )
        app = create_portal(config)
        portal = app.state.portal
        rss_before = rss_mb()
        with ThreadedServer(app) as server:
            path = f"/documents/{largest.id}/{largest.version}.pdf"
            jobs = [
                {
                    "url": server.url + path,
                    "cookie": portal.cookies.session,
                    "session": portal.sessions.dumps(buyers[i % buyers_count].id),
                }
                for i in range(DOWNLOADS)
            ]
            started = time.perf_counter()
            cold = wave(jobs)
            cold_wall = time.perf_counter() - started
            cold_renders = portal.stamper.renders
            rss_after_cold = rss_mb()
            started = time.perf_counter()
            warm = wave(jobs)
            warm_wall = time.perf_counter() - started
            warm_renders = portal.stamper.renders - cold_renders
        executor.shutdown(wait=True)
        server_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    bad = [r for r in cold + warm if r["status"] != 200]
    cold_s = [r["seconds"] for r in cold]
    warm_s = [r["seconds"] for r in warm]
    first_render = min(cold_s)  # the quickest cold download still waited for its buyer's render
    warm_median, warm_p99 = statistics.median(warm_s), percentile(warm_s, 0.99)
    per_download = warm_wall / DOWNLOADS
    per_download_ratio, p99_ratio = per_download / first_render, warm_p99 / first_render
    print(
        f"document: {largest.id} {largest.version} ({largest.pages} pages, {cold[0]['bytes'] / 1024:.0f} KB stamped), "
        f"{DOWNLOADS} concurrent downloads by {buyers_count} buyers, {dataset.internal['portal']['stamp_workers']} render workers"
    )
    print(f"  load average at end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"cold wave: wall {cold_wall:6.2f} s, median {statistics.median(cold_s):6.2f} s, "
        f"p99 {percentile(cold_s, 0.99):6.2f} s, first render (quickest cold download) {first_render:6.2f} s"
    )
    print(
        f"warm wave: wall {warm_wall:6.2f} s, median {warm_median * 1000:7.1f} ms, p99 {warm_p99 * 1000:7.1f} ms, "
        f"{per_download * 1000:.1f} ms per cached download"
    )
    print(
        f"memory: server RSS {rss_before:.0f} MB before, {rss_after_cold:.0f} MB after the cold wave, "
        f"peak {server_peak:.0f} MB; render workers' peak {workers_peak:.0f} MB each at most"
    )
    checks = [
        (
            f"renders in the cold wave: {cold_renders} (target = {buyers_count}, one per buyer)",
            cold_renders == buyers_count,
        ),
        (f"renders in the warm wave: {warm_renders} (target = 0)", warm_renders == 0),
        (
            f"one cached download = {per_download_ratio:.3%} of the first render "
            f"(target <= {PER_DOWNLOAD_TARGET:.0%})",
            per_download_ratio <= PER_DOWNLOAD_TARGET,
        ),
        (
            f"warm p99 = {p99_ratio:.2%} of the first render (target <= {WARM_P99_TARGET:.0%})",
            p99_ratio <= WARM_P99_TARGET,
        ),
        (f"failed downloads: {len(bad)} (target = 0)", not bad),
    ]
    for text, ok in checks:
        print(f"{text} {'OK' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(client_main() if sys.argv[1:] == ["--client"] else main())
