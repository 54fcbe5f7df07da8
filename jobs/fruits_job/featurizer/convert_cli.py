"""python jobs/convert_weights.py: Keras weights -> the job's ONNX featurizer file, ahead of a run.

Apart from convert.py because it loads the weights (weights.py), and weights.py converts
through convert.py: the command sits on top of both, so neither imports the other back.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from ..errors import UsageError, one_line
from .weights import for_engine, is_onnx, load_weights


def main(argv: list[str] | None = None) -> int:
    """python jobs/convert_weights.py --weights SPEC --output featurizer.onnx [--overwrite]

    Converts ahead of a run, on any machine with the full requirements.txt, so the run's
    driver needs no TensorFlow either (--weights featurizer.onnx)."""
    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:
            raise UsageError(f"{message} (see --help)")

    p = _Parser(prog="convert_weights.py", description="Convert MobileNetV2 Keras weights to the job's ONNX featurizer.")
    p.add_argument("--weights", default="imagenet", help="imagenet | /path/to/mobilenet_v2_..._no_top.h5")
    p.add_argument("--output", required=True, help="the .onnx file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s convert %(message)s", datefmt="%H:%M:%S")
    try:
        a = p.parse_args(argv)
        if is_onnx(a.weights):
            raise UsageError(f"--weights {a.weights} is already an ONNX model; give Keras weights (.h5) or imagenet")
        if not a.output.lower().endswith(".onnx"):
            raise UsageError(f"--output {a.output} must end in .onnx (the job recognises ONNX models by it)")
        if os.path.exists(a.output) and not a.overwrite:
            raise UsageError(f"--output {a.output} already exists; pass --overwrite to replace it")
        weights = for_engine(load_weights(a.weights), "onnx")
        tmp = f"{a.output}.part"
        with open(tmp, "wb") as f:
            f.write(weights.onnx)
        os.replace(tmp, a.output)
    except UsageError as e:
        print(f"convert: error: {e}", file=sys.stderr, flush=True)
        return e.exit_code
    except OSError as e:
        print(f"convert: error: cannot write {a.output} ({one_line(e, 300)})", file=sys.stderr, flush=True)
        return 1
    print(f"{a.output} sha256={weights.onnx_sha256}", flush=True)
    return 0
