"""requirements.txt splits into a workers' set (lines without `# driver-only`) and the driver's
(every line). Both must be closed under their packages' own dependencies, read from the
installed metadata (offline), or a core node / workers-only VM would miss a package."""

from __future__ import annotations

import re
from importlib import metadata

import pytest
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# pip's own tools come with every venv (pip freeze leaves them out); the bootstraps manage them.
VENV_TOOLS = {"pip", "setuptools", "wheel"}
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s#;]+)")


def pins(driver_only: bool | None) -> dict[str, str]:
    """name -> version of requirements.txt; driver_only None: all, False: the workers' set."""
    out = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        m = PIN.match(line.strip())
        if not m:
            continue
        tagged = bool(re.search(r"#\s*driver-only", line))
        if driver_only is False and tagged:
            continue
        out[canonicalize_name(m.group(1))] = m.group(2)
    return out


def missing_dependencies(names: set[str]) -> list[str]:
    missing = []
    for name in sorted(names):
        for spec in metadata.distribution(name).requires or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue  # an extra or another platform's dependency
            if canonicalize_name(req.name) not in names | VENV_TOOLS:
                missing.append(f"{name} needs {req.name}")
    return missing


def test_workers_set_has_onnxruntime_and_no_tensorflow():
    workers = pins(driver_only=False)
    assert {"onnxruntime", "numpy", "pandas", "pyarrow", "pillow", "pyspark"} <= workers.keys()
    assert not {"tensorflow-cpu", "keras", "tf2onnx", "onnx", "h5py", "tensorboard"} & workers.keys()


@pytest.mark.parametrize("role", ["workers", "driver"])
def test_each_set_is_closed_under_its_dependencies(role):
    names = set(pins(driver_only=False if role == "workers" else None))
    # pyspark is skipped on EMR (EMR ships it) but stays in the set: its py4j is pinned too.
    assert missing_dependencies(names) == []


def test_installed_versions_match_the_pins():
    wrong = [f"{n} {metadata.version(n)} != {v}" for n, v in pins(None).items() if metadata.version(n) != v]
    assert wrong == []
