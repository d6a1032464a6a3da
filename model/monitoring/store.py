"""The product's database: every score served and every human review, on one SQLAlchemy engine.

Why a database rather than files: a client's history, a period's applications and a review
trail are queries (by client, by time), several gunicorn workers write at once, and the audit
rows must never change. The schema is SQLAlchemy Core (no ORM: rows are records, not objects)
and runs unchanged on SQLite (the default, one file under ``instance/``) and PostgreSQL.

* ``scores``: one row per score served (the scoring log), its inputs a compressed array of values
  aligned with ``feature_sets`` (the feature names, kept once per model version); ``reviews``: one row per human review
  (:mod:`model.monitoring.reviews`); ``imports``: the legacy JSON Lines files already imported,
  so that an import is never repeated; ``schema_version``: one row, checked at start.
* **Append-only, enforced by the database**: triggers refuse UPDATE and DELETE (and TRUNCATE on
  PostgreSQL) on ``scores`` and ``reviews``, so neither the model's decision nor a reviewer's
  words can be rewritten by a bug or by hand through the application's connection. The one
  exception is retention: a score older than :data:`settings.MIN_RETENTION_DAYS` (six months, the
  EU AI Act's floor, judged on the database's clock) may be deleted, a recent one never.
* **Migrations**: a database of an older :data:`SCHEMA_VERSION` is brought up to date in place at
  start, under the schema lock (:data:`_MIGRATIONS`); an unknown version is refused.
* **Times are UTC, timezone-aware** (:class:`UTCDateTime`): SQLite has no time zone type, so
  values are stored as naive UTC there and given back aware.
* **Several processes**: SQLite runs in WAL mode, so readers never wait for a writer. A write
  (:func:`writing`) takes the write lock when it begins (``BEGIN IMMEDIATE``) and, while another
  process holds it (a backup, a ``sqlite3`` shell, another worker), waits for it in tries that
  never block, with pauses between them that yield to the other requests (a gevent worker's
  ``time.sleep`` is cooperative): SQLite's own busy wait would freeze every request
  of the worker, health included. After :data:`STORE_WAIT_S` the write fails with "database is
  locked", which the web layer answers with a 503 and ``Retry-After``. ``synchronous = NORMAL``
  for scores and a synced commit for reviews (``writing(durable=True)``); the schema is
  created under a file lock (SQLite) or an advisory lock (PostgreSQL), so workers starting at
  once neither race nor fail.

URLs: ``sqlite:///path/product.db``; ``postgresql://user@host/db`` (mapped to the psycopg 3
driver, ``postgresql+psycopg://``).
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.engine.interfaces import ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.types import DateTime, LargeBinary, TypeDecorator

from settings import MIN_RETENTION_DAYS

#: Bumped with every change of the tables; a database of another version is refused at start.
SCHEMA_VERSION = 4
#: How long an SQLite statement blocks waiting for another connection's lock (ms): short, since the wait
#: blocks the whole gevent worker (SQLite's busy handler sleeps in C). Readers of a WAL database wait only
#: in rare moments (a checkpoint resetting the log); a write waits in :func:`_begin_immediate` instead.
SQLITE_BUSY_MS = 20
#: How long a write waits, in cooperative pauses between tries, for another process's write lock
#: before failing (seconds): the web layer then answers 503 with ``Retry-After``.
STORE_WAIT_S = 1.0
#: The same wait for the schema check at start (no request is waiting then: a migration or a backup
#: running in another process may take a while).
SCHEMA_WAIT_S = 30.0
#: Execution option of a connection that writes: the seconds its ``BEGIN IMMEDIATE`` may wait.
_WRITE_WAIT = "store_write_wait_s"
#: SQLite's result codes of a lock held by another connection (SQLITE_BUSY, SQLITE_LOCKED).
_SQLITE_LOCK_CODES = (5, 6)
#: Key of the PostgreSQL advisory lock held while the schema is checked or created.
_PG_SCHEMA_LOCK = 0x5C0_12E5

# the probabilities and decisions of a served score; long enough for every Decision and grade
_SHORT = 32


class StoreError(RuntimeError):
    """The database cannot be used as it is (unknown schema version, unreachable server)."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out, on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no such type, so the value is stored as naive
    UTC text, which also keeps its order (fixed-width ISO text sorts as time does).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a stored time must be timezone-aware (UTC), got naive {value.isoformat()}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite makes only an INTEGER PRIMARY KEY an alias of the row id (autoincrement); PostgreSQL gets 64 bits
