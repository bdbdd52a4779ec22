"""The denials of a CloudTrail event history scan must be those of a scan of the same records
from trail files: the same event ids, and every column but `origin` (a page of the history,
a file) the same.

usage: check_same_event_ids.py FILES_OUT HISTORY_OUT [--event-source S] [--ids-only]
  FILES_OUT       --out of the scan of the trail files (the reference)
  HISTORY_OUT     --out of the cloudtrail:// scan(s): every denials file under it is read, so
                  the runs of an incremental scan add up (an event read twice fails the check)
  --event-source  only the reference's denials of this event source are expected (what a
                  --lookup-attribute EventSource=… run asks the API for)
  --ids-only      compare event ids alone (the history's event times were shifted)
"""

import argparse

import glob
import os

import pyarrow.parquet as pq


def denials(out_dir):
    files = sorted(glob.glob(os.path.join(out_dir, "**", "denials*.parquet"), recursive=True))
    assert files, f"no denials files under {out_dir}"
    rows = [row for f in files for row in pq.read_table(f).to_pylist()]
    for row in rows:
        row.pop("origin")
    return rows


def main(files_out, history_out, event_source, ids_only):
    expected = denials(files_out)
    if event_source:
        expected = [r for r in expected if r["event_source"] == event_source]
    got = denials(history_out)
    ids = [r["event_id"] for r in got]
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} denials counted twice"
    assert expected, "no denials to compare"
    by_id = {r["event_id"]: r for r in expected}
    missing = sorted(set(by_id) - set(ids))
    extra = sorted(set(ids) - set(by_id))
    assert not missing and not extra, f"missing {missing[:5]} ({len(missing)}), extra {extra[:5]} ({len(extra)})"
    for row in [] if ids_only else got:
        theirs = by_id[row["event_id"]]
        differ = {k: (theirs[k], row[k]) for k in row if str(theirs.get(k)) != str(row[k])}
        assert not differ, f"{row['event_id']}: {differ}"
    compared = "event id" if ids_only else "event id and every column but origin"
    print(f"ok: {len(got)} denials agree by {compared}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("files_out")
    parser.add_argument("history_out")
    parser.add_argument("--event-source")
    parser.add_argument("--ids-only", action="store_true")
    args = parser.parse_args()
    main(args.files_out, args.history_out, args.event_source, args.ids_only)
