"""Builds Amazon Security Lake's CloudTrail (OCSF 1.1 API Activity, class 6003, in Parquet) from
delivered CloudTrail objects, independently of whydenied, following the mapping AWS contributed
for Security Lake (OCSF project, "Event Dossier: Amazon CloudTrail Generic API Activity"):
explicit columns for the fields it names, and every other field in `unmapped`, a
map<string,string> keyed by the field's CloudTrail path, its value the JSON text of an object,
array or non-text scalar, or the text itself. A value of a type the column cannot hold (an
eventTime that is no time) goes to `unmapped` too.

The layout is Security Lake's: OUT/aws/CLOUD_TRAIL_MGMT/2.0/region=R/accountId=A/eventDay=YYYYMMDD/
part-NNNN.gz.parquet, GZIP-compressed, small row groups so that a reader meets several.

usage: to_ocsf.py OUT FILE_OR_DIR...   (prints how many rows and files it wrote)
"""

import datetime
import glob
import gzip
import ipaddress
import json
import os
import sys
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq

S = pa.string()
TS = pa.timestamp("ms", tz="UTC")
SCHEMA = pa.schema([
    ("metadata", pa.struct([("uid", S), ("event_code", S), ("version", S),
                            ("product", pa.struct([("name", S), ("vendor_name", S), ("version", S)]))])),
    ("time", pa.int64()),
    ("time_dt", TS),
    ("class_uid", pa.int32()),
    ("category_uid", pa.int32()),
    ("status", S),
    ("api", pa.struct([("operation", S), ("version", S), ("service", pa.struct([("name", S)])),
                       ("request", pa.struct([("uid", S), ("data", S)])),
                       ("response", pa.struct([("error", S), ("message", S), ("data", S)]))])),
    ("cloud", pa.struct([("provider", S), ("region", S), ("account", pa.struct([("uid", S)]))])),
    ("src_endpoint", pa.struct([("ip", S), ("domain", S), ("uid", S)])),
    ("http_request", pa.struct([("user_agent", S)])),
    ("actor", pa.struct([
        ("user", pa.struct([("type", S), ("uid", S), ("uid_alt", S), ("name", S), ("credential_uid", S),
                            ("account", pa.struct([("uid", S)]))])),
        ("session", pa.struct([("issuer", S), ("is_mfa", pa.bool_()), ("created_time_dt", TS)])),
        ("invoked_by", S),
        ("idp", pa.struct([("uid", S), ("name", S)])),
    ])),
    ("resources", pa.list_(pa.struct([("uid", S), ("type", S), ("owner", pa.struct([("account", pa.struct([("uid", S)]))]))]))),
    ("unmapped", pa.map_(S, S)),
])


def parse_time(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def take(record, path, kind=str):
    """Removes and returns the value at the dotted path if it is of `kind`; otherwise leaves it
    (for `unmapped`) and returns None."""
    *parents, last = path.split(".")
    node = record
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get(last), kind):
        return node.pop(last)
    return None


