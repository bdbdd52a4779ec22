"""The wheel's functions against the binary: the same sample, the same rows."""

import gzip
import json
import random
import warnings
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import whydenied
from support import (
    ROOT,
    assert_same_rows,
    athena_table,
    objects_batch,
    sample_files,
    scan_with_binary,
    trail_objects,
    trail_records,
)

# Summary columns that link a group to the policy changes and role assumptions of the trail:
# `scan` collects those records, denial rows do not carry them (see `summarize`'s contract).
LINKS = {
    "change_event_id",
    "change_time",
    "change_actor",
    "change_event_name",
    "change_target_type",
    "change_target",
    "changed_after",
    "self_change_event_id",
    "transient_success_time",
}
# A linked group's hint names its change, and a service locked out by a resource policy change
# is not noise: equal only for the groups without a link.
LINK_DEPENDENT = {"hint", "noise"}


def scan_quietly(batch):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        denials = whydenied.scan_bytes(batch)
    return denials, caught


def test_scan_bytes_over_every_sample_file_equals_the_binarys_denials(binary_reports):
    expected, _ = binary_reports
    denials, caught = scan_quietly(objects_batch(sample_files()))
    assert denials.schema == whydenied.DENIALS_SCHEMA == expected.schema
    assert_same_rows(pa.table(denials), expected)
    # The policy snapshot is not log input: the binary leaves it out by name, the wheel (which
    # sees only bytes) says so, object by object; nothing else is skipped.
    skipped = {str(w.message).split(":")[0] for w in caught}
    assert skipped and all(p.startswith("sample-logs/policies/") for p in skipped), skipped
    assert all(issubclass(w.category, whydenied.ObjectSkipped) for w in caught)


