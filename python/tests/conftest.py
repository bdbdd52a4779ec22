"""Shared fixtures: the sample trail, the reports the binary writes for it (the independent
reference every test compares with), and one SparkSession for the engine tests."""

import os
import sys

import pyarrow.parquet as pq
import pytest

from support import scan_with_binary


@pytest.fixture(scope="session")
def binary_reports(tmp_path_factory):
    """denials.parquet and summary.parquet of `whydenied scan sample-logs`."""
    out = scan_with_binary(["sample-logs"], tmp_path_factory.mktemp("scan"))
    return pq.read_table(out / "denials.parquet"), pq.read_table(out / "summary.parquet")


@pytest.fixture(scope="session")
def judged_reports(tmp_path_factory):
    """The same, with every denial judged against the sample's policy snapshot."""
    inputs = ["sample-logs", "--policies", "sample-logs/policies"]
    out = scan_with_binary(inputs, tmp_path_factory.mktemp("judged"))
    return pq.read_table(out / "denials.parquet"), pq.read_table(out / "summary.parquet")


@pytest.fixture(scope="session")
def spark():
    """One local[2] SparkSession for every engine test (starting one costs seconds)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # The Python workers unpickle the tests' functions by module name: they import them from here.
    here = os.path.dirname(__file__)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("whydenied-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
