"""The README's recipes, run: Spark `mapInArrow` (local[2]), Dask `from_map` and Ray Data
`map_batches` over the sample, as raw objects and as the Athena table, give the binary's denials
and summary.

Marked `engines` (a JVM, a Dask scheduler and a Ray instance take seconds to start): `pytest -m "not engines"`
skips them."""

import pyarrow as pa
import pytest

import whydenied
from support import SAMPLE, assert_same_rows, athena_table, objects_batch, sample_files, trail_objects

pytestmark = pytest.mark.engines


# The functions handed to the engines, as the README gives them.
def denials_of_objects(batches):
    import whydenied

    for batch in batches:
        yield whydenied.scan_bytes(batch)


def denials_of_rows(batches):
    import whydenied

    for batch in batches:
        yield whydenied.classify(batch)


def summary_of(batches):
    import pyarrow as pa
    import whydenied

    yield whydenied.summarize(pa.Table.from_batches(list(batches)))


def spark_table(df) -> pa.Table:
    return df.toArrow()


def with_binarys_origins(table: pa.Table) -> pa.Table:
    """Spark names objects by URI (`file:/…/sample-logs/x`); the binary by the path it was given."""
    prefix = "file:" + str(SAMPLE.parent) + "/"
    origins = [o.removeprefix(prefix) for o in table.column("origin").to_pylist()]
    return table.set_column(table.schema.get_field_index("origin"), "origin", pa.array(origins))


def test_spark_map_in_arrow_over_binary_files_gives_the_binarys_denials_and_summary(spark, binary_reports):
    expected, summary = binary_reports
    objects = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "*.json.gz")
        .load(str(SAMPLE))
    )
    denials = objects.mapInArrow(denials_of_objects, whydenied.DENIALS_DDL)
    got = with_binarys_origins(spark_table(denials).cast(whydenied.DENIALS_SCHEMA))
    assert_same_rows(got, expected)
    # The summary as a job makes it: a partial summary per partition, merged in one task.
    spread = denials.repartition(3)
    partial = spread.mapInArrow(summary_of, whydenied.SUMMARY_DDL)
    assert partial.rdd.getNumPartitions() == 3
    summarized = partial.coalesce(1).mapInArrow(summary_of, whydenied.SUMMARY_DDL)
    rows = spark_table(summarized).cast(whydenied.SUMMARY_SCHEMA)
    assert rows.to_pylist() == whydenied.summarize(expected).to_pylist()
    assert rows.num_rows == summary.num_rows
    # Three partial summaries had something to merge: groups spread over the partitions.
    pieces = spark_table(partial)
    assert pieces.num_rows > summary.num_rows


def test_spark_map_in_arrow_over_the_athena_table_gives_the_binarys_denials(spark, binary_reports):
    expected, _ = binary_reports
    table = spark.createDataFrame(athena_table(trail_objects())).repartition(2)
    denials = table.mapInArrow(denials_of_rows, whydenied.DENIALS_DDL)
    assert_same_rows(spark_table(denials).cast(whydenied.DENIALS_SCHEMA), expected)


def test_dask_from_map_gives_the_binarys_denials(binary_reports):
    import dask
    import dask.dataframe as dd
    import pandas as pd

    expected, _ = binary_reports
    # The objects Spark's test reads too (`*.json.gz`): not the policy snapshot's JSON, which
    # would only add an ObjectSkipped warning per file (test_frames checks those).
    paths = [p for p in sample_files() if p.endswith(".json.gz")]

    def denials_of(chunk):
        return whydenied.scan_bytes(objects_batch(chunk)).to_pandas(types_mapper=pd.ArrowDtype)

    chunks = [paths[i::4] for i in range(4)]
    meta = whydenied.DENIALS_SCHEMA.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    frame = dd.from_map(denials_of, chunks, meta=meta)
    with dask.config.set(scheduler="threads"):
        result = frame.compute()
    got = pa.Table.from_pandas(result, preserve_index=False).cast(whydenied.DENIALS_SCHEMA)
    assert_same_rows(got, expected)
    # A partial summary per partition, merged: the summary of all the denials.
    summary_meta = whydenied.SUMMARY_SCHEMA.empty_table().to_pandas(types_mapper=pd.ArrowDtype)

    def summary_of_chunk(part):
        table = pa.Table.from_pandas(part, preserve_index=False)
        return whydenied.summarize(table).to_pandas(types_mapper=pd.ArrowDtype)

    with dask.config.set(scheduler="threads"):
        partial = frame.map_partitions(summary_of_chunk, meta=summary_meta).compute()
    merged = whydenied.summarize(pa.Table.from_pandas(partial, preserve_index=False))
    assert len(partial) > merged.num_rows
    assert merged.to_pylist() == whydenied.summarize(expected).to_pylist()
    # The Athena-shaped table through Dask too, one partition per object group.
    rows = dd.from_map(
        lambda chunk: whydenied.classify(athena_table(chunk)).to_pandas(types_mapper=pd.ArrowDtype),
        [trail_objects()[i::3] for i in range(3)],
        meta=meta,
    )
    with dask.config.set(scheduler="threads"):
        got = pa.Table.from_pandas(rows.compute(), preserve_index=False).cast(whydenied.DENIALS_SCHEMA)
    assert_same_rows(got, expected)


def test_ray_data_map_batches_gives_the_binarys_denials_and_summary(binary_reports):
    import ray

    expected, _ = binary_reports
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        # The README's recipe; `override_num_blocks` makes several blocks, so that there are
        # partial summaries to merge.
        objects = ray.data.read_binary_files(
            str(SAMPLE), include_paths=True, file_extensions=["gz"], override_num_blocks=4
        )
        denials = objects.map_batches(
            lambda t: pa.Table.from_batches([whydenied.scan_bytes(t.rename_columns({"bytes": "content"}))]),
            batch_format="pyarrow",
        )
        partial = denials.map_batches(
            lambda t: pa.Table.from_batches([whydenied.summarize(t)]), batch_format="pyarrow"
        )
        got = pa.concat_tables(ray.get(denials.to_arrow_refs()))
        pieces = pa.concat_tables(ray.get(partial.to_arrow_refs()))
    finally:
        ray.shutdown()
    # Ray names objects by absolute path; the binary by the path it was given.
    prefix = str(SAMPLE.parent) + "/"
    origins = [o.removeprefix(prefix) for o in got.column("origin").to_pylist()]
    got = got.set_column(got.schema.get_field_index("origin"), "origin", pa.array(origins))
    assert_same_rows(got.cast(whydenied.DENIALS_SCHEMA), expected)
    merged = whydenied.summarize(pieces)
    assert pieces.num_rows > merged.num_rows, "groups spread over the blocks"
    assert merged.to_pylist() == whydenied.summarize(expected).to_pylist()


def test_duckdb_queries_the_denials_over_arrow(binary_reports):
    import duckdb

    expected, _ = binary_reports
    denials = whydenied.classify(athena_table(trail_objects()))
    top = duckdb.sql(
        "SELECT principal, action, count(*) AS n FROM denials GROUP BY ALL ORDER BY n DESC, principal, action LIMIT 3"
    ).fetchall()
    want = duckdb.sql(
        "SELECT principal, action, count(*) AS n FROM expected GROUP BY ALL ORDER BY n DESC, principal, action LIMIT 3"
    ).fetchall()
    assert top == want and len(top) == 3
