"""Entry point: python jobs/convert_weights.py --weights imagenet|<file.h5> --output featurizer.onnx

Converts MobileNetV2 Keras weights to the job's ONNX featurizer ahead of a run (needs the
full requirements.txt: TensorFlow + tf2onnx), so the run can use --weights featurizer.onnx
on a driver without TensorFlow.
"""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from fruits_job.featurizer.convert_cli import main

    sys.exit(main(sys.argv[1:]))
