#!/usr/bin/env python3
"""Peak memory of one PySpark Python worker while the job featurizes (figures, no asserts).

The EMR defaults in stacks/cluster.ts (spark.executor.memoryOverhead, executor cores) are
derived from this figure; docs/aws.md "YARN memory" shows the arithmetic. Runs the real job
in local mode on the Fruits-360 sample with the real ImageNet no-top weights, samples
the process tree every 0.1 s (psutil) and prints, per Python worker process (pyspark.daemon
forks), its peak RSS and peak virtual size, and the same for the JVM and the Python driver.

  .venv/bin/python test/rehearsal/measure_worker_memory.py [--engine keras|onnx] [--master local[2]] [--json]

The EMR defaults are sized with --engine keras (the default here): the heavier of the job's
two engines, so both fit; --engine onnx measures the job's default engine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "data" / "fruits-360-sample"
WEIGHTS = ROOT.parent / "shared" / "models" / "mobilenet_v2" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"


def tree(pid: int) -> list[psutil.Process]:
    try:
        top = psutil.Process(pid)
        return [top, *top.children(recursive=True)]
    except psutil.Error:
        return []  # the job has just ended


def sample(proc: psutil.Process) -> tuple[str, int, int] | None:
    try:
        with proc.oneshot():
            cmd = " ".join(proc.cmdline())
            mem = proc.memory_info()
    except psutil.Error:
        return None  # ended between listing and sampling
    return cmd, mem.rss, mem.vms


def kind(cmd: str) -> str | None:
    if "pyspark.daemon" in cmd or "pyspark/worker" in cmd or "pyspark.worker" in cmd:
        return "python worker"
    if "java" in cmd.split(" ")[0]:
        return "jvm"
    if "run_job.py" in cmd:
        return "python driver"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--engine", choices=("keras", "onnx"), default="keras",
                    help="featurizer engine to measure (default keras: what the EMR defaults are sized for)")
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="fruits-worker-mem-"))
    env = {k: v for k, v in os.environ.items() if k != "SPARK_HOME"}
    py = str(ROOT / ".venv" / "bin" / "python")
    env.update(PYSPARK_PYTHON=py, PYSPARK_DRIVER_PYTHON=py)
    cmd = [str(ROOT / ".venv/bin/spark-submit"), "--master", args.master, "--conf", "spark.ui.enabled=false",
           str(ROOT / "jobs/run_job.py"), "--input", str(SAMPLE), "--output", str(out), "--run-id", "mem",
           "--weights", str(WEIGHTS), "--no-train", "--engine", args.engine]
    started = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peaks: dict[int, dict] = {}
    while proc.poll() is None:
        for child in tree(proc.pid):
            s = sample(child)
            k = kind(s[0]) if s else None
            if not k:
                continue
            p = peaks.setdefault(child.pid, {"kind": k, "rss": 0, "vsz": 0})
            p["kind"] = k  # the latest command counts: spark-submit's bash execs the JVM in place
            p["rss"], p["vsz"] = max(p["rss"], s[1]), max(p["vsz"], s[2])
        time.sleep(0.1)
    if proc.returncode != 0:
        print(f"error: the job exited {proc.returncode}; run it by hand: {' '.join(cmd)}", file=sys.stderr)
        return 1
    mib = 2**20
    by_kind: dict[str, list[dict]] = {}
    for p in peaks.values():
        by_kind.setdefault(p["kind"], []).append(p)
    # The pyspark.daemon parent stays small; a worker is a fork that loaded TensorFlow.
    workers = sorted((p for p in by_kind.get("python worker", [])), key=lambda p: -p["rss"])
    result = {
        "engine": f"{args.engine} (MobileNetV2, ImageNet no-top weights)",
        "images": sum(1 for _ in SAMPLE.rglob("*.jpg")),
        "master": args.master,
        "wall_s": round(time.time() - started, 1),
        "worker_peak_rss_mib": round(workers[0]["rss"] / mib) if workers else None,
        "worker_peak_vsz_mib": round(max(p["vsz"] for p in workers) / mib) if workers else None,
        "workers_seen": len(workers),
        "jvm_peak_rss_mib": round(max(p["rss"] for p in by_kind.get("jvm", [{"rss": 0}])) / mib),
        "driver_peak_rss_mib": round(max(p["rss"] for p in by_kind.get("python driver", [{"rss": 0}])) / mib),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load": os.getloadavg(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"one Python worker: peak RSS {result['worker_peak_rss_mib']} MiB, peak virtual size "
              f"{result['worker_peak_vsz_mib']} MiB ({result['workers_seen']} worker processes seen); "
              f"JVM {result['jvm_peak_rss_mib']} MiB, Python driver {result['driver_peak_rss_mib']} MiB; "
              f"{result['images']} images, {args.master}, {result['wall_s']} s, load {result['load'][0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
