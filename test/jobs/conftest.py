"""Shared fixtures: one local[2] SparkSession per test session, image generators, job runner."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
JOBS_DIR = REPO / "jobs"
SAMPLE = (REPO / ".." / "shared" / "data" / "fruits-360-sample").resolve()
VENV_BIN = Path(sys.executable).parent

sys.path.insert(0, str(JOBS_DIR))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Spark workers and spark-submit must use this interpreter (the venv), not the system python.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

SEED = 7

# Fast unit tests run apart with `pytest -m "not integration"` (npm run test:unit): anything that
# starts Spark (directly or through a fixture) or is marked slow is an integration test.
INTEGRATION_FIXTURES = {"spark", "run_job"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.integration)


WEIGHTS = f"test-only-random:{SEED}"


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("fruits-job-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "2g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    if not SAMPLE.is_dir():
        pytest.skip(f"real fruit sample not found at {SAMPLE}")
    return SAMPLE


def save_image(path: Path, seed: int, size=(32, 32), mode="RGB", fmt=None, **kwargs) -> Path:
    """A small seeded noise image (distinct content per seed, so features differ)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")
    img = rgb.convert(mode) if mode != "RGB" else rgb
    img.save(path, format=fmt, **kwargs)
    return path


def make_good_images(root: Path, n: int, labels=("kiwi", "plum"), splits=("Training", "Test"),
                     seed0: int = 100) -> list[Path]:
    out = []
    for i in range(n):
        split, label = splits[i % len(splits)], labels[(i // len(splits)) % len(labels)]
        out.append(save_image(root / split / label / f"img_{i}.jpg", seed0 + i, fmt="JPEG"))
    return out


class JobResult:
    def __init__(self, code: int, stdout: str, stderr: str, output: Path, run_id: str):
        self.code, self.stdout, self.stderr = code, stdout, stderr
        self.run_dir = output / run_id
        self.summary_path = self.run_dir / "summary.json"

    @property
    def summary(self) -> dict:
        return json.loads(self.summary_path.read_text())

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@pytest.fixture(scope="session")
def run_job(spark):
    """Run the job in-process through cli.main(argv) on the shared session."""
    from fruits_job.cli import main

    def _run(input_dir, output: Path, run_id: str, *extra: str, weights: str = WEIGHTS) -> JobResult:
        argv = ["--input", str(input_dir), "--output", str(output), "--run-id", run_id,
                "--weights", weights, *extra]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv, spark=spark)
        return JobResult(code, out.getvalue(), err.getvalue(), Path(output), run_id)

    return _run


REAL_WEIGHTS = (REPO / ".." / "shared" / "models" / "mobilenet_v2"
                / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5").resolve()


@pytest.fixture(scope="session")
def real_run(run_job, sample_dir, tmp_path_factory):
    """One run of the job on the real sample with the real ImageNet weights, with the README
    demo's settings (default k=50 on the sample's 100 Training photos: rank 99, where Spark's
    iterative PCA went wrong), shared by the session: test_real_weights.py checks it,
    test_notebook.py explores it."""
    if not REAL_WEIGHTS.is_file():
        pytest.skip(f"real MobileNetV2 weights not found at {REAL_WEIGHTS}")
    result = run_job(sample_dir, tmp_path_factory.mktemp("out"), "run-real", "--json", weights=str(REAL_WEIGHTS))
    assert result.code == 0, result.stderr[-3000:]
    return result


def read_parquet(spark, path: Path):
    return spark.read.parquet(str(path))


def subprocess_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.pop("SPARK_HOME", None)  # let spark-submit find the venv's pyspark
    return env
