#!/usr/bin/env python3
"""Benchmark the featurization job, with each engine, against plain Keras and plain ONNX Runtime.

Prints (and with --json emits) figures side by side from one run; it asserts nothing:
  plain keras  one Python process: read files, decode with the job's decoder, batched
               MobileNetV2 inference with TensorFlow, threads = all cores
  plain onnx   the same with ONNX Runtime on the converted model (the new limit)
  job keras    the real job via spark-submit --master local[N], --engine keras (the job
  job onnx     before the ONNX engine) and --engine onnx: whole wall time (JVM start,
               listing, weights, featurize, PCA, Parquet) and its featurize stage alone;
               peak RSS of the whole process tree and of each Python worker (psutil)
  naive        (--naive-scales) Spark + a pandas UDF that rebuilds the Keras model every batch
  classify     (unless --no-classify) cold `python jobs/classify.py <photo>` wall time with
               each engine, on a run of the sample made with --engine onnx

Datasets are the Fruits-360 sample replicated 1x, 4x, 16x into a temp dir. Weights: the
real ImageNet no-top file from ../shared/models when present (the ONNX conversion is cached
by content hash, so it is paid once, outside the timings), else test-only-random (same FLOPs).

  .venv/bin/python bench/benchmark_job.py [--scales 1,4,16] [--engines keras,onnx] [--json]
  .venv/bin/python bench/benchmark_job.py --stages 18   # stage times after featurization (issue 16)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd  # module level: pandas_udf resolves the "pd.Series" type hints here
import psutil

REPO = Path(__file__).resolve().parents[1]
JOBS = REPO / "jobs"
DEFAULT_SAMPLE = (REPO / ".." / "shared" / "data" / "fruits-360-sample").resolve()
REAL_WEIGHTS = (REPO / ".." / "shared" / "models" / "mobilenet_v2" /
                "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5").resolve()
WEIGHTS = str(REAL_WEIGHTS) if REAL_WEIGHTS.is_file() else "test-only-random:1"
ENGINES = ("keras", "onnx")


# ---------- process-tree memory and CPU (psutil) ----------

def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def _is_python_worker(proc: psutil.Process, parent: psutil.Process | None) -> bool:
    """A Spark Python worker: forked by the pyspark daemon, so it and its parent run pyspark.daemon."""
    return parent is not None and "pyspark.daemon" in _cmdline(proc) and "pyspark.daemon" in _cmdline(parent)


def tree_sample(root: int, cpu_seen: dict[int, float], worker_peaks: dict[int, int] | None = None,
                worker_cpu: dict[int, float] | None = None) -> int:
    """RSS bytes of the process tree now; updates cpu_seen[pid] = user+sys CPU seconds and
    worker_peaks[pid] = peak RSS of each Python worker seen."""
    try:
        top = psutil.Process(root)
        procs = [top, *top.children(recursive=True)]
    except psutil.Error:
        return 0  # the process has just ended
    by_pid = {p.pid: p for p in procs}
    total = 0
    for proc in procs:
        try:
            with proc.oneshot():
                rss = proc.memory_info().rss
                times = proc.cpu_times()
                ppid = proc.ppid()
        except psutil.Error:
            continue  # ended between listing and sampling
        total += rss
        cpu_seen[proc.pid] = times.user + times.system
        if worker_peaks is not None and _is_python_worker(proc, by_pid.get(ppid)):
            worker_peaks[proc.pid] = max(worker_peaks.get(proc.pid, 0), rss)
            if worker_cpu is not None:
                worker_cpu[proc.pid] = cpu_seen[proc.pid]
    return total


def run_measured(cmd: list[str], env: dict, worker_peaks: dict[int, int] | None = None,
                 worker_cpu: dict[int, float] | None = None) -> tuple[subprocess.CompletedProcess, float, int, float]:
    """(process, wall s, peak RSS of the process tree in bytes, CPU s of the tree), sampled every 0.2 s.

    CPU seconds make the comparison robust on a shared machine: other users' processes
    stretch wall time but not the CPU time our processes need per image."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]
    cpu_seen: dict[int, float] = {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_sample(proc.pid, cpu_seen, worker_peaks, worker_cpu))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.monotonic() - t0
    done.set()
    sampler.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, peak[0], sum(cpu_seen.values())


