"""classify: one photo -> predicted fruit and probability, with a finished run's saved models.

    python jobs/classify.py <photo> --run <run folder> [--json] [--engine onnx|keras]

Same features, same numbers as the job, without Spark or a JVM (starts in seconds):
  photo bytes -> images.decode_image + preprocess            (the job's own decode code)
  -> MobileNetV2 with the engine the run used (engines.py, as in the job; --engine overrides):
     onnx   <run>/models/featurizer.onnx with ONNX Runtime: no TensorFlow import (~1.3 s cold)
     keras  <run>/models/featurizer.weights.h5 with TensorFlow (runs made before the onnx engine)
  -> centring + PCA from <run>/models/pca                    (read from the Spark model's Parquet)
  -> softmax(coefficients . x + intercepts) from <run>/models/classifier
The Spark ML model folders are read directly with pyarrow: metadata/part-00000 (JSON) names
each stage and its params, data/*.parquet holds the vectors and matrices (Spark's
VectorUDT / MatrixUDT structs). Tests check this gives what PipelineModel.transform gives.

stdout: "<label> <probability>" or, with --json, one JSON object with every class probability.
Exit codes: 0 ok, 2 bad input (photo, run folder, models) with a one-line error naming the fix.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from dataclasses import dataclass

import numpy as np

from . import run_files
from .config import DEFAULT_MAX_IMAGE_PIXELS
from .errors import UsageError, one_line
from .layout import has_scheme, local_path


@dataclass
class RunModels:
    run_dir: str
    labels: list[str]
    mean: np.ndarray | None        # centring vector (None: not centred)
    scale: np.ndarray | None       # 1/std per feature (None: not scaled)
    pc: np.ndarray                 # 1280 x k principal components
    coefficients: np.ndarray       # classes x k
    intercepts: np.ndarray         # classes
    weights_file: str
    weights_source: str
    max_image_pixels: int
    onnx_file: str = ""
    engine: str = "keras"          # the engine the run featurized with (runs before onnx: keras)

    @property
    def test_only(self) -> bool:
        return self.weights_source.startswith("test-only-random:")

    def pca(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, dtype=np.float64)
        if self.mean is not None:
            x = x - self.mean
        if self.scale is not None:
            x = x * self.scale
        return x @ self.pc

    def probabilities(self, pca_features: np.ndarray) -> np.ndarray:
        """Spark's multinomial LogisticRegressionModel: softmax of the margins (max-shifted)."""
        margins = np.asarray(pca_features, dtype=np.float64) @ self.coefficients.T + self.intercepts
        margins = margins - margins.max(axis=-1, keepdims=True)
        e = np.exp(margins)
        return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- Spark model files

def _metadata(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "metadata", "part-00000"), encoding="utf-8") as f:
        return json.loads(f.readline())


def _data_row(stage_dir: str) -> dict:
    import pyarrow.parquet as pq

    files = sorted(glob.glob(os.path.join(stage_dir, "data", "*.parquet")))
    if not files:
        raise ValueError(f"no data Parquet in {stage_dir}")
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    if len(rows) != 1:
        raise ValueError(f"expected one data row in {stage_dir}, found {len(rows)}")
    return rows[0]


def _stages(pipeline_dir: str) -> list[tuple[str, dict, str]]:
    """[(class name, stage metadata, stage dir)] of a saved PipelineModel, in order."""
    meta = _metadata(pipeline_dir)
    out = []
    for i, uid in enumerate(meta["paramMap"]["stageUids"]):
        stage_dir = os.path.join(pipeline_dir, "stages", f"{i}_{uid}")
        stage_meta = _metadata(stage_dir)
        out.append((stage_meta["class"].rsplit(".", 1)[-1], stage_meta, stage_dir))
    return out


def spark_vector(v: dict) -> np.ndarray:
    """Spark VectorUDT struct -> numpy (type 0 sparse, 1 dense)."""
    if v["type"] == 1:
        return np.asarray(v["values"], dtype=np.float64)
    out = np.zeros(int(v["size"]), dtype=np.float64)
    out[np.asarray(v["indices"], dtype=np.int64)] = v["values"]
    return out


def spark_matrix(m: dict) -> np.ndarray:
    """Spark MatrixUDT struct -> numpy (dense column-major, or CSC; isTransposed flips both)."""
    rows, cols, transposed = int(m["numRows"]), int(m["numCols"]), bool(m["isTransposed"])
    values = np.asarray(m["values"], dtype=np.float64)
    if m["type"] == 1:
        return values.reshape((rows, cols)) if transposed else values.reshape((cols, rows)).T
    out = np.zeros((rows, cols), dtype=np.float64)
    ptrs, idx = m["colPtrs"], m["rowIndices"]
    for major in range(len(ptrs) - 1):  # columns (CSC), or rows when transposed (CSR)
        for j in range(ptrs[major], ptrs[major + 1]):
            if transposed:
                out[major, idx[j]] = values[j]
            else:
                out[idx[j], major] = values[j]
    return out


