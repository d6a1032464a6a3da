"""Shared fixtures and the run's rules (issue 29).

* Where the real Kaggle extracts live, browser options for dash_duo, the session's small demo data,
  tiny model and the drift report built from them.
* **Skips**: every run lists its skips (``-rs`` in pytest.ini), and a run with a skip that
  :data:`EXPECTED_SKIPS` does not allow fails, naming it. That list is the one place that says
  which skips are expected, and when.
* **Hermetic**: a test never opens what ``make run`` leaves in the working copy
  (:data:`DEVELOPER_PATHS`: ``artifacts/``, ``reports/``, ``instance/``, ``data/demo/``…); what a test
  needs, the suite builds under a temporary folder. An open, listing, copy or database connection
  there, by the test or by the app it serves (same process), fails the test, naming the path.
"""
from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_SAMPLE_DIR = ROOT.parent / "shared" / "data" / "home-credit-sample"
REAL_LARGE_DIR = ROOT.parent / "shared" / "data" / "home-credit-large"
SAMPLE_SWITCH = "ALLOW_MISSING_SAMPLE"
TOOLS_SWITCH = "ALLOW_MISSING_TOOLS"


@pytest.fixture(scope="session")
def real_sample_dir() -> Path:
    """The real partial extract of the Kaggle tables, beside the repo (present in CI)."""
    if not (REAL_SAMPLE_DIR / "application_train.csv").exists():
        pytest.skip(f"real Home Credit sample not found at {REAL_SAMPLE_DIR}")
    return REAL_SAMPLE_DIR


@pytest.fixture(scope="session")
def real_large_dir() -> Path:
    """The larger real extract (31,980 labelled clients, ``.csv.gz``, thin history), beside the repo (present in CI)."""
    if not (REAL_LARGE_DIR / "application_train.csv.gz").exists():
        pytest.skip(f"larger real Home Credit extract not found at {REAL_LARGE_DIR}")
    return REAL_LARGE_DIR


# --------------------------------------------------------------------------- the skips a run may have

@dataclass(frozen=True)
class ExpectedSkip:
    """Skips whose reason matches ``reason``, allowed only while ``allowed()`` holds."""

    what: str
    reason: re.Pattern[str]
    allowed: Callable[[], bool]
    otherwise: str          # what to do when they are not allowed


def _switch(name: str) -> bool:
    return os.environ.get(name, "").strip() == "1"


def _absent(folder: Path) -> Callable[[], bool]:
    return lambda: _switch(SAMPLE_SWITCH) and not folder.exists()


#: Every skip a run may have. Anything else skipped fails the run (see :func:`pytest_sessionfinish`).
#: The real extracts sit beside the repo on the CI machine: their tests skip only where the folder
#: is absent *and* ``ALLOW_MISSING_SAMPLE=1`` says that is known (the GitHub workflow, which checks
#: out the repo alone). The services and programs ``make test`` installs (PostgreSQL, Redis, Java and
#: pyspark, poppler-utils, gunicorn) may be missing only with ``ALLOW_MISSING_TOOLS=1``.
EXPECTED_SKIPS: tuple[ExpectedSkip, ...] = (
    ExpectedSkip("the real Home Credit sample", re.compile(r"^real Home Credit sample not found"),
                 _absent(REAL_SAMPLE_DIR),
                 f"put the extract at {REAL_SAMPLE_DIR}, or set {SAMPLE_SWITCH}=1 where it cannot be had"),
    ExpectedSkip("the larger real Home Credit extract", re.compile(r"^larger real Home Credit extract not found"),
                 _absent(REAL_LARGE_DIR),
                 f"put the extract at {REAL_LARGE_DIR}, or set {SAMPLE_SWITCH}=1 where it cannot be had"),
    ExpectedSkip("a service or program make test installs",
                 re.compile(r"^(no PostgreSQL|no private PostgreSQL|no Redis|redis-server|java is missing|"
                            r"pyspark is not installed|poppler-utils not installed|pdftotext|"
                            r"gunicorn is not installed)"),
                 lambda: _switch(TOOLS_SWITCH),
                 f"run `make test` (or `make browser java services`), or set {TOOLS_SWITCH}=1 to accept the skip"),
)

