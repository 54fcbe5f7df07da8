"""requirements.txt splits into a workers' set (lines without `# driver-only`) and the driver's
(every line). Both must be closed under their packages' own dependencies, read from the
installed metadata (offline), or a core node / workers-only VM would miss a package."""

from __future__ import annotations

import re
import subprocess
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


# --- the one installer (bootstrap/install-python-requirements.sh) -----------------------------
INSTALLER = REPO / "bootstrap" / "install-python-requirements.sh"


def installer_set(*args: str) -> dict[str, str]:
    """name -> version of the lines the shared installer would install (its --print mode)."""
    out = subprocess.run(["bash", str(INSTALLER), "--requirements", str(REPO / "requirements.txt"), "--print", *args],
                         capture_output=True, text=True, check=True).stdout
    return {canonicalize_name(m.group(1)): m.group(2) for m in map(PIN.match, out.splitlines()) if m}


def test_the_installer_installs_the_sets_these_tests_check():
    assert installer_set("--role", "worker") == pins(driver_only=False)
    assert installer_set("--role", "driver") == pins(None)
    emr_driver = installer_set("--role", "driver", "--skip-pyspark")
    assert emr_driver == {n: v for n, v in pins(None).items() if n != "pyspark"}


@pytest.mark.parametrize("script", ["emr-install-python-deps.sh", "vm-setup.sh"])
def test_both_bootstraps_run_the_shared_installer_and_keep_no_copy_of_its_rules(script):
    code = [ln for ln in (REPO / "bootstrap" / script).read_text().splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(code)
    assert re.search(r"^\s*bash \"\$[A-Z_/]*(INSTALLER|install-python-requirements\.sh)", text, re.M)
    assert "install-python-requirements.sh" in text
    for rule in ("driver-only", "pip install", "--only-binary", "BOOTSTRAP_TOOLS"):
        assert rule not in text, f"{script} has its own '{rule}': keep it in install-python-requirements.sh only"
