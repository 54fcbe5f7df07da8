"""The job's self-shipping zips its package by the rule in fruits_job/packaging.json, the
same rule as the runner's fruits_job.zip (test/unit/runner/packaging/package-job.test.ts checks both agree)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import fruits_job
from fruits_job import packaging
from fruits_job.packaging import package_members

REPO_PACKAGE = Path(fruits_job.__file__).resolve().parent


def make_package(root: Path) -> Path:
    pkg = root / "fruits_job"
    (pkg / "sub" / "__pycache__").mkdir(parents=True)
    (pkg / "packaging.json").write_bytes((REPO_PACKAGE / "packaging.json").read_bytes())
    (pkg / "__init__.py").write_text("")
    (pkg / "pipeline.py").write_text("")
    (pkg / "contract.json").write_text("{}")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "deep.py").write_text("X = 1\n")
    (pkg / "sub" / "__pycache__" / "deep.cpython-311.pyc").write_bytes(b"junk")
    (pkg / ".hidden.py").write_text("")
    (pkg / "notes.txt").write_text("left out")
    return pkg


class FakeConf:
    def get(self, key, default=None):
        return default


class FakeContext:
    applicationId = "app-packaging-test"

    def __init__(self):
        self.added: list[str] = []

    def getConf(self):
        return FakeConf()

    def addPyFile(self, path):
        self.added.append(path)


class FakeSpark:
    def __init__(self):
        self.sparkContext = FakeContext()


EXPECTED = [
    "fruits_job/__init__.py",
    "fruits_job/contract.json",
    "fruits_job/packaging.json",
    "fruits_job/pipeline.py",
    "fruits_job/sub/__init__.py",
    "fruits_job/sub/deep.py",
]


def test_ship_package_ships_subpackages_and_data_files(tmp_path, monkeypatch):
    pkg = make_package(tmp_path)
    monkeypatch.setattr(fruits_job, "__file__", str(pkg / "__init__.py"))
    monkeypatch.setattr(packaging, "_SHIPPED", set())
    spark = FakeSpark()
    packaging.ship_package(spark)
    [archive] = spark.sparkContext.added
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == EXPECTED


def test_the_real_package_ships_its_own_rule_and_every_module():
    names = [name for name, _ in package_members(str(REPO_PACKAGE))]
    assert "fruits_job/packaging.json" in names
    assert {"fruits_job/featurizer/__init__.py", "fruits_job/featurizer/weights.py"} <= set(names)  # subpackages ship
    modules = sorted(p.relative_to(REPO_PACKAGE.parent).as_posix() for p in REPO_PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    assert [n for n in names if n.endswith(".py")] == modules