# ---------- datasets ----------

def replicate(sample: Path, target: Path, scale: int) -> int:
    files = sorted(p for p in sample.rglob("*") if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    for r in range(scale):
        for f in files:
            rel = f.relative_to(sample)
            dest = target / rel.parent / f"r{r}_{rel.name}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
    return len(files) * scale


def augment(sample: Path, target: Path, copies: int) -> int:
    """`copies` variants of every sample photo (turned by 0/90/180/270 degrees, mirrored, brightness
    0.9/1.0/1.1: distinct pixels, so distinct features), same <Split>/<Label> folders."""
    from PIL import Image, ImageEnhance

    files = sorted(p for p in sample.rglob("*") if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    variants = [(turn, mirror, light) for light in (1.0, 0.9, 1.1) for mirror in (False, True)
                for turn in (0, 90, 180, 270)][:copies]
    if len(variants) < copies:
        raise SystemExit(f"benchmark: at most 24 variants per photo, asked for {copies}")
    for f in files:
        rel = f.relative_to(sample)
        with Image.open(f) as src:
            img = src.convert("RGB")
        for v, (turn, mirror, light) in enumerate(variants):
            out = img.rotate(turn, expand=True) if turn else img
            out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirror else out
            out = ImageEnhance.Brightness(out).enhance(light) if light != 1.0 else out
            dest = target / rel.parent / f"v{v}_{rel.stem}.jpg"
            dest.parent.mkdir(parents=True, exist_ok=True)
            out.save(dest, quality=92)
    return len(files) * len(variants)


# Targets of issue 16 for the stages after featurization (seconds), on the ~2500-photo set.
STAGE_TARGETS_S = {"pca_fit": 2.0, "train": 5.0, "report": 3.0, "write": 3.0}
WHOLE_RUN_MAX_RATIO = 2.5      # whole job wall / one plain ONNX Runtime process's wall
FEATURIZE_MIN_SHARE = 0.80     # featurize stage img/s / plain process img/s


def stages_benchmark(sample: Path, copies: int, args, env, tmp: Path) -> dict:
    """One plain ONNX Runtime process and the whole job (training and report included) on the
    same augmented set, side by side in one run."""
    images = tmp / f"aug{copies}"
    n = augment(sample, images, copies)
    print(f"[stages] {n} images ({copies} variants of each sample photo): plain onnx ...", file=sys.stderr, flush=True)
    plain = best(lambda: run_self("plain", images, args, env, "onnx"), args.repeat, "wall_s")
    print("[stages] job --engine onnx with training and report ...", file=sys.stderr, flush=True)
    job = best(lambda: run_job(images, tmp / "out-stages", args, env, "onnx", train=True), args.repeat, "wall_s")
    summary = json.loads((Path(job["run_dir"]) / "summary.json").read_text())
    clf = summary.get("classifier") or {}
    return {"images": n, "copies": copies, "plain": plain, "job": job,
            "classifier": {k: clf.get(k) for k in ("accuracy", "selected")} | {
                "baseline": (clf.get("baseline") or {}).get("accuracy"),
                "regression": (clf.get("regression") or {}).get("accuracy")},
            "load_avg_after": os.getloadavg()}


def print_stages(st: dict) -> None:
    plain, job = st["plain"], st["job"]
    t = job["timings_s"]
    plain_rate = plain["images"] / plain["wall_s"]
    print(f"Stages on {st['images']} photos ({st['copies']} turned/mirrored/brightened variants of each sample "
          f"photo), one run; load average after {st['load_avg_after'][0]:.1f}")
    print("| stage | seconds | target | met? |")
    print("|---|---|---|---|")
    for stage in ("list", "load_weights", "prepare_model", "featurize", "pca_fit", "write", "train", "report", "total"):
        if stage in t:
            target = STAGE_TARGETS_S.get(stage)
            met = "-" if target is None else ("met" if t[stage] <= target else "**missed**")
            print(f"| {stage} | {t[stage]:.1f} | {'-' if target is None else f'<= {target:.0f} s'} | {met} |")
    whole = job["wall_s"] / plain["wall_s"]
    share = job["featurize_images_per_s"] / plain_rate
    print(f"plain ONNX Runtime process: {plain['wall_s']:.1f} s wall ({plain_rate:.1f} img/s whole process, "
          f"{plain['images_per_s']:.1f} img/s in its loop); job: {job['wall_s']:.1f} s wall")
    print(f"whole job / plain process: {whole:.2f}x (target <= {WHOLE_RUN_MAX_RATIO}x: "
          f"{'met' if whole <= WHOLE_RUN_MAX_RATIO else 'missed'}); featurize stage {job['featurize_images_per_s']:.1f} "
          f"img/s = {100 * share:.0f}% of the plain process (target >= {100 * FEATURIZE_MIN_SHARE:.0f}%: "
          f"{'met' if share >= FEATURIZE_MIN_SHARE else 'missed'})")
    c = st["classifier"]
    print(f"classifier: kept {c['selected']}, accuracy {c['accuracy']}, regression {c['regression']}, "
          f"baseline {c['baseline']}")


# ---------- modes run in their own processes ----------

def mode_plain(images_dir: str, batch_size: int, threads: int, engine: str) -> dict:
    sys.path.insert(0, str(JOBS))
    from fruits_job.featurizer.engines import build_predictor
    from fruits_job.featurizer.images import decode_image, preprocess

    if engine == "onnx" and REAL_WEIGHTS.is_file():
        model_bytes = _onnx_bytes()  # converted (or cached) by the parent: no TensorFlow here
        predict = build_predictor("onnx", model_bytes, threads)
    else:
        from fruits_job.featurizer.model import configure_tf_threads
        from fruits_job.featurizer.weights import for_engine, load_weights

        configure_tf_threads(threads)
        weights = for_engine(load_weights(WEIGHTS), engine)
        predict = build_predictor(engine, weights.onnx if engine == "onnx" else weights.arrays, threads)
    predict(np.zeros((1, 224, 224, 3), np.float32))  # trace / warm up outside the timing
    files = sorted(p for p in Path(images_dir).rglob("*") if p.is_file())
    t0, c0 = time.monotonic(), time.process_time()
    n = 0
    for i in range(0, len(files), batch_size):
        arrays = [decode_image(p.read_bytes(), 50_000_000)[0] for p in files[i:i + batch_size]]
        out = predict(preprocess(np.stack([a for a in arrays if a is not None])))
        n += out.shape[0]
    seconds, loop_cpu = time.monotonic() - t0, time.process_time() - c0
    return {"images": n, "seconds": seconds, "images_per_s": n / seconds, "loop_cpu_s": loop_cpu}


def mode_naive(images_dir: str, batch_size: int) -> dict:
    """Spark binaryFile + a Series->Series pandas UDF that builds the model for every batch."""
    sys.path.insert(0, str(JOBS))
    from pyspark.sql import SparkSession
    from pyspark.sql.functions import pandas_udf

    from fruits_job.packaging import ship_package
    from fruits_job.featurizer.weights import load_weights

    spark = SparkSession.builder.appName("fruits-naive-benchmark").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_size))
    ship_package(spark)
    bc = spark.sparkContext.broadcast(load_weights(WEIGHTS).arrays)
    builds = spark.sparkContext.accumulator(0)

    @pandas_udf("array<float>")
    def naive(contents: pd.Series) -> pd.Series:
        from fruits_job.featurizer.images import decode_image, preprocess
        from fruits_job.featurizer.model import configure_tf_threads, make_predictor

        configure_tf_threads(1)
        predict = make_predictor(bc.value)  # rebuilt for every Arrow batch
        builds.add(1)
        arrays = [decode_image(c, 50_000_000)[0] for c in contents]
        out = predict(preprocess(np.stack(arrays)))
        return pd.Series(list(out))

    t0 = time.monotonic()
    df = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(images_dir)
          .select(naive("content").alias("f")))
    df.write.format("noop").mode("overwrite").save()
    seconds = time.monotonic() - t0
    n = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(images_dir).count()
    spark.stop()
    return {"images": n, "seconds": seconds, "images_per_s": n / seconds, "models_built": builds.value}


