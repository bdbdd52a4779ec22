"""The package the tests import is the wheel file a Glue, EMR or Databricks job is given.

`scripts/test` builds it with `maturin build` and installs the file with pip, so every other
test here runs that artifact, not an editable build of the source tree.
"""

import importlib.metadata as metadata
import json
import re
from pathlib import Path

import whydenied


def test_the_package_is_installed_from_its_abi3_manylinux_wheel():
    dist = metadata.distribution("whydenied")
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.removeprefix("Tag: ") for line in wheel.splitlines() if line.startswith("Tag: ")]
    # One file for every CPython from 3.9 on (the stable ABI), on any manylinux glibc.
    assert len(tags) == 1, wheel
    assert re.fullmatch(r"cp39-abi3-manylinux_2_\d+_(x86_64|aarch64)", tags[0]), tags
    origin = json.loads(dist.read_text("direct_url.json") or "{}")
    assert origin.get("url", "").endswith(".whl"), origin
    assert "archive_info" in origin, origin

    # The extension the package loads is the abi3 one listed in the wheel's RECORD.
    files = dist.files or []
    extensions = [f for f in files if f.name.startswith("_whydenied.") and f.suffix == ".so"]
    assert [f.name for f in extensions] == ["_whydenied.abi3.so"]
    loaded = Path(whydenied._whydenied.__file__).resolve()
    assert loaded == Path(str(extensions[0].locate())).resolve()

    # What a worker's pip reads before installing it.
    assert dist.metadata["Requires-Python"] == ">=3.9"
    assert [r for r in dist.requires or [] if r.startswith("pyarrow")] == ["pyarrow>=14"]
