"""Command line -> JobOptions, validated once here (bad usage -> UsageError, exit 2)."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field

from . import contract
from .errors import UsageError
from .layout import default_run_id, image_glob

# Defaults and ranges live in contract.json (the runner reads the same file).
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


# Every contract option is copied into the JobOptions field of its name (min-score -> min_score;
# a flag with a dest: no-train -> train), except these, which parse_args computes into a field
# (stripped, a generated run id, the glob from --extensions or --path-glob, bytes from MB).
COMPUTED_FIELDS = {"input": "input", "output": "output", "run-id": "run_id", "extensions": "path_glob",
                   "path-glob": "path_glob", "max-file-mb": "max_file_bytes"}


def field_of(name: str) -> str:
    """The JobOptions field the contract option `name` reaches."""
    return COMPUTED_FIELDS.get(name) or contract.dest(name)


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
            problem = contract.check(name, getattr(a, contract.dest(name)))
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
    given = {name: getattr(a, contract.dest(name)) for name in contract.options()}
    fields = {f.name for f in dataclasses.fields(JobOptions)}
    values: dict[str, object] = {}
    for name, spec in contract.options().items():
        if name in COMPUTED_FIELDS or field_of(name) not in fields:
            continue
        value = given[name]
        if value is None and not any(given[other] is not None for other in spec.get("exclusive_with", [])):
            value = contract.default(name)  # argparse leaves exclusive options' defaults None (contract.py)
        values[field_of(name)] = value
    values.update(input=a.input.strip(), output=a.output.strip(), run_id=run_id,  # COMPUTED_FIELDS
                  path_glob=glob, max_file_bytes=max_file_bytes)
    return JobOptions(**values)


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
