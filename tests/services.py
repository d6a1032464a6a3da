"""Redis and PostgreSQL for the tests: fixtures imported by the test modules that need them.

Two kinds, because a test must never disturb what it does not own:

* on the machine's shared services (``make services`` starts them where nothing listens on
  127.0.0.1:6379 / 127.0.0.1:5432): :func:`pg_url` is a PostgreSQL database of the test's own,
  created and dropped afterwards; :func:`redis_prefix` a Redis key prefix of its own, its keys
  deleted afterwards;
* for the tests that stop a service mid-load, **private** instances the test may stop and start
  again: :class:`PrivateRedis` (``redis-server`` on a free port, nothing written to disk) and
  :class:`PrivatePostgres` (a throwaway cluster made by ``initdb`` in a temporary folder, run by
  ``pg_ctl`` as the ``postgres`` user when the tests run as root).

A test skips, naming what is missing, when a service or its binaries cannot be had.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from model.monitoring.store import normalise_url

#: The machine's shared services (``make services``; tools/services.sh).
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
SHARED_REDIS = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_port(port: int, up: bool, timeout: float = 20) -> None:
    """Until 127.0.0.1:port accepts connections (``up``) or refuses them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                listening = True
        except OSError:
            listening = False
        if listening == up:
            return
        time.sleep(0.05)
    raise RuntimeError(f"127.0.0.1:{port} still {'closed' if up else 'open'} after {timeout} s")


# --------------------------------------------------------------------------- shared services

def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(normalise_url(url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def _admin(admin_url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE / DROP DATABASE) on the server of ``admin_url``."""
    admin = _admin_engine(admin_url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        admin.dispose()


def create_database(admin_url: str) -> str:
    """A new empty database on the server of ``admin_url``; its URL."""
    name = f"credit_test_{uuid.uuid4().hex[:12]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    return str(sa.make_url(admin_url).set(database=name))


def drop_database(admin_url: str, url: str) -> None:
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of its own on the local PostgreSQL, dropped afterwards; skipped when none is reachable."""
    try:
        admin = _admin_engine(PG_ADMIN)
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        admin.dispose()
    except (sa.exc.OperationalError, ImportError) as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({str(exc).splitlines()[0][:100]})")
    url = create_database(PG_ADMIN)
    try:
        yield url
    finally:
        drop_database(PG_ADMIN, url)


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    """(URL of the shared Redis, a key prefix of this test's own); the prefix's keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(SHARED_REDIS, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({exc})")
    prefix = f"pad-test-{uuid.uuid4().hex[:10]}:"
    try:
        yield SHARED_REDIS, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


# --------------------------------------------------------------------------- private instances

class PrivateRedis:
    """A redis-server of the test's own on a free port, kept in memory only (``--save '' --appendonly no``)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (make services installs it)")
        self.binary, self.port = binary, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, up=True)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
        _wait_port(self.port, up=False)


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise FileNotFoundError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin (make services installs them)")
    return Path(found[-1]).parent


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (trust authentication, 127.0.0.1 only, fsync off) in a temporary folder.

    As root, PostgreSQL refuses to run: the cluster belongs to the ``postgres`` user and its commands
    run through ``runuser``.
    """

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pad-pg-"))
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(self.bin / tool), *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {(done.stderr or done.stdout).strip()[-500:]}")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
                   "-c max_connections=60 -c shared_buffers=16MB")
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-o", options,
                  "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        _wait_port(self.port, up=False)

    def remove(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass                     # not running
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of the module's own, started; stopped (its data gone) after the module."""
    try:
        server = PrivateRedis()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the module's own, started; removed after the module."""
    try:
        server = PrivatePostgres()
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.skip(f"no private PostgreSQL: {exc}")
    try:
        server.start()
        yield server
    finally:
        server.remove()
