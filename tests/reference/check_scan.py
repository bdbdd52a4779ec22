"""Independent check of a `whydenied scan` run over a directory of CloudTrail logs.

Recomputes, from the raw logs with nothing but Python's gzip and json modules, which records are
authorization failures and who/what/where each one was, following the rules documented in the
README ("What counts as a denial", "Columns"); then reads the Parquet reports with pyarrow and
DuckDB and compares. The program's own output is never used as the expected value.

usage: check_scan.py LOG_DIR OUT_DIR   (OUT_DIR holds denials.parquet, summary.parquet, stdout.json)
"""

import gzip
import json
import os
import re
import sys
from collections import Counter

import duckdb
import pyarrow.parquet as pq

AUTHORIZATION_CODES = {c.lower() for c in [
    "AccessDenied", "AccessDeniedException", "AccessDeniedFault",
    "AccessDeniedForDependencyException", "AuthorizationError", "AuthorizationErrorException",
    "Client.UnauthorizedOperation", "Forbidden", "ForbiddenException",
    "InsufficientPrivilegesException", "KMSAccessDeniedException", "UnauthorizedException",
    "UnauthorizedOperation", "VpceAccessDenied",
]}


def is_authorization_failure(record):
    code = record.get("errorCode")
    if code is None or code == "":
        return False
    if isinstance(code, str) and code.lower() in AUTHORIZATION_CODES:
        return True
    message = record.get("errorMessage")
    if not isinstance(message, str):
        return False
    lower = message.lower()
    if "is not authorized to perform" in lower or "explicit deny" in lower:
        return True
    at = lower.find("because no ")
    return at >= 0 and " allows the " in lower[at:]


