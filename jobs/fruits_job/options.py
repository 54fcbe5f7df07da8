"""Command line -> JobOptions, validated once here (bad usage -> UsageError, exit 2)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from . import contract
from .errors import UsageError
from .layout import default_run_id, image_glob

# Defaults and ranges live in contract.json (the runner reads the same file).
DEFAULT_K = contract.option("k")["default"]
DEFAULT_BATCH_SIZE = contract.option("batch-size")["default"]
DEFAULT_EXTENSIONS = contract.option("extensions")["default"]  # HEIC: iPhone photos (pillow-heif)
DEFAULT_MAX_FILE_MB = contract.option("max-file-mb")["default"]
DEFAULT_MAX_IMAGE_PIXELS = contract.option("max-image-pixels")["default"]  # ~7000x7000; PIL's own default is 89M
SPARK_BINARY_FILE_LIMIT = 2**31 - 1  # binaryFile cannot hold a file of 2 GiB or more
TEST_ONLY_RANDOM_PREFIX = "test-only-random:"


_default = contract.default  # every default below is the contract's (the runner reads the same file)


@dataclass(frozen=True)
class JobOptions:
    input: str
    output: str
    run_id: str
    k: int | None = _default("k")
    variance_target: float | None = _default("variance-target")
    weights: str = _default("weights")
    batch_size: int = _default("batch-size")
    overwrite: bool = _default("overwrite")
    json: bool = _default("json")
    path_glob: str = field(default_factory=lambda: image_glob(DEFAULT_EXTENSIONS.split(",")))
    max_file_bytes: int = DEFAULT_MAX_FILE_MB * 1024 * 1024
    max_image_pixels: int = _default("max-image-pixels")
    tf_threads: int | None = _default("tf-threads")  # None: spark.task.cpus (see model.py)
    train: bool = _default("no-train")  # train + evaluate the classifier on the PCA features (train.py)
    engine: str = _default("engine")  # featurizer engine (engines.py): onnx (default) or keras (the reference)
    layout: str = _default("layout")  # how split and label are read from the path (layout.py)
    verbose: bool = _default("verbose")  # Spark's INFO lines on stderr


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 via UsageError
        raise UsageError(f"{message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    """Every option, type, default, choice and help text comes from contract.json."""
    p = _Parser(
        prog="run_job.py",
        description="Featurize fruit photos with MobileNetV2 and reduce them with PCA.",
        allow_abbrev=False,  # the runner checks job options by their full names (contract.json)
    )
    contract.add_arguments(p)
    return p


def parse_args(argv: list[str] | None) -> JobOptions:
    a = build_parser().parse_args(argv)
    if not a.input.strip():
        raise UsageError("--input is empty; give the image root, e.g. --input ../shared/data/fruits-360-sample")
    if not a.output.strip():
        raise UsageError("--output is empty; give a results root, e.g. --output ./output")
    run_id = a.run_id or default_run_id()
    if not contract.matches(contract.option("run-id"), run_id):
        raise UsageError(f"--run-id {run_id!r} is not a plain folder name; use letters, digits, '.', '_' or '-'")
    for name, spec in contract.options().items():  # ranges (the runner checks the same)
        if spec["type"] in ("integer", "number"):
            problem = contract.check(name, getattr(a, name.replace("-", "_")))
            if problem:
                raise UsageError(problem)
    max_file_bytes = min(max(1, int(a.max_file_mb * 1024 * 1024)), SPARK_BINARY_FILE_LIMIT)
    _check_weights_spec(a.weights)
    if a.engine == "keras" and a.weights.lower().endswith(".onnx"):
        raise UsageError(f"--engine keras needs Keras weights, but --weights {a.weights} is an ONNX model; "
                         "use --engine onnx, or give the .h5 weights file or imagenet")
    try:
        glob = a.path_glob or image_glob(a.extensions.split(","))
    except ValueError:
        raise UsageError(f"--extensions {a.extensions!r} names no extension; e.g. --extensions jpg,png") from None
    k = None if a.variance_target is not None else (a.k if a.k is not None else DEFAULT_K)
    return JobOptions(
        input=a.input.strip(), output=a.output.strip(), run_id=run_id, k=k,
        variance_target=a.variance_target, weights=a.weights, batch_size=a.batch_size,
        overwrite=a.overwrite, json=a.json, path_glob=glob, max_file_bytes=max_file_bytes,
        max_image_pixels=a.max_image_pixels, tf_threads=a.tf_threads, train=a.train, engine=a.engine,
        layout=a.layout, verbose=a.verbose,
    )


def _check_weights_spec(spec: str) -> None:
    """The contract's pattern decides; the rest only words the refusal for the form meant."""
    if contract.matches(contract.option("weights"), spec):
        return
    if spec.startswith(TEST_ONLY_RANDOM_PREFIX):
        raise UsageError(f"--weights {spec!r}: the seed must be a whole number, e.g. test-only-random:42")
    if spec.startswith("random") or spec.startswith("test-only"):
        raise UsageError(f"--weights {spec!r} is not recognised; random weights are spelled "
                         "test-only-random:<seed> (features are then meaningless)")
    raise UsageError(f"--weights {spec!r} is not a Keras weights file; give a .h5/.weights.h5 file "
                     "such as mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5 "
                     "(or a converted featurizer .onnx)")