def _param(meta: dict, name: str, default=None):
    return meta.get("paramMap", {}).get(name, meta.get("defaultParamMap", {}).get(name, default))


def load_run(run: str) -> RunModels:
    """Read and check a run folder; every problem is a UsageError naming the fix."""
    if has_scheme(run) and not run.startswith("file://"):
        raise UsageError(f"--run {run} is not a local folder; copy the run folder first "
                         f"(e.g. aws s3 cp --recursive {run} ./runs/{run.rstrip('/').rsplit('/', 1)[-1]})")
    run_dir = local_path(run)
    summary_path = os.path.join(run_dir, run_files.SUMMARY)
    if not os.path.isdir(run_dir):
        raise UsageError(f"--run {run} does not exist; give a run folder such as runs/run-YYYYMMDD-HHMMSS "
                         "(the job's --output/<run-id>)")
    if not os.path.isfile(summary_path):
        raise UsageError(f"--run {run} has no {run_files.SUMMARY}; give a run folder written by the job "
                         "(<output>/<run-id>), not the output root")
    try:
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {summary_path} ({one_line(e, 300)}); rerun the job") from None
    status = summary.get("status")
    if status != "succeeded":
        raise UsageError(f"run {run} did not succeed (status {status!r}); classify with a succeeded run")
    clf_dir = os.path.join(run_dir, run_files.CLASSIFIER_MODEL)
    pca_dir = os.path.join(run_dir, run_files.PCA_MODEL)
    weights_file = os.path.join(run_dir, run_files.FEATURIZER_WEIGHTS)
    if not os.path.isdir(clf_dir):
        why = (summary.get("classifier") or {}).get("reason") or "the run predates the classifier stage"
        raise UsageError(f"run {run} has no classifier model ({run_files.CLASSIFIER_MODEL}: {why}); "
                         "rerun the job without --no-train on images with at least 2 labels")
    onnx_file = os.path.join(run_dir, run_files.FEATURIZER_ONNX)
    if not os.path.exists(pca_dir):
        raise UsageError(f"run {run} is missing its PCA model ({run_files.PCA_MODEL}); rerun the job")
    if not os.path.exists(weights_file) and not os.path.exists(onnx_file):
        raise UsageError(f"run {run} is missing its featurizer ({run_files.FEATURIZER_ONNX} or "
                         f"{run_files.FEATURIZER_WEIGHTS}); rerun the job")
    try:
        return _read_models(run_dir, pca_dir, clf_dir, weights_file, summary)
    except UsageError:
        raise
    except Exception as e:  # noqa: BLE001 - any unreadable model file: same fix
        raise UsageError(f"cannot read the models in {run} ({one_line(e, 300)}); rerun the job") from None


def _read_models(run_dir, pca_dir, clf_dir, weights_file, summary) -> RunModels:
    mean = scale = pc = None
    for cls, meta, stage_dir in _stages(pca_dir):
        data = _data_row(stage_dir)
        if cls == "StandardScalerModel":
            if _param(meta, "withMean", False):
                mean = spark_vector(data["mean"])
            if _param(meta, "withStd", True):
                std = spark_vector(data["std"])
                scale = np.where(std != 0, 1.0 / np.where(std != 0, std, 1.0), 0.0)
        elif cls == "PCAModel":
            pc = spark_matrix(data["pc"])
        else:
            raise ValueError(f"unexpected stage {cls} in {pca_dir}")
    if pc is None:
        raise ValueError(f"no PCAModel in {pca_dir}")
    labels = coefficients = intercepts = None
    for cls, meta, stage_dir in _stages(clf_dir):
        if cls == "LogisticRegressionModel":
            data = _data_row(stage_dir)
            if not data["isMultinomial"]:
                raise ValueError("the classifier is not multinomial")
            coefficients = spark_matrix(data["coefficientMatrix"])
            intercepts = spark_vector(data["interceptVector"])
        elif cls == "IndexToString":
            labels = list(_param(meta, "labels"))
        else:
            raise ValueError(f"unexpected stage {cls} in {clf_dir}")
    if coefficients is None or labels is None:
        raise ValueError(f"{clf_dir} lacks the LogisticRegression or IndexToString stage")
    if coefficients.shape != (len(labels), pc.shape[1]):
        raise ValueError(f"classifier shape {coefficients.shape} does not match {len(labels)} labels "
                         f"and k={pc.shape[1]}")
    options = summary.get("options") or {}
    return RunModels(run_dir=run_dir, labels=labels, mean=mean, scale=scale, pc=pc,
                     coefficients=coefficients, intercepts=intercepts, weights_file=weights_file,
                     weights_source=str(summary.get("weights", "")),
                     max_image_pixels=int(options.get("max_image_pixels") or DEFAULT_MAX_IMAGE_PIXELS),
                     onnx_file=os.path.join(run_dir, run_files.FEATURIZER_ONNX),
                     engine=str(options.get("engine") or "keras"))


