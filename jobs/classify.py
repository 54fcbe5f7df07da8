"""Entry point: python jobs/classify.py <photo> --run <run folder> [--json]

Predicts the fruit in one photo with the models a finished job run saved (no Spark needed).
"""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from fruits_job.classify import main

    sys.exit(main(sys.argv[1:]))
