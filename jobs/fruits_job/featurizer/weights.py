"""Resolve --weights and load MobileNetV2 weights on the driver (once per run).

imagenet                  keras.applications download to ~/.keras (needs internet)
/path/file.h5, s3://...   a Keras weights file (.h5 legacy or .weights.h5) for the
                          same architecture (alpha 1.0, 224, include_top=False);
                          s3:// is copied to a local temp file through Hadoop FS
/path/model.onnx, s3://   a featurizer already converted to ONNX (convert.py; e.g. a run's
                          models/featurizer.onnx): no TensorFlow needed anywhere, --engine onnx only
test-only-random:<seed>   seeded random weights FOR TESTS ONLY: features are meaningless

for_engine() then readies what the chosen engine's workers receive: the weight arrays
(keras) or the ONNX model bytes (onnx, converted once and cached by content hash).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import hashlib
from dataclasses import dataclass, replace

from .. import contract
from ..options import TEST_ONLY_RANDOM_PREFIX
from ..errors import UsageError, one_line
from ..layout import is_local, local_path

IMAGENET_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
TEST_ONLY_WARNING = ("TEST-ONLY RANDOM WEIGHTS: features and PCA are meaningless; "
                     "use --weights imagenet or a MobileNetV2 weights file for real runs")


@dataclass(frozen=True)
class LoadedWeights:
    arrays: list | None  # numpy arrays in model.get_weights() order (None: given as .onnx)
    source: str   # what the summary records
    test_only: bool
    onnx: bytes | None = None  # the ONNX featurizer (given, or set by for_engine("onnx"))
    onnx_origin: str | None = None  # "given", "cache" or "converted"

    @property
    def onnx_sha256(self) -> str | None:
        return hashlib.sha256(self.onnx).hexdigest() if self.onnx is not None else None


def is_onnx(spec: str) -> bool:
    return spec.lower().endswith(".onnx")


def is_test_only(spec: str) -> bool:
    return spec.startswith(TEST_ONLY_RANDOM_PREFIX)


class ConverterMissing(UsageError):
    """Keras weights given on a driver without TensorFlow (a workers-only install). Exit 3."""

    exit_code = contract.exit_code("tensorflow_missing")


def require_tensorflow(spec: str, modules=("tensorflow", "keras", "tf2onnx")) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ConverterMissing(
            f"--weights {spec} are Keras weights, and reading or converting them needs {', '.join(missing)} "
            "on the driver, which has only the workers' packages; install the full requirements.txt here, "
            "or convert elsewhere (python jobs/convert_weights.py --weights <spec> --output featurizer.onnx) "
            "and pass --weights featurizer.onnx")


def load_weights(spec: str, storage=None) -> LoadedWeights:
    if not is_onnx(spec):
        require_tensorflow(spec, ("tensorflow", "keras"))
    if is_test_only(spec):
        return _random(int(spec[len(TEST_ONLY_RANDOM_PREFIX):]), spec)
    if spec == "imagenet":
        return _imagenet()
    if is_onnx(spec):
        return _onnx_file(spec, storage)
    return _from_file(spec, storage)


def cached_onnx_for_file(spec: str) -> LoadedWeights | None:
    """--engine onnx with a local Keras weights file converted before: the cached ONNX model,
    found by the file's sha256, without importing TensorFlow or loading the file through Keras.
    None: not such a file, or not in the cache (then load_weights + for_engine as usual).
    The run then has no Keras arrays, so it writes models/featurizer.onnx but not
    models/featurizer.weights.h5 (as for a run given the .onnx file)."""
    if is_onnx(spec) or is_test_only(spec) or spec == "imagenet" or not is_local(spec):
        return None
    path = local_path(spec)
    if not os.path.isfile(path):
        return None
    from .convert import cached_by_file, file_sha256

    data = cached_by_file(file_sha256(path))
    return None if data is None else LoadedWeights(None, spec, False, onnx=data, onnx_origin="cache")


def remember_file(spec: str, weights: "LoadedWeights") -> None:
    """After a conversion or content-cache hit: index the local weights file by its bytes."""
    if weights.arrays is None or is_onnx(spec) or is_test_only(spec) or spec == "imagenet" or not is_local(spec):
        return
    path = local_path(spec)
    if os.path.isfile(path):
        from .convert import file_sha256, remember_file as remember

        remember(file_sha256(path), weights.arrays)


def for_engine(weights: LoadedWeights, engine: str) -> LoadedWeights:
    """Weights with what `engine`'s workers need: arrays (keras) or ONNX bytes (onnx)."""
    if engine == "keras":
        if weights.arrays is None:
            raise UsageError(f"--engine keras needs Keras weights, but --weights {weights.source} is an ONNX "
                             "model; use --engine onnx, or give the .h5 weights file or imagenet")
        return weights
    if weights.onnx is not None:
        return weights
    require_tensorflow(weights.source, ("tf2onnx", "onnx"))
    from .convert import onnx_model

    data, _, converted = onnx_model(weights.arrays)
    return replace(weights, onnx=data, onnx_origin="converted" if converted else "cache")


