"""The run's own rules (tests/conftest.py, issue 29): a skip that EXPECTED_SKIPS does not allow fails
the run, naming the test; every run lists its skips; a test that opens the working copy's run-time
files (``reports/``, ``data/demo/``…) fails, naming them.

The end-to-end cases run pytest in a subprocess on a throwaway suite whose conftest takes the hooks
of ours, so that what is checked is the exit status and the words a developer or CI reads.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import (
    EXPECTED_SKIPS,
    REAL_LARGE_DIR,
    REAL_SAMPLE_DIR,
    SAMPLE_SWITCH,
    TOOLS_SWITCH,
    ExpectedSkip,
    unexpected_skips,
)

#: Reasons the suite's skips give today (conftest, tests/services.py, test_batch, test_letter,
#: test_ui_file, test_scoring_log): each is allowed by one rule, and only by its switch.
KNOWN_REASONS = {
    f"real Home Credit sample not found at {REAL_SAMPLE_DIR}": 0,
    f"larger real Home Credit extract not found at {REAL_LARGE_DIR}": 1,
    "no PostgreSQL at 127.0.0.1:5432 (connection refused)": 2,
    "no Redis at 127.0.0.1:6379 (Error 111 connecting)": 2,
    "redis-server is not installed (make services installs it)": 2,
    "no private PostgreSQL: no PostgreSQL binaries under /usr/lib/postgresql/*/bin (make services installs them)": 2,
    "java is missing (make java installs it)": 2,
    "pyspark is not installed (make test installs it)": 2,
    "poppler-utils not installed (pdftotext missing): `make browser` installs it": 2,
    "pdftotext (poppler-utils) is not installed: make test installs it": 2,
    "gunicorn is not installed": 2,
}


@pytest.fixture
def switches(monkeypatch):
    for name in (SAMPLE_SWITCH, TOOLS_SWITCH):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("reason, rule", KNOWN_REASONS.items())
def test_each_known_skip_has_one_rule_and_needs_its_switch(reason, rule, switches):
    assert [i for i, r in enumerate(EXPECTED_SKIPS) if r.reason.search(reason)] == [rule]
    assert unexpected_skips([("t::x", reason)]) == [("t::x", reason, EXPECTED_SKIPS[rule].otherwise)]
    if rule == 2:
        switches.setenv(TOOLS_SWITCH, "1")
        assert unexpected_skips([("t::x", reason)]) == []
    else:
        switches.setenv(SAMPLE_SWITCH, "1")          # allowed only where the folder is absent
        folder = (REAL_SAMPLE_DIR, REAL_LARGE_DIR)[rule]
        assert (unexpected_skips([("t::x", reason)]) == []) == (not folder.exists())


def test_any_other_skip_is_unexpected_whatever_the_switches(switches):
    switches.setenv(SAMPLE_SWITCH, "1")
    switches.setenv(TOOLS_SWITCH, "1")
    for reason in ("layouts/callbacks of the dashboard not written yet", "no drift report in reports/",
                   "could not import 'data.load': No module named 'data.load'", "Skipped: because"):
        [(nodeid, said, advice)] = unexpected_skips([("t::x", reason)])
        assert said == reason and advice.startswith("no rule of tests/conftest.py EXPECTED_SKIPS")


def test_the_real_extracts_are_expected_only_when_absent_and_said_so(tmp_path, switches):
    absent = ExpectedSkip("absent", re.compile("^x"), conftest._absent(tmp_path / "nowhere"), "")
    present = ExpectedSkip("present", re.compile("^x"), conftest._absent(tmp_path), "")
    assert not absent.allowed() and not present.allowed()        # no switch: never
    switches.setenv(SAMPLE_SWITCH, "1")
    assert absent.allowed() and not present.allowed()             # the switch, and the folder really absent
    switches.setenv(SAMPLE_SWITCH, "yes")
    assert not absent.allowed()                                   # the switch is "1", nothing else


def test_only_paths_inside_the_run_time_folders_count(monkeypatch, tmp_path):
    root = conftest.ROOT
    for inside in (root / "reports" / "drift_report.html", root / "data" / "demo", root / "artifacts" / "model" / "x",
                   root / "instance" / "product.db", root / "mlflow.db", str(root / "reports"), bytes(root / "logs")):
        assert conftest._developer_path(inside) is not None, inside
    for outside in (root / "data" / "demo_fidelity.py", root / "data" / "schema.py", root / "reports.md",
                    root / "tests" / "reports", tmp_path / "reports", 3, None, ":memory:", ""):
        assert conftest._developer_path(outside) is None, outside
    monkeypatch.chdir(root)
    assert conftest._developer_path("reports/x.json") == str(root / "reports" / "x.json")
    assert conftest._developer_path("./data/demo/../demo/a.csv") == str(root / "data" / "demo" / "a.csv")


# --------------------------------------------------------------------------- the rules, end to end

SUITE_CONFTEST = """
import sys

