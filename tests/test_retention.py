"""The scoring log stays bounded: a score is stored compactly (features as a compressed array beside
the model version's names), rows past the retention period are pruned (automatically and by the
CLI), the database itself refuses to delete a score younger than six months or to change one, and a
version-1 database of earlier releases is migrated in place, its old rows still reading back."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from model.monitoring import scoring_log as scoring_log_module
from model.monitoring import store
from model.monitoring.scoring_log import ScoringLog, record, record_from_payload
from model.monitoring.store import SCHEMA_VERSION, StoreError, create_store_engine, engine_for
from settings import MIN_RETENTION_DAYS, get_settings
from tests.test_scoring_log import PAYLOAD, pg_url  # noqa: F401  (the PostgreSQL fixture)


def _url(path) -> str:
    return f"sqlite:///{path}"


def _aged(days: float, client: int, features: dict | None = None) -> dict:
    entry = record_from_payload({**PAYLOAD, "client_id": client}, features or {"A": float(client), "C": "M"}, "api")
    moment = datetime.now(UTC) - timedelta(days=days)
    return {**entry, "timestamp": moment.isoformat(timespec="milliseconds")}


# --------------------------------------------------------------------------- size

def test_a_logged_score_takes_under_3_kb_and_reads_back_the_same(tiny_scorer, tmp_path):
    ids = [int(i) for i in tiny_scorer.scores.index[:200]]
    entries = [record(tiny_scorer.score_client(c), tiny_scorer.feature_values(c), "dashboard") for c in ids]
    assert len(entries[0]["features"]) == len(tiny_scorer.features) > 300
    log = ScoringLog(create_store_engine(_url(tmp_path / "product.db")))
    for e in entries:
        log.append(e)
    with log.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert conn.execute(sa.select(sa.func.count()).select_from(store.feature_sets)).scalar_one() == 1
    per_score = log.stats().bytes_per_score
    assert per_score is not None and per_score < 3000          # was 15.5 KB with the names in every row
    assert list(log.read()) == entries                         # same dicts, same key order
    assert list(next(log.read())["features"]) == list(tiny_scorer.features)
    # another process (a fresh log object) rebuilds them from the stored names
    assert list(ScoringLog(create_store_engine(_url(tmp_path / "product.db"))).read()) == entries


def test_a_new_model_version_gets_its_own_feature_set(tmp_path):
    log = ScoringLog(create_store_engine(_url(tmp_path / "product.db")))
    first = record_from_payload(PAYLOAD, {"A": 1.0, "B": None}, "api")
    second = record_from_payload({**PAYLOAD, "model_version": "v2"}, {"B": 2.0, "A": "x", "Z": 3}, "api")
    empty = record_from_payload(PAYLOAD, None, "api")
    # one timestamp for all: the store reads oldest first, and the three were made a millisecond apart or not
    first, second, empty = ({**e, "timestamp": first["timestamp"]} for e in (first, second, empty))
    for e in (first, second, first, empty):
        log.append(e)
    assert [r["features"] for r in log.read()] == [first["features"], second["features"], first["features"], {}]
    with log.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store.feature_sets)).scalar_one() == 2


# --------------------------------------------------------------------------- retention

def test_rows_past_the_retention_are_pruned_recent_ones_kept(tmp_path):
    log = ScoringLog(create_store_engine(_url(tmp_path / "product.db")))
    for days, client in ((500, 1), (401, 2), (399, 3), (200, 4), (1, 5)):
        log.append(_aged(days, client))
    pruned = log.prune(400)
    assert pruned.rows == 2 and pruned.retention_days == 400
    assert abs(pruned.cutoff - (datetime.now(UTC) - timedelta(days=400))) < timedelta(minutes=1)
    assert [r["client_id"] for r in log.read()] == [3, 4, 5]
    assert log.prune(400).rows == 0
    with pytest.raises(ValueError, match="below the floor"):
        log.prune(MIN_RETENTION_DAYS - 1)


def test_the_server_prunes_at_start_and_then_once_a_day(tmp_path, monkeypatch):
    settings = get_settings({"INSTANCE_DIR": str(tmp_path), "SCORING_LOG_RETENTION_DAYS": "200"})
    plain = ScoringLog(engine_for(settings.database_url))              # no retention: never prunes by itself
    for days, client in ((300, 1), (100, 2)):
        plain.append(_aged(days, client))
    assert plain.count() == 2
    started = ScoringLog.from_settings(settings)                        # at start
    assert [r["client_id"] for r in started.read()] == [2]
    started.append(_aged(250, 3))                                       # within the day: not pruned again
    assert started.count() == 2
    monkeypatch.setattr(scoring_log_module.time, "monotonic", lambda: 10 ** 12)   # a day (and more) later
    started.append(_aged(0, 4))                                         # the writing path prunes
    assert [r["client_id"] for r in started.read()] == [2, 4]


def test_cli_prune(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("SCORING_LOG_RETENTION_DAYS", "300")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    log = ScoringLog(engine_for(get_settings().database_url))
    for days, client in ((301, 1), (299, 2)):
        log.append(_aged(days, client))
    assert scoring_log_module.main(["prune"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 scores older than" in out and "(retention 300 days); 1 kept" in out
    assert log.count() == 1


def _refusals(engine, recent_id: int, old_id: int) -> None:
    """Raw SQL: a recent score cannot be deleted, no score can be changed; an old one can be deleted."""
    for statement in (f"DELETE FROM scores WHERE id = {recent_id}", "DELETE FROM scores",
                      f"UPDATE scores SET decision = 'granted' WHERE id = {old_id}"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    with engine.begin() as conn:
        assert conn.exec_driver_sql(f"DELETE FROM scores WHERE id = {old_id}").rowcount == 1


def _ids(log: ScoringLog) -> list[int]:
    with log.engine.connect() as conn:
        return list(conn.execute(sa.select(store.scores.c.id).order_by(store.scores.c.timestamp)).scalars())


def test_the_database_refuses_to_delete_a_recent_score_or_change_any(tmp_path):
    log = ScoringLog(create_store_engine(_url(tmp_path / "product.db")))
    log.append(_aged(MIN_RETENTION_DAYS + 1, 1))
    log.append(_aged(MIN_RETENTION_DAYS - 1, 2))      # past no retention a setting allows, still protected
    old_id, recent_id = _ids(log)
    _refusals(log.engine, recent_id, old_id)
    assert [r["client_id"] for r in log.read()] == [2]
    for statement in ("DELETE FROM reviews", "UPDATE reviews SET reason = 'x'"):   # reviews: no exception
        with log.engine.begin() as conn:
            conn.exec_driver_sql(statement)        # an empty table: triggers fire per row, nothing to refuse
    assert log.count() == 1


# --------------------------------------------------------------------------- migration from version 1

_V1_REFUSAL = "'scores is append-only: rows are never changed or deleted'"
_V1_SQLITE = [f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} BEGIN SELECT RAISE(ABORT, {_V1_REFUSAL}); END"
              for t in ("scores", "reviews") for op in ("UPDATE", "DELETE")]
_V1_PG = [store._PG_APPEND_ONLY_FUNCTION] + [
    statement for t in ("scores", "reviews") for statement in (
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION append_only()",
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION append_only()")]


def _create_v1(url: str) -> None:
    """The schema an earlier release created: scores (features by name, no feature set), reviews,
    imports, schema_version at 1, the old triggers refusing every DELETE; two rows, one past the floor."""
    v1 = sa.MetaData()
    for table in (store.reviews, store.imports, store.schema_version):
        table.to_metadata(v1)
    sa.Table("scores", v1, *(sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                                       index=c.index, autoincrement=c.autoincrement)
                             for c in store.scores.columns
                             if c.name not in ("feature_set", "feature_values", "reason_codes")))
    raw = sa.create_engine(store.normalise_url(url))
    with raw.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        v1.create_all(conn)
        for statement in _V1_PG if pg else _V1_SQLITE:
            conn.exec_driver_sql(statement)
        conn.execute(sa.insert(v1.tables["schema_version"]).values(id=1, version=1, created_at=datetime.now(UTC)))
        for days, client in ((MIN_RETENTION_DAYS + 10, 1), (3, 2)):
            conn.execute(sa.insert(v1.tables["scores"]).values(
                timestamp=datetime.now(UTC) - timedelta(days=days), client_id=client, source="api",
                model_version="v1", probability=0.2, threshold=0.1, decision="refused", grade="D",
                features={"A": 1.5, "C": "M", "N": None}))
    with raw.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"scores", "reviews", "imports", "schema_version"}
    raw.dispose()


def _check_migration(url: str) -> None:
    _create_v1(url)
    engine = create_store_engine(url)                         # migrated in place at start
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.select(store.schema_version.c.version)).scalar_one() == SCHEMA_VERSION == 4
            # version 4: the failed sign-ins, counted in the database (issue 28)
            assert {"feature_sets", "sign_ins", "sign_in_failures"} <= set(sa.inspect(conn).get_table_names())
        log = ScoringLog(engine)
        log.append(_aged(0, 3, {"A": 2.5, "C": "F", "N": None}))
        assert [r["features"] for r in log.read()] == [{"A": 1.5, "C": "M", "N": None}] * 2 \
            + [{"A": 2.5, "C": "F", "N": None}]                # old rows by name, the new one compact
        # version 3: the scores' reason codes (none for the rows written before)
        assert [r["reason_codes"] for r in log.read()] == [[], [], []]
        old_id, recent_id, _ = _ids(log)
        _refusals(engine, recent_id, old_id)                   # the new triggers replaced the old ones
        assert ScoringLog(create_store_engine(url)).count() == 2       # a second start: nothing to migrate
    finally:
        engine.dispose()


def test_a_version_1_sqlite_database_is_migrated_in_place(tmp_path):
    _check_migration(_url(tmp_path / "product.db"))


def test_a_version_1_postgresql_database_is_migrated_in_place(pg_url):  # noqa: F811
    _check_migration(pg_url)
    engine = create_store_engine(pg_url)
    try:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE scores")
    finally:
        engine.dispose()


def test_an_unknown_version_is_still_refused(tmp_path):
    url = _url(tmp_path / "product.db")
    create_store_engine(url).dispose()
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("UPDATE schema_version SET version = 0")
    with pytest.raises(StoreError, match="schema version 0"):
        create_store_engine(url)
