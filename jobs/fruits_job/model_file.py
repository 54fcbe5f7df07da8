"""models/classifier.json: the run's trained model in a small documented format of our own
(format "fruits-classifier", version 1), written on purpose by the training stage and read by
classify. Spark's saved models (models/pca, models/classifier) are Spark's internal format;
this file is the public one (docs/job.md "The model file").

    photo -> decode (images.decode_image: EXIF turn, RGB, 224x224) -> x / 127.5 - 1
          -> featurizer (featurizer.onnx_file or .keras_weights_file) -> f: 1280 floats
          -> z = ((f - pca.mean) * pca.scale) @ pca.components    (mean/scale null: skipped)
          -> p = softmax(classifier.coefficients @ z + classifier.intercepts)
          -> labels[argmax p]
classifier.algorithm names the model the run kept: "multinomial logistic regression ..." or
"nearest centroid" (when the regression was worse on Test; coefficients c/s2 and intercepts
-|c|^2/(2 s2) from the class centroids c and the pooled within-class variance s2, so argmax p
is the nearest centroid). Both read the same way; older files without the field are regressions.
Numbers are float64 written with Python's shortest round-trip repr, so reading them back gives
the exact values Spark fitted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from . import FEATURE_DIM, IMAGE_SIZE, run_files

FORMAT = "fruits-classifier"
FORMAT_VERSION = 1


def _vector(v) -> list[float]:
    return [float(x) for x in np.asarray(v.toArray() if hasattr(v, "toArray") else v, dtype=np.float64)]


def _matrix(m) -> list[list[float]]:
    a = np.asarray(m.toArray() if hasattr(m, "toArray") else m, dtype=np.float64)
    return [[float(x) for x in row] for row in a]


@dataclass(frozen=True)
class LinearClassifier:
    """softmax(coefficients @ z + intercepts): the kept model (train.LinearModel's numbers)."""
    algorithm: str
    coefficients: np.ndarray  # classes x k
    intercepts: np.ndarray    # classes
    details: dict = field(default_factory=dict)


def build(*, run_id: str, labels: list[str], pca_model, classifier: LinearClassifier, engine: str,
          weights: str, test_only: bool, onnx_sha256: str | None, has_keras_weights: bool, has_onnx: bool,
          max_image_pixels: int) -> dict:
    """The document, from the fitted PCA (PipelineModel [StandardScalerModel, PCAModel], read through
    its public API) and the kept linear classifier."""
    scaler, pca = pca_model.stages
    components = pca.pc.toArray()  # FEATURE_DIM x k
    coefficients = np.asarray(classifier.coefficients, dtype=np.float64)  # classes x k
    if coefficients.shape != (len(labels), components.shape[1]):
        raise ValueError(f"classifier shape {coefficients.shape} does not match {len(labels)} labels "
                         f"and k={components.shape[1]}")
    std = scaler.std.toArray() if scaler.getWithStd() else None
    scale = None if std is None else np.where(std != 0, 1.0 / np.where(std != 0, std, 1.0), 0.0)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "run_id": run_id,
        "labels": list(labels),
        "input": {"image_size": [IMAGE_SIZE, IMAGE_SIZE], "channels": "RGB",
                  "decode": "fruits_job.featurizer.images.decode_image (EXIF orientation, RGB, resized to image_size)",
                  "preprocess": "x / 127.5 - 1 (MobileNetV2), float32",
                  "max_image_pixels": int(max_image_pixels)},
        "featurizer": {"architecture": "MobileNetV2 alpha 1.0, no top, global average pooling",
                       "feature_dim": FEATURE_DIM, "engine": engine, "weights": weights,
                       "test_only_weights": bool(test_only),
                       "onnx_file": run_files.FEATURIZER_ONNX if has_onnx else None,
                       "onnx_sha256": onnx_sha256,
                       "keras_weights_file": run_files.FEATURIZER_WEIGHTS if has_keras_weights else None},
        "pca": {"k": int(components.shape[1]),
                "mean": _vector(scaler.mean) if scaler.getWithMean() else None,
                "scale": None if scale is None else _vector(scale),
                "components": _matrix(components)},
        "classifier": {"algorithm": classifier.algorithm, "output": "softmax",
                       **{k: v for k, v in classifier.details.items() if isinstance(v, (bool, int, float, str))},
                       "coefficients": _matrix(coefficients), "intercepts": _vector(classifier.intercepts)},
    }


def dumps(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":")) + "\n"


class ModelFileError(ValueError):
    """The file is not a model file this version can read (the message says why)."""


def parse(text: str) -> dict:
    """Checks the document's format, version and shapes; numpy arrays in place of lists."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise ModelFileError(f"not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"not a {FORMAT} file")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"format version {doc.get('format_version')!r}, this classify reads {FORMAT_VERSION}")
    try:
        labels = [str(x) for x in doc["labels"]]
        pca, clf = doc["pca"], doc["classifier"]
        components = np.asarray(pca["components"], dtype=np.float64)
        mean = None if pca.get("mean") is None else np.asarray(pca["mean"], dtype=np.float64)
        scale = None if pca.get("scale") is None else np.asarray(pca["scale"], dtype=np.float64)
        coefficients = np.asarray(clf["coefficients"], dtype=np.float64)
        intercepts = np.asarray(clf["intercepts"], dtype=np.float64)
        featurizer, image = doc["featurizer"], doc["input"]
        int(image["max_image_pixels"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"missing or malformed field ({type(e).__name__}: {e})") from None
    dim = int(featurizer.get("feature_dim", FEATURE_DIM))
    k = components.shape[1] if components.ndim == 2 else -1
    shapes_ok = (components.ndim == 2 and components.shape[0] == dim
                 and (mean is None or mean.shape == (dim,)) and (scale is None or scale.shape == (dim,))
                 and coefficients.shape == (len(labels), k) and intercepts.shape == (len(labels),)
                 and len(labels) >= 2)
    if not shapes_ok:
        raise ModelFileError(f"shapes do not agree (components {components.shape}, coefficients "
                             f"{coefficients.shape}, {len(labels)} labels)")
    return {**doc, "labels": labels, "arrays": {"mean": mean, "scale": scale, "components": components,
                                                "coefficients": coefficients, "intercepts": intercepts}}
