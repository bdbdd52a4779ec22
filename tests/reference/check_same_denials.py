"""Two scans of the same files from different places must give the same denials, row for row,
and each row's origin must name the same file in its own place.

usage: check_same_denials.py OUT_A OUT_B ROOT_A ROOT_B
  OUT_*  output directories: denials.parquet, or partitioned denials/date=*/denials-*.parquet
  (every file is read: several runs or shards add up); ROOT_* the prefix of the origins (a
  directory or an s3:// or cwlogs:// URL) that is replaced to compare origins.
"""

import glob
import os
import sys

import pyarrow.parquet as pq


def rows(out_dir, root):
    files = sorted(glob.glob(os.path.join(out_dir, "**", "denials*.parquet"), recursive=True))
    assert files, f"no denials files under {out_dir}"
    table = [row for f in files for row in pq.read_table(f).to_pylist()]
    result = []
    for row in table:
        origin = row.pop("origin")
        assert origin.startswith(root), f"origin {origin!r} is not under {root!r}"
        row["origin"] = origin[len(root):].lstrip("/")
        result.append(tuple(sorted((k, str(v)) for k, v in row.items())))
    return sorted(result)


def main(out_a, out_b, root_a, root_b):
    a, b = rows(out_a, root_a), rows(out_b, root_b)
    assert a, "no denials to compare"
    if a != b:
        only_a = set(a) - set(b)
        only_b = set(b) - set(a)
        print(f"{len(only_a)} rows only in {out_a}, {len(only_b)} only in {out_b}")
        for r in list(only_a)[:3] + list(only_b)[:3]:
            print(dict(r))
        sys.exit(1)
    print(f"ok: {len(a)} denials agree row for row")


if __name__ == "__main__":
    main(*sys.argv[1:5])