from tests.conftest import (_audit, pytest_runtest_logreport, pytest_runtest_makereport,  # noqa: F401
                            pytest_sessionfinish, pytest_terminal_summary)

sys.addaudithook(_audit)
"""

SUITE_TESTS = """
import pytest

ROOT = {root!r}


def test_passes():
    pass


def test_a_tool_is_missing():
    pytest.skip("java is missing (make java installs it)")


def test_skipped_for_no_listed_reason():
    pytest.skip("the dashboard is not written yet")


def test_reads_the_working_copys_reports():
    try:
        open(ROOT + "/reports/drift_summary.json", encoding="utf-8").close()
    except OSError:
        pass
"""


def _run(tmp_path: Path, *, tests: str, env: dict[str, str], args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(SUITE_CONFTEST, encoding="utf-8")
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(SUITE_TESTS.format(root=str(conftest.ROOT))),
                                           encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if k not in (SAMPLE_SWITCH, TOOLS_SWITCH, "PYTEST_ADDOPTS")}
    # no plugin loaded but xdist's: dash's would import Dash and Selenium in every process for nothing
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "xdist.plugin",
                           "-k", tests, *args, str(tmp_path)], cwd=tmp_path,
                          env={**clean, "PYTHONPATH": str(conftest.ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **env},
                          capture_output=True, text=True, timeout=300)


def test_a_run_with_an_unexpected_skip_fails_and_names_it(tmp_path):
    run = _run(tmp_path, tests="passes or a_tool or no_listed", env={})
    assert run.returncode == 1, run.stdout
    assert "2 unexpected skip(s): the run fails" in run.stdout
    assert "test_suite.py::test_skipped_for_no_listed_reason: the dashboard is not written yet" in run.stdout
    assert "test_suite.py::test_a_tool_is_missing: java is missing" in run.stdout
    assert f"set {TOOLS_SWITCH}=1 to accept the skip" in run.stdout
    assert "SKIPPED [1]" in run.stdout and "1 passed, 2 skipped" in run.stdout


def test_a_run_whose_skips_are_all_allowed_passes_and_still_lists_them(tmp_path):
    run = _run(tmp_path, tests="passes or a_tool", env={TOOLS_SWITCH: "1"})
    assert run.returncode == 0, run.stdout
    assert "unexpected skip" not in run.stdout
    assert "SKIPPED [1]" in run.stdout and "java is missing" in run.stdout
    assert "skips allowed in this run: a service or program make test installs" in run.stdout


def test_with_two_workers_the_controller_judges_the_whole_run(tmp_path):
    run = _run(tmp_path, tests="passes or a_tool or no_listed", env={TOOLS_SWITCH: "1"}, args=("-n", "2"))
    assert run.returncode == 1, run.stdout
    assert "1 unexpected skip(s): the run fails" in run.stdout
    assert "test_skipped_for_no_listed_reason" in run.stdout


def test_a_test_that_opens_the_working_copys_run_time_files_fails(tmp_path):
    run = _run(tmp_path, tests="reads_the_working", env={})
    assert run.returncode == 1, run.stdout
    assert "not hermetic: this test (call) used the working copy's run-time files" in run.stdout
    assert "open reports/drift_summary.json" in run.stdout


def test_a_known_exception_excuses_its_own_test_and_paths_only(monkeypatch):
    train = "tests/test_train.py::test_artifact_loads_and_keeps_the_oof_threshold"
    # the list is empty today (every test is hermetic); the rule is checked on an entry of its own shape
    monkeypatch.setattr(conftest, "NOT_HERMETIC_YET", {train: (("mlruns",), "its MLflow run lands in ./mlruns")})
    assert conftest._excused(train, f"open {os.path.join('mlruns', '1', 'abc', 'model.cbm')}")
    assert not conftest._excused(train, "open reports/drift_summary.json")
    assert not conftest._excused(train, "open mlruns-other/x")
    assert not conftest._excused("tests/test_train.py::test_other", "open mlruns/1/x")
    for nodeid, (paths, why) in conftest.NOT_HERMETIC_YET.items():
        assert nodeid.startswith("tests/test_") and "::" in nodeid and paths and why
