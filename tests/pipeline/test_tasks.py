"""The invoke entry point: every task lists with a one-line help, and user errors exit cleanly."""

from __future__ import annotations

from tests.invoking import run_invoke


def test_every_task_lists_with_a_help_line():
    import tasks

    listed = run_invoke("--list")
    assert listed.returncode == 0, listed.stderr
    names = [name for name in dir(tasks) if type(getattr(tasks, name)).__name__ == "Task"]
    assert {"build", "check", "test", "serve", "bench"} <= set(names)
    for name in names:
        task = getattr(tasks, name)
        assert task.__doc__ and task.__doc__.strip().splitlines()[0], f"task {name} has no help line"
        assert task.name.replace("_", "-") in listed.stdout or name in listed.stdout


def test_unknown_site_is_refused_with_the_valid_choices():
    result = run_invoke("build", "--site", "intranet")
    assert result.returncode == 2
    assert "unknown site 'intranet'; valid: customer, handbook" in result.stderr


def test_unknown_benchmark_suite_is_refused_with_the_valid_choices():
    result = run_invoke("bench", "--suite", "nope")
    assert result.returncode == 2
    assert "unknown benchmark suite 'nope'" in result.stderr
