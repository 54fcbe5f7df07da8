"""Entry point: spark-submit [conf] [--py-files fruits_job.zip] jobs/run_job.py --input ... --output ...

Works the same in local mode, on a standalone Spark and on EMR. Without --py-files the
package next to this file is used on the driver and shipped to executors by the job.
"""

import os
import sys

if __name__ == "__main__":
    try:
        import fruits_job  # noqa: F401 - from --py-files
    except ImportError:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fruits_job.cli import main

    sys.exit(main(sys.argv[1:]))
