"""Compare checkov's JSON report with the reviewed skip list (test/checkov/skip.yaml).

Exit 0 when every failed check is covered by a skip entry and every entry matches at
least one finding; exit 1 otherwise, listing the unjustified findings / stale entries.
Run with the tools virtualenv (it provides PyYAML): .venv-tools/bin/python.
Usage: filter_findings.py REPORT.json SKIP.yaml [--json]
"""
import fnmatch
import json
import sys

import yaml


def load_failed(report_path):
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    reports = report if isinstance(report, list) else [report]
    failed, passed, parse_errors = [], 0, 0
    for r in reports:
        summary = r.get("summary", {})
        passed += summary.get("passed", 0)
        parse_errors += summary.get("parsing_errors", 0)
        for f in r.get("results", {}).get("failed_checks", []):
            failed.append({"check": f["check_id"], "resource": f["resource"], "file": f.get("file_path", "")})
    return failed, passed, parse_errors


def load_skips(skip_path):
    with open(skip_path, encoding="utf-8") as f:
        doc = yaml.safe_load(f) or {}
    skips = doc.get("skips", [])
    for i, s in enumerate(skips):
        if not s.get("check") or not s.get("resources") or not str(s.get("reason", "")).strip():
            raise SystemExit(f"error: {skip_path} entry {i + 1} needs check, resources and a reason")
    return skips


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    failed, passed, parse_errors = load_failed(args[0])
    skips = load_skips(args[1])
    used = [0] * len(skips)
    unjustified, justified = [], []
    for finding in failed:
        idx = next(
            (i for i, s in enumerate(skips)
             if s["check"] == finding["check"] and any(fnmatch.fnmatch(finding["resource"], p) for p in s["resources"])),
            None,
        )
        if idx is None:
            unjustified.append(finding)
        else:
            used[idx] += 1
            justified.append(finding)
    stale = [s for s, n in zip(skips, used) if n == 0]
    result = {
        "passed": passed,
        "failed": len(failed),
        "justified": len(justified),
        "unjustified": unjustified,
        "stale_skips": [{"check": s["check"], "resources": s["resources"]} for s in stale],
        "parsing_errors": parse_errors,
    }
    ok = not unjustified and not stale and parse_errors == 0 and passed > 0
    if "--json" in argv:
        print(json.dumps({"ok": ok, **result}))
    else:
        print(f"checkov: {passed} checks pass; {len(failed)} findings, {len(justified)} of them justified in {args[1]}")
        for f in unjustified:
            print(f"UNJUSTIFIED {f['check']} on {f['resource']} ({f['file']}): fix it or add a reviewed entry to {args[1]}")
        for s in stale:
            print(f"STALE skip {s['check']} {s['resources']}: matches no finding any more; remove it from {args[1]}")
        if parse_errors:
            print(f"checkov could not parse {parse_errors} file(s)")
        if passed == 0:
            print("checkov passed no checks at all: nothing was scanned")
        print("checkov scan: OK" if ok else "checkov scan: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
