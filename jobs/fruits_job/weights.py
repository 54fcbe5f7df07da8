"""Resolve --weights and load MobileNetV2 weights on the driver (once per run).

imagenet                  keras.applications download to ~/.keras (needs internet)
/path/file.h5, s3://...   a Keras weights file (.h5 legacy or .weights.h5) for the
                          same architecture (alpha 1.0, 224, include_top=False);
                          s3:// is copied to a local temp file through Hadoop FS
test-only-random:<seed>   seeded random weights FOR TESTS ONLY: features are meaningless
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass

from .config import TEST_ONLY_RANDOM_PREFIX
from .errors import UsageError, one_line
from .layout import has_scheme, is_local, local_path

IMAGENET_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
TEST_ONLY_WARNING = ("TEST-ONLY RANDOM WEIGHTS: features and PCA are meaningless; "
                     "use --weights imagenet or a MobileNetV2 weights file for real runs")


@dataclass(frozen=True)
class LoadedWeights:
    arrays: list  # numpy arrays in model.get_weights() order
    source: str   # what the summary records
    test_only: bool


def is_test_only(spec: str) -> bool:
    return spec.startswith(TEST_ONLY_RANDOM_PREFIX)


def load_weights(spec: str, storage=None) -> LoadedWeights:
    if is_test_only(spec):
        return _random(int(spec[len(TEST_ONLY_RANDOM_PREFIX):]), spec)
    if spec == "imagenet":
        return _imagenet()
    return _from_file(spec, storage)


def _random(seed: int, spec: str) -> LoadedWeights:
    import keras

    from .model import build_architecture

    keras.utils.set_random_seed(seed)  # seeds the layer initialisers: same seed, same weights
    model = build_architecture()
    return LoadedWeights(model.get_weights(), spec, True)


def _imagenet() -> LoadedWeights:
    import keras

    from . import IMAGE_SIZE

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
        if is_local(spec):
            path = local_path(spec)
            if not os.path.isfile(path):
                raise UsageError(f"--weights file {spec} does not exist; give the path of {IMAGENET_FILE}")
        elif has_scheme(spec):
            if storage is None or not storage.exists(spec):
                raise UsageError(f"--weights {spec} does not exist; upload {IMAGENET_FILE} there first")
            path = storage.copy_to_local(spec, tmp)
        model = build_architecture()
        try:
            model.load_weights(path)
        except Exception as e:  # noqa: BLE001
            reason = one_line(e, 200)
            raise UsageError(
                f"--weights {spec} is not a MobileNetV2 (alpha 1.0, 224, no top) weights file ({reason}); "
                f"use {IMAGENET_FILE}") from None
    return LoadedWeights(model.get_weights(), spec, False)