_skipped: list[tuple[str, str]] = []        # (test id, reason), gathered where the reports arrive


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def unexpected_skips(skipped: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(test id, reason, what to do) of every skip :data:`EXPECTED_SKIPS` does not allow now."""
    out = []
    for nodeid, reason in skipped:
        rule = next((r for r in EXPECTED_SKIPS if r.reason.search(reason)), None)
        if rule is None:
            out.append((nodeid, reason, "no rule of tests/conftest.py EXPECTED_SKIPS allows this skip"))
        elif not rule.allowed():
            out.append((nodeid, reason, rule.otherwise))
    return out


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Every skip of the run (with pytest-xdist, the workers' reports arrive here in the controller)."""
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append((report.nodeid, skip_reason(report)))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run with an unexpected skip fails (exit status 1), whatever else passed."""
    if hasattr(session.config, "workerinput"):
        return                            # a pytest-xdist worker: the controller judges the whole run
    if unexpected_skips(_skipped) and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    allowed = [r.what for r in EXPECTED_SKIPS if r.allowed()]
    if allowed:
        terminalreporter.write_line(f"skips allowed in this run: {'; '.join(allowed)} "
                                    f"({SAMPLE_SWITCH}={os.environ.get(SAMPLE_SWITCH, '')!s}, "
                                    f"{TOOLS_SWITCH}={os.environ.get(TOOLS_SWITCH, '')!s})", yellow=True)
    bad = unexpected_skips(_skipped)
    if not bad:
        return
    terminalreporter.section(f"{len(bad)} unexpected skip(s): the run fails", sep="=", red=True, bold=True)
    by_advice: dict[str, list[tuple[str, str]]] = {}
    for nodeid, reason, advice in bad:
        by_advice.setdefault(advice, []).append((nodeid, reason))
    for advice, tests in by_advice.items():
        terminalreporter.write_line(f"{len(tests)} skipped: {advice}", red=True)
        for nodeid, reason in tests:
            terminalreporter.write_line(f"  {nodeid}: {reason}")


# --------------------------------------------------------------------------- hermetic tests

#: What ``make run`` and the product's defaults write in the working copy (git-ignored). A test that
#: opened them would test the developer's last ``make run``, not the code, and CI has none of them.
DEVELOPER_PATHS: tuple[str, ...] = tuple(str(ROOT / p) for p in (
    "artifacts", "reports", "instance", os.path.join("data", "demo"), "mlruns", "mlflow.db", "logs"))
_AUDITED = frozenset({"open", "os.listdir", "os.scandir", "os.mkdir", "os.rename", "os.remove", "os.rmdir",
                      "os.chmod", "shutil.copyfile", "shutil.copytree", "shutil.rmtree", "sqlite3.connect",
                      "glob.glob"})
_touched: list[str] = []
#: Known exceptions, each to be fixed where it says, then removed: {test id: (the paths, or folders, it
#: may still touch, relative to the working copy; why, and the fix)}.
NOT_HERMETIC_YET: dict[str, tuple[tuple[str, ...], str]] = {}


def _excused(nodeid: str, touched: str) -> bool:
    path = touched.split(" ", 1)[1]
    return any(path == p or path.startswith(p + os.sep) for p in NOT_HERMETIC_YET.get(nodeid, ((), ""))[0])


def _developer_path(arg: Any) -> str | None:
    if isinstance(arg, bytes):
        arg = os.fsdecode(arg)
    elif not isinstance(arg, str):
        if not hasattr(arg, "__fspath__"):
            return None
        arg = os.fspath(arg)
        if isinstance(arg, bytes):
            arg = os.fsdecode(arg)
    if not arg or arg == ":memory:":
        return None
    path = os.path.normpath(arg if os.path.isabs(arg) else os.path.join(os.getcwd(), arg))
    for root in DEVELOPER_PATHS:
        if path == root or path.startswith(root + os.sep):
            return path
    return None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _AUDITED:
        return
    try:
        for arg in args[:2]:                       # (path, ...) or (src, dst, ...)
            path = _developer_path(arg)
            if path is not None:
                _touched.append(f"{event} {os.path.relpath(path, ROOT)}")
    except Exception:                              # an audit hook must never break what it watches
        pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A phase (setup, call, teardown) that touched :data:`DEVELOPER_PATHS` fails, naming them."""
    report: pytest.TestReport = yield
    if _touched:
        touched = sorted(t for t in set(_touched) if not _excused(item.nodeid, t))
        _touched.clear()
        if touched and not report.failed:
            report.outcome = "failed"
            report.longrepr = (f"not hermetic: this test ({call.when}) used the working copy's run-time files "
                               f"instead of the suite's own: {', '.join(touched[:8])}"
                               f"{' …' if len(touched) > 8 else ''} (tests/conftest.py DEVELOPER_PATHS)")
    return report


def pytest_configure(config: pytest.Config) -> None:
    """Each pytest-xdist worker serves its dash_duo apps on its own ports.

    dash's runners count ports up from one fixed base in every process, so two workers started the
    same number of servers on the same port. The second bind fails, but dash's start-up check can be
    answered by the other worker's app meanwhile, and the test then drives that app (the likely cause
    of a CI flake: a sign-in refused, as by a stranger's users file). The ranges sit below Linux's ephemeral ports (32768+), where
    the browser's and the tests' own outgoing connections take theirs.

    Each process also watches that no test opens :data:`DEVELOPER_PATHS` (an audit hook, cheap), and
    the controller of a pytest-xdist run starts building the session's pair if it is not kept yet.
    """
    from dash.testing.application_runners import BaseDashRunner

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    BaseDashRunner._next_port = 20_000 + 1_000 * (int(worker) if worker.isdigit() else 0)
    sys.addaudithook(_audit)
    # the cyclic garbage collector of the test processes, run less often: the default (700, 10, 10) took 7 %
    # of their CPU over eight numerical and API modules, (10_000, 20, 20) 2 % (3.3-3.9 -> 0.8-1.2 s per
    # worker, two runs each way); the product's processes keep Python's default
    gc.set_threshold(10_000, 20, 20)
    _build_pair_while_workers_start(config)


def pytest_setup_options():
    """Chrome flags for dash_duo on a closed network, as root, in a container.

    Site isolation is off: every test page comes from this machine's one test site, and without it a
    dashboard load costs Chromium 1.8–2.0 core-s instead of 2.3–2.5 (all its processes, median of six
    warm loads, five runs with, three without); over four browser modules the gain was 0–10 % (two runs each way,
    inside the machine's noise). What a page does (CSP, CORS, cookies) is enforced the same without it."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process",
                 "--window-size=1366,768"):
        options.add_argument(flag)
    return options


@pytest.fixture(scope="session")
def chromium(request, tmp_path_factory):
    """One headless Chromium per test worker, shared by every browser test (see :func:`dash_duo`).

    Starting Chromium and its driver for each of some 60 browser tests cost about 2 s of a busy core
    each; a page load in a browser that has seen the dashboard's scripts before also parses less."""
    from dash.testing.composite import DashComposite

    config = request.config
    with DashComposite(server=None, browser=config.getoption("webdriver"), remote=config.getoption("remote"),
                       remote_url=config.getoption("remote_url"), headless=config.getoption("headless"),
                       options=config.hook.pytest_setup_options(),
                       download_path=str(tmp_path_factory.mktemp("download")),
                       percy_assets_root=config.getoption("percy_assets"),
                       percy_finalize=config.getoption("nopercyfinalize"), pause=config.getoption("pause")) as browser:
        yield browser


@pytest.fixture(scope="session")
def dash_port() -> int:
    """The port every app served to :func:`chromium` uses in this worker, one after the other: the
    browser's cache of the dashboard's scripts (and their compiled code) is kept from test to test. It
    sits in the worker's own range (:func:`pytest_configure`), above what dash's runners count up."""
    from dash.testing.application_runners import BaseDashRunner

    return BaseDashRunner._next_port + 500


@pytest.fixture
def dash_thread_server(dash_port):
    """A threaded test server for dash_duo, on the worker's :func:`dash_port` unless a test asks for another.

    It serves ``app.server`` as gunicorn does (no ``app.run``), and stops the way a server should: no new
    connection, then the requests in flight answered. dash.testing's own ``ThreadedRunner`` stops by
    raising ``SystemExit`` in every thread started since it was made, whatever it is doing: a request
    waiting on a child process, a lock held, a background task of the app (pytest warned of it, and the
    request's child was killed half-way)."""
    from dash.testing.application_runners import ThreadedRunner

    class Graceful(ThreadedRunner):
        def start(self, app: Any, start_timeout: float = 3, port: int | None = None, **_: Any) -> None:
            import threading

            from werkzeug.serving import WSGIRequestHandler, make_server

            class OneRequestPerConnection(WSGIRequestHandler):
                protocol_version = "HTTP/1.0"    # no idle keep-alive connection for stop() to wait on

            if self.started:
                self.stop()
            self.port = port or dash_port
            self._server = make_server("127.0.0.1", self.port, getattr(app, "server", app), threaded=True,
                                       request_handler=OneRequestPerConnection)
            self._server.daemon_threads = False     # socketserver then keeps the request threads, to join
            self.thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                           name=f"test-server-{self.port}", daemon=True)
            self.thread.start()
            self._app, self.started = app, True

        def stop(self) -> None:
            self._server.shutdown()            # the accept loop ends: no new request
            in_flight = list(vars(self._server).get("_threads", ()))
            for request in in_flight:
                request.join(30)
            self._server.socket.close()
            self.thread.join(self.stop_timeout)
            busy = [t.name for t in in_flight if t.is_alive()]
            assert not busy and not self.thread.is_alive(), f"the test server did not stop: {busy} still answering"
            self._app, self.started = None, False

    with Graceful() as runner:
        yield runner


