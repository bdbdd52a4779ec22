"""The Dockerfile's stages, parsed (no container tool is needed); built and run where a Docker
daemon answers, skipped where none does."""

import json
import re
import shutil
import subprocess
import tomllib

import pytest

from support import ROOT


def instructions():
    """(instruction, arguments) pairs of the Dockerfile, comments and continuations resolved."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def stages():
    """Each stage's name, base image and instructions."""
    found = []
    for op, args in instructions():
        if op.upper() == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", args, re.IGNORECASE)
            assert match, f"every stage is named: FROM {args}"
            found.append({"image": match.group(1), "name": match.group(2), "steps": []})
        else:
            found[-1]["steps"].append((op.upper(), args))
    return found


def test_a_build_stage_and_a_small_runtime_that_takes_only_the_binary():
    build, runtime = stages()
    # The build: Rust at least the crate's rust-version, the release binary from the lock file.
    rust = re.fullmatch(r"rust:(\d+)\.(\d+)(?:\.\d+)?-slim-(\w+)", build["image"])
    assert rust, build["image"]
    package = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]
    wanted = tuple(int(n) for n in package["rust-version"].split(".")[:2])
    assert (int(rust.group(1)), int(rust.group(2))) >= wanted
    runs = [args for op, args in build["steps"] if op == "RUN"]
    assert any("cargo build" in r and "--release" in r and "--locked" in r for r in runs), runs
    # The runtime: distroless of the same Debian, nothing built there, only the binary copied in.
    assert runtime["image"].startswith("gcr.io/distroless/cc-debian12"), runtime["image"]
    assert {"bookworm": "debian12"}[rust.group(3)] in runtime["image"]
    assert not [args for op, args in runtime["steps"] if op == "RUN"]
    copies = [args for op, args in runtime["steps"] if op == "COPY"]
    assert copies == [f"--from={build['name']} /src/target/release/whydenied /usr/local/bin/whydenied"]
    entry = [json.loads(args) for op, args in runtime["steps"] if op == "ENTRYPOINT"]
    assert entry == [["/usr/local/bin/whydenied"]], "exec form: signals reach whydenied itself"


def test_the_build_context_leaves_out_build_output_and_the_venv():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"target", ".venv*", "bench-data", ".git"} <= set(ignored)


def daemon_answers() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def test_the_image_builds_and_runs_where_docker_answers():
    if not daemon_answers():
        pytest.skip("no Docker daemon on this machine: the stages are checked by parsing above")
    tag = "whydenied-test:latest"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=3600)
    run = subprocess.run(["docker", "run", "--rm", tag, "--version"], capture_output=True, text=True, check=True)
    assert run.stdout.startswith("whydenied ")
