"""main(argv) -> exit code: 0 ok, 2 bad input/usage (nothing written), 1 job failure,
130 interrupted (SIGINT, SIGTERM or SIGHUP; summary.json says "interrupted").

Results: with --json one JSON line (the summary), then always the last line
`FRUITS_RUN_SUMMARY <uri of summary.json>` once a run folder exists; both on stdout.
Progress and errors go to stderr. Note: under spark-submit, Spark's PythonRunner merges
the Python driver's stderr into spark-submit's stdout, so consumers must read the LAST
line for the marker (and the line just before it for --json), not parse all of stdout.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from . import contract
from .options import JobOptions, parse_args
from .errors import UsageError, missing_input
from .layout import is_local, local_path

SUMMARY_MARKER = contract.marker("summary")


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (main() may run several times in one process)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _setup_logging() -> None:
    logger = logging.getLogger("fruits_job")
    if not logger.handlers:
        handler = _CurrentStderrHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s fruits-job %(levelname)s %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _fail_fast_checks(config: JobOptions) -> None:
    """Local checks that need no Spark, so bad usage fails in milliseconds, not after JVM start."""
    if is_local(config.output):
        _check_output_folder(local_path(config.output))
    if is_local(config.input):
        path = local_path(config.input)
        if not os.path.exists(path):
            raise missing_input(config.input)
        if os.path.isdir(path) and not any(files for _, _, files in os.walk(path)):
            raise UsageError(f"--input {config.input} is empty; put <Split>/<Label>/<image> files there")


def _check_output_folder(path: str) -> None:
    """--output must be a folder we can create or write in: name the problem in one line."""
    probe = os.path.abspath(path)
    while not os.path.lexists(probe) and probe != os.path.dirname(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise UsageError(f"--output {path} cannot be created: {probe} is not a folder; "
                         "choose another --output")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"--output {path} cannot be written: no write permission on {probe}; "
                         "choose a folder you can write to")


def create_session(verbose: bool = False):
    from pyspark.sql import SparkSession

    _quiet_spark_startup(verbose)
    spark = SparkSession.builder.appName("fruits-featurize").getOrCreate()
    # Spark's INFO chatter would drown the job's own stage lines on stderr.
    spark.sparkContext.setLogLevel("INFO" if verbose else os.environ.get("FRUITS_SPARK_LOG_LEVEL", "WARN"))
    return spark


def _quiet_spark_startup(verbose: bool) -> None:
    """Spark logs ~40 INFO lines while the SparkContext starts, before setLogLevel can run.
    Under spark-submit the JVM is already up: set log4j's root level through its gateway
    first. Best effort (a plain `python` start has no JVM yet, and then nothing is lost)."""
    if verbose:
        return
    try:
        from pyspark import SparkContext

        SparkContext._ensure_initialized()
        log4j = SparkContext._jvm.org.apache.logging.log4j
        log4j.core.config.Configurator.setRootLevel(log4j.Level.WARN)
    except Exception:  # noqa: BLE001 - only cosmetics are at stake
        pass


def _error(message: str) -> None:
    print(f"fruits-job: error: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None, spark=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ banner lines
    _setup_logging()
    try:
        config = parse_args(argv)
        _fail_fast_checks(config)
    except UsageError as e:
        _error(str(e))
        return e.exit_code
    from . import interrupts
    from .pipeline import RunFailed, RunInterrupted, run

    own_session = spark is None
    previous = interrupts.install()  # a signal during Spark's start-up stops at once
    try:
        if own_session:
            spark = create_session(config.verbose)
        interrupts.install(spark)
        summary_uri, summary = run(config, spark)
    except UsageError as e:
        _error(str(e))
        return e.exit_code
    except RunInterrupted as e:
        print(f"fruits-job: {e}; summary: {e.summary_uri} (status interrupted)", file=sys.stderr, flush=True)
        _print_result(config, e.summary_uri, e.summary)
        return e.exit_code
    except RunFailed as e:
        _error(f"run failed: {e} (summary: {e.summary_uri})")
        _print_result(config, e.summary_uri, e.summary)
        return e.exit_code
    except KeyboardInterrupt:  # before the run folder was claimed: nothing to record
        print(f"fruits-job: interrupted by {interrupts.requested() or 'SIGINT'} before the run folder was "
              "claimed; nothing was written", file=sys.stderr, flush=True)
        return interrupts.EXIT_CODE
    finally:
        interrupts.restore(previous)
        if own_session and spark is not None:
            try:
                spark.stop()
            except Exception:  # noqa: BLE001 - the JVM may be gone after SIGTERM/SIGHUP
                pass
    _print_result(config, summary_uri, summary)
    return 0


def _print_result(config: JobOptions, summary_uri: str, summary: dict) -> None:
    if config.json:
        print(json.dumps(summary, separators=(",", ":")), flush=True)
    print(f"{SUMMARY_MARKER} {summary_uri}", flush=True)
