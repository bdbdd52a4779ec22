"""Rows per second through the wheel in a Spark local job against the binary's scan, on the same
trail objects (the issue 21 closing measurement).

    python python/bench/spark_vs_binary.py OBJECTS_DIR BINARY [--cores 2] [--runs 2]

OBJECTS_DIR holds gzipped trail objects (`cargo run --release --example gen_trail -- bench DIR`
makes them); they are also turned into the Athena CloudTrail table (Parquet, built with plain json
code before any timing). Timed: (a) `BINARY scan OBJECTS_DIR --threads CORES`, (b) Spark
local[CORES] `mapInArrow(classify)` over the Athena table, (b0) the same job with a function that
returns no rows (what Spark itself costs), (b1) `classify` alone in this process, (c) Spark
`mapInArrow(scan_bytes)` over the objects as binary files; each run `--runs` times: the median and
the spread (min–max); Spark's jobs write
to the `noop` sink, so every row is classified and nothing is collected."""

import argparse
import os
import pathlib
import subprocess
import sys
import statistics
import tempfile
import time

import pyarrow.parquet as pq

TESTS = pathlib.Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
from support import athena_table  # noqa: E402
# The functions the README's Spark recipe and its test hand to mapInArrow.
from test_engines import denials_of_objects, denials_of_rows  # noqa: E402

import whydenied  # noqa: E402


def no_rows(batches):
    import pyarrow as pa
    import whydenied

    for _ in batches:
        yield pa.RecordBatch.from_pylist([], schema=whydenied.DENIALS_SCHEMA)


class Timing:
    """Wall time of `runs` runs of `job`: the median, and the spread."""

    def __init__(self, runs, job):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            job()
            times.append(time.perf_counter() - start)
        self.median = statistics.median(times)
        self.spread = f"{min(times):.2f}–{max(times):.2f}"

    def __str__(self):
        return f"{self.median:.2f} s ({self.spread})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("objects", type=pathlib.Path)
    parser.add_argument("binary")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    objects = args.objects.resolve()
    paths = sorted(str(p) for p in objects.rglob("*.json.gz"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="whydenied-bench-"))
    table = athena_table(paths)  # absolute paths: support's ROOT / path is the path itself
    pq.write_table(table, work / "athena.parquet")
    rows = table.num_rows
    print(f"{len(paths)} objects, {rows} records")

    def binary():
        subprocess.run(
            [args.binary, "scan", str(objects), "--out", str(work / "out"), "-q", "--threads", str(args.cores),
             "--format", "json", "--top", "1"],
            check=True, capture_output=True,
        )

    timing = Timing(args.runs, binary)
    kept = pq.read_metadata(work / "out" / "denials.parquet").num_rows
    print(f"(a) binary scan, {args.cores} threads: {timing}, {rows / timing.median:,.0f} records/s, {kept} denials")

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(pathlib.Path(__file__).resolve().parent)])
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.files.maxPartitionBytes", str(8 << 20))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    athena = spark.read.parquet(str(work / "athena.parquet"))
    classified = athena.mapInArrow(denials_of_rows, whydenied.DENIALS_DDL)
    timing = Timing(args.runs, lambda: classified.write.format("noop").mode("overwrite").save())
    print(f"(b) Spark local[{args.cores}] mapInArrow(classify) over the Athena table: {timing}, "
          f"{rows / timing.median:,.0f} rows/s, {classified.count()} denials")
    floor = athena.mapInArrow(no_rows, whydenied.DENIALS_DDL)
    timing = Timing(args.runs, lambda: floor.write.format("noop").mode("overwrite").save())
    print(f"(b0) the same job with a function that classifies nothing (Spark's reading and Arrow transfer): "
          f"{timing}, {rows / timing.median:,.0f} rows/s")
    timing = Timing(args.runs, lambda: whydenied.classify(table))
    print(f"(b1) whydenied.classify over the same table in this process, one core: {timing}, "
          f"{rows / timing.median:,.0f} rows/s")
    files = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(str(objects))
    scanned = files.mapInArrow(denials_of_objects, whydenied.DENIALS_DDL)
    timing = Timing(args.runs, lambda: scanned.write.format("noop").mode("overwrite").save())
    print(f"(c) Spark local[{args.cores}] mapInArrow(scan_bytes) over binary files: {timing}, "
          f"{rows / timing.median:,.0f} records/s, {scanned.count()} denials")
    spark.stop()


if __name__ == "__main__":
    main()
