"""EMR Serverless runs the job from an image with the workers' packages only (no TensorFlow,
Keras, tf2onnx, onnx): with converted .onnx weights, a real spark-submit run must succeed when
none of them can be imported, in the driver and in every Python worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import JOBS_DIR, REPO, subprocess_env

from test_spark_submit import spark_submit

BLOCKER_DIR = Path(__file__).parent / "no_tensorflow"
NO_TOP = (REPO / ".." / "shared" / "models" / "mobilenet_v2"
          / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5").resolve()


def without_tensorflow(env: dict) -> dict:
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BLOCKER_DIR), env.get("PYTHONPATH", "")) if p)
    return env


def test_the_blocker_makes_tensorflow_unimportable_but_not_onnxruntime():
    env = without_tensorflow(subprocess_env())
    code = ("import importlib.util as u, onnxruntime, numpy\n"
            "assert u.find_spec('onnxruntime') is not None\n"
            "for m in ('tensorflow', 'keras', 'tf2onnx', 'onnx'):\n"
            "    try:\n        __import__(m)\n    except ImportError:\n        continue\n"
            "    raise SystemExit(m + ' imported')\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.fixture(scope="module")
def onnx_weights(tmp_path_factory) -> Path:
    """The documented one-time conversion (docs/serverless.md), on a machine with TensorFlow."""
    if not NO_TOP.is_file():
        pytest.skip(f"real MobileNetV2 weights not found at {NO_TOP}")
    out = tmp_path_factory.mktemp("weights") / "mobilenet_v2_featurizer.onnx"
    proc = subprocess.run([sys.executable, str(JOBS_DIR / "convert_weights.py"), "--weights", str(NO_TOP),
                           "--output", str(out)], env=subprocess_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def sample_subset(sample_dir: Path, dest: Path, per_label: int = 3) -> Path:
    """A few real photos per split and label, copied (the shared sample is read-only)."""
    for label_dir in sorted(sample_dir.glob("*/*")):
        if not label_dir.is_dir():
            continue
        target = dest / label_dir.parent.name / label_dir.name
        target.mkdir(parents=True, exist_ok=True)
        for photo in sorted(label_dir.iterdir())[:per_label]:
            (target / photo.name).write_bytes(photo.read_bytes())
    return dest


@pytest.mark.slow
def test_job_runs_with_onnx_weights_and_no_tensorflow(tmp_path, sample_dir, onnx_weights):
    photos = sample_subset(sample_dir, tmp_path / "in", per_label=2)
    env = without_tensorflow(subprocess_env())
    proc = spark_submit("--input", str(photos), "--output", str(tmp_path / "out"), "--run-id", "no-tf",
                        "--k", "2", "--weights", str(onnx_weights), "--json", env=env, timeout=1500)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    summary = json.loads((tmp_path / "out" / "no-tf" / "summary.json").read_text())
    assert summary["status"] == "succeeded"
    assert summary["counts"]["featurized"] > 0
    versions = json.dumps(summary)
    assert '"tensorflow"' not in versions and '"keras"' not in versions


def test_keras_weights_without_tensorflow_fail_with_the_conversion_hint(tmp_path, sample_dir):
    """The serverless image has no TensorFlow: .h5 weights must fail at once with the fix."""
    if not NO_TOP.is_file():
        pytest.skip(f"real MobileNetV2 weights not found at {NO_TOP}")
    photos = sample_subset(sample_dir, tmp_path / "in", per_label=1)
    # An empty model cache, as in a fresh serverless container: a cached conversion of these weights
    # (found by the file's sha256, jobs/fruits_job/weights.py) would rightly need no TensorFlow.
    env = {**without_tensorflow(subprocess_env()), "FRUITS_MODEL_CACHE": str(tmp_path / "empty-model-cache")}
    proc = spark_submit("--input", str(photos), "--output", str(tmp_path / "out"), "--weights", str(NO_TOP),
                        env=env, timeout=300)
    assert proc.returncode == 3, (proc.stdout + proc.stderr)[-3000:]
    assert "convert_weights.py" in proc.stdout + proc.stderr
