"""The job as a list of stages, and the loop that runs them (STAGES below; stages/ has one module each).

check -> list -> load_weights -> prepare_model -> claim run folder -> featurize -> PCA -> write
-> train -> report. Each stage takes the RunContext (stages/context.py) and returns its summary
section, which the loop merges into summary.json; a new stage is one module in stages/ and one
entry in STAGES.

Everything before the run folder is claimed raises UsageError (exit 2, nothing written).
After that, any error marks summary.json "failed" and raises RunFailed (exit 1); a stop signal
marks it "interrupted" and raises RunInterrupted (exit 130). "succeeded" is written only after
the Parquet data, the PCA model, the classifier and the report are complete.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from . import interrupts, progress, run_files
from .errors import JobFailure, one_line
from .hadoop_files import HadoopFiles
from .layout import join_uri
from .options import JobOptions
from .report_stage import write_failed_report
from .stages import check, claim, featurize, list_input, load_weights, pca_fit, report, train, write
from .stages.context import RunContext
from .summary import RunRecord, utc_now

log = logging.getLogger("fruits_job")


@dataclass(frozen=True)
class Stage:
    name: str  # in timings_s, progress.json and the log; "interrupted during <name>"
    run: Callable[[RunContext], dict | None]  # returns its summary section, or None
    timed: bool = True  # False: a step of the stage before it (no timing, no progress entry)
    # A section instead of running (the stage does not apply to this run), or None: run it.
    skipped: Callable[[RunContext], dict | None] | None = None


STAGES: list[Stage] = [
    Stage("check", check.run, timed=False),
    Stage("list", list_input.run),
    Stage("load_weights", load_weights.load),  # onnx + a weights file converted before: no TensorFlow
    Stage("prepare_model", load_weights.prepare),  # onnx: convert once, cached by the weights' hash
    Stage("claim", claim.run, timed=False),  # from here on a failure is recorded in summary.json
    Stage("featurize", featurize.run),
    Stage("tally", featurize.tally, timed=False),
    Stage("pca_rows", pca_fit.rows, timed=False),
    Stage("pca_fit", pca_fit.run),
    Stage("write", write.run),
    Stage("train", train.run, skipped=train.skipped),
    Stage("report", report.run),
]


class RunFailed(JobFailure):
    def __init__(self, message: str, summary_uri: str, summary: dict):
        super().__init__(message)
        self.summary_uri = summary_uri
        self.summary = summary


class RunInterrupted(RunFailed):
    """A stop signal ended the run; summary.json says "interrupted" (exit 130)."""

    exit_code = interrupts.EXIT_CODE


@contextmanager
def stage(record: RunRecord | None, name: str, timings: dict | None = None):
    interrupts.check()
    if record is not None:
        record.stage = name  # what an interruption or failure reports as the stage reached
    log.info("%s ...", name)
    progress.enter_stage(name)
    t0 = time.monotonic()
    yield
    interrupts.check()
    seconds = time.monotonic() - t0
    log.info("%s done in %.1fs", name, seconds)
    if record is not None:
        record.timed(name, seconds)
    if timings is not None:
        timings[name] = seconds


def configure_session(spark, config: JobOptions) -> None:
    """Runtime SQL settings this job relies on (set per run, so a shared session works)."""
    # One Arrow batch == one TensorFlow call; bounds worker memory to batch_size images.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(config.batch_size))
    # A file that vanishes or cannot be read is skipped by Spark instead of failing the
    # task; we find such files afterwards (listed but not in the results) and report them.
    spark.conf.set("spark.sql.files.ignoreMissingFiles", "true")
    spark.conf.set("spark.sql.files.ignoreCorruptFiles", "true")
    # Task size: Spark's 4 MB default open cost per file assumes big files and makes a task
    # of ~32 photos; each task then pays Python/Arrow set-up and yields half-full batches.
    # A small open cost packs more photos per task, and 4 tasks per core keep the cores
    # evenly busy to the end. Measured on 2240 sample photos: featurize 53 s -> 35-38 s.
    spark.conf.set("spark.sql.files.openCostInBytes", str(256 * 1024))
    spark.conf.set("spark.sql.files.minPartitionNum", str(4 * spark.sparkContext.defaultParallelism))


def run_stage(ctx: RunContext, s: Stage) -> None:
    """Run one stage (timed, unless a step) and merge its section; once the run folder is
    claimed, summary.json is rewritten after each stage, so it shows how far the run got."""
    section = s.skipped(ctx) if s.skipped is not None else None
    if section is None:
        if s.timed:  # before the claim the record is not the run's yet: the claim copies the timings
            with stage(ctx.record if ctx.claimed else None, s.name, ctx.timings):
                section = s.run(ctx)
        else:
            interrupts.check()
            section = s.run(ctx)
    if section:
        ctx.record.merge(section)


def run(config: JobOptions, spark) -> tuple[str, dict]:
    """Run the job; returns (summary uri, summary). Raises UsageError or RunFailed."""
    started_monotonic, started_at = time.monotonic(), utc_now()  # timings_s.total covers the whole run
    files = HadoopFiles(spark)
    configure_session(spark, config)
    run_uri = join_uri(config.output, config.run_id)
    summary_uri = join_uri(run_uri, run_files.SUMMARY)
    record = RunRecord(files, summary_uri, config, run_uri, started_monotonic, started_at)
    ctx = RunContext(options=config, spark=spark, files=files, record=record, run_uri=run_uri)
    remaining = iter(STAGES)
    for s in remaining:  # --- checks, listing and weights: a UsageError here writes nothing (exit 2) ---
        run_stage(ctx, s)
        if ctx.claimed:
            break
    if not ctx.claimed:
        raise RuntimeError("STAGES never claimed the run folder")  # a list without the claim stage
    # status "running" is written: a crash leaves a run that does not look complete
    interrupts.record_with(record)  # a stop signal now writes "interrupted" at once (interrupts.py)
    try:
        progress.start(files, run_uri, config.run_id, ctx.total_files, record,
                       progress.BatchCounter(spark.sparkContext))
        for s in remaining:
            run_stage(ctx, s)
            record.write()
        interrupts.check()
        record.succeed()
        progress.finish("succeeded")
    except BaseException as e:
        signal_name = interrupts.requested()
        if signal_name is not None:
            log.error("run interrupted by %s during %s", signal_name, record.stage)
        else:
            log.error("run failed: %s", one_line(e))
        try:
            if signal_name is not None:
                record.interrupted(signal_name)
            else:
                record.fail(e)
        except Exception as write_error:  # noqa: BLE001 - report both, keep the cause
            log.error("could not write the failed summary to %s: %s", summary_uri, one_line(write_error))
        write_failed_report(files, record, run_uri)
        progress.finish("interrupted" if signal_name is not None else "failed")
        if signal_name is not None:
            raise RunInterrupted(f"interrupted by {signal_name} during {record.stage}",
                                 summary_uri, record.doc) from None
        if isinstance(e, Exception):
            raise RunFailed(one_line(e), summary_uri, record.doc) from e
        raise
    finally:
        ctx.release()  # after a failure: the cached features and broadcast weights (write releases them)
    if ctx.banner:
        log.warning(ctx.banner)
    return summary_uri, record.doc
