"""Command line -> JobConfig, validated once here (bad usage -> UsageError, exit 2)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from .errors import UsageError
from .layout import LAYOUT_SPLIT_LABEL, LAYOUTS, RUN_ID_PATTERN, default_run_id, image_glob

DEFAULT_K = 50
DEFAULT_BATCH_SIZE = 64
DEFAULT_EXTENSIONS = "jpg,jpeg,png,heic,heif"  # HEIC: iPhone photos (pillow-heif)
DEFAULT_MAX_FILE_MB = 64
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000  # ~7000x7000; PIL's own default is 89M
SPARK_BINARY_FILE_LIMIT = 2**31 - 1  # binaryFile cannot hold a file of 2 GiB or more
TEST_ONLY_RANDOM_PREFIX = "test-only-random:"


@dataclass(frozen=True)
class JobConfig:
    input: str
    output: str
    run_id: str
    k: int | None = DEFAULT_K
    variance_target: float | None = None
    weights: str = "imagenet"
    batch_size: int = DEFAULT_BATCH_SIZE
    overwrite: bool = False
    json: bool = False
    path_glob: str = field(default_factory=lambda: image_glob(DEFAULT_EXTENSIONS.split(",")))
    max_file_bytes: int = DEFAULT_MAX_FILE_MB * 1024 * 1024
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    tf_threads: int | None = None  # None: spark.task.cpus (see model.py)
    train: bool = True  # train + evaluate the classifier on the PCA features (train.py)
    engine: str = "onnx"  # featurizer engine (engines.py): onnx (default) or keras (the reference)
    layout: str = LAYOUT_SPLIT_LABEL  # how split and label are read from the path (layout.py)
    verbose: bool = False  # Spark's INFO lines on stderr


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 via UsageError
        raise UsageError(f"{message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="run_job.py",
        description="Featurize fruit photos with MobileNetV2 and reduce them with PCA.",
    )
    p.add_argument("--input", required=True, help="image root: local path, file:// or s3:// URI "
                   "(layout <root>/<Split>/<Label>/<image>)")
    p.add_argument("--output", required=True, help="results root; the run goes to <output>/<run-id>/")
    p.add_argument("--run-id", default=None,
                   help="run folder name (default run-YYYYMMDD-HHMMSS-<6 hex>, UTC; never reused)")
    k = p.add_mutually_exclusive_group()
    k.add_argument("--k", type=int, default=None, help=f"PCA components (default {DEFAULT_K})")
    k.add_argument("--variance-target", type=float, default=None,
                   help="choose the smallest k whose cumulative explained variance reaches this (0 < t <= 1)")
    p.add_argument("--weights", default="imagenet",
                   help="imagenet | /path/or/s3://.../mobilenet_v2_..._no_top.h5 | .../featurizer.onnx | "
                   "test-only-random:<seed>")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                   help="images per Arrow batch and per inference call")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    p.add_argument("--json", action="store_true",
                   help="print the summary as one JSON line on stdout before the FRUITS_RUN_SUMMARY line")
    p.add_argument("--extensions", default=DEFAULT_EXTENSIONS,
                   help="comma-separated image extensions, matched case-insensitively")
    p.add_argument("--path-glob", default=None, help="raw Hadoop glob for file names (overrides --extensions)")
    p.add_argument("--max-file-mb", type=float, default=DEFAULT_MAX_FILE_MB,
                   help="skip (and report) files larger than this")
    p.add_argument("--max-image-pixels", type=int, default=DEFAULT_MAX_IMAGE_PIXELS,
                   help="decompression-bomb guard: skip images with more pixels")
    p.add_argument("--tf-threads", type=int, default=None,
                   help="inference (ONNX Runtime or TensorFlow) intra-op threads per Python worker "
                   "(default: spark.task.cpus)")
    p.add_argument("--engine", choices=("onnx", "keras"), default="onnx",
                   help="featurizer: onnx = ONNX Runtime on the converted model, workers without TensorFlow "
                   "(default); keras = TensorFlow, the reference")
    p.add_argument("--no-train", dest="train", action="store_false",
                   help="skip the classifier stage (no models/classifier, metrics.json or accuracy)")
    p.add_argument("--layout", choices=sorted(LAYOUTS), default=LAYOUT_SPLIT_LABEL,
                   help="split-label: <root>/<Split>/<Label>/<image> (Fruits-360, default); label: "
                   "<root>/<Label>/<image>, split into Training/Test by a seeded hash (20%% Test)")
    p.add_argument("--verbose", action="store_true", help="show Spark's INFO log lines")
    return p


def parse_args(argv: list[str] | None) -> JobConfig:
    a = build_parser().parse_args(argv)
    if not a.input.strip():
        raise UsageError("--input is empty; give the image root, e.g. --input ../shared/data/fruits-360-sample")
    if not a.output.strip():
        raise UsageError("--output is empty; give a results root, e.g. --output ./output")
    run_id = a.run_id or default_run_id()
    if not RUN_ID_PATTERN.match(run_id):
        raise UsageError(f"--run-id {run_id!r} is not a plain folder name; use letters, digits, '.', '_' or '-'")
    if a.k is not None and not 1 <= a.k <= 1280:
        raise UsageError(f"--k {a.k} is out of range; MobileNetV2 gives 1280 features, use 1..1280")
    if a.variance_target is not None and not 0 < a.variance_target <= 1:
        raise UsageError(f"--variance-target {a.variance_target} must be in (0, 1], e.g. 0.95")
    if a.batch_size < 1 or a.batch_size > 4096:
        raise UsageError(f"--batch-size {a.batch_size} is out of range; use 1..4096 (64 is a good start)")
    if a.tf_threads is not None and a.tf_threads < 1:
        raise UsageError(f"--tf-threads {a.tf_threads} must be at least 1")
    max_file_bytes = int(a.max_file_mb * 1024 * 1024)
    if not 0 < max_file_bytes < SPARK_BINARY_FILE_LIMIT:
        raise UsageError(f"--max-file-mb {a.max_file_mb} must be above 0 and below 2048 "
                         "(Spark's binaryFile cannot read files of 2 GiB or more)")
    if a.max_image_pixels < 1:
        raise UsageError("--max-image-pixels must be at least 1")
    _check_weights_spec(a.weights)
    if a.engine == "keras" and a.weights.lower().endswith(".onnx"):
        raise UsageError(f"--engine keras needs Keras weights, but --weights {a.weights} is an ONNX model; "
                         "use --engine onnx, or give the .h5 weights file or imagenet")
    try:
        glob = a.path_glob or image_glob(a.extensions.split(","))
    except ValueError:
        raise UsageError(f"--extensions {a.extensions!r} names no extension; e.g. --extensions jpg,png") from None
    k = None if a.variance_target is not None else (a.k if a.k is not None else DEFAULT_K)
    return JobConfig(
        input=a.input.strip(), output=a.output.strip(), run_id=run_id, k=k,
        variance_target=a.variance_target, weights=a.weights, batch_size=a.batch_size,
        overwrite=a.overwrite, json=a.json, path_glob=glob, max_file_bytes=max_file_bytes,
        max_image_pixels=a.max_image_pixels, tf_threads=a.tf_threads, train=a.train, engine=a.engine,
        layout=a.layout, verbose=a.verbose,
    )


def _check_weights_spec(spec: str) -> None:
    if spec.startswith(TEST_ONLY_RANDOM_PREFIX):
        seed = spec[len(TEST_ONLY_RANDOM_PREFIX):]
        if not seed.isdigit():
            raise UsageError(f"--weights {spec!r}: the seed must be a whole number, e.g. test-only-random:42")
        return
    if spec == "imagenet":
        return
    if spec.startswith("random") or spec.startswith("test-only"):
        raise UsageError(f"--weights {spec!r} is not recognised; random weights are spelled "
                         "test-only-random:<seed> (features are then meaningless)")
    if not spec.lower().endswith((".h5", ".hdf5", ".onnx")):
        raise UsageError(f"--weights {spec!r} is not a Keras weights file; give a .h5/.weights.h5 file "
                         "such as mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5 "
                         "(or a converted featurizer .onnx)")