@pytest.fixture
def dash_duo(chromium, dash_thread_server, dash_port):
    """dash.testing's ``dash_duo`` (a served app and a browser), the browser shared by the worker's tests
    and handed over as new: no cookie, nothing stored by the app's origin, the default window size and
    wait, no console message of an earlier test; each test serves its own app."""
    chromium.server = dash_thread_server
    _blank_slate(chromium, dash_port)
    yield chromium
    chromium.driver.get("about:blank")   # nothing left polling a server that is about to stop


def _blank_slate(browser: Any, port: int) -> None:
    driver = browser.driver
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    for host in ("localhost", "127.0.0.1"):
        driver.execute_cdp_cmd("Storage.clearDataForOrigin",
                               {"origin": f"http://{host}:{port}",
                                "storageTypes": "cookies,local_storage,session_storage,indexeddb,cache_storage,"
                                                "service_workers,websql,file_systems"})
    if len(driver.window_handles) > 1:
        for handle in driver.window_handles[1:]:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(driver.window_handles[0])
    driver.set_window_size(1366, 768)
    browser.wait_timeout = 10
    driver.get_log("browser")            # drained: get_logs() shows this test's messages only


@pytest.fixture(autouse=True, scope="session")
def _one_hash_per_password() -> Iterator[None]:
    """``auth.add_user`` hashes a password once per session: a real scrypt hash, salted once, that checks
    as any other (a hash costs 0.14 s of a core, and some hundred tests add the same two or three users
    to a users file of their own); and the check of a password against a hash, a pure function of the
    two, is computed once per pair (0.1 s of a core per sign-in; the sign-in's own logic, throttle and
    same-cost-for-unknown-names included, runs as in production)."""
    import functools

    import auth

    real = auth.generate_password_hash, auth.check_password_hash
    auth.generate_password_hash, auth.check_password_hash = (functools.cache(f) for f in real)
    yield
    auth.generate_password_hash, auth.check_password_hash = real