# ---------- orchestration ----------

def env_for_spark() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def spark_submit(cores: int) -> list[str]:
    return [str(Path(sys.executable).parent / "spark-submit"), "--master", f"local[{cores}]",
            "--conf", "spark.ui.enabled=false"]


def _onnx_bytes() -> bytes:
    with open(os.environ["FRUITS_BENCH_ONNX"], "rb") as f:
        return f.read()


def convert_once(tmp: Path) -> Path | None:
    """Convert (or fetch from the cache) the ONNX model once, before any timing."""
    if not REAL_WEIGHTS.is_file():
        return None
    sys.path.insert(0, str(JOBS))
    from fruits_job.featurizer.weights import for_engine, load_weights, remember_file

    out = tmp / "featurizer.onnx"
    weights = for_engine(load_weights(WEIGHTS), "onnx")
    remember_file(WEIGHTS, weights)  # job runs then find it by the file's sha256, as a user's second run does
    out.write_bytes(weights.onnx)
    return out


def run_self(mode: str, images: Path, args, env, engine: str = "keras") -> dict:
    if mode == "plain":
        cmd = [sys.executable, __file__, "--mode", "plain", "--images", str(images), "--engine-one", engine]
    else:
        cmd = spark_submit(args.cores) + [__file__, "--mode", "naive", "--images", str(images)]
    cmd += ["--batch-size", str(args.batch_size), "--cores", str(args.cores)]
    proc, wall, peak, cpu = run_measured(cmd, env)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} benchmark failed:\n{proc.stderr[-3000:]}{proc.stdout[-3000:]}")
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    result.update(wall_s=wall, peak_rss_mb=peak / 2**20, cpu_s=cpu)
    return result


