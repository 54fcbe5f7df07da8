"""ONNX Runtime inference: one InferenceSession per Python worker, no TensorFlow.

Imports only numpy and onnxruntime, so Spark's Python workers and `classify` start in a
fraction of a second and stay small (the model is ~9 MB; TensorFlow's runtime is not
loaded at all). Threads: intra-op = the task's CPUs (workers x threads == cores, as for
the Keras engine), one inter-op thread and sequential execution, since a CNN's graph is
a chain: extra inter-op threads would only compete with the intra-op pool.
"""

from __future__ import annotations

from .. import FEATURE_DIM, IMAGE_SIZE
from ..errors import UsageError, one_line


def make_session(model_bytes: bytes, threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: warnings would clutter the executors' stderr
    # Idle intra-op threads sleep instead of spinning: a worker also decodes images between runs,
    # and other workers and the JVM share the cores. Measured with 2 threads under load: 4.9-5.4
    # CPU ms per image without spinning against 9-10 ms with it.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])


def check_signature(session) -> None:
    """The model must map float [N, 224, 224, 3] to [N, 1280]; anything else is not our featurizer."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) < 1:
        raise ValueError(f"expected 1 input and 1 output, found {len(inputs)} and {len(outputs)}")
    shape_in, shape_out = list(inputs[0].shape), list(outputs[0].shape)
    if shape_in[1:] != [IMAGE_SIZE, IMAGE_SIZE, 3] or "float" not in inputs[0].type:
        raise ValueError(f"input is {inputs[0].type} {shape_in}, not float [N, {IMAGE_SIZE}, {IMAGE_SIZE}, 3]")
    if shape_out[1:] != [FEATURE_DIM]:
        raise ValueError(f"output is {shape_out}, not [N, {FEATURE_DIM}]")


def validate(model_bytes: bytes, spec: str) -> None:
    """Driver-side check of an --weights *.onnx file, so a wrong file fails before any task."""
    try:
        check_signature(make_session(model_bytes, 1))
    except Exception as e:  # noqa: BLE001 - unreadable or wrong model: same fix
        raise UsageError(f"--weights {spec} is not a MobileNetV2 feature extractor in ONNX ({one_line(e, 200)}); "
                         "give a .h5 weights file or imagenet, or a model made by "
                         "`python jobs/convert_weights.py`") from None


# Images per session.run(). An Arrow batch (--batch-size, 64) is fed in slices of this size:
# MobileNetV2's activations grow with the batch (64 images: ~310 MB for one 112x112x96 tensor)
# while per-image speed does not, so small slices keep a worker's peak memory near the model's
# own size. Measured with one thread on the dev machine: 8 -> 235 MB peak and 4.5-4.8 CPU ms per
# image; 64 -> 869 MB and 5.8 ms.
INFERENCE_SLICE = 8


def make_predictor(model_bytes: bytes, threads: int | None, slice_size: int = INFERENCE_SLICE):
    """predict(float32 batch [N, 224, 224, 3]) -> float32 [N, 1280], like model.make_predictor."""
    import numpy as np

    session = make_session(model_bytes, threads)
    check_signature(session)
    input_name = session.get_inputs()[0].name
    output_name = session.get_outputs()[0].name

    def predict(batch):
        parts = [session.run([output_name], {input_name: batch[i:i + slice_size]})[0]
                 for i in range(0, len(batch), slice_size)]
        if not parts:
            return np.zeros((0, FEATURE_DIM), np.float32)
        out = parts[0] if len(parts) == 1 else np.concatenate(parts)
        assert out.shape == (len(batch), FEATURE_DIM), out.shape
        return out

    return predict


def save_model(model_bytes: bytes, storage, uri: str) -> None:
    """Write the ONNX model to a run folder (local or s3://) through the job's storage adapter."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fruits-featurizer-") as tmp:
        local = os.path.join(tmp, "featurizer.onnx")
        with open(local, "wb") as f:
            f.write(model_bytes)
        storage.copy_from_local(local, uri)
