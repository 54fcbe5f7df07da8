"""Keras MobileNetV2 weights -> an ONNX model (tf2onnx), cached by the weights' content hash.

Runs where TensorFlow is installed: the driver (EMR master, the VM, a laptop). Workers
only ever receive the resulting bytes (onnx_engine.py), so they need no TensorFlow.

Cache: <FRUITS_MODEL_CACHE or ~/.cache/fruits-job>/onnx/<key>.onnx, where key is the
sha256 of every weight array (dtype, shape, bytes) and of the conversion recipe (tf2onnx
version, opset, input/output names). Same numbers, same recipe -> same file, whatever
path, bucket or spelling (imagenet, .h5, .weights.h5) the weights came from. Writes are
atomic (temp file + rename), so two drivers converting at once cannot leave a torn file;
an unwritable cache only costs the conversion time, never the run. A second index by the
weights file's own sha256 (by-file/) lets a later run with the same file skip TensorFlow.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile

from .. import IMAGE_SIZE
from ..errors import one_line

log = logging.getLogger("fruits_job")

OPSET = 17
INPUT_NAME = "images"    # float32 [batch, 224, 224, 3], preprocessed to [-1, 1]
OUTPUT_NAME = "features"  # float32 [batch, 1280]
RECIPE = f"mobilenet_v2-no_top-avg-opset{OPSET}-{INPUT_NAME}-{OUTPUT_NAME}-v1"


def cache_dir() -> str:
    root = os.environ.get("FRUITS_MODEL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "fruits-job")
    return os.path.join(root, "onnx")


def weights_sha256(arrays: list) -> str:
    """Content hash of the weights themselves (not of a file): order, dtype, shape and bytes."""
    import numpy as np

    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def recipe() -> str:
    """The conversion recipe and converter versions (package metadata only: nothing imported)."""
    from importlib.metadata import version

    return f"{RECIPE}-tf2onnx{version('tf2onnx')}-onnx{version('onnx')}"


def cache_key(arrays: list) -> str:
    return hashlib.sha256(f"{weights_sha256(arrays)}|{recipe()}".encode()).hexdigest()


# A second index, by the bytes of the weights FILE: a run given the same .h5 file again finds
# its converted model from a sha256 of the file, without importing TensorFlow or reading the
# file through Keras (~5-10 s). <cache>/by-file/<sha256 of file + recipe>.key holds the content key.

def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _alias_path(file_sha: str) -> str:
    return os.path.join(cache_dir(), "by-file", hashlib.sha256(f"{file_sha}|{recipe()}".encode()).hexdigest() + ".key")


def cached_by_file(file_sha: str) -> bytes | None:
    """The cached ONNX model converted from the weights file with this sha256, or None (no entry,
    a converter not installed, or a damaged file: the caller then loads and converts as usual)."""
    try:
        with open(_alias_path(file_sha), encoding="ascii") as f:
            key = f.read().strip()
        with open(os.path.join(cache_dir(), f"{key}.onnx"), "rb") as f:
            data = f.read()
        _check(data)
    except Exception:  # noqa: BLE001 - any miss means: load and convert the usual way
        return None
    log.info("ONNX model from cache, found by the weights file's sha256 (TensorFlow not needed)")
    return data


def remember_file(file_sha: str, arrays: list) -> None:
    """Record which converted model this weights file gives (best effort, atomic)."""
    try:
        path = _alias_path(file_sha)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".part")
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(cache_key(arrays))
        os.replace(tmp, path)
    except Exception as e:  # noqa: BLE001 - the index only saves time
        log.warning("could not record the weights file in the ONNX cache (%s)", one_line(e, 200))


def convert(arrays: list) -> bytes:
    """The ONNX model (serialized bytes) of MobileNetV2 with `arrays`, converted by tf2onnx."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import tf2onnx

    from .model import build_architecture

    model = build_architecture()
    model.set_weights(arrays)
    spec = (tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, name=INPUT_NAME),)

    @tf.function(input_signature=spec)
    def features(images):
        return {OUTPUT_NAME: model(images, training=False)}

    proto, _ = tf2onnx.convert.from_function(features, input_signature=spec, opset=OPSET)
    return proto.SerializeToString()


def _check(data: bytes) -> None:
    from .onnx_engine import check_signature, make_session

    check_signature(make_session(data, 1))


def onnx_model(arrays: list) -> tuple[bytes, str, bool]:
    """(model bytes, cache key, converted_now): from the cache, or converted and cached."""
    key = cache_key(arrays)
    path = os.path.join(cache_dir(), f"{key}.onnx")
    try:
        with open(path, "rb") as f:
            data = f.read()
        _check(data)  # a damaged cache file is converted again, never broadcast
        log.info("ONNX model from cache %s", path)
        return data, key, False
    except FileNotFoundError:
        pass
    except Exception as e:  # noqa: BLE001 - unreadable or not our model: replace it
        log.warning("cached ONNX model %s is unusable (%s); converting again", path, one_line(e, 200))
    log.info("converting MobileNetV2 to ONNX (tf2onnx, opset %d) ...", OPSET)
    data = convert(arrays)
    _check(data)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        log.info("ONNX model cached at %s", path)
    except OSError as e:
        log.warning("could not cache the ONNX model in %s (%s); it is converted again next run "
                    "(set FRUITS_MODEL_CACHE to a writable folder)", os.path.dirname(path), e)
    return data, key, True
