"""Row-by-row check of a `whydenied scan --policies` run against the generator's own truth.

The truth (tests/fixtures/sample-verdicts.csv, written by `gen_trail sample DIR --truth CSV`) is
what examples/gen_trail meant each denial of sample-logs/ to be, decided from the policies it
wrote into sample-logs/policies/ and the changes its trail makes (examples/gen_trail/truth.rs):
one row per denial, `event_id,verdict,layer,policy,statement,note`. It is never derived from
whydenied's output.

Rules of the comparison:
- every denial of the truth must be in denials.parquet and the other way round (event_id);
- a truth row with a `note` is one the generator could not classify with confidence: only its
  presence is checked;
- otherwise `eval_verdict` must equal the truth's verdict, and for `explicit_deny` and
  `implicit_deny` also `eval_layer`, `eval_policy` and `eval_statement` (null reads as empty);
  for `conditional`, `allowed_now` and `not_evaluated` only the verdict is compared, since what
  the evaluation names for them is its own rendering of the unknown.

Prints the first 20 mismatches and the counts per verdict; exits 1 on any mismatch.

usage: check_verdicts.py REPORTS_DIR TRUTH_CSV
       check_verdicts.py --self-test
"""

import csv
import os
import sys
import tempfile
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = ["event_id", "eval_verdict", "eval_layer", "eval_policy", "eval_statement"]
VERDICTS = {"explicit_deny", "implicit_deny", "conditional", "allowed_now", "not_evaluated"}
NAMED = {"explicit_deny", "implicit_deny"}


def read_truth(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    truth = {}
    for row in rows:
        event_id = row["event_id"]
        assert event_id not in truth, f"{path}: event {event_id} twice"
        assert row["note"] or row["verdict"] in VERDICTS, f"{path}: {event_id}: verdict {row['verdict']!r}"
        truth[event_id] = row
    return truth


def read_reports(reports_dir):
    path = os.path.join(reports_dir, "denials.parquet")
    missing = [c for c in COLUMNS if c not in pq.read_schema(path).names]
    assert not missing, f"{path} has no {', '.join(missing)}: was the scan run with --policies?"
    table = pq.read_table(path, columns=COLUMNS)
    seen = {}
    for row in table.to_pylist():
        event_id = row["event_id"]
        assert event_id not in seen, f"{path}: event {event_id} twice"
        seen[event_id] = {k: ("" if v is None else str(v)) for k, v in row.items()}
    return seen


def compare(truth, reports):
    """(mismatches, counts): each mismatch is (event_id, what differs)."""
    mismatches = []
    counts = Counter()
    for event_id in sorted(set(truth) | set(reports)):
        want, got = truth.get(event_id), reports.get(event_id)
        if want is None:
            mismatches.append((event_id, "in denials.parquet, not in the truth"))
            continue
        if got is None:
            mismatches.append((event_id, "in the truth, not in denials.parquet"))
            continue
        if want["note"]:
            counts["noted (presence only)"] += 1
            continue
        verdict = want["verdict"]
        fields = [("verdict", verdict, got["eval_verdict"])]
        if verdict in NAMED:
            fields += [
                ("layer", want["layer"], got["eval_layer"]),
                ("policy", want["policy"], got["eval_policy"]),
                ("statement", want["statement"], got["eval_statement"]),
            ]
        wrong = [f"{name}: want {w!r}, got {g!r}" for name, w, g in fields if w != g]
        counts[(verdict, "agree" if not wrong else "differ")] += 1
        if wrong:
            mismatches.append((event_id, "; ".join(wrong)))
    return mismatches, counts


def report(mismatches, counts):
    for event_id, what in mismatches[:20]:
        print(f"MISMATCH {event_id}: {what}")
    if len(mismatches) > 20:
        print(f"... and {len(mismatches) - 20} more")
    for key in sorted(counts, key=str):
        label = key if isinstance(key, str) else f"{key[0]} {key[1]}"
        print(f"  {label:<28} {counts[key]:>5}")
    compared = sum(n for k, n in counts.items() if not isinstance(k, str))
    print(f"{compared} denials compared, {len(mismatches)} mismatches")


def main(reports_dir, truth_csv):
    mismatches, counts = compare(read_truth(truth_csv), read_reports(reports_dir))
    report(mismatches, counts)
    sys.exit(1 if mismatches else 0)


def self_test():
    """Three denials: one that agrees, one with another statement, one missing from the reports."""
    with tempfile.TemporaryDirectory() as work:
        truth_csv = os.path.join(work, "truth.csv")
        with open(truth_csv, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["event_id", "verdict", "layer", "policy", "statement", "note"])
            scp = "arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/service_control_policy/p-5ca1ab1e"
            w.writerow(["e1", "explicit_deny", "scp", scp, "DenyOutsideApprovedRegions", ""])
            w.writerow(["e2", "explicit_deny", "resource_policy", "arn:aws:s3:::b#bucket-policy", "DenyDeletes", ""])
            w.writerow(["e3", "implicit_deny", "identity_policy", "", "", ""])
        table = pa.table({
            "event_id": ["e1", "e2", "e4"],
            "eval_verdict": ["explicit_deny", "explicit_deny", "allowed_now"],
            "eval_layer": ["scp", "resource_policy", None],
            "eval_policy": [scp, "arn:aws:s3:::b#bucket-policy", None],
            "eval_statement": ["DenyOutsideApprovedRegions", "#2", None],
            "event_time": ["2026-11-02T00:00:00Z"] * 3,
        })
        pq.write_table(table, os.path.join(work, "denials.parquet"))
        mismatches, counts = compare(read_truth(truth_csv), read_reports(work))
        got = dict(mismatches)
        assert counts[("explicit_deny", "agree")] == 1, counts
        assert got.get("e2") == "statement: want 'DenyDeletes', got '#2'", got
        assert got.get("e3") == "in the truth, not in denials.parquet", got
        assert got.get("e4") == "in denials.parquet, not in the truth", got
        assert len(mismatches) == 3, mismatches
    print("self-test: 1 match, a wrong statement and a denial missing on each side are caught")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    elif len(sys.argv) == 3:
        main(sys.argv[1], sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