_ID = BigInteger().with_variant(Integer(), "sqlite")
_FEATURES = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData()

#: The feature names of a model version, once: a score's inputs are an array aligned with them, not
#: a dict repeating ~441 names in every row (15.5 KB a score; ~1.6 KB without them, compressed).
feature_sets = Table(
    "feature_sets", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("model_version", String(64), nullable=False),
    #: SHA-256 of the names' JSON, so that a set is found without comparing lists
    Column("sha256", String(64), nullable=False),
    Column("names", _FEATURES, nullable=False),
    UniqueConstraint("model_version", "sha256", name="feature_sets_one_per_version"),
)

scores = Table(
    "scores", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("timestamp", UTCDateTime(), nullable=False, index=True),
    Column("client_id", BigInteger(), nullable=True, index=True),
    Column("source", String(_SHORT), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("probability", Float(), nullable=False),
    Column("threshold", Float(), nullable=True),
    Column("decision", String(_SHORT), nullable=False),
    Column("grade", String(_SHORT), nullable=True),
    #: Inputs by name: rows written before schema version 2 (``{}`` since then, or with no inputs).
    Column("features", _FEATURES, nullable=False),
    #: Since version 2: the inputs as a zlib-compressed JSON array aligned with this feature set's names.
    Column("feature_set", _ID, ForeignKey("feature_sets.id"), nullable=True),
    Column("feature_values", LargeBinary(), nullable=True),
    #: Since version 3: the reason codes the score carried, in order, comma-separated (empty for a grant).
    Column("reason_codes", String(200), nullable=True),
)

#: Longest reason a reviewer may write (characters): a paragraph, not a file.
REASON_MAX = 2000
AUTHOR_MAX = 150

reviews = Table(
    "reviews", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("timestamp", UTCDateTime(), nullable=False, index=True),
    Column("client_id", BigInteger(), nullable=False, index=True),
    Column("author", String(AUTHOR_MAX), nullable=False),
    Column("verdict", String(_SHORT), nullable=False),
    Column("decision", String(_SHORT), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("model_decision", String(_SHORT), nullable=False),
    Column("model_probability", Float(), nullable=False),
    Column("model_version", String(64), nullable=False),
    CheckConstraint("verdict IN ('confirm', 'override')", name="reviews_verdict"),
    CheckConstraint(f"length(reason) BETWEEN 1 AND {REASON_MAX}", name="reviews_reason"),
)

imports = Table(
    "imports", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("path", Text(), nullable=False),
    Column("rows", Integer(), nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
)

#: Signed-in sessions of the dashboard (``auth.py``): the cookie carries a random token, only its
#: SHA-256 is stored; signing out (or expiry) ends it on every worker and host at once.
sign_ins = Table(
    "sign_ins", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("username", String(AUTHOR_MAX), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

#: Failed sign-ins of the last hour (:class:`model.monitoring.sign_ins.SignInThrottle`): counted in the
#: database, not per worker, so every worker and host sees the same counts. Not append-only: rows past
#: the longest window are deleted. ``device``: the SHA-256 of the device cookie's nonce, when one was sent.
sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("address", String(64), nullable=False),
    Column("username", String(AUTHOR_MAX), nullable=False),
    Column("device", String(64), nullable=True),
    Index("sign_in_failures_by_address", "address", "at"),
    Index("sign_in_failures_by_username", "username", "at"),
    Index("sign_in_failures_by_device", "device", "at"),
)

schema_version = Table(
    "schema_version", metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("version", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("id = 1", name="schema_version_one_row"),
)

#: Tables whose rows are never updated nor deleted.
APPEND_ONLY = (scores, reviews)

_PG_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: rows are never changed or deleted';
END
$$"""
# scores: a row older than the retention floor may be deleted (retention), nothing else changes
_PG_SCORES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION scores_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD."timestamp" < now() - interval '{MIN_RETENTION_DAYS} days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'scores is append-only: rows are never changed, nor deleted before '
        || '{MIN_RETENTION_DAYS} days';
END
$$"""


def _ddl(dialect: str, *statements: str) -> Callable[..., None]:
    """A create-event listener running ``statements`` on one dialect (in create_all's transaction)."""
    def run(_target: object, connection: Connection, **_kw: object) -> None:
        if connection.dialect.name == dialect:
            for statement in statements:
                connection.exec_driver_sql(statement)
    return run


def _sqlite_triggers(table: str) -> tuple[str, ...]:
    refusal = f"'{table} is append-only: rows are never changed or deleted'"
    # timestamps are naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff": they compare as text with SQLite's own
    when = f" WHEN OLD.timestamp >= datetime('now', '-{MIN_RETENTION_DAYS} days')" if table == "scores" else ""
    return (f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, {refusal}); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}{when} "
            f"BEGIN SELECT RAISE(ABORT, {refusal}); END")


def _pg_triggers(table: str) -> tuple[str, ...]:
    function = "scores_append_only" if table == "scores" else "append_only"
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION append_only()")


event.listen(metadata, "before_create", _ddl("postgresql", _PG_APPEND_ONLY_FUNCTION, _PG_SCORES_FUNCTION))
for _table in APPEND_ONLY:
    event.listen(_table, "after_create", _ddl("sqlite", *_sqlite_triggers(_table.name)))
    event.listen(_table, "after_create", _ddl("postgresql", *_pg_triggers(_table.name)))


# --------------------------------------------------------------------------- engine

def normalise_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` get the psycopg 3 driver; other URLs are kept."""
    parsed = make_url(str(url).replace("postgres://", "postgresql://", 1) if str(url).startswith("postgres://")
                      else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _json_dumps(value: Any) -> str:
    # compact and fast; NaN cannot occur (records hold None for a missing value)
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _on_sqlite_begin): the sqlite3 module's own implicit
    # transactions would not cover DDL consistently
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL + NORMAL: a commit is atomic and survives a crash of the process, and does not wait for
        # the disk (a score costs ~0.5 ms less); an OS crash or power cut may lose the last scores, as
        # the legacy log (never fsynced) could. Reviews and imports commit with writing(durable=True).
        cursor.execute(f"PRAGMA synchronous = {_SQLITE_SYNC}")
    finally:
        cursor.close()


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot answer now (server stopped, connection lost, pool
    exhausted, another process's write lock held too long), as opposed to a bug in a statement: the
    first is a 503 to retry, the second a 500."""
    return isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)) or \
        (isinstance(exc, DBAPIError) and bool(exc.connection_invalidated))


class StoreHealth:
    """What this process last saw of its database, for the health probe: it answers from here without
    a query, since a query is what may have to wait."""

    def __init__(self) -> None:
        self._failed_at: datetime | None = None
        self._reason = ""

    def failed(self, exc: BaseException) -> None:
        self._failed_at, self._reason = datetime.now(UTC), str(exc).splitlines()[0] if str(exc) else type(exc).__name__

    def answered(self) -> None:
        self._failed_at = None

    def to_dict(self) -> dict[str, str]:
        """``{"status": "ok"}``, or ``unavailable`` with since when and why (the database's first line)."""
        if self._failed_at is None:
            return {"status": "ok"}
        return {"status": "unavailable", "since": self._failed_at.isoformat(timespec="seconds"),
                "reason": self._reason}


_HEALTH: weakref.WeakKeyDictionary[Engine, StoreHealth] = weakref.WeakKeyDictionary()


def health_of(engine: Engine) -> StoreHealth:
    """The health seen of ``engine``: failed at its last outage, answered again at its next commit."""
    return _HEALTH.setdefault(engine, StoreHealth())


def _watch_health(engine: Engine) -> None:
    health = health_of(engine)

    def on_error(context: ExceptionContext) -> None:
        exc = context.sqlalchemy_exception
        if exc is not None and is_outage(exc):
            health.failed(exc)

    event.listen(engine, "handle_error", on_error)
    event.listen(engine, "commit", lambda _conn: health.answered())


def _on_sqlite_begin(connection: Connection) -> None:
    wait_s = connection.get_execution_options().get(_WRITE_WAIT)
    if wait_s is None:
        connection.exec_driver_sql("BEGIN")        # a read: takes no lock until it reads, never waits
    else:
        _begin_immediate(connection, float(wait_s))


def is_locked(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (another connection holds the lock)."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    return code in _SQLITE_LOCK_CODES if code is not None else "database is locked" in str(orig)


def _begin_immediate(connection: Connection, wait_s: float) -> None:
    """``BEGIN IMMEDIATE``, tried again while another process holds the write lock, for ``wait_s``.

    No try blocks (the busy timeout is 0 meanwhile); the pauses between tries are ``time.sleep``, which
    a gevent worker has made cooperative, so the worker's other requests run meanwhile.
    """
    deadline = time.monotonic() + wait_s
    pause = 0.01
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA busy_timeout = 0")        # a try never blocks: the waiting is done here
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except SQLAlchemyError as exc:
                if not is_locked(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")


_SQLITE_SYNC = "NORMAL"


@contextmanager
def writing(engine: Engine, *, durable: bool = False, wait_s: float | None = None) -> Iterator[Connection]:
    """A write transaction: the write lock taken at its start, waited for at most ``wait_s`` seconds
    (:data:`STORE_WAIT_S` by default) without freezing the worker (module docstring), committed when the block ends.

    ``durable``: the commit is on disk when the block ends, for what must survive a power cut (a
    reviewer's words, an import after which the legacy file is renamed). On SQLite the connection then
    syncs the write-ahead log at this commit (``synchronous = FULL``, set outside the transaction:
    SQLite refuses it inside one); a server database always does.
    """
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:
            conn.execution_options(**{_WRITE_WAIT: STORE_WAIT_S if wait_s is None else wait_s})
            if durable:
                raw.execute("PRAGMA synchronous = FULL")
        try:
            with conn.begin():
                yield conn
        finally:
            if raw is not None and durable:
                raw.execute(f"PRAGMA synchronous = {_SQLITE_SYNC}")


#: Files of an SQLite database besides the database itself (write-ahead log, its shared-memory index).
_SQLITE_COMPANIONS = ("-wal", "-shm")


def _private_database(path: Path) -> None:
    """An SQLite database file readable and writable by its owner only, like the other secret files
    (scores, feature values, reviews and sign-ins are personal data).

    A missing file is created empty with mode 0600 (SQLite takes an empty file for a new database) and
    SQLite creates ``-wal`` and ``-shm`` with the database's own mode; an existing file, or its
    companions, readable by others (made by an older version, or by hand) is set to 0600 at start.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        for file in (path, *(path.with_name(path.name + suffix) for suffix in _SQLITE_COMPANIONS)):
            try:
                mode = file.stat().st_mode
            except FileNotFoundError:
                continue
            if mode & 0o077:
                os.chmod(file, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot make the database {path} private to its owner: {exc.strerror or exc}") from None


def create_store_engine(url: str | URL) -> Engine:
    """A new engine for ``url`` with the schema checked (created when the database is empty).

    Prefer :func:`engine_for`, which keeps one engine per URL and process.
    """
    parsed = normalise_url(url)
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            _private_database(path)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    _watch_health(engine)
    _FORKABLE.add(engine)
    try:
        ensure_schema(engine)
    except StoreError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the database {parsed.render_as_string(hide_password=True)}: "
                         f"{str(exc).splitlines()[0]}") from exc
    return engine


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
#: Engines of this process: a forked child (gunicorn with --preload, multiprocessing) must not
#: reuse its parent's connections, so their pools are reset in the child.
_FORKABLE: weakref.WeakSet[Engine] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for engine in list(_FORKABLE):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def engine_for(url: str | URL) -> Engine:
    """The process's one engine for ``url`` (created, and its schema checked, on first use)."""
    key = normalise_url(url).render_as_string(hide_password=False)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = create_store_engine(key)
        return engine


# --------------------------------------------------------------------------- schema

@contextmanager
def _schema_lock(engine: Engine) -> Iterator[None]:
    """Held while the schema is checked or created: one process creates it, the others wait and see it."""
    path = _sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)   # closing releases the lock


def ensure_schema(engine: Engine) -> None:
    """Create the tables and triggers of an empty database, or check the version of an existing one.

    Raises :class:`StoreError` for a database of another schema version, or one holding some of
    the product's tables without a version (made by hand or by a failed older start).
    """
    with _schema_lock(engine), writing(engine, wait_s=SCHEMA_WAIT_S) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK})
        present = set(inspect(conn).get_table_names())
        if schema_version.name in present:
            version = conn.execute(select(schema_version.c.version)).scalar_one_or_none()
            while version != SCHEMA_VERSION and version in _MIGRATIONS:
                version = _MIGRATIONS[version](conn)
                conn.execute(update(schema_version).values(version=version))
            if version != SCHEMA_VERSION:
                raise StoreError(f"the database has schema version {version}, this code needs {SCHEMA_VERSION}: "
                                 "no migration is known between them")
            return
        ours = sorted(present & {t.name for t in metadata.sorted_tables})
        if ours:
            raise StoreError(f"the database holds {', '.join(ours)} but no schema version: not created by "
                             "this product, refusing to write into it")
        metadata.create_all(conn)
        conn.execute(insert(schema_version).values(id=1, version=SCHEMA_VERSION, created_at=datetime.now(UTC)))


def _migrate_1_to_2(conn: Connection) -> int:
    """Version 1 (scores with features by name; no sign-ins) → 2: new tables, the scores' two new
    columns, the scores' DELETE trigger allowing retention past the floor only."""
    metadata.create_all(conn, tables=[feature_sets, sign_ins])
    dialect = conn.dialect
    for name in ("feature_set", "feature_values"):
        column = scores.c[name]
        ref = " REFERENCES feature_sets (id)" if column.foreign_keys else ""
        conn.exec_driver_sql(f"ALTER TABLE scores ADD COLUMN {name} {column.type.compile(dialect=dialect)}{ref}")
    if dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER scores_no_update")
        conn.exec_driver_sql("DROP TRIGGER scores_no_delete")
        statements = _sqlite_triggers("scores")
    else:
        conn.exec_driver_sql("DROP TRIGGER scores_append_only ON scores")
        conn.exec_driver_sql("DROP TRIGGER scores_no_truncate ON scores")
        statements = (_PG_SCORES_FUNCTION, *_pg_triggers("scores"))
    for statement in statements:
        conn.exec_driver_sql(statement)
    return 2


def _migrate_2_to_3(conn: Connection) -> int:
    """Version 2 → 3: the scores' reason codes (NULL for the rows written before)."""
    column = scores.c.reason_codes
    conn.exec_driver_sql(f"ALTER TABLE scores ADD COLUMN reason_codes {column.type.compile(dialect=conn.dialect)}")
    return 3


def _migrate_3_to_4(conn: Connection) -> int:
    """Version 3 → 4: the failed sign-ins, counted in the database rather than per worker."""
    metadata.create_all(conn, tables=[sign_in_failures])
    return 4


#: Version → the step bringing a database of that version to the next (run in ensure_schema's transaction).
_MIGRATIONS: dict[int, Callable[[Connection], int]] = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4}


def database_bytes(engine: Engine) -> int | None:
    """Bytes on disk of an SQLite database (main file + write-ahead log); None for a server database."""
    path = _sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if path is None:
        return None
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