def text(obj, *path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj if isinstance(obj, str) and obj != "" else None


def principal_of(identity):
    """(principal, principal_type) by the documented rules."""
    if not isinstance(identity, dict):
        return "unknown", "Unknown"
    kind = text(identity, "type") or "Unknown"
    arn = text(identity, "arn")
    account = text(identity, "accountId")
    pid = text(identity, "principalId")
    user = text(identity, "userName")
    if kind == "AssumedRole":
        issuer = text(identity, "sessionContext", "sessionIssuer", "arn")
        if issuer:
            return issuer, kind
        m = re.match(r"arn:([^:]*):sts::([^:]*):assumed-role/([^/]+)/", arn or "")
        if m:
            return f"arn:{m[1]}:iam::{m[2]}:role/{m[3]}", kind
        return arn or "unknown", kind
    if kind == "AWSService":
        return text(identity, "invokedBy") or "unknown", kind
    if kind == "AWSAccount":
        if account == "ANONYMOUS_PRINCIPAL":
            return "anonymous", "Anonymous"
        if account and pid:
            return f"{account}/{pid}", kind
        return account or pid or "unknown", kind
    if kind in ("SAMLUser", "WebIdentityUser"):
        return user or pid or "unknown", kind
    if kind == "IdentityCenterUser":
        store = text(identity, "onBehalfOf", "identityStoreArn")
        uid = text(identity, "onBehalfOf", "userId")
        if store and uid:
            return f"{store}/user/{uid}", kind
        return uid or pid or "unknown", kind
    return arn or pid or user or "unknown", kind


def bucket_of_arn(arn):
    m = re.match(r"arn:aws[a-z-]*:s3:::([^/]+)", arn or "")
    return m[1] if m else None


def bucket_of(record):
    name = text(record, "requestParameters", "bucketName")
    if name:
        return name
    resources = record.get("resources") if isinstance(record.get("resources"), list) else []
    for wanted in ("AWS::S3::Bucket", "AWS::S3::Object"):
        for r in resources:
            if isinstance(r, dict) and r.get("type") == wanted and bucket_of_arn(text(r, "ARN")):
                return bucket_of_arn(text(r, "ARN"))
    m = re.search(r'on resource: "?(arn:[^" ]+)', text(record, "errorMessage") or "")
    return bucket_of_arn(m[1]) if m else None


def read_records(log_dir):
    """Every record of every trail object under log_dir; also counts digests and objects."""
    records, digests, insights = [], 0, 0
    for root, dirs, files in os.walk(log_dir):
        if "SNAPSHOT.json" in files:
            dirs.clear()  # a policy snapshot (sample-logs/policies) is not log input
            continue
        dirs.sort()
        for name in sorted(files):
            with open(os.path.join(root, name), "rb") as f:
                raw = f.read()
            data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
            if "Records" not in data:
                digests += "digestStartTime" in data
                continue
            if data["Records"] and data["Records"][0].get("eventType") == "AwsCloudTrailInsight":
                insights += 1
                continue
            records.extend(data["Records"])
    return records, digests, insights


def main(log_dir, out_dir):
    failures = []
    records, digests, insights = read_records(log_dir)
    expected = {}
    for r in records:
        if r.get("eventType") != "AwsCloudTrailInsight" and is_authorization_failure(r):
            principal, ptype = principal_of(r.get("userIdentity"))
            expected[r["eventID"]] = (r["errorCode"], principal, ptype, bucket_of(r), r.get("recipientAccountId"))
    assert len(expected) > 0, "the logs hold no denials: nothing would be checked"

    denials = pq.read_table(os.path.join(out_dir, "denials.parquet")).to_pylist()
    got = {d["event_id"]: (d["error_code"], d["principal"], d["principal_type"], d["bucket"], d["account_id"])
           for d in denials}
    if len(got) != len(denials):
        failures.append(f"{len(denials) - len(got)} duplicate event ids in denials.parquet")
    for event_id in sorted(set(expected) | set(got)):
        if expected.get(event_id) != got.get(event_id):
            failures.append(f"{event_id}: expected {expected.get(event_id)}, got {got.get(event_id)}")

    stats = json.load(open(os.path.join(out_dir, "stdout.json")))["scanned"]
    for key, value in [("records", len(records)), ("kept", len(expected))]:
        if stats[key] != value:
            failures.append(f"scanned.{key}: expected {value}, got {stats[key]}")
    for kind, count in [("digest", digests), ("insight", insights)]:
        if stats["skipped_by_design"].get(kind, 0) != count:
            failures.append(f"skipped_by_design.{kind}: expected {count}, got {stats['skipped_by_design']}")

    # summary.parquet must be exactly the group-by of denials.parquet (computed here by DuckDB).
    db = duckdb.connect()
    denials_path = os.path.join(out_dir, "denials.parquet")
    summary_path = os.path.join(out_dir, "summary.parquet")
    by_duckdb = db.execute(f"""
        SELECT principal, action, bucket, count(*), min(event_time), max(event_time),
               count(DISTINCT source_ip), list(DISTINCT account_id ORDER BY account_id)
        FROM read_parquet('{denials_path}') GROUP BY ALL ORDER BY ALL""").fetchall()
    summary = db.execute(f"""
        SELECT principal, action, bucket, count, first_seen, last_seen, distinct_source_ips, accounts
        FROM read_parquet('{summary_path}') ORDER BY ALL""").fetchall()
    if by_duckdb != summary:
        failures.append("summary.parquet differs from DuckDB's group-by of denials.parquet")
        failures.extend(f"  duckdb {a}\n  report {b}" for a, b in zip(by_duckdb, summary) if a != b)

    # The summary per principal equals the independent expectation per principal.
    per_principal = Counter(v[1] for v in expected.values())
    reported = Counter()
    for row in pq.read_table(summary_path).to_pylist():
        reported[row["principal"]] += row["count"]
    if per_principal != reported:
        failures.append(f"counts per principal differ: expected {dict(per_principal)}, got {dict(reported)}")

    for f in failures[:40]:
        print(f)
    if failures:
        print(f"{len(failures)} mismatches")
        sys.exit(1)
    print(f"ok: {len(records)} records, {len(expected)} denials, {len(summary)} groups agree")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
