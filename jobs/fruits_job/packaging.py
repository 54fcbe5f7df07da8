"""Which files make the job's package: the rule in packaging.json, shared with the runner.

The runner (runner/packaging/package-job.ts) builds fruits_job.zip for --py-files by the same rule,
so a subpackage or a data file (contract.json) is shipped alike by both. Standard library
only: the runner's tests call package_members() with a bare python3. ship_package() ships the
package to Spark's executors when it was not given via --py-files.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

RULE_FILE = "packaging.json"
# A fixed timestamp, so equal files give equal archives (as the runner's zip does).
FIXED_DATE_TIME = (2020, 1, 1, 0, 0, 0)


def load_rule(package_dir: str) -> dict:
    with open(os.path.join(package_dir, RULE_FILE), encoding="utf-8") as f:
        rule = json.load(f)
    return {
        "includeSuffixes": tuple(rule["includeSuffixes"]),
        "excludeNames": frozenset(rule.get("excludeNames", [])),
    }


def package_members(package_dir: str) -> list[tuple[str, str]]:
    """(archive name, file path) of every file the rule keeps, sorted by archive name."""
    rule = load_rule(package_dir)
    root_name = os.path.basename(os.path.normpath(package_dir))
    skip = lambda name: name in rule["excludeNames"] or name.startswith(".")  # noqa: E731
    members = []
    for dirpath, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = [d for d in dirnames if not skip(d)]
        rel_dir = os.path.relpath(dirpath, package_dir)
        for name in filenames:
            if skip(name) or not name.endswith(rule["includeSuffixes"]):
                continue
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            members.append((root_name + "/" + rel.replace(os.sep, "/"), os.path.join(dirpath, name)))
    return sorted(members)


def write_package_zip(package_dir: str, dest: str) -> list[str]:
    """Writes dest holding <package>/** by the rule; returns the member names."""
    members = package_members(package_dir)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in members:
            info = zipfile.ZipInfo(name, FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            with open(path, "rb") as f:
                zf.writestr(info, f.read())
    return [name for name, _ in members]


_SHIPPED: set[str] = set()


def ship_package(spark) -> None:
    """Make fruits_job importable on executors when it was not given via --py-files."""
    import fruits_job

    package_dir = os.path.dirname(os.path.abspath(fruits_job.__file__))
    if ".zip" in package_dir or ".egg" in package_dir:
        return  # imported from the --py-files archive, which Spark already ships
    sc = spark.sparkContext
    submitted = sc.getConf().get("spark.submit.pyFiles", "") or ""
    if "fruits_job" in submitted or sc.applicationId in _SHIPPED:
        return  # shipped by spark-submit --py-files, or already by us in this application
    tmp = tempfile.mkdtemp(prefix="fruits-job-pkg-")
    # Own name, so it never clashes with a fruits_job.zip given via --py-files.
    archive = os.path.join(tmp, "fruits_job_autoship.zip")
    write_package_zip(package_dir, archive)  # same rule as the runner's fruits_job.zip
    sc.addPyFile(archive)
    _SHIPPED.add(sc.applicationId)
