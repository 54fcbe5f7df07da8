"""MobileNetV2 feature extractor with Keras/TensorFlow (the reference engine): the architecture
and TF threading. Imported only where TensorFlow runs: the driver (weights, conversion) and
workers of --engine keras. The per-worker cache is engines.cached_predictor.

Threads: Spark runs one Python worker per concurrently running task, i.e.
executor cores / spark.task.cpus workers per executor. Each worker gets
spark.task.cpus TensorFlow intra-op threads (and as many inter-op threads), so
workers x threads == cores: no oversubscription, no idle core. Measured on the
2-core dev machine: two 1-thread workers beat one 2-thread process (~63 img/s per
1-thread worker vs ~98 img/s for one 2-thread process). On big EMR executors,
spark.task.cpus=4 with spark.executor.cores=4 gives one worker per executor with
4 threads instead: fewer model copies in memory, bigger batches per worker.
"""

from __future__ import annotations

import os

from .. import FEATURE_DIM, IMAGE_SIZE

_THREADS_SET: int | None = None


def build_architecture():
    """MobileNetV2, 224x224x3 input, top removed, global average pooling -> 1280 values."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras.applications.MobileNetV2(
        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), include_top=False, weights=None, pooling="avg")


def configure_tf_threads(threads: int) -> None:
    """Must run before TensorFlow's runtime starts in this process; later calls are no-ops."""
    global _THREADS_SET
    if _THREADS_SET is not None:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # runtime already initialised in this process (e.g. the driver in local tests)
    _THREADS_SET = threads


def make_predictor(weights: list):
    """Model with `weights` set, wrapped in a tf.function traced once for any batch size."""
    import tensorflow as tf

    model = build_architecture()
    model.set_weights(weights)
    fn = tf.function(
        lambda x: model(x, training=False),
        input_signature=[tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32)],
    )

    def predict(batch):
        out = fn(tf.constant(batch)).numpy()
        assert out.shape[1] == FEATURE_DIM, out.shape
        return out

    return predict