def test_every_input_shape_the_binary_reads_gives_the_binarys_denials(tmp_path):
    events = [r for p in trail_objects()[:12] for r in trail_records(ROOT / p)]
    lines = "\n".join(json.dumps(e) for e in events).encode()
    shapes = {
        "trail.json": json.dumps({"Records": events}).encode(),
        "array.json": json.dumps(events).encode(),
        "lines.jsonl": lines,
        "lines.jsonl.gz": gzip.compress(lines),
        # Two gzip members back to back, as `cat a.gz b.gz` makes.
        "members.json.gz": gzip.compress(lines[: len(lines) // 2]) + gzip.compress(lines[len(lines) // 2 :]),
    }
    shapes["ocsf.gz.parquet"] = ocsf_parquet(events)
    for name, data in shapes.items():
        (tmp_path / name).write_bytes(data)
    out = scan_with_binary([tmp_path], tmp_path / "out")
    expected = pq.read_table(out / "denials.parquet")
    names = [str(tmp_path / name) for name in shapes]
    denials, caught = scan_quietly(objects_batch(names, root=tmp_path))
    assert not caught, [str(w.message) for w in caught]
    per_shape = {o: expected.column("origin").to_pylist().count(o) for o in names}
    assert len(set(per_shape.values())) == 1 and expected.num_rows > 0, per_shape
    assert_same_rows(pa.table(denials), expected)


def ocsf_parquet(events) -> bytes:
    """Security Lake's OCSF API Activity rows for `events` (the columns the README's mapping
    table names), as the lake stores them: GZIP-compressed Parquet."""
    rows = []
    for e in events:
        who = e.get("userIdentity") or {}
        issuer = ((who.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
        rows.append(
            {
                "metadata": {"uid": e.get("eventID"), "event_code": e.get("eventType")},
                "time": int(datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00")).timestamp() * 1000),
                "api": {
                    "operation": e.get("eventName"),
                    "service": {"name": e.get("eventSource")},
                    "response": {"error": e.get("errorCode"), "message": e.get("errorMessage")},
                    "request": {
                        "uid": e.get("requestID"),
                        "data": json.dumps(e["requestParameters"]) if e.get("requestParameters") else None,
                    },
                },
                "cloud": {"region": e.get("awsRegion"), "account": {"uid": e.get("recipientAccountId")}},
                "src_endpoint": {"ip": e.get("sourceIPAddress"), "uid": e.get("vpcEndpointId")},
                "http_request": {"user_agent": e.get("userAgent")},
                "actor": {
                    "user": {
                        "type": who.get("type"),
                        "uid": who.get("arn"),
                        "account": {"uid": who.get("accountId")},
                        "uid_alt": who.get("principalId"),
                        "name": who.get("userName"),
                        "credential_uid": who.get("accessKeyId"),
                    },
                    "invoked_by": who.get("invokedBy"),
                    "session": {"issuer": issuer},
                },
                "resources": [
                    {"uid": r.get("ARN"), "type": r.get("type"), "owner": {"account": {"uid": r.get("accountId")}}}
                    for r in e.get("resources") or []
                ],
            }
        )
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows), sink, compression="gzip")
    return sink.getvalue().to_pybytes()


def test_bad_objects_are_named_and_what_came_before_is_kept():
    good = (ROOT / trail_objects()[0]).read_bytes()
    truncated = good[: len(good) // 2]
    batch = pa.record_batch(
        {
            "path": ["good.json.gz", "truncated.json.gz", "zstd.bin", "text.txt"],
            "content": [good, truncated, b"\x28\xb5\x2f\xfd\x00\x00", b"hello"],
        }
    )
    denials, caught = scan_quietly(batch)
    messages = {str(w.message).split(":")[0]: str(w.message) for w in caught}
    assert set(messages) == {"truncated.json.gz", "zstd.bin", "text.txt"}, messages
    assert "zstd" in messages["zstd.bin"]
    assert "not JSON" in messages["text.txt"]
    assert set(denials.column("origin").to_pylist()) <= {"good.json.gz", "truncated.json.gz"}


def test_a_batch_without_the_columns_is_an_error_not_a_panic():
    with pytest.raises(ValueError, match="content"):
        whydenied.scan_bytes(pa.record_batch({"path": ["a"]}))
    with pytest.raises(ValueError, match="binary"):
        whydenied.scan_bytes(pa.record_batch({"path": ["a"], "content": [1]}))
    with pytest.raises(TypeError, match="Arrow"):
        whydenied.scan_bytes([1, 2])
    with pytest.raises(ValueError, match="not denial rows|event_time"):
        whydenied.summarize(pa.table({"x": [1]}))


def test_classify_over_the_athena_table_equals_the_binarys_denials(binary_reports):
    expected, _ = binary_reports
    table = athena_table(trail_objects())
    denials = whydenied.classify(table)
    assert denials.schema == whydenied.DENIALS_SCHEMA
    assert_same_rows(pa.table(denials), expected)
    # Batch by batch (as an engine hands them over) gives the same rows.
    parts = [whydenied.classify(b) for b in table.to_batches(max_chunksize=1000)]
    assert_same_rows(pa.Table.from_batches(parts), expected)


def final(summary):
    """The summary as summary.parquet has it: without the merge state."""
    return pa.table(summary).drop_columns(["merge_state"])


def summary_of_parts(denials, parts, seed):
    """The summary of `denials` cut at random into `parts` sets of rows, each summarized on its
    own, merged in a tree: two of the partial summaries first, then the rest."""
    rng = random.Random(seed)
    chosen = [rng.randrange(parts) for _ in range(denials.num_rows)]
    pieces = [denials.filter(pa.array([c == p for c in chosen])) for p in range(parts)]
    partial = [whydenied.summarize(piece) for piece in pieces]
    first = whydenied.summarize(pa.Table.from_batches(partial[:2]))
    return whydenied.summarize(pa.Table.from_batches([first, *partial[2:]]))


def test_summaries_of_partitions_merge_into_the_one_summary(binary_reports):
    denials, summary = binary_reports
    one = whydenied.summarize(denials)
    assert one.schema == whydenied.SUMMARY_SCHEMA
    assert final(one).schema == summary.schema, "summary.parquet's columns, then merge_state"
    # Parts by object (as executors read files), merged from their denials and from their
    # summaries.
    objects = trail_objects()
    parts = [scan_quietly(objects_batch(objects[i::4]))[0] for i in range(4)]
    assert whydenied.summarize(pa.Table.from_batches(parts)).to_pylist() == one.to_pylist()
    partial = [whydenied.summarize(part) for part in parts]
    merged = whydenied.summarize(pa.Table.from_batches(partial))
    assert merged.to_pylist() == one.to_pylist(), "most frequent first, in the same order"
    # Any order of the rows, any split into parts: a group's denials, its sample, its noise
    # and its addresses spread over several of them.
    for seed, count in [(21, 2), (22, 5), (23, 17)]:
        assert summary_of_parts(denials, count, seed).to_pylist() == one.to_pylist(), seed
    shuffled = denials.take(random.Random(21).sample(range(denials.num_rows), denials.num_rows))
    assert whydenied.summarize(shuffled.combine_chunks()).to_pylist() == one.to_pylist()
    # The one column no row can merge by itself, against a count of the denials by pyarrow.
    addresses = (
        denials.filter(pc.is_null(denials["suppressed_by"]))
        .group_by(["principal", "action", "bucket"], use_threads=False)
        .aggregate([("source_ip", "count_distinct")])
    )
    expected = {
        (r["principal"], r["action"], r["bucket"]): r["source_ip_count_distinct"]
        for r in addresses.to_pylist()
    }
    counted = {(r["principal"], r["action"], r["bucket"]): r["distinct_source_ips"] for r in merged.to_pylist()}
    assert counted == expected
    # And the binary's summary, on every column the denial rows decide.
    linked = 0
    for ours, theirs in zip(final(merged).to_pylist(), summary.to_pylist(), strict=True):
        is_linked = any(theirs[n] for n in LINKS)
        linked += is_linked
        skip = LINKS | (LINK_DEPENDENT if is_linked else set())
        diff = {n: (ours[n], theirs[n]) for n in ours if n not in skip and ours[n] != theirs[n]}
        assert not diff, (theirs["principal"], theirs["action"], diff)
        assert not any(ours[n] for n in LINKS)
    assert 0 < linked < summary.num_rows


def test_judged_summaries_merge_their_verdicts(judged_reports):
    denials, summary = judged_reports
    judged = [v for v in denials["eval_verdict"].to_pylist() if v not in (None, "not_evaluated")]
    assert len(judged) > 100, "the sample's policies judge its denials"
    one = whydenied.summarize(denials)
    for seed, count in [(31, 3), (32, 9)]:
        assert summary_of_parts(denials, count, seed).to_pylist() == one.to_pylist(), seed
    eval_columns = [n for n in summary.column_names if n.startswith("eval_")]
    assert eval_columns
    theirs = {(r["principal"], r["action"], r["bucket"]): r for r in summary.to_pylist()}
    for ours in one.to_pylist():
        mine = {n: ours[n] for n in eval_columns}
        binary = {n: theirs[(ours["principal"], ours["action"], ours["bucket"])][n] for n in eval_columns}
        assert mine == binary, (ours["principal"], ours["action"])


def test_summary_rows_that_cannot_merge_are_refused(binary_reports):
    denials, summary = binary_reports
    with pytest.raises(ValueError, match="merge_state"):
        whydenied.summarize(summary)
    one = pa.table(whydenied.summarize(denials))

    def forged(change):
        """`one` with each row's merge_state passed through `change` (state -> state)."""
        states = [change(json.loads(s)) for s in one["merge_state"].to_pylist()]
        column = pa.array([json.dumps(s) for s in states])
        return one.set_column(one.schema.get_field_index("merge_state"), "merge_state", column)

    states = [json.loads(s) for s in one["merge_state"].to_pylist()]
    row = next(i for i, s in enumerate(states) if len(s["source_ips"]) > 1)
    one_address_less = forged(lambda s: {**s, "source_ips": s["source_ips"][:-1]})
    with pytest.raises(ValueError, match="distinct_source_ips"):
        whydenied.summarize(one_address_less.slice(row, 1))
    # Counts that add up to the row's only by wrapping around: an error, not a panic.
    huge = ["authentication", 2**64 - 1]
    wrapping = forged(lambda s: {**s, "categories": [*s["categories"], huge]})
    with pytest.raises(ValueError, match="does not count the row's denials"):
        whydenied.summarize(wrapping)
    with pytest.raises(ValueError, match="version"):
        whydenied.summarize(forged(lambda s: {"version": 9}))


def test_schemas_and_spark_ddl_name_the_same_columns():
    for schema, ddl in [
        (whydenied.DENIALS_SCHEMA, whydenied.DENIALS_DDL),
        (whydenied.SUMMARY_SCHEMA, whydenied.SUMMARY_DDL),
    ]:
        names = [part.split("`")[1] for part in ddl.split(", ")]
        assert names == schema.names


def test_a_glue_table_with_typed_or_camel_case_columns_gives_the_same_denials():
    rows = {
        "eventtime": ["2026-11-02T10:00:00Z"],
        "eventsource": ["s3.amazonaws.com"],
        "eventname": ["GetObject"],
        "errorcode": ["AccessDenied"],
        "errormessage": ["Access Denied"],
        "requestparameters": ['{"bucketName":"b","key":"k"}'],
        "useridentity": [{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob"}],
    }
    plain = whydenied.classify(pa.table(rows))
    typed = dict(rows, eventtime=pa.array([datetime(2026, 11, 2, 10)], pa.timestamp("ms", "UTC")))
    camel = {"eventTime" if k == "eventtime" else "userIdentity" if k == "useridentity" else k: v for k, v in rows.items()}
    assert plain.num_rows == 1
    assert plain.column("bucket").to_pylist() == ["b"]
    assert plain.column("principal").to_pylist() == ["arn:aws:iam::111122223333:user/bob"]
    assert whydenied.classify(pa.table(typed)).to_pylist() == plain.to_pylist()
    assert whydenied.classify(pa.table(camel)).to_pylist() == plain.to_pylist()
    # A row that did not fail is no denial.
    assert whydenied.classify(pa.table(dict(rows, errorcode=pa.array([None], pa.string())))).num_rows == 0


@pytest.mark.parametrize(
    "path_type, content_type",
    [(pa.large_string(), pa.large_binary()), (pa.string_view(), pa.binary_view())],
)
def test_every_arrow_string_and_binary_type_is_read(path_type, content_type):
    path = trail_objects()[0]
    plain = whydenied.scan_bytes(objects_batch([path]))
    batch = pa.record_batch(
        {
            "path": pa.array([path], path_type),
            "content": pa.array([(ROOT / path).read_bytes()], content_type),
        }
    )
    assert whydenied.scan_bytes(batch).to_pylist() == plain.to_pylist()
    # Denial rows with wider types (as an engine may return them) summarise the same.
    wide = pa.table(plain).cast(
        pa.schema([pa.field(f.name, pa.large_string()) if f.type == pa.string() else f for f in plain.schema])
    )
    assert whydenied.summarize(wide).to_pylist() == whydenied.summarize(plain).to_pylist()
