"""The CLI as users and the runner call it: a real spark-submit subprocess."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import JOBS_DIR, VENV_BIN, WEIGHTS, make_good_images, subprocess_env

SPARK_SUBMIT = str(VENV_BIN / "spark-submit")


def spark_submit(*args: str, py_files: Path | None = None, env: dict | None = None, timeout=600):
    cmd = [SPARK_SUBMIT, "--master", "local[2]", "--conf", "spark.ui.enabled=false"]
    if py_files:
        cmd += ["--py-files", str(py_files)]
    cmd += [str(JOBS_DIR / "run_job.py"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env or subprocess_env())


FINAL_STATUSES = ("succeeded", "failed", "interrupted")
SETTLE_S = 30  # the runner's bound too (runner/progress/final-summary.ts)


def final_summary(path: Path, bound_s: float = SETTLE_S) -> dict:
    """summary.json once its status is final. spark-submit (Spark's JVM) can exit before its
    child, the Python driver, has written the interrupted record: "running" right after the
    exit means "not written yet", so read again, within a bound, and fail if it stays so."""
    deadline = time.monotonic() + bound_s
    while True:
        doc = json.loads(path.read_text())
        if doc["status"] in FINAL_STATUSES or time.monotonic() >= deadline:
            assert doc["status"] in FINAL_STATUSES, f"{path} still says {doc['status']!r} {bound_s} s after exit"
            return doc
        time.sleep(0.1)


@pytest.fixture(scope="module")
def random_onnx(tmp_path_factory) -> str:
    """WEIGHTS as an ONNX file: a driver given it imports no TensorFlow, which costs 15-50 s per
    spark-submit on a loaded 2-core machine (this process has it loaded for the in-process runs,
    and the conversion is cached)."""
    from fruits_job.featurizer.weights import for_engine, load_weights

    path = tmp_path_factory.mktemp("weights") / "featurizer.onnx"
    path.write_bytes(for_engine(load_weights(WEIGHTS), "onnx").onnx)
    return str(path)


def build_job_zip(target: Path) -> Path:
    """The runner's packaging: the zip root holds the fruits_job/ folder."""
    from fruits_job.packaging import write_package_zip

    write_package_zip(str(JOBS_DIR / "fruits_job"), str(target))  # contract.json included: read from the zip
    return target


@pytest.mark.slow
def test_full_run_with_py_files_prints_json_then_marker(tmp_path):
    make_good_images(tmp_path / "in", 6)
    zip_path = build_job_zip(tmp_path / "fruits_job.zip")
    proc = spark_submit("--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"),
                        "--run-id", "run-cli", "--k", "2", "--weights", WEIGHTS, "--json", py_files=zip_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    summary_path = tmp_path / "out" / "run-cli" / "summary.json"
    assert lines[-1] == f"FRUITS_RUN_SUMMARY {summary_path}"
    printed = json.loads(lines[-2])
    on_disk = json.loads(summary_path.read_text())
    assert printed["status"] == on_disk["status"] == "succeeded"
    assert on_disk["counts"]["featurized"] == 6 and on_disk["pca"]["k"] == 2  # 3 Training images
    # spark-submit merges the Python driver's stderr (progress) into its stdout
    assert "fruits-job INFO featurize done" in proc.stdout + proc.stderr
    assert (tmp_path / "out" / "run-cli" / "features" / "_SUCCESS").exists()
    # Spark's start-up INFO lines are hidden unless --verbose
    assert " INFO SparkContext:" not in proc.stdout + proc.stderr


def test_missing_input_exits_2_with_one_line(tmp_path):
    proc = spark_submit("--input", str(tmp_path / "missing"), "--output", str(tmp_path / "out"),
                        "--weights", WEIGHTS, timeout=120)
    assert proc.returncode == 2
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "fruits-job: error:" in line]
    assert len(errors) == 1 and "does not exist" in errors[0]
    assert "FRUITS_RUN_SUMMARY" not in proc.stdout
    assert not (tmp_path / "out").exists()


def test_bad_usage_exits_2(tmp_path):
    proc = spark_submit("--input", str(tmp_path), "--output", str(tmp_path / "out"), "--k", "0", timeout=120)
    assert proc.returncode == 2 and "--k 0 is out of range" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_imagenet_without_network_names_the_fix(tmp_path, sample_dir):
    env = subprocess_env()
    env["KERAS_HOME"] = str(tmp_path / "keras-home")  # no cached download to fall back on
    proc = spark_submit("--input", str(sample_dir), "--output", str(tmp_path / "out"),
                        "--weights", "imagenet", env=env)
    if proc.returncode == 0:
        pytest.skip("this machine could download the ImageNet weights")
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "fruits-job: error:" in line]
    assert len(errors) == 1
    assert "could not get the ImageNet weights" in errors[0]
    assert "--weights /path/to/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in errors[0]
    assert "s3://" in errors[0]
    assert "FRUITS_RUN_SUMMARY" not in proc.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_signal_to_the_spark_submit_group_records_interrupted_in_one_line(tmp_path, sig, random_onnx):
    """As Ctrl-C (SIGINT to the foreground group) or the runner's/VM's kill (SIGTERM to the
    group) reaches a real spark-submit: summary "interrupted", one line, no tracebacks."""
    import os
    import signal

    make_good_images(tmp_path / "in", 40)
    cmd = [SPARK_SUBMIT, "--master", "local[2]", "--conf", "spark.ui.enabled=false", str(JOBS_DIR / "run_job.py"),
           "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--run-id", "run-sig",
           "--k", "2", "--weights", random_onnx, "--batch-size", "1"]
    log = tmp_path / "log.txt"
    # A background shell job (CI, `cmd &`) inherits SIGINT ignored, and a JVM started so ignores
    # it too, which would test another case than Ctrl-C's: give the child the default action
    # (a handled signal is reset to it by exec; an ignored one stays ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    with open(log, "w") as out:
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=subprocess_env(),
                                    start_new_session=True)
        finally:
            signal.signal(signal.SIGINT, previous)
        summary = tmp_path / "out" / "run-sig" / "summary.json"
        deadline = time.monotonic() + 300
        while not summary.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert summary.exists(), log.read_text()[-3000:]
        os.killpg(proc.pid, getattr(signal, sig))
        code = proc.wait(timeout=120)
    doc = final_summary(summary)
    _reap_group(proc.pid)
    text = log.read_text()
    assert doc["status"] == "interrupted" and doc["interrupted"]["signal"] == sig, (doc.get("error"), text[-3000:])
    # 130 from the driver; the JVM itself exits 128 + signal number when it was signalled too
    assert code in (130, 128 + getattr(signal, sig)), text[-3000:]
    # The JVM exits on the signal and takes the Python driver's stderr pipe with it, so the
    # driver's closing line may not get through here (the runner prints its own one line);
    # what must never show is a traceback, from Python or Java.
    job_lines = [line for line in text.splitlines() if line.startswith("fruits-job: ")]
    assert len(job_lines) <= 1 and all(line.startswith(f"fruits-job: interrupted by {sig}") for line in job_lines)
    assert "Traceback" not in text and "Exception" not in text, text[-3000:]


def _reap_group(pgid: int, seconds: float = 60) -> None:
    """The driver may outlive spark-submit by a moment: let it end, so it does not slow the
    next tests; a group still there after `seconds` is killed (cleanup, not the test's subject)."""
    import os
    import signal

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
