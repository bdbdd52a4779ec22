"""Authorization failures in a directory of CloudTrail logs, per account and region, counted from
the raw logs with plain Python (the rules of check_scan.py): the expected numbers of the
--account/--region filter tests.

The account is the record's recipientAccountId and the region its awsRegion, as the README's
"Usage" says the filters read them; a record without one is counted under null.

usage: count_failures.py LOG_DIR   (prints [[account, region, failures], ...] as JSON)
"""

import json
import sys
from collections import Counter

from check_scan import is_authorization_failure, read_records


def main(log_dir):
    records, _, _ = read_records(log_dir)
    counts = Counter(
        (r.get("recipientAccountId"), r.get("awsRegion"))
        for r in records
        if r.get("eventType") != "AwsCloudTrailInsight" and is_authorization_failure(r)
    )
    print(json.dumps(sorted([a, r, n] for (a, r), n in counts.items())))


if __name__ == "__main__":
    main(sys.argv[1])
