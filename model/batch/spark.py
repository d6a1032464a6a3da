"""The Spark engine of ``model.batch``: Spark moves the rows, the product's own code scores them.

Design (staging by bucket, then one task per bucket):

1. **Read.** Each Kaggle file is read by Spark (CSV as text, so that no value is silently turned
   into null: the product's validator types it later; Parquet as stored), with the row number it
   was read at (``monotonically_increasing_id``: file order for one file per table). Its header is
   checked on the driver by ``data.load.validate_frame`` on an empty frame of those columns.
2. **Co-partition.** Every row gets its client's bucket: :func:`model.batch.bucket_of`'s hash
   written as a Spark expression (:func:`bucket_column`, checked against it by the tests);
   bureau_balance gets the bucket of its bureau credit by a join on SK_ID_BUREAU. Child rows of
   clients not being scored (the training clients' history when scoring application_test) are
   dropped first by a semi-join on the scored client numbers (so a child row whose SK_ID_CURR is
   not a number is dropped here, where the pandas engine's loader refuses the file). Each table is repartitioned by
   bucket (the one shuffle) and written to a staging folder partitioned by bucket
   (``STAGE/<table>/pad_bucket=<k>/``).
3. **Score.** A ``mapInPandas`` over the bucket numbers (one partition each) runs, per task: read
   bucket ``k`` of the seven tables (pyarrow), restore file order, validate and type them with
   ``data.load.validate_frame`` (a bad value becomes the loader's DataError, sent back to the
   driver as data and raised there as one line), then :func:`model.batch.run_bucket`, the very
   function the pandas engine runs, which writes ``OUT/scores/part-<k>.parquet``.

The model folder is shipped once with ``SparkContext.addFile`` and loaded once per Python worker
(:func:`model.batch.worker_scorer`, kept by worker reuse), never per row. On a cluster
(``--master spark://…``) the output folder (which holds the staging area) must be on storage every
executor sees (NFS or a mounted bucket), and executors need this code and its packages (the same
image or virtualenv; ``PYTHONPATH`` is set to this checkout). Logs are at WARN, the web UI is off,
and ``spark.local.dir`` is a private folder under the output, removed at the end.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from functools import reduce
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from pyspark import SparkFiles
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from data.load import DataError, find_table_file, validate_frame
from data.schema import APPLICATION_TABLES, CHILD_TABLES, TABLES
from model.artifact import resolve_version_dir
from model.batch import _GOLDEN, _M1, _M2, BUREAU_ID, ID, BucketResult, Progress, run_bucket, worker_scorer

__all__ = ["score_spark", "spark_session"]

BUCKET = "pad_bucket"
KEY = "pad_client"
ROW = "pad_row"
WORK_DIR = "_spark"
ROOT = Path(__file__).resolve().parents[2]
_STATUS = ("bucket int, clients long, history_rows long, seconds double, input_mb double, rss_mb double, "
           "decisions string, grades string, error string")


#: Spark's own log configuration: WARN, on stderr, without the start-up notices of a local run
#: (loopback host name, no native Hadoop library, spark.local.dir's cluster-manager note).
_LOG4J2 = """status = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark %p %c{1}: %m%n%ex{short}
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
"""
_QUIET = ("org.apache.spark.util.Utils", "org.apache.hadoop.util.NativeCodeLoader", "org.apache.spark.SparkConf",
          "org.apache.spark.sql.catalyst.util.SparkStringUtils", "org.apache.spark.util.SparkStringUtils")


def spark_session(master: str = "local[2]", local_dir: Path | None = None) -> SparkSession:
    """A quiet Spark session for batch scoring: WARN logs, no web UI, Arrow on, workers on this
    Python and this checkout, scratch files under ``local_dir`` (default: a temporary folder)."""
    local_dir = Path(tempfile.mkdtemp(prefix="pad-spark-")) if local_dir is None else local_dir
    local_dir.mkdir(parents=True, exist_ok=True)
    log_file = local_dir / "log4j2.properties"
    log_file.write_text(_LOG4J2 + "".join(f"logger.q{i}.name = {name}\nlogger.q{i}.level = error\n"
                                          for i, name in enumerate(_QUIET)), encoding="utf-8")
    # PySpark starts its Python workers with PYSPARK_PYTHON (read when the context starts): this
    # virtualenv's interpreter, not the system's python3
    os.environ["PYSPARK_PYTHON"] = sys.executable
    java_options = f"-Dlog4j2.configurationFile=file:{log_file}"
    builder = (SparkSession.builder.master(master).appName("pad-batch")
               .config("spark.driver.extraJavaOptions", java_options)
               .config("spark.executor.extraJavaOptions", java_options)
               .config("spark.local.dir", str(local_dir))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.pyspark.python", sys.executable)
               .config("spark.pyspark.driver.python", sys.executable)
               .config("spark.executorEnv.PYTHONPATH", str(ROOT))
               .config("spark.python.worker.reuse", "true")
               .config("spark.sql.sources.partitionOverwriteMode", "static")
               # the bucket hash multiplies in wrapping 64-bit arithmetic (ANSI mode would refuse the overflow)
               .config("spark.sql.ansi.enabled", "false"))
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _read(spark: SparkSession, path: Path, table: str) -> DataFrame:
    """One Kaggle file as a Spark frame of the schema's columns, plus its read order; the header
    checked by the product's validator (missing, duplicate or unexpected column: DataError)."""
    if path.name.lower().endswith(".parquet"):
        df = spark.read.parquet(str(path))
    else:
        df = spark.read.option("header", True).option("inferSchema", False).option("escape", '"').csv(str(path))
    names = [c for c in df.columns if not c.startswith("__index_level_")]
    validate_frame(pd.DataFrame(columns=names), table, file=path.name)
    return df.select(*TABLES[table].column_names).withColumn(ROW, F.monotonically_increasing_id())


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _client_key(ids: Column) -> Column:
    """SK_ID_CURR as a long, whether Spark read it as a number or as text (0 if not a number)."""
    return F.coalesce(ids.cast("long"), ids.cast("double").cast("long"), F.lit(0))