def _local_copy(spec: str, storage, tmp: str) -> str:
    """A local path for a --weights file (s3:// is copied into `tmp`); UsageError if missing."""
    if is_local(spec):
        path = local_path(spec)
        if not os.path.isfile(path):
            raise UsageError(f"--weights file {spec} does not exist; give the path of {IMAGENET_FILE}")
        return path
    if storage is None or not storage.exists(spec):
        raise UsageError(f"--weights {spec} does not exist; upload {IMAGENET_FILE} there first")
    return storage.copy_to_local(spec, tmp)


def _onnx_file(spec: str, storage) -> LoadedWeights:
    from .onnx_engine import validate

    with tempfile.TemporaryDirectory(prefix="fruits-weights-") as tmp:
        with open(_local_copy(spec, storage, tmp), "rb") as f:
            data = f.read()
    validate(data, spec)
    return LoadedWeights(None, spec, False, onnx=data, onnx_origin="given")


def _random(seed: int, spec: str) -> LoadedWeights:
    import keras

    from .model import build_architecture

    keras.utils.set_random_seed(seed)  # seeds the layer initialisers: same seed, same weights
    model = build_architecture()
    return LoadedWeights(model.get_weights(), spec, True)


def _imagenet() -> LoadedWeights:
    import keras

    from .. import IMAGE_SIZE

    try:
        # Keras prints "Downloading data from ..." on stdout; stdout is reserved for results.
        with contextlib.redirect_stdout(sys.stderr):
            model = keras.applications.MobileNetV2(
                input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), include_top=False, weights="imagenet",
                pooling="avg")
    except Exception as e:  # noqa: BLE001 - any download/cache failure means the same fix
        reason = one_line(e, 200)
        raise UsageError(
            f"could not get the ImageNet weights for MobileNetV2 ({reason}); without internet pass "
            f"--weights /path/to/{IMAGENET_FILE} or --weights s3://<bucket>/<prefix>/{IMAGENET_FILE}"
        ) from None
    return LoadedWeights(model.get_weights(), "imagenet", False)


def _from_file(spec: str, storage) -> LoadedWeights:
    from .model import build_architecture

    with tempfile.TemporaryDirectory(prefix="fruits-weights-") as tmp:
        path = _local_copy(spec, storage, tmp)
        model = build_architecture()
        try:
            model.load_weights(path)
        except Exception as e:  # noqa: BLE001
            reason = one_line(e, 200)
            raise UsageError(
                f"--weights {spec} is not a MobileNetV2 (alpha 1.0, 224, no top) weights file ({reason}); "
                f"use {IMAGENET_FILE}") from None
    return LoadedWeights(model.get_weights(), spec, False)
