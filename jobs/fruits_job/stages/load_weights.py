"""load_weights and prepare_model: the featurizer's model, ready for --engine (featurizer/weights.py).

load_weights: --engine onnx with a Keras weights file converted before takes the cached ONNX model
and needs no TensorFlow; otherwise the weights are loaded. prepare_model: --engine onnx converts
once (cached by the weights' hash). Failures are UsageErrors (exit 2): nothing is written yet.
"""

from __future__ import annotations

import logging

from ..featurizer.weights import TEST_ONLY_WARNING, cached_onnx_for_file, for_engine, load_weights, remember_file
from .context import RunContext

log = logging.getLogger("fruits_job")

TEST_ONLY_BANNER = "*** {} ***"


def load(ctx: RunContext) -> None:
    config = ctx.options
    ctx.weights = ((cached_onnx_for_file(config.weights) if config.engine == "onnx" else None)
                   or load_weights(config.weights, ctx.files))


def prepare(ctx: RunContext) -> dict | None:
    config = ctx.options
    ctx.weights = for_engine(ctx.weights, config.engine)
    if config.engine == "onnx":
        remember_file(config.weights, ctx.weights)
    if not ctx.weights.test_only:
        return None
    ctx.banner = TEST_ONLY_BANNER.format(TEST_ONLY_WARNING)  # logged now and when the run ends
    log.warning(ctx.banner)
    return {"weights_warning": TEST_ONLY_WARNING, "warnings": [TEST_ONLY_WARNING]}