def leftovers(value, path, out):
    """Every field still in the record, as unmapped entries; objects that held mapped fields
    are walked, the others kept whole as JSON text."""
    if isinstance(value, dict) and path in ("userIdentity", "userIdentity.sessionContext",
                                            "userIdentity.sessionContext.sessionIssuer",
                                            "userIdentity.sessionContext.attributes",
                                            "userIdentity.onBehalfOf", ""):
        for k, v in value.items():
            leftovers(v, f"{path}.{k}" if path else k, out)
    elif value is not None:
        out[path] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def to_row(event):
    r = json.loads(json.dumps(event))  # a copy to take fields out of
    when = parse_time(r.get("eventTime"))
    if when is not None:
        r.pop("eventTime")
    request = r.pop("requestParameters", None)
    response = r.pop("responseElements", None)
    source_ip = take(r, "sourceIPAddress")
    try:
        ipaddress.ip_address(source_ip or "")
        ip, domain = source_ip, None
    except ValueError:
        ip, domain = None, source_ip
    mfa = take(r, "userIdentity.sessionContext.attributes.mfaAuthenticated")
    if mfa not in (None, "true", "false"):
        r["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] = mfa
    created = parse_time(take(r, "userIdentity.sessionContext.attributes.creationDate"))
    resources = None
    if isinstance(r.get("resources"), list) and all(isinstance(x, dict) for x in r["resources"]):
        resources = [{"uid": x.get("ARN"), "type": x.get("type"),
                      "owner": {"account": {"uid": x.get("accountId")}}} for x in r.pop("resources")]
    row = {
        "metadata": {"uid": take(r, "eventID"), "event_code": take(r, "eventType"), "version": "1.1.0",
                     "product": {"name": "CloudTrail", "vendor_name": "AWS", "version": take(r, "eventVersion")}},
        "time": int(when.timestamp() * 1000) if when else None,
        "time_dt": when,
        "class_uid": 6003,
        "category_uid": 6,
        "api": {"operation": take(r, "eventName"), "version": take(r, "apiVersion"),
                "service": {"name": take(r, "eventSource")},
                "request": {"uid": take(r, "requestID"),
                            "data": None if request is None else json.dumps(request)},
                "response": {"error": take(r, "errorCode"), "message": take(r, "errorMessage"),
                             "data": None if response is None else json.dumps(response)}},
        "cloud": {"provider": "AWS", "region": take(r, "awsRegion"),
                  "account": {"uid": take(r, "recipientAccountId")}},
        "src_endpoint": {"ip": ip, "domain": domain, "uid": take(r, "vpcEndpointId")},
        "http_request": {"user_agent": take(r, "userAgent")},
        "actor": {
            "user": {"type": take(r, "userIdentity.type"), "uid": take(r, "userIdentity.arn"),
                     "uid_alt": take(r, "userIdentity.principalId"), "name": take(r, "userIdentity.userName"),
                     "credential_uid": take(r, "userIdentity.accessKeyId"),
                     "account": {"uid": take(r, "userIdentity.accountId")}},
            "session": {"issuer": take(r, "userIdentity.sessionContext.sessionIssuer.arn"),
                        "is_mfa": None if mfa not in ("true", "false") else mfa == "true",
                        "created_time_dt": created},
            "invoked_by": take(r, "userIdentity.invokedBy"),
            "idp": {"uid": take(r, "userIdentity.onBehalfOf.identityStoreArn"),
                    "name": (r.get("userIdentity") or {}).get("identityProvider")},
        },
        "resources": resources,
    }
    row["status"] = "Failure" if row["api"]["response"]["error"] else "Success"
    unmapped = {}
    leftovers(r, "", unmapped)
    row["unmapped"] = sorted(unmapped.items())
    partition = (row["cloud"]["region"] or "unknown", row["cloud"]["account"]["uid"] or "unknown",
                 when.strftime("%Y%m%d") if when else "unknown")
    return partition, row


def events(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    document = json.loads(data)
    for event in document.get("Records", []) if isinstance(document, dict) else []:
        # Insights events are no API calls: Security Lake has no API Activity row for them.
        if isinstance(event, dict) and event.get("eventType") != "AwsCloudTrailInsight":
            yield event


def main(out, inputs):
    files = []
    for i in inputs:
        files += sorted(glob.glob(os.path.join(i, "**", "*.json.gz"), recursive=True)) if os.path.isdir(i) else [i]
    partitions = defaultdict(list)
    for f in files:
        for event in events(f):
            key, row = to_row(event)
            partitions[key].append(row)
    written = 0
    for (region, account, day), rows in sorted(partitions.items()):
        rows.sort(key=lambda r: (r["time"] or 0, r["metadata"]["uid"] or ""))
        directory = os.path.join(out, "aws", "CLOUD_TRAIL_MGMT", "2.0", f"region={region}",
                                 f"accountId={account}", f"eventDay={day}")
        os.makedirs(directory, exist_ok=True)
        # Two objects for a big partition, as Security Lake writes several per day.
        half = len(rows) // 2 if len(rows) > 400 else len(rows)
        for n, part in enumerate(p for p in (rows[:half], rows[half:]) if p):
            table = pa.Table.from_pylist(part, schema=SCHEMA)
            pq.write_table(table, os.path.join(directory, f"part-{n:04d}.gz.parquet"),
                           compression="gzip", row_group_size=200)
            written += 1
    print(f"{sum(len(r) for r in partitions.values())} rows in {written} files")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