def best(measure, repeat: int, key: str) -> dict:
    runs = [measure() for _ in range(max(1, repeat))]
    chosen = min(runs, key=lambda r: r[key])
    chosen["repeats"] = [round(r[key], 2) for r in runs]
    return chosen


def run_job(images: Path, out: Path, args, env, engine: str, train: bool | None = None) -> dict:
    cmd = spark_submit(args.cores) + [str(JOBS / "run_job.py"), "--input", str(images), "--output", str(out),
                                      "--run-id", "bench", "--overwrite", "--weights", WEIGHTS,
                                      "--batch-size", str(args.batch_size), "--engine", engine]
    if (not train) if train is not None else args.no_train:
        cmd.append("--no-train")  # this benchmark is about featurization + PCA
    workers: dict[int, int] = {}
    worker_cpu: dict[int, float] = {}
    proc, wall, peak, cpu = run_measured(cmd, env, workers, worker_cpu)
    if proc.returncode != 0:
        raise SystemExit(f"job failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    summary = json.loads((out / "bench" / "summary.json").read_text())
    n = summary["counts"]["featurized"]
    t = summary["timings_s"]
    return {"engine": engine, "images": n, "wall_s": wall, "images_per_s": n / wall, "featurize_s": t["featurize"],
            "featurize_images_per_s": n / t["featurize"], "timings_s": t, "peak_rss_mb": peak / 2**20,
            "worker_peak_rss_mb": sorted(round(v / 2**20) for v in workers.values()),
            "max_worker_peak_rss_mb": max(workers.values(), default=0) / 2**20,
            "cpu_s": cpu, "worker_cpu_s": sum(worker_cpu.values()), "models_built": summary["workers"]["models_built"],
            "model_setup_s_summed": summary["workers"].get("model_setup_s_summed"),
            "run_dir": str(out / "bench")}


def time_classify(run_dir: str, photo: str, engine: str, env: dict, repeat: int = 3) -> dict:
    """Cold `python jobs/classify.py` (a new process each time, as a user runs it)."""
    walls = []
    for _ in range(repeat):
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, str(JOBS / "classify.py"), photo, "--run", run_dir,
                               "--engine", engine], capture_output=True, text=True, env=env)
        walls.append(time.monotonic() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"classify failed:\n{proc.stderr[-2000:]}")
    return {"engine": engine, "first_s": walls[0], "best_s": min(walls), "walls_s": [round(w, 2) for w in walls],
            "output": proc.stdout.strip()}


