"""classify: one photo -> predicted fruit and probability, with a finished run's saved models.

    python jobs/classify.py <photo> --run <run folder> [--json] [--engine onnx|keras]

Same features, same numbers as the job, without Spark or a JVM (starts in seconds):
  photo bytes -> images.decode_image + preprocess            (the job's own decode code)
  -> MobileNetV2 with the engine the run used (engines.py, as in the job; --engine overrides):
     onnx   <run>/models/featurizer.onnx with ONNX Runtime: no TensorFlow import (~1.3 s cold)
     keras  <run>/models/featurizer.weights.h5 with TensorFlow (runs made before the onnx engine)
  -> centring + PCA, then softmax(coefficients . x + intercepts), from <run>/models/classifier.json:
     the model file the job exports on purpose (model_file.py; docs/job.md "The model file"), not
     Spark's internal model folders. Tests check this gives what PipelineModel.transform gives.

stdout: "<label> <probability>" or, with --json, one JSON object with every class probability.
Exit codes: 0 ok, 2 bad input (photo, run folder, models) with a one-line error naming the fix.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass

import numpy as np

from . import contract, model_file, run_files
from .options import DEFAULT_MAX_IMAGE_PIXELS
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


# ---------------------------------------------------------------- the run's model file

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
    path = os.path.join(run_dir, run_files.MODEL_FILE)
    if not os.path.isfile(path):
        if os.path.isdir(os.path.join(run_dir, run_files.CLASSIFIER_MODEL)):
            raise UsageError(f"run {run} has no model file {run_files.MODEL_FILE}: it was made by an older job "
                             f"that saved only Spark's internal {run_files.CLASSIFIER_MODEL}; rerun the job "
                             "with this version to get the model file")
        why = (summary.get("classifier") or {}).get("reason") or "the run predates the classifier stage"
        raise UsageError(f"run {run} has no classifier model ({run_files.MODEL_FILE}: {why}); "
                         "rerun the job without --no-train on images with at least 2 labels")
    try:
        with open(path, encoding="utf-8") as f:
            doc = model_file.parse(f.read())
    except (OSError, model_file.ModelFileError) as e:
        raise UsageError(f"cannot read the model file {run_files.MODEL_FILE} of run {run} ({one_line(e, 300)}); "
                         "rerun the job") from None
    featurizer, arrays = doc["featurizer"], doc["arrays"]
    onnx_file = os.path.join(run_dir, featurizer.get("onnx_file") or run_files.FEATURIZER_ONNX)
    weights_file = os.path.join(run_dir, featurizer.get("keras_weights_file") or run_files.FEATURIZER_WEIGHTS)
    if not os.path.exists(weights_file) and not os.path.exists(onnx_file):
        raise UsageError(f"run {run} is missing its featurizer ({run_files.FEATURIZER_ONNX} or "
                         f"{run_files.FEATURIZER_WEIGHTS}); rerun the job")
    return RunModels(run_dir=run_dir, labels=doc["labels"], mean=arrays["mean"], scale=arrays["scale"],
                     pc=arrays["components"], coefficients=arrays["coefficients"],
                     intercepts=arrays["intercepts"], weights_file=weights_file,
                     weights_source=str(featurizer.get("weights", "")),
                     max_image_pixels=int(doc["input"]["max_image_pixels"]), onnx_file=onnx_file,
                     engine=str(featurizer.get("engine") or "onnx"))


# ---------------------------------------------------------------- photo -> features

_PREDICTORS: dict[str, object] = {}


def featurize_photo(models: RunModels, photo: str, engine: str | None = None,
                    max_image_pixels: int | None = None) -> np.ndarray:
    """max_image_pixels: --max-image-pixels, else the limit the run was made with."""
    from .featurizer.images import decode_image, preprocess

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
    from .featurizer.engines import build_predictor

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
        from .featurizer.weights import load_weights

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
        problem = contract.check("max-image-pixels", a.max_image_pixels)  # the job's own range
        if problem:
            raise UsageError(problem)
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

