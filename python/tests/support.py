"""What the tests share: the repository's paths, the binary as the reference, the batches and
tables the engines hand over, and row-by-row comparison."""

import gzip
import json
import os
import pathlib
import subprocess

import pyarrow as pa
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample-logs"
BINARY = pathlib.Path(os.environ.get("WHYDENIED_BIN", ROOT / "target" / "debug" / "whydenied"))


def scan_with_binary(inputs, out: pathlib.Path) -> pathlib.Path:
    """Runs `whydenied scan INPUTS --out OUT` from the repository root (so that origins are
    `sample-logs/...`, as the tests name the objects) and returns OUT."""
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `cargo build` (scripts/test does) first")
    run = subprocess.run(
        [str(BINARY), "scan", *map(str, inputs), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert (out / "denials.parquet").exists(), run.stderr
    return out


def sample_files():
    """Every file under sample-logs/, named as the binary names them."""
    return sorted(p.relative_to(ROOT).as_posix() for p in SAMPLE.rglob("*") if p.is_file())


def objects_batch(paths, root=ROOT) -> pa.RecordBatch:
    """The batch Spark's binaryFile source gives: `path` and `content` (plus what we ignore)."""
    return pa.record_batch(
        {
            "path": paths,
            "content": pa.array([(root / p).read_bytes() for p in paths], pa.binary()),
            "length": [len((root / p).read_bytes()) for p in paths],
        }
    )


def trail_records(path: pathlib.Path):
    """The records of a delivered trail object, read with plain json code."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data).get("Records", [])


def sorted_rows(table: pa.Table, drop=()):
    """The rows as tuples, in a stable order: equal tables give equal lists."""
    names = [n for n in table.column_names if n not in drop]
    columns = [table.column(n).to_pylist() for n in names]
    return sorted(zip(*columns), key=repr), names


def assert_same_rows(actual: pa.Table, expected: pa.Table, drop=()):
    assert actual.column_names == expected.column_names
    got, names = sorted_rows(actual, drop)
    want, _ = sorted_rows(expected, drop)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        diff = {n: (a, b) for n, a, b in zip(names, g, w) if a != b}
        assert not diff, diff


# The Athena CloudTrail table, as the Athena User Guide's `CREATE EXTERNAL TABLE cloudtrail_logs`
# declares it ("Create a table for CloudTrail logs in Athena using manual partitioning"), plus a
# `path` column (Athena's "$path").
S = pa.string()
ATHENA_SCHEMA = pa.schema(
    [
        ("eventversion", S),
        (
            "useridentity",
            pa.struct(
                [
                    ("type", S),
                    ("principalid", S),
                    ("arn", S),
                    ("accountid", S),
                    ("invokedby", S),
                    ("accesskeyid", S),
                    ("username", S),
                    ("onbehalfof", pa.struct([("userid", S), ("identitystorearn", S)])),
                    (
                        "sessioncontext",
                        pa.struct(
                            [
                                ("attributes", pa.struct([("mfaauthenticated", S), ("creationdate", S)])),
                                (
                                    "sessionissuer",
                                    pa.struct(
                                        [
                                            ("type", S),
                                            ("principalid", S),
                                            ("arn", S),
                                            ("accountid", S),
                                            ("username", S),
                                        ]
                                    ),
                                ),
                                ("ec2roledelivery", S),
                                (
                                    "webidfederationdata",
                                    pa.struct([("federatedprovider", S), ("attributes", pa.map_(S, S))]),
                                ),
                            ]
                        ),
                    ),
                ]
            ),
        ),
        ("eventtime", S),
        ("eventsource", S),
        ("eventname", S),
        ("awsregion", S),
        ("sourceipaddress", S),
        ("useragent", S),
        ("errorcode", S),
        ("errormessage", S),
        ("requestparameters", S),
        ("responseelements", S),
        ("additionaleventdata", S),
        ("requestid", S),
        ("eventid", S),
        ("resources", pa.list_(pa.struct([("arn", S), ("accountid", S), ("type", S)]))),
        ("eventtype", S),
        ("apiversion", S),
        ("readonly", S),
        ("recipientaccountid", S),
        ("serviceeventdetails", S),
        ("sharedeventid", S),
        ("vpcendpointid", S),
        ("vpcendpointaccountid", S),
        ("eventcategory", S),
        ("tlsdetails", pa.struct([("tlsversion", S), ("ciphersuite", S), ("clientprovidedhostheader", S)])),
        ("path", S),
    ]
)

# Free-form fields the table keeps as JSON text.
JSON_TEXT = {"requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails"}


def _text(value):
    """A scalar as the CloudTrail SerDe gives it: text (`true` for JSON true), or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _shaped(value, data_type, name=None):
    """`value` (from the record's JSON) in the Athena column's type, matched by lower-case name."""
    if value is None:
        return None
    if name in JSON_TEXT:
        return json.dumps(value)
    if pa.types.is_struct(data_type):
        if not isinstance(value, dict):
            return None
        by_lower = {k.lower(): v for k, v in value.items()}
        return {f.name: _shaped(by_lower.get(f.name), f.type, f.name) for f in data_type}
    if pa.types.is_map(data_type):
        return [(k, _text(v)) for k, v in value.items()] if isinstance(value, dict) else None
    if pa.types.is_list(data_type):
        if not isinstance(value, list):
            return None
        return [_shaped(v, data_type.value_type) for v in value]
    return _text(value)


def athena_table(paths) -> pa.Table:
    """The records of the trail objects `paths` as rows of the Athena CloudTrail table."""
    rows = []
    for path in paths:
        for record in trail_records(ROOT / path):
            row = _shaped(record, pa.struct(list(ATHENA_SCHEMA)))
            row["path"] = path
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=ATHENA_SCHEMA)


def trail_objects():
    """The delivered trail objects of the sample (not digests, policies)."""
    return [p for p in sample_files() if "/CloudTrail/" in p or "/CloudTrail-Insight/" in p]