def machine() -> dict:
    cpu = ""  # the model name: psutil does not report it, /proc/cpuinfo does (Linux)
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = psutil.virtual_memory().total / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "os": platform.platform(),
            "python": platform.python_version(), "load_avg_at_start": os.getloadavg()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sample", default=str(DEFAULT_SAMPLE))
    p.add_argument("--scales", default="1,4,16")
    p.add_argument("--engines", default="keras,onnx", help="job engines to compare (plain runs both)")
    p.add_argument("--naive-scales", default="", help="scales at which to also run the naive variant")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    p.add_argument("--json", action="store_true")
    p.add_argument("--repeat", type=int, default=1, help="measure each variant N times, keep the fastest")
    p.add_argument("--with-train", dest="no_train", action="store_false",
                   help="also run the classifier stage (default: --no-train, featurization + PCA only)")
    p.add_argument("--no-classify", dest="classify", action="store_false",
                   help="skip the cold classify timing (saves one training run of the sample)")
    p.add_argument("--stages", type=int, metavar="COPIES", default=0,
                   help="instead of the engine comparison: per-stage times of the whole job (training and report "
                   "included) on COPIES augmented variants of every sample photo (18: 2520 photos) beside one plain "
                   "ONNX Runtime process, with issue 16's targets")
    p.add_argument("--mode", choices=["plain", "naive"], help=argparse.SUPPRESS)
    p.add_argument("--engine-one", default="keras", help=argparse.SUPPRESS)
    p.add_argument("--images", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.mode == "plain":
        print(json.dumps(mode_plain(args.images, args.batch_size, args.cores, args.engine_one)))
        return 0
    if args.mode == "naive":
        print(json.dumps(mode_naive(args.images, args.batch_size)))
        return 0

    sample = Path(args.sample)
    if not sample.is_dir():
        print(f"benchmark: sample images not found at {sample}; pass --sample", file=sys.stderr)
        return 2
    engines = [e for e in args.engines.split(",") if e]
    if not engines or any(e not in ENGINES for e in engines):
        print(f"benchmark: --engines {args.engines!r}: use a comma list of {', '.join(ENGINES)}", file=sys.stderr)
        return 2
    env = env_for_spark()
    report: dict = {"machine": machine(), "batch_size": args.batch_size, "repeat": args.repeat,
                    "spark_master": f"local[{args.cores}]", "weights": WEIGHTS, "engines": engines, "runs": []}
    if args.stages:
        with tempfile.TemporaryDirectory(prefix="fruits-bench-") as tmp:
            env["FRUITS_MODEL_CACHE"] = os.environ.get("FRUITS_MODEL_CACHE", str(Path(tmp) / "model-cache"))
            os.environ["FRUITS_MODEL_CACHE"] = env["FRUITS_MODEL_CACHE"]
            onnx_file = convert_once(Path(tmp))
            if onnx_file is not None:
                env["FRUITS_BENCH_ONNX"] = str(onnx_file)
            report["stages"] = stages_benchmark(sample, args.stages, args, env, Path(tmp))
        report["machine"]["load_avg_at_end"] = os.getloadavg()
        if args.json:
            print(json.dumps(report))
        else:
            m = report["machine"]
            print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM; load average (1, 5, 15 min) "
                  f"at start {tuple(round(x, 1) for x in m['load_avg_at_start'])}, at end "
                  f"{tuple(round(x, 1) for x in m['load_avg_at_end'])}; Spark {report['spark_master']}, "
                  f"weights {report['weights']}")
            print_stages(report["stages"])
        return 0
    naive_scales = {int(s) for s in args.naive_scales.split(",") if s}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fruits-bench-") as tmp:
        env["FRUITS_MODEL_CACHE"] = os.environ.get("FRUITS_MODEL_CACHE", str(Path(tmp) / "model-cache"))
        os.environ["FRUITS_MODEL_CACHE"] = env["FRUITS_MODEL_CACHE"]
        onnx_file = convert_once(Path(tmp))  # every job run then finds the conversion cached
        if onnx_file is not None:
            env["FRUITS_BENCH_ONNX"] = str(onnx_file)
        for scale in [int(s) for s in args.scales.split(",")]:
            images = Path(tmp) / f"x{scale}"
            n = replicate(sample, images, scale)
            row: dict = {"scale": scale, "images": n, "plain": {}, "job": {}}
            # Interleaved, best of --repeat: on a shared machine other processes only ever slow a run down.
            for engine in ENGINES:
                print(f"[{scale}x] {n} images: plain {engine} ...", file=sys.stderr, flush=True)
                row["plain"][engine] = best(lambda: run_self("plain", images, args, env, engine), args.repeat, "seconds")
            for engine in engines:
                print(f"[{scale}x] job --engine {engine} ...", file=sys.stderr, flush=True)
                row["job"][engine] = best(lambda: run_job(images, Path(tmp) / f"out{scale}", args, env, engine),
                                          args.repeat, "wall_s")
            if scale in naive_scales:
                print(f"[{scale}x] naive ...", file=sys.stderr, flush=True)
                row["naive"] = best(lambda: run_self("naive", images, args, env), args.repeat, "seconds")
            report["runs"].append(row)
            print_row(row)
        if args.classify:
            print("classify: a trained --engine onnx run of the sample ...", file=sys.stderr, flush=True)
            run = run_job(sample, Path(tmp) / "classify-run", args, env, "onnx", train=True)
            photo = str(sorted(p for p in sample.rglob("*") if p.is_file())[0])
            report["classify"] = {e: time_classify(run["run_dir"], photo, e, env) for e in ENGINES}
    report["marginal"] = marginal(report["runs"])
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    report["benchmark_wall_s"] = time.monotonic() - started
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0