def bucket_column(ids: Column, buckets: int) -> Column:
    """:func:`model.batch.bucket_of` as a Spark expression (the same splitmix64 finaliser, in
    wrapping 64-bit arithmetic, and an unsigned mod): no Python round trip per row while staging.
    ``tests/test_batch.py`` checks that both give every client the same bucket. An id that is not a
    number goes to bucket 0, where the validator of its task reports it."""
    def mix(z: Column, shift: int, factor: int) -> Column:
        return z.bitwiseXOR(F.shiftrightunsigned(z, shift)) * F.lit(_signed(factor))

    z = _client_key(ids) + F.lit(_signed(int(_GOLDEN)))
    z = mix(mix(z, 30, int(_M1)), 27, int(_M2))
    z = z.bitwiseXOR(F.shiftrightunsigned(z, 31))
    n = F.lit(buckets).cast("long")
    return ((F.shiftrightunsigned(z, 1) % n * 2 + z.bitwiseAND(F.lit(1))) % n).cast("int")


def _stage(spark: SparkSession, files: dict[str, Path], buckets: int, stage: Path) -> None:
    """Write every table to ``stage`` partitioned by client bucket (see the module docstring)."""
    def bucket(ids: Column) -> Column:
        return bucket_column(ids, buckets)

    frames = {name: _read(spark, path, name) for name, path in files.items()}
    apps = [frames[name].select(_client_key(F.col(ID)).alias(KEY)) for name in APPLICATION_TABLES if name in frames]
    scored = reduce(DataFrame.union, apps).distinct().cache()   # read once, joined with five tables
    for name in CHILD_TABLES:
        if name in frames and name != "bureau_balance":
            # only the history of the clients scored (as model.batch.bucket_tables)
            frames[name] = (frames[name].withColumn(KEY, _client_key(F.col(ID)))
                            .join(F.broadcast(scored), on=KEY, how="left_semi").drop(KEY))
    for name, df in frames.items():
        if name == "bureau_balance":
            if "bureau" not in frames:
                continue
            keys = frames["bureau"].select(BUREAU_ID, bucket(F.col(ID)).alias(BUCKET))
            df = df.join(keys, on=BUREAU_ID, how="inner")
        else:
            df = df.withColumn(BUCKET, bucket(F.col(ID)))
        (df.repartition(buckets, BUCKET).write.mode("overwrite").partitionBy(BUCKET)
         .parquet(str(stage / name)))
    scored.unpersist()


def _bucket_frames(stage: Path, files: dict[str, Path], k: int) -> dict[str, pd.DataFrame]:
    """Bucket ``k`` of every staged table, in file order, validated and typed by the product's loader."""
    frames: dict[str, pd.DataFrame] = {}
    for name in files:
        folder = stage / name / f"{BUCKET}={k}"
        if folder.exists():
            raw = pq.read_table(folder).to_pandas()
            raw = raw.sort_values(ROW, kind="stable").drop(columns=[ROW]).reset_index(drop=True)
        else:
            raw = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[name].column_names})
        frames[name] = validate_frame(raw, name, file=f"{files[name].name} (bucket {k} of the staged rows)")
    return frames


