"""A stop signal is recorded in summary.json at once, without the main thread's help.

Under spark-submit the JVM exits about a second after a signal to the process group, while
the driver's main thread may still be waiting in a Py4J call: the record must not wait for
that call to unwind. No Spark here: a fake session and a local summary file.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from fruits_job import interrupts
from fruits_job.options import parse_args
from fruits_job.summary import RunRecord


class FakeSpark:
    class sparkContext:  # noqa: N801 - mirrors SparkSession.sparkContext
        cancelled = 0

        @staticmethod
        def setLogLevel(level):  # noqa: N802 - Spark's name
            pass

        @classmethod
        def cancelAllJobs(cls):  # noqa: N802 - Spark's name
            cls.cancelled += 1


class LocalFiles:
    """HadoopFiles.write_text's local behaviour (temp file + rename); `during_write` runs
    between serializing and the rename, where a signal can land in the real job."""

    def __init__(self):
        self.during_write = None

    def write_text(self, uri: str, text: str) -> None:
        tmp = f"{uri}.tmp-{os.getpid()}-{time.monotonic_ns()}"
        Path(tmp).write_text(text)
        if self.during_write is not None:
            hook, self.during_write = self.during_write, None
            hook()
        os.replace(tmp, uri)


def make_record(tmp_path: Path, storage) -> RunRecord:
    config = parse_args(["--input", str(tmp_path), "--output", str(tmp_path / "out"), "--run-id", "r1"])
    run_dir = tmp_path / "out" / "r1"
    run_dir.mkdir(parents=True)
    record = RunRecord(storage, str(run_dir / "summary.json"), config, str(run_dir))
    record.stage = "featurize"
    record.write()  # the claimed, running summary
    return record


def read_status(record: RunRecord) -> dict:
    return json.loads(Path(record.uri).read_text())


def wait_until_not_running(record: RunRecord, seconds: float) -> dict:
    """Sleeps in short steps: the main thread stays busy and never records anything itself."""
    deadline = time.monotonic() + seconds
    doc = read_status(record)
    while doc["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
        doc = read_status(record)
    return doc


@pytest.fixture
def installed():
    previous = interrupts.install(FakeSpark())
    yield
    interrupts.restore(previous)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_writes_interrupted_while_the_main_thread_is_still_busy(tmp_path, installed, sig):
    record = make_record(tmp_path, LocalFiles())
    interrupts.record_with(record)
    os.kill(os.getpid(), getattr(signal, sig))
    doc = wait_until_not_running(record, 10)
    assert doc["status"] == "interrupted", doc
    assert doc["interrupted"] == {"signal": sig, "stage": "featurize"}
    assert doc["error"] == f"interrupted by {sig} during featurize"


def test_a_signal_during_a_summary_write_is_not_overwritten_by_that_write(tmp_path, installed):
    storage = LocalFiles()
    record = make_record(tmp_path, storage)
    interrupts.record_with(record)
    # The main thread is between serializing "running" and renaming it into place when the
    # signal lands: its stale text must not replace the interrupted record.
    storage.during_write = lambda: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(0.3))
    record.timed("featurize", 1.0)
    record.write()
    wait_until_not_running(record, 10)
    time.sleep(0.3)  # nothing writes after the interrupted record
    doc = read_status(record)
    assert doc["status"] == "interrupted" and doc["interrupted"]["signal"] == "SIGTERM", doc


def test_a_signal_between_the_claim_and_record_with_is_recorded_by_record_with(tmp_path, installed):
    record = make_record(tmp_path, LocalFiles())
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
    assert read_status(record)["status"] == "running"  # not registered yet: nothing written
    interrupts.record_with(record)
    assert read_status(record)["status"] == "interrupted"


def test_the_first_final_status_stays(tmp_path, installed):
    record = make_record(tmp_path, LocalFiles())
    interrupts.record_with(record)
    os.kill(os.getpid(), signal.SIGTERM)
    assert wait_until_not_running(record, 10)["status"] == "interrupted"
    with pytest.raises(interrupts.Interrupted):  # the pipeline then takes its interrupted path
        record.succeed()
    assert read_status(record)["status"] == "interrupted"


def test_a_run_that_already_succeeded_is_not_marked_interrupted(tmp_path, installed):
    record = make_record(tmp_path, LocalFiles())
    interrupts.record_with(record)
    record.succeed()
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)
    assert read_status(record)["status"] == "succeeded"



def test_a_signal_before_the_first_stage_names_the_stage_starting(tmp_path, installed):
    config = parse_args(["--input", str(tmp_path), "--output", str(tmp_path / "out"), "--run-id", "r2"])
    run_dir = tmp_path / "out" / "r2"
    run_dir.mkdir(parents=True)
    record = RunRecord(LocalFiles(), str(run_dir / "summary.json"), config, str(run_dir))
    record.write()
    interrupts.record_with(record)
    os.kill(os.getpid(), signal.SIGTERM)
    doc = wait_until_not_running(record, 10)
    assert doc["interrupted"] == {"signal": "SIGTERM", "stage": "starting"}
    assert doc["error"] == "interrupted by SIGTERM during starting"