def marginal(runs: list[dict]) -> dict | None:
    """Throughput of the extra images between the smallest and the largest set: steady state
    once fixed costs (JVM, imports, model set-up, PCA SVD, writes) are paid."""
    if len(runs) < 2:
        return None
    a, b = runs[0], runs[-1]
    extra = b["images"] - a["images"]
    out: dict = {"from_images": a["images"], "to_images": b["images"], "plain": {}, "job": {}}
    for engine in b["plain"]:
        pa, pb = a["plain"][engine], b["plain"][engine]
        out["plain"][engine] = {"images_per_s": extra / (pb["seconds"] - pa["seconds"]),
                                "cpu_s_per_image": (pb["loop_cpu_s"] - pa["loop_cpu_s"]) / extra}
    for engine in b["job"]:
        ja, jb = a["job"][engine], b["job"][engine]
        rate = extra / (jb["wall_s"] - ja["wall_s"])
        out["job"][engine] = {"images_per_s": rate,
                              "featurize_images_per_s": extra / (jb["featurize_s"] - ja["featurize_s"]),
                              "fixed_overhead_s": jb["wall_s"] - jb["images"] / rate,
                              "cpu_s_per_image": (jb["cpu_s"] - ja["cpu_s"]) / extra}
    return out


def _ratio(x: float | None, y: float | None) -> str:
    return f"{x / y:.2f}x" if x and y else "-"


def print_row(row: dict) -> None:
    plain = ", ".join(f"plain {e} {r['images_per_s']:.1f}" for e, r in row["plain"].items())
    jobs = ", ".join(f"job {e} {r['images_per_s']:.1f} (stage {r['featurize_images_per_s']:.1f}, worker peak "
                     f"{r['max_worker_peak_rss_mb']:.0f} MB)" for e, r in row["job"].items())
    print(f"[{row['scale']}x] {row['images']} images, img/s: {plain}; {jobs}"
          + (f"; naive {row['naive']['images_per_s']:.1f}" if "naive" in row else ""), file=sys.stderr, flush=True)