# ---------------------------------------------------------------- photo -> features

_PREDICTORS: dict[str, object] = {}


def featurize_photo(models: RunModels, photo: str, engine: str | None = None,
                    max_image_pixels: int | None = None) -> np.ndarray:
    """max_image_pixels: --max-image-pixels, else the limit the run was made with."""
    from .images import decode_image, preprocess

    if not os.path.exists(photo):
        raise UsageError(f"photo {photo} does not exist; give the path of a JPEG, PNG or HEIC file")
    if os.path.isdir(photo):
        raise UsageError(f"photo {photo} is a folder; give one image file")
    try:
        with open(photo, "rb") as f:
            content = f.read()
    except OSError as e:
        raise UsageError(f"photo {photo} cannot be read ({one_line(e, 300)}); check its permissions") from None
    arr, reason = decode_image(content, max_image_pixels or models.max_image_pixels)
    if reason is not None:
        fix = ("pass a higher --max-image-pixels if you trust the file" if reason.startswith("image too large")
               else "give a JPEG, PNG or HEIC photo")
        raise UsageError(f"photo {photo} cannot be used: {reason}; {fix}")
    return _predictor(models, engine or models.engine)(preprocess(arr[np.newaxis]))[0]


def _predictor(models: RunModels, engine: str):
    """The run's featurizer with `engine`, built once per process (cached by file)."""
    from .engines import build_predictor

    path = models.onnx_file if engine == "onnx" else models.weights_file
    predict = _PREDICTORS.get(path)
    if predict is not None:
        return predict
    if not os.path.exists(path):
        other = "keras" if engine == "onnx" else "onnx"
        raise UsageError(f"run {models.run_dir} has no {os.path.relpath(path, models.run_dir)} for --engine {engine}; "
                         f"use --engine {other}, or rerun the job with --engine {engine}")
    if engine == "onnx":
        with open(path, "rb") as f:
            payload = f.read()
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from .weights import load_weights

        payload = load_weights(path).arrays
    predict = build_predictor(engine, payload, None)  # None: the engine's default, all cores
    _PREDICTORS.clear()
    _PREDICTORS[path] = predict
    return predict


def classify(models: RunModels, photo: str, engine: str | None = None,
             max_image_pixels: int | None = None) -> dict:
    probs = models.probabilities(models.pca(featurize_photo(models, photo, engine, max_image_pixels)))
    best = int(np.argmax(probs))
    return {"photo": photo, "run": models.run_dir, "label": models.labels[best],
            "probability": float(probs[best]),
            "probabilities": {label: float(p) for label, p in zip(models.labels, probs)},
            "weights": models.weights_source, "test_only_weights": models.test_only,
            "engine": engine or models.engine}


# ---------------------------------------------------------------- command line

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise UsageError(f"{message} (see --help)")


def main(argv: list[str] | None = None) -> int:
    p = _Parser(prog="classify.py", description="Predict the fruit in one photo with a run's saved models.")
    p.add_argument("photo", help="a JPEG, PNG or HEIC/HEIF photo")
    p.add_argument("--run", required=True, help="a finished run folder (<output>/<run-id>) with models/")
    p.add_argument("--json", action="store_true", help="print one JSON object with all class probabilities")
    p.add_argument("--engine", choices=("onnx", "keras"), default=None,
                   help="featurizer engine (default: the one the run used)")
    p.add_argument("--max-image-pixels", type=int, default=None,
                   help="decompression-bomb guard, as the job's option (default: the run's limit, "
                   f"else {DEFAULT_MAX_IMAGE_PIXELS})")
    try:
        a = p.parse_args(argv)
        if a.max_image_pixels is not None and a.max_image_pixels < 1:
            raise UsageError("--max-image-pixels must be at least 1")
        models = load_run(a.run)
        result = classify(models, a.photo, a.engine, a.max_image_pixels)
    except UsageError as e:
        print(f"classify: error: {e}", file=sys.stderr, flush=True)
        return e.exit_code
    if models.test_only:
        print(f"classify: warning: run {a.run} used TEST-ONLY RANDOM WEIGHTS ({models.weights_source}); "
              "this prediction says nothing about real fruit", file=sys.stderr)
    if a.json:
        print(json.dumps(result), flush=True)
    else:
        print(f"{result['label']} {result['probability']:.4f}", flush=True)
    return 0