#: What the session's demo data and tiny model are made from: the same files, the same libraries, the
#: same pair (tests/conftest.py :func:`_session_pair`).
PAIR_SOURCES = ("data", "model", "settings.py", "tests/tiny_model.py", "requirements.txt")
PAIR_LIBRARIES = ("catboost", "numpy", "pandas", "pyarrow", "scikit-learn", "scipy", "shap")


def pair_digest() -> str:
    """A digest of every source file and library version the demo data and tiny model depend on."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(sys.version.encode())
    for lib in PAIR_LIBRARIES:
        digest.update(f"{lib}={version(lib)}".encode())
    for name in PAIR_SOURCES:
        path = ROOT / name
        files = [path]
        if path.is_dir():
            files = []
            for folder, subfolders, names in os.walk(path):
                # the demo data of `make run` is not read (a developer path, and not a source)
                subfolders[:] = sorted(d for d in subfolders if d != "__pycache__"
                                       and os.path.join(folder, d) not in DEVELOPER_PATHS)
                files += [Path(folder) / n for n in sorted(names)]
        for file in files:
            if file.suffix in (".py", ".json", ".txt") and file.is_file():
                digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def _session_pair(request, tmp_path_factory) -> tuple[Path, Path]:
    """(demo data, tiny model), built once and kept in pytest's cache under the digest of everything they
    are made from (:func:`pair_digest`): a run after a change to any of it builds them again, a run with
    nothing changed copies them (the edit-run loop's 11 s of building per worker). Each session works on
    its own copy, so no test can change what the next run starts from.

    One process builds and the others wait for it (a lock beside the kept pairs): the controller of a
    pytest-xdist run, while its workers start (:func:`pytest_configure`), or the first worker to ask."""
    import shutil

    data, model = tmp_path_factory.mktemp("demo-data"), tmp_path_factory.mktemp("model")
    cache = getattr(request.config, "cache", None)     # None under -p no:cacheprovider
    if cache is None:
        from tests.tiny_model import build_pair

        build_pair(data, model)
        return data, model
    kept = _kept_pair(request.config)
    if not (kept / "complete").exists():
        with _pair_lock(kept):
            if not (kept / "complete").exists():
                _keep_pair(kept)
    shutil.copytree(kept / "data", data, dirs_exist_ok=True)
    shutil.copytree(kept / "model", model, dirs_exist_ok=True)
    _point_model_at(model, data)
    return data, model


def _kept_pair(config: pytest.Config) -> Path:
    """Where pytest's cache keeps the pair of the sources as they are now."""
    return Path(config.cache.mkdir("demo-and-tiny-model")) / pair_digest()


def _pair_lock(kept: Path) -> IO[str]:
    """The lock of the kept pairs, taken (blocks while another process builds); closing the file releases it."""
    import fcntl

    lock = open(kept.parent / ".lock", "a")      # noqa: SIM115 - the caller closes it: that releases the lock
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def _keep_pair(kept: Path) -> None:
    """Build the pair into pytest's cache under ``kept`` (staged, then renamed: whole or absent)."""
    import shutil

    from tests.tiny_model import build_pair

    staging = kept.with_name(f"{kept.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    build_pair(staging / "data", staging / "model")
    (staging / "complete").touch()
    for old in kept.parent.iterdir():                     # earlier digests (and the lock, which has a dot): kept
        if old not in (staging, kept) and "." not in old.name:
            shutil.rmtree(old, ignore_errors=True)
    staging.rename(kept)


def _build_pair_while_workers_start(config: pytest.Config) -> None:
    """In the controller of a pytest-xdist run whose pair is not kept yet (a fresh clone, an edit to what
    the pair is made from): take the lock now, before the workers exist, and build the pair in a thread
    while they start and collect (some 5 s); they copy it when it is done. Two workers each building it
    (11 s of a core each, at the start of every run on a fresh clone) is then one build, partly hidden."""
    import threading

    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None) \
            or getattr(config, "cache", None) is None:
        return
    kept = _kept_pair(config)
    if (kept / "complete").exists():
        return
    lock = _pair_lock(kept)                      # released by the build thread, when the pair is kept

    def build() -> None:
        with lock, contextlib.suppress(Exception):   # on failure a worker builds it, and shows the error in a test
            _keep_pair(kept)

    threading.Thread(target=build, name="demo-and-tiny-model", daemon=True).start()


def _point_model_at(model: Path, data: Path) -> None:
    """The copied model says it was trained on the session's copy of the data, as a model trained there
    would (``metadata.data_dir``, the folder ``make run`` and the start-up checks compare), digests kept true."""
    import json

    from model.artifact import METADATA_FILE, record_digests, resolve_version_dir

    version = resolve_version_dir(model)
    metadata = json.loads((version / METADATA_FILE).read_text(encoding="utf-8"))
    metadata["data_dir"] = str(data.resolve())
    (version / METADATA_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    record_digests(version)


@pytest.fixture(scope="session")
def demo_data_dir(_session_pair) -> Path:
    """A small generated demo dataset (Kaggle schema, 3,000 + 400 clients), the session's own."""
    return _session_pair[0]


@pytest.fixture(scope="session")
def tiny_model_dir(_session_pair) -> Path:
    """A real model trained quickly on the small demo dataset (few iterations, 3 folds); both fitted
    groups, so that serving them is tested end to end."""
    return _session_pair[1]


@pytest.fixture(scope="session")
def tiny_scorer(tiny_model_dir):
    from model.scoring import Scorer

    return Scorer.load(tiny_model_dir)


@pytest.fixture(scope="session")
def records_cache_dir(tmp_path_factory) -> Path:
    """The store of the demo clients' raw rows (``RECORDS_CACHE_DIR``) that the session's apps share, as
    a host's workers do: built once per test process (some 2 s of a core each time: a child process
    loads the tables) instead of once per app. tests/test_records_store.py builds its own."""
    return tmp_path_factory.mktemp("client-records")


@pytest.fixture(scope="module")
def dashboard_app(tiny_scorer, demo_data_dir, records_cache_dir, tmp_path_factory):
    """The dashboard of the tiny model and its data, scoring log off, an empty drift folder of its own
    (one per test module)."""
    from app import create_app
    from settings import get_settings

    settings = get_settings({"INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")), "SCORING_LOG": "off",
                             "HOME_CREDIT_DIR": str(demo_data_dir), "RECORDS_CACHE_DIR": str(records_cache_dir),
                             "DRIFT_DIR": str(tmp_path_factory.mktemp("reports"))})
    return create_app(settings, tiny_scorer)