def print_table(report: dict) -> None:
    m = report["machine"]
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}, Python {m['python']}; "
          f"load average at start {m['load_avg_at_start'][0]:.1f}, at end {m['load_avg_at_end'][0]:.1f}; "
          f"benchmark {report['benchmark_wall_s']:.0f} s")
    print(f"Spark {report['spark_master']}, batch size {report['batch_size']}, weights {report['weights']}, "
          f"best of {report['repeat']}")
    print("| images | engine | plain img/s | job img/s (whole run) | featurize stage img/s | stage / plain keras "
          "| stage / plain onnx | job wall s | job CPU s | worker CPU ms/img | job peak RSS MB (tree) | Python worker peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in report["runs"]:
        pk, po = r["plain"]["keras"]["images_per_s"], r["plain"]["onnx"]["images_per_s"]
        for engine, j in r["job"].items():
            print(f"| {r['images']} | {engine} | {r['plain'][engine]['images_per_s']:.1f} | {j['images_per_s']:.1f} | "
                  f"{j['featurize_images_per_s']:.1f} | {j['featurize_images_per_s'] / pk:.2f}x | "
                  f"{100 * j['featurize_images_per_s'] / po:.0f}% | {j['wall_s']:.1f} | {j['cpu_s']:.0f} | "
                  f"{1000 * j.get('worker_cpu_s', 0) / max(j['images'], 1):.1f} | "
                  f"{j['peak_rss_mb']:.0f} | {j['max_worker_peak_rss_mb']:.0f} ({len(j['worker_peak_rss_mb'])} workers) |")
        if "naive" in r:
            print(f"| {r['images']} | naive keras | - | - | {r['naive']['images_per_s']:.1f} | - | - | - | - | - | - | - |")
    last = report["runs"][-1]
    if "keras" in last["job"] and "onnx" in last["job"]:
        k, o = last["job"]["keras"], last["job"]["onnx"]
        print(f"At {last['images']} images, onnx vs keras job: whole run {_ratio(k['wall_s'], o['wall_s'])} faster, "
              f"featurize stage {_ratio(o['featurize_images_per_s'], k['featurize_images_per_s'])}, Python worker peak "
              f"RSS {o['max_worker_peak_rss_mb']:.0f} vs {k['max_worker_peak_rss_mb']:.0f} MB "
              f"({100 * o['max_worker_peak_rss_mb'] / max(k['max_worker_peak_rss_mb'], 1):.0f}%)")
    m = report.get("marginal")
    if m:
        print(f"Marginal ({m['from_images']} -> {m['to_images']} images), img/s: "
              + ", ".join(f"plain {e} {v['images_per_s']:.1f}" for e, v in m["plain"].items()) + "; "
              + ", ".join(f"job {e} {v['images_per_s']:.1f} (featurize stage {v['featurize_images_per_s']:.1f} = "
                          f"{100 * v['featurize_images_per_s'] / m['plain'][e]['images_per_s']:.0f}% of plain {e}; "
                          f"fixed overhead {v['fixed_overhead_s']:.0f} s)" for e, v in m["job"].items()))
    for r in report["runs"]:
        print(f"plain at {r['images']} images, CPU ms/img (decode + inference): "
              + ", ".join(f"{e} {1000 * v['loop_cpu_s'] / r['images']:.1f}" for e, v in r["plain"].items()))
    for engine, c in (report.get("classify") or {}).items():
        print(f"classify --engine {engine}, cold: first {c['first_s']:.2f} s, best {c['best_s']:.2f} s "
              f"(runs {c['walls_s']}) -> {c['output']}")
    for r in report["runs"]:
        for engine, j in r["job"].items():
            t = j["timings_s"]
            print(f"job {engine} stages at {r['images']} images (s): " + ", ".join(f"{k} {v:.1f}" for k, v in t.items()))


if __name__ == "__main__":
    sys.exit(main())
