"""`./dev decide`: non-interactively from flags, and interactively under a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from docskit.paths import REPO_ROOT
from tests.invoking import run_invoke

INVOKE = str(Path(sys.executable).with_name("invoke"))


def _invoke(*args, stdin=subprocess.DEVNULL):
    return run_invoke(*args, stdin=stdin, timeout=120)


def test_decide_from_flags_prints_the_outcome_paperwork_and_reasons(repo_dataset):
    answers = "residency=eu_required,content=no_content,keys=customer,provider=aws_kms"
    result = _invoke("decide", "--answers", answers)
    assert result.returncode == 0, result.stderr
    eu = next(r for r in repo_dataset.internal["regions"] if r["id"] == "eu")
    out = result.stdout
    assert f"Region: {eu['name']}" in out
    assert eu["primary"]["code"] in out
    assert "Data mode: Metadata-only" in out
    assert "AWS KMS" in out
    assert "Standard Contractual Clauses" in out
    assert "why: The customer requires EU residency" in out
    assert "--region eu --data-mode metadata_only --keys aws_kms" in out


def test_decide_with_an_unknown_answer_fails_listing_the_valid_choices():
    result = _invoke("decide", "--answers", "residency=mars")
    assert result.returncode == 2
    assert "valid: eu_required, no_requirement" in result.stderr


def test_decide_without_a_terminal_refuses_unanswered_questions_and_names_them():
    result = _invoke("decide", "--answers", "residency=eu_required")
    assert result.returncode == 2
    assert "no answer to 'content'" in result.stderr
    assert "valid: search, no_content" in result.stderr


def test_decide_with_defaults_takes_each_default():
    result = _invoke("decide", "--defaults")
    assert result.returncode == 0, result.stderr
    assert (
        "Answers: --answers residency=no_requirement,people=us,eu_people=yes,content=search,keys=platform"
        in (result.stdout)
    )


def _read_until(fd, needle: str, buffer: list[str], timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while needle not in "".join(buffer):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {needle!r}; got:\n{''.join(buffer)}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:
                break
            if not chunk:
                break
            buffer.append(chunk)
    return "".join(buffer)


def test_decide_asks_interactively_under_a_pseudo_terminal_with_defaults_and_retries():
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [INVOKE, "decide"], cwd=REPO_ROOT, stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True
    )
    os.close(secondary)
    buffer: list[str] = []
    try:
        _read_until(main, "residency [default: no_requirement]>", buffer)
        os.write(main, b"eu_required\n")
        _read_until(main, "content [default: search]>", buffer)
        os.write(main, b"\n")  # Enter takes the default
        _read_until(main, "keys [default: platform]>", buffer)
        os.write(main, b"2\n")  # the second answer: customer
        _read_until(main, "provider [default: aws_kms]>", buffer)
        os.write(main, b"vault\n")
        _read_until(main, "unknown answer 'vault'; valid: aws_kms, gcp_kms, azure_key_vault", buffer)
        os.write(main, b"gcp_kms\n")
        output = _read_until(main, "Next: ./dev onboard", buffer)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert "Region: European Union" in output
    assert "Data mode: Standard" in output
    assert "Google Cloud KMS" in output
    assert "Answers: --answers residency=eu_required,content=search,keys=customer,provider=gcp_kms" in output
