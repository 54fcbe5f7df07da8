"""The featurizer engines and the per-worker predictor cache.

  onnx   (default) ONNX Runtime on the model converted from the Keras weights (convert.py);
         workers receive the model bytes and never import TensorFlow (onnx_engine.py)
  keras  the reference: Keras/TensorFlow with the weight arrays (model.py)

Both engines give predict(float32 [N, 224, 224, 3]) -> float32 [N, 1280].
"""

from __future__ import annotations

ENGINES = ("onnx", "keras")
DEFAULT_ENGINE = "onnx"

# Module-level cache: one predictor per Python worker process and broadcast id.
# Spark reuses Python workers across tasks (spark.python.worker.reuse, default true),
# so the model is built once per worker, not per task and never per batch.
_PREDICTORS: dict[str, object] = {}


def build_predictor(engine: str, payload, threads: int | None):
    """payload: ONNX model bytes (onnx) or the weight arrays (keras)."""
    if engine == "onnx":
        from .onnx_engine import make_predictor

        return make_predictor(payload, threads)
    if engine == "keras":
        from .model import configure_tf_threads, make_predictor

        if threads:
            configure_tf_threads(threads)
        return make_predictor(payload)
    raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


def cached_predictor(engine: str, broadcast, key: str, threads: int):
    """(predictor, built_now) for this broadcast; the model is built on first use only.

    `key` identifies the broadcast (minted on the driver with it): worker-side Broadcast
    objects do not expose their id.
    """
    predictor = _PREDICTORS.get(key)
    if predictor is not None:
        return predictor, False
    _PREDICTORS.clear()  # a new broadcast (new run) replaces the old model: keep memory flat
    predictor = build_predictor(engine, broadcast.value, threads)
    _PREDICTORS[key] = predictor
    return predictor, True
