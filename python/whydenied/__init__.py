"""whydenied's CloudTrail AccessDenied classifier, for Spark, Glue, Ray and Dask.

The very Rust code of the ``whydenied`` binary, over Arrow batches:

- ``scan_bytes(batch)``: raw trail objects (columns ``path`` and ``content``, what Spark's
  ``binaryFile`` source and ``ray.data.read_binary_files(include_paths=True)`` give) -> denial
  rows, the columns and values of ``denials.parquet``;
- ``classify(batch)``: rows of the Athena/Glue CloudTrail table -> denial rows;
- ``summarize(rows)``: denial rows, or the summary rows of parts -> summary rows, the columns of
  ``summary.parquet`` and a ``merge_state``: partial summaries merge;
- ``DENIALS_SCHEMA``, ``SUMMARY_SCHEMA`` (pyarrow) and ``DENIALS_DDL``, ``SUMMARY_DDL`` (Spark
  DDL for ``mapInArrow``).

Input is any Arrow data (a pyarrow ``RecordBatch`` or ``Table``, or any object with
``__arrow_c_array__``/``__arrow_c_stream__``); results are ``pyarrow.RecordBatch``. An object
that cannot be read whole (corrupt gzip, not CloudTrail) is not an exception: its denials read
before the problem are kept and an ``ObjectSkipped`` warning names its path, as the binary
names the file and goes on. A batch without the expected columns raises ``ValueError``.

Example::

    >>> import pyarrow as pa, whydenied
    >>> objects = pa.record_batch({"path": ["a.json"], "content": [open("a.json", "rb").read()]})
    >>> denials = whydenied.scan_bytes(objects)
    >>> summary = whydenied.summarize(denials)
"""

import warnings

import pyarrow as pa

from . import _whydenied

__all__ = [
    "DENIALS_DDL",
    "DENIALS_SCHEMA",
    "ObjectSkipped",
    "SUMMARY_DDL",
    "SUMMARY_SCHEMA",
    "classify",
    "scan_bytes",
    "summarize",
]

__version__ = _whydenied.__version__

DENIALS_SCHEMA: pa.Schema = pa.schema(_whydenied.DENIALS_SCHEMA)
SUMMARY_SCHEMA: pa.Schema = pa.schema(_whydenied.SUMMARY_SCHEMA)
DENIALS_DDL: str = _whydenied.DENIALS_DDL
SUMMARY_DDL: str = _whydenied.SUMMARY_DDL


class ObjectSkipped(UserWarning):
    """An object (named by its path) that could not be read, or not to the end."""


def _one_batch(parts, schema: pa.Schema) -> pa.RecordBatch:
    table = pa.Table.from_batches([pa.record_batch(p) for p in parts], schema=schema)
    batches = table.combine_chunks().to_batches()
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=schema)


def scan_bytes(batch) -> pa.RecordBatch:
    """Denial rows of the raw trail objects in ``batch``.

    ``batch`` has a ``path`` (any string type) and a ``content`` (any binary type) column;
    other columns are ignored. Content is gzip or plain (sniffed, not guessed from the name), in
    every shape ``whydenied scan`` reads: delivered trail objects, bare events (an array, one per
    line), Security Lake's OCSF Parquet. ``path`` becomes each denial's ``origin``. Objects that cannot
    be read whole raise an ``ObjectSkipped`` warning naming them (see the module doc).

    >>> rows = pa.record_batch({"path": ["x.json"], "content": [b'{"Records":[]}']})
    >>> whydenied.scan_bytes(rows).num_rows
    0
    """
    parts, problems = _whydenied.scan_bytes(batch)
    for path, message in problems:
        warnings.warn(f"{path}: {message}", ObjectSkipped, stacklevel=2)
    return _one_batch(parts, DENIALS_SCHEMA)


def classify(batch) -> pa.RecordBatch:
    """Denial rows of the Athena/Glue CloudTrail table rows in ``batch``.

    The columns are those of the Athena ``cloudtrail_logs`` table (``useridentity`` struct,
    ``eventtime``, ``eventsource``, ``eventname``, ``errorcode``, ``errormessage``,
    ``requestparameters`` as JSON text, ``resources`` list, ...), matched without regard to
    case; missing columns are simply absent fields. A ``path`` column, if any, becomes
    ``origin``.

    >>> rows = pa.table({"eventsource": ["s3.amazonaws.com"], "eventname": ["GetObject"],
    ...                  "errorcode": ["AccessDenied"], "eventtime": ["2026-11-02T10:00:00Z"]})
    >>> whydenied.classify(rows)["action"].to_pylist()
    ['s3:GetObject']
    """
    return _one_batch(_whydenied.classify(batch), DENIALS_SCHEMA)


def summarize(rows) -> pa.RecordBatch:
    """Summary rows (the ``summary.parquet`` columns, then ``merge_state``) of ``rows``.

    ``rows`` are denial rows (``DENIALS_SCHEMA``), or summary rows that ``summarize`` returned.
    Summaries merge: the summary of a whole job is ``summarize`` of the partial summaries of its
    parts (per Spark partition, per Dask chunk, per Ray block), as it is ``summarize`` of all the
    denials, whatever the order and split of the rows. The ``merge_state`` column (JSON text)
    carries what a row shows only as a result (the source addresses behind
    ``distinct_source_ips``, the counts behind the most frequent ``category``, ``denied_by``,
    ``noise`` and ``eval_verdict``); drop it for a table with exactly ``summary.parquet``'s
    columns. ``summary.parquet`` itself has no such column and is refused (``ValueError``).

    Rows with ``suppressed_by`` set are left out; change links (``change_*``,
    ``changed_after``, ``self_change_event_id``, ``transient_success_time``) need the trail's
    policy changes and stay empty here. Columns whose types differ only in width (Spark's
    ``large_string``, a timestamp in another unit) are cast first.

    >>> parts = [whydenied.summarize(d) for d in denials.to_batches(max_chunksize=100)]
    >>> whole = whydenied.summarize(pa.Table.from_batches(parts))
    >>> final = whole.drop_columns(["merge_state"])
    """
    table = rows if isinstance(rows, pa.Table) else pa.table(rows)
    summary_rows = "distinct_source_ips" in table.column_names
    schema = SUMMARY_SCHEMA if summary_rows else DENIALS_SCHEMA
    # Columns missing are the Rust side's to judge (reports of older versions lack some).
    fields = [field for field in schema if field.name in table.column_names]
    table = table.select([field.name for field in fields]).cast(pa.schema(fields))
    return pa.record_batch(_whydenied.summarize(table))