def _score_task(stage: Path, files: dict[str, Path], model_name: str, out: Path,
                done: Path) -> Any:
    """The function ``mapInPandas`` runs: one status row per bucket of its partition."""

    def task(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for k in batch["bucket"].tolist():
                try:
                    frames = _bucket_frames(stage, files, int(k))
                    result = run_bucket(worker_scorer(SparkFiles.get(model_name)), int(k), frames, out)
                except DataError as exc:
                    result = BucketResult(int(k), 0, 0, 0.0, 0.0, 0.0, error=json.dumps(
                        [exc.file, exc.problem, exc.column, list(exc.rows)]))
                (done / f"bucket-{int(k):05d}").write_text(str(result.clients), encoding="utf-8")
                row = asdict(result)
                row["decisions"], row["grades"] = json.dumps(result.decisions), json.dumps(result.grades)
                yield pd.DataFrame([row])

    return task


def _watch(done: Path, progress: Progress, stop: threading.Event) -> None:
    """Progress from the tasks' marker files (buckets done, clients), twice a second."""
    while not stop.wait(0.5):
        markers = list(done.glob("bucket-*"))
        progress.update(len(markers), sum(int(m.read_text(encoding="utf-8") or 0) for m in markers))


def score_spark(data_dir: Path, out: Path, model_dir: Path, applications: Sequence[str], buckets: int,
                master: str = "local[2]", progress: Progress | None = None,
                spark: SparkSession | None = None, stats: dict[str, Any] | None = None) -> list[BucketResult]:
    """The Spark engine (see the module docstring). ``spark``: a session to use (kept open);
    otherwise one is made for ``master`` and stopped at the end. ``stats`` receives the staging
    figures (seconds, bytes of the staged Parquet: what the shuffle moved, compressed)."""
    data_dir, out = Path(data_dir), Path(out)
    if not data_dir.is_dir():
        raise DataError(str(data_dir), "data folder not found")
    version_dir = resolve_version_dir(Path(model_dir))
    scorer = worker_scorer(str(model_dir))   # checks the model before Spark starts
    wanted = [*applications, *CHILD_TABLES] if scorer.include_children else list(applications)
    files: dict[str, Path] = {}
    for name in wanted:
        path = find_table_file(data_dir, name)
        if path is not None:
            files[name] = path
        elif name in APPLICATION_TABLES:
            raise DataError(f"{name}.csv", f"required file not found in {data_dir}")
    work = out / WORK_DIR
    shutil.rmtree(work, ignore_errors=True)
    stage, done = work / "stage", work / "done"
    done.mkdir(parents=True)
    spark = spark or SparkSession.getActiveSession()   # a caller's session (a notebook, the tests) is kept
    own = spark is None
    session = spark_session(master, work / "local") if spark is None else spark
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(done, progress, stop), daemon=True) if progress else None
    try:
        started = time.perf_counter()
        if progress is not None:
            print(f"co-partitioning {len(files)} tables into {buckets} buckets", file=progress.stream, flush=True)
        # the shuffles other than the repartition by bucket (the scored ids' distinct) are small:
        # as many partitions as buckets, not Spark's default 200 tiny tasks
        session.conf.set("spark.sql.shuffle.partitions", str(buckets))
        _stage(session, files, buckets, stage)
        if stats is not None:
            stats.update(staging_seconds=round(time.perf_counter() - started, 3),
                         staged_bytes=sum(f.stat().st_size for f in stage.rglob("*.parquet")))
        session.sparkContext.addFile(str(version_dir), recursive=True)
        ids = session.range(0, buckets, 1, numPartitions=buckets).select(F.col("id").cast("int").alias("bucket"))
        if watcher is not None:
            watcher.start()
        rows = ids.mapInPandas(_score_task(stage, files, version_dir.name, out, done), schema=_STATUS).collect()
    except DataError:
        raise
    except Exception as exc:  # Spark's own failures (JVM, workers) arrive as Py4J/PySpark errors
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise RuntimeError(f"Spark failed: {first[:300]}") from None
    finally:
        stop.set()
        if watcher is not None and watcher.is_alive():
            watcher.join()
        if own:
            session.stop()
        shutil.rmtree(work, ignore_errors=True)
    results = []
    for r in sorted(rows, key=lambda r: int(r["bucket"])):
        if r["error"]:
            file, problem, column, bad_rows = json.loads(r["error"])
            raise DataError(file, problem, column, bad_rows)
        results.append(BucketResult(int(r["bucket"]), int(r["clients"]), int(r["history_rows"]), float(r["seconds"]),
                                    float(r["input_mb"]), float(r["rss_mb"]), json.loads(r["decisions"]),
                                    json.loads(r["grades"])))
    if progress is not None:
        progress.update(len(results), sum(r.clients for r in results))
    return results
