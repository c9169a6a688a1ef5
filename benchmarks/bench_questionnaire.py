"""Auto-fill quality on questionnaires the bank has never seen, and its speed on a 500-question workbook.

Quality: leave-one-corpus-out over the labelled corpora of tests/questionnaire/corpora (CAIQ v3.1, CIS v8, HECVAT,
NIST CSF 2.0, a hospital's own sheet). For each corpus the confidence threshold is calibrated on the other corpora
only (precision first, then the share answered) and the held-out corpus is measured at it: answered share,
precision (answered rows whose bank id, and answer value where labelled, is right) and flagged share (rows left for
the owner the row is routed to). Target per held-out corpus: >= 80% answered and >= 95% of answered rows right.
The matcher's description weight is calibrated with the threshold. The same corpora with the shipped settings
(questionnaire_settings.yaml) and the calibration on all corpora are printed for comparison.
Speed: preparing the bank (load and validate data, render every description, build the matcher) once, then
filling the workbook (read it, find the questions, match all 500, write the answer cells, save the copy).
Target: the fill of 500 questions takes under 3 seconds; the whole command (prepare + fill) is reported too.
Run: ./dev bench --suite questionnaire (add --verbose to the script to list the wrong answered rows)
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
from docskit.questionnaire import evaluate  # noqa: E402
from docskit.questionnaire.fill import ANSWERED, REVIEW, UNMATCHED, Filler  # noqa: E402
from tests.questionnaire.buyer_questions import HELD_OUT, LABELLED  # noqa: E402
from tests.questionnaire.buyers import buyer_workbook  # noqa: E402

QUESTIONS = 500
ROUNDS = 5
TARGET_SECONDS = 3.0
CORPORA = ROOT / "tests" / "questionnaire" / "corpora"
PREFIXES = ("", "Please confirm: ", "Vendor to state: ", "Q: ", "Describe: ")


def questions(count: int) -> list[str]:
    """`count` buyer questions: the labelled sets, repeated with varied prefixes so no two rows are identical."""
    base = [q for q, _ in LABELLED + HELD_OUT]
    return [f"{PREFIXES[(i // len(base)) % len(PREFIXES)]}{base[i % len(base)]}" for i in range(count)]


def quality(filler: Filler, verbose: bool) -> bool:
    """Print the held-out figures per corpus; True when every held-out corpus meets the targets."""
    corpora = evaluate.load_corpora(CORPORA, filler.bank)
    held_out = evaluate.leave_one_corpus_out(filler.matcher, corpora)
    total = sum(len(c.rows) for c in corpora)
    print(f"held-out quality: {len(corpora)} corpora, {total} labelled questions, leave-one-corpus-out")
    print(evaluate.table(held_out))
    shipped = evaluate.at_threshold(filler.matcher, corpora, filler.bank.threshold)
    print(
        f"for comparison, every corpus with the shipped settings (description weight "
        f"{filler.bank.description_weight:g}, threshold {filler.bank.threshold:g}):"
    )
    print(evaluate.table(shipped))
    calibration = evaluate.calibrate_on_all(filler.matcher, corpora)
    print(
        f"calibration on all corpora (what the settings should ship): description weight "
        f"{calibration.description_weight:g}, threshold {calibration.threshold:g}"
    )
    if verbose:
        print("wrong answered rows (held-out):")
        print(evaluate.wrong_rows(held_out) or "  none")
    return all(r.meets_targets() for r in held_out)


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
    fast = worst < TARGET_SECONDS
    print(f"speed: {'PASS' if fast else 'FAIL'}")
    good = quality(filler, "--verbose" in sys.argv)
    print(f"held-out quality: {'PASS' if good else 'FAIL'}")
    print("result: PASS" if fast and good else "result: FAIL")
    return 0 if fast and good else 1


if __name__ == "__main__":
    sys.exit(main())
