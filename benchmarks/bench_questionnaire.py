"""Auto-fill speed: a 500-question buyer workbook answered from the bank, end to end.

Measured: preparing the bank (load and validate data, render every description, build the matcher) once, then
filling the workbook (read it, find the questions, match all 500, write the answer cells, save the copy).
Target: the fill of 500 questions takes under 3 seconds; the whole command (prepare + fill) is reported too.
Run: ./dev bench --suite questionnaire
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from docskit.datamodel import load_dataset  # noqa: E402
from docskit.paths import Project  # noqa: E402
from docskit.questionnaire.fill import ANSWERED, REVIEW, UNMATCHED, Filler  # noqa: E402
from tests.questionnaire.buyer_questions import HELD_OUT, LABELLED  # noqa: E402
from tests.questionnaire.buyers import buyer_workbook  # noqa: E402

QUESTIONS = 500
ROUNDS = 5
TARGET_SECONDS = 3.0
PREFIXES = ("", "Please confirm: ", "Vendor to state: ", "Q: ", "Describe: ")


def questions(count: int) -> list[str]:
    """`count` buyer questions: the labelled sets, repeated with varied prefixes so no two rows are identical."""
    base = [q for q, _ in LABELLED + HELD_OUT]
    return [f"{PREFIXES[(i // len(base)) % len(PREFIXES)]}{base[i % len(base)]}" for i in range(count)]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        source = workdir / "buyer-500.xlsx"
        buyer_workbook(source, questions(QUESTIONS))
        start = time.perf_counter()
        project = Project.at(build=workdir / "build")
        filler = Filler(project, load_dataset(project))
        prepare = time.perf_counter() - start
        times, report = [], None
        for round_number in range(ROUNDS):
            start = time.perf_counter()
            report = filler.fill(source, workdir / f"answered-{round_number}.xlsx")
            times.append(time.perf_counter() - start)
    median, worst = statistics.median(times), max(times)
    counts = ", ".join(f"{report.count(s)} {s}" for s in (ANSWERED, REVIEW, UNMATCHED))
    print(f"questions: {len(report.rows)} ({counts}); bank: {len(filler.bank.answers)} answers")
    print(f"prepare bank (data, descriptions, matcher), once: {prepare:.2f} s")
    print(
        f"fill {QUESTIONS} questions, {ROUNDS} rounds: median {median:.2f} s, worst {worst:.2f} s "
        f"(target < {TARGET_SECONDS:.1f} s)"
    )
    print(f"whole command (prepare + median fill): {prepare + median:.2f} s")
    ok = worst < TARGET_SECONDS
    print("result: PASS" if ok else "result: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
