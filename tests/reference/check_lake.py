"""A scan of Security Lake's OCSF copy of a trail must find what the scan of the trail found:
the same denials by event id, column for column (the origin aside: it names the file read),
the same summary rows and the same policy changes.

usage: check_lake.py OUT_TRAIL OUT_LAKE
  OUT_*  output directories of the two scans (denials.parquet, summary.parquet,
  policy_changes.parquet).
"""

import os
import sys

import pyarrow.parquet as pq


def keyed(out, name, key, ignore=("origin",)):
    rows = pq.read_table(os.path.join(out, name)).to_pylist()
    result = {}
    for row in rows:
        for column in ignore:
            row.pop(column, None)
        k = tuple(str(row[c]) for c in key)
        assert k not in result, f"{name} of {out}: {k} twice"
        result[k] = row
    return result


def compare(name, trail, lake):
    assert trail, f"no {name} rows to compare"
    if trail != lake:
        only_trail, only_lake = set(trail) - set(lake), set(lake) - set(trail)
        print(f"{name}: {len(only_trail)} rows only from the trail, {len(only_lake)} only from the lake")
        for k in sorted(set(trail) & set(lake)):
            if trail[k] != lake[k]:
                diff = {c: (trail[k][c], lake[k].get(c)) for c in trail[k] if trail[k][c] != lake[k].get(c)}
                print(f"  {k} differs: {diff}")
                break
        sys.exit(1)
    print(f"ok: {len(trail)} {name} rows agree")


def main(out_trail, out_lake):
    compare("denials", keyed(out_trail, "denials.parquet", ["event_id"]),
            keyed(out_lake, "denials.parquet", ["event_id"]))
    group = ["principal", "action", "bucket"]
    compare("summary", keyed(out_trail, "summary.parquet", group), keyed(out_lake, "summary.parquet", group))
    change = ["event_id", "event_name"]
    compare("policy change", keyed(out_trail, "policy_changes.parquet", change),
            keyed(out_lake, "policy_changes.parquet", change))


if __name__ == "__main__":
    main(*sys.argv[1:3])
