"""A stand-in for CloudTrail's LookupEvents API, for tests/aws/lookup_events.rs: moto's CloudTrail
has no LookupEvents at all (moto 5.2.5, the version tests/requirements.txt pins).

It speaks the AWS JSON 1.1 protocol as the SDK sends it (POST /, X-Amz-Target
CloudTrail_20131101.LookupEvents, times as epoch seconds)
and serves the records of the trail files under LOGS (sample-logs/AWSLogs) of the request's
region (from the SigV4 credential scope of the Authorization header), newest first, with
StartTime and EndTime both inclusive, one lookup attribute, MaxResults up to 50 and opaque
NextTokens, as the CloudTrail API Reference describes. Unlike the real history, which holds
management events only, it serves every record of the region: what the client does with a
page does not depend on the records' category.

usage: lookup_events_server.py LOGS LOG_FILE [--throttle-every N] [--error CODE[:FROM]]
                               [--shift SECONDS]
  LOG_FILE         one JSON object per request received: time, parameters, region, status,
                   whether it was throttled, events and NextToken returned
  --throttle-every every Nth request answers ThrottlingException (its retry is served)
  --error          every request from the FROMth (default 1) on answers error CODE
                   (AccessDeniedException: 400; anything else: 500)
  --shift          added to every event time (whole seconds), to serve "recent" events

Prints the port it listens on (127.0.0.1, chosen by the system) once ready; serves until killed.
"""

import argparse
import base64
import glob
import gzip
import json
import os
import re
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The SDK sends the short form; the service's full shape id is accepted too.
TARGETS = (
    "CloudTrail_20131101.LookupEvents",
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
)
KEYS = {
    "EventId": lambda r: [r.get("eventID")],
    "EventName": lambda r: [r.get("eventName")],
    "EventSource": lambda r: [r.get("eventSource")],
    "ReadOnly": lambda r: [str(r.get("readOnly")).lower()],
    "Username": lambda r: [(r.get("userIdentity") or {}).get("userName")],
    "AccessKeyId": lambda r: [(r.get("userIdentity") or {}).get("accessKeyId")],
    "ResourceType": lambda r: [x.get("type") for x in r.get("resources") or []],
    "ResourceName": lambda r: [x.get("ARN") for x in r.get("resources") or []],
}


def load(root, shift):
    """Records by region, each as (epoch seconds, eventID, record), newest first."""
    by_region = {}
    for path in glob.glob(os.path.join(root, "**", "*.json.gz"), recursive=True):
        with gzip.open(path) as f:
            trail = json.load(f)
        for record in trail.get("Records", []):
            try:
                at = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
            except (KeyError, TypeError, ValueError):
                continue
            seconds = int(at.replace(tzinfo=timezone.utc).timestamp()) + shift
            record = dict(record)
            record["eventTime"] = datetime.fromtimestamp(seconds, timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            by_region.setdefault(record.get("awsRegion"), []).append(
                (seconds, record.get("eventID") or "", record)
            )
    for records in by_region.values():
        records.sort(key=lambda e: (-e[0], e[1]))
    return by_region


class Api:
    def __init__(self, records, log_file, throttle_every, error, error_from):
        self.records = records
        self.log_file = log_file
        self.throttle_every = throttle_every
        self.error = error
        self.error_from = error_from
        self.count = 0
        self.lock = threading.Lock()

    def answer(self, headers, body):
        """(status, JSON document) for one request; logs it."""
        with self.lock:
            self.count += 1
            number = self.count
        received = time.time()
        entry = {"n": number, "time": received, "throttled": False}
        status, document = self.serve(headers, body, number, entry)
        entry["status"] = status
        with self.lock, open(self.log_file, "a") as log:
            log.write(json.dumps(entry) + "\n")
        return status, document

    def serve(self, headers, body, number, entry):
        if headers.get("X-Amz-Target") not in TARGETS:
            return 400, error("UnknownOperationException", "only LookupEvents is served")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return 400, error("SerializationException", "the body is not JSON")
        scope = re.search(r"Credential=[^/]+/\d+/([^/]+)/cloudtrail/", headers.get("Authorization", ""))
        region = scope.group(1) if scope else None
        entry.update(
            region=region,
            start=request.get("StartTime"),
            end=request.get("EndTime"),
            attributes=request.get("LookupAttributes"),
            max_results=request.get("MaxResults"),
            token=request.get("NextToken"),
        )
        if self.error and number >= self.error_from:
            status = 400 if self.error.startswith("AccessDenied") else 500
            return status, error(self.error, f"{self.error} from the stand-in")
        if self.throttle_every and number % self.throttle_every == 0:
            entry["throttled"] = True
            return 400, error("ThrottlingException", "Rate exceeded")
        max_results = request.get("MaxResults", 50)
        if not 1 <= max_results <= 50:
            return 400, error("InvalidMaxResultsException", "MaxResults must be 1 to 50")
        attributes = request.get("LookupAttributes") or []
        if len(attributes) > 1 or any(a.get("AttributeKey") not in KEYS for a in attributes):
            return 400, error("InvalidLookupAttributesException", "one attribute of the known keys")
        start, end = request.get("StartTime"), request.get("EndTime")
        if start is not None and end is not None and start > end:
            return 400, error("InvalidTimeRangeException", "StartTime is after EndTime")
        matching = [
            r
            for r in self.records.get(region, [])
            if (start is None or r[0] >= start)
            and (end is None or r[0] <= end)
            and all(a["AttributeValue"] in KEYS[a["AttributeKey"]](r[2]) for a in attributes)
        ]
        offset = 0
        if request.get("NextToken"):
            try:
                offset = json.loads(base64.b64decode(request["NextToken"]))["offset"]
            except (ValueError, KeyError, TypeError):
                return 400, error("InvalidNextTokenException", "the token is not one of ours")
        page = matching[offset : offset + max_results]
        entry["events"] = len(page)
        document = {"Events": [event(r) for r in page]}
        if offset + max_results < len(matching):
            token = {"offset": offset + max_results, "salt": number}
            document["NextToken"] = base64.b64encode(json.dumps(token).encode()).decode()
            entry["next_token"] = document["NextToken"]
        return 200, document


def error(code, message):
    return {"__type": code, "message": message}


def event(entry):
    seconds, _, record = entry
    identity = record.get("userIdentity") or {}
    return {
        "EventId": record.get("eventID"),
        "EventName": record.get("eventName"),
        "ReadOnly": str(record.get("readOnly")).lower(),
        "AccessKeyId": identity.get("accessKeyId"),
        "EventTime": seconds,
        "EventSource": record.get("eventSource"),
        "Username": identity.get("userName"),
        "Resources": [
            {"ResourceType": x.get("type"), "ResourceName": x.get("ARN")}
            for x in record.get("resources") or []
        ],
        "CloudTrailEvent": json.dumps(record),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("logs")
    parser.add_argument("log_file")
    parser.add_argument("--throttle-every", type=int, default=0)
    parser.add_argument("--error", default="")
    parser.add_argument("--shift", type=int, default=0)
    args = parser.parse_args()
    code, _, first = args.error.partition(":")
    api = Api(load(args.logs, args.shift), args.log_file, args.throttle_every, code, int(first or 1))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, document = api.answer(self.headers, body)
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