@pytest.fixture
def duo(dashboard_app, dash_duo):
    """dash_duo serving :func:`dashboard_app` with the sign-in switched off."""
    from tests.helpers import served_without_sign_in

    with served_without_sign_in(dashboard_app, dash_duo) as served:
        yield served


@pytest.fixture(scope="session")
def drift_report_dir(tiny_scorer, tiny_model_dir, tmp_path_factory) -> Path:
    """A folder as ``python -m model.monitoring.drift --out`` leaves it (Evidently's HTML report and the
    JSON summary), built from the tiny model's own clients: two random halves, the second with its
    most important numeric feature shifted, so the report has a drifted feature to draw."""
    import numpy as np

    from model.monitoring.drift import run_drift

    pop = tiny_scorer.population
    chosen = [r.feature for r in tiny_scorer.importance if r.feature not in tiny_scorer.cat_features
              and pop[r.feature].notna().mean() > 0.9 and pop[r.feature].nunique() > 20][:4]
    perm = np.random.default_rng(11).permutation(len(pop))
    reference, current = pop.iloc[perm[: len(pop) // 2]], pop.iloc[perm[len(pop) // 2:]].copy()
    current[chosen[0]] = current[chosen[0]] + 2 * pop[chosen[0]].std()
    out = tmp_path_factory.mktemp("drift-report")
    run_drift(reference[chosen], current[chosen], out, model_dir=tiny_model_dir, n_features=None, log=None)
    return out


# --------------------------------------------------------------------------- the edit-run loop

#: Fixtures that make a test slow: a real browser, a real server or service, the real extracts, Spark.
SLOW_FIXTURES = frozenset({"dash_duo", "duo", "dash_br", "dash_thread_server", "gunicorn", "hosts", "private_pg",
                           "private_redis", "redis_prefix", "real_sample_dir", "real_large_dir", "spark"})
#: Modules slow as a whole (each test trains a model, starts processes or a server).
SLOW_MODULES = frozenset({"test_train.py", "test_registry.py", "test_multi_host.py", "test_run_rules.py",
                          "test_server.py", "test_scoring_log.py", "test_batch.py", "test_demo_risk.py",
                          "test_generate.py", "test_records_store.py", "test_startup_checks.py",
                          "test_broken_artifacts.py", "test_auth_cli.py", "test_report.py", "test_drift_page.py",
                          "test_reasons_everywhere.py", "test_http_hardening.py", "test_forged_callbacks.py",
                          "test_sign_in_throttle.py", "test_fuzz.py"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``slow`` on every test that needs a browser, a server, a service, the real extracts, or lives in a
    module of :data:`SLOW_MODULES`: ``make test-fast`` (``-m "not slow"``) runs the rest for the edit-run
    loop; ``make test`` runs everything, the modules with slow tests first."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    # the modules holding slow tests first, the quick ones last: xdist hands out whole modules (``make test``
    # runs it with --no-loadscope-reorder, so in this order), and a worker that takes a 40 s module of
    # browser tests last keeps the other waiting that long (31 s at the end of a run, measured)
    # and, in each group, the modules that make their own data before those that use the session's pair:
    # each worker's first modules run while the controller builds a pair not kept yet (a fresh clone)
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    pair_modules = {item.path for item in items if "_session_pair" in getattr(item, "fixturenames", ())}
    items.sort(key=lambda item: (item.path not in slow_modules, item.path in pair_modules))
