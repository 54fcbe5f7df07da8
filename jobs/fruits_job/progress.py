"""Live progress of a run, published by the driver while the job works.

Every few seconds a background thread on the driver writes <run>/progress.json (local
folder or s3://, through HadoopFiles; EMR step logs reach S3 only every ~5 minutes, so they
cannot carry progress). When FRUITS_PROGRESS_LINES=1 (set by the local and VM runners,
which stream the driver's output) the same document is also printed as one
`FRUITS_PROGRESS {json}` line on stdout.

Images are counted by two Spark accumulators the featurizer adds to once per batch
(images done, of which failed); the driver's copy grows as tasks finish. Once the
featurize stage has its exact counts (summary.json), those replace the accumulators,
which a retried task may have counted twice.

Schema (version 1): run_id, status (running|succeeded|failed|interrupted), stage, images_total,
images_done, images_failed, images_per_second, eta_s, elapsed_s, updated_at, seq.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time

from . import contract, run_files
from .errors import one_line
from .layout import is_local, join_uri
from .summary import utc_now

log = logging.getLogger("fruits_job")

PROGRESS_FILE = run_files.PROGRESS
MARKER = contract.marker("progress")
LINES_ENV = contract.marker("progress_lines_env")
INTERVAL_ENV = "FRUITS_PROGRESS_SECONDS"
SCHEMA_VERSION = 1


def default_interval(run_uri: str) -> float:
    """Seconds between publications: 2 s on a local disk, 5 s on S3 (one PUT each)."""
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    if raw:
        try:
            return max(0.2, float(raw))
        except ValueError:
            log.warning("ignoring %s=%r: not a number of seconds", INTERVAL_ENV, raw)
    return 2.0 if is_local(run_uri) else 5.0


class BatchCounter:
    """Picklable pair of accumulators the featurizer's UDF adds to once per batch."""

    def __init__(self, sc):
        self.done = sc.accumulator(0)
        self.failed = sc.accumulator(0)

    def count(self, result) -> None:
        """result: the featurizer's batch DataFrame (one row per image, `error` set on failure)."""
        self.done.add(len(result))
        self.failed.add(int(result["error"].notna().sum()))


class ProgressPublisher:
    """Builds progress snapshots and publishes them; `start()` runs it on a daemon thread."""

    def __init__(self, write, run_id: str, total: int, interval_s: float, counter=None, record=None,
                 emit_line=None, clock=time.monotonic):
        self._write = write            # text -> None (HadoopFiles.write_text bound to progress.json)
        self._emit_line = emit_line    # line -> None, or None
        self._clock = clock
        self.run_id = run_id
        self.total = int(total)
        self.interval_s = interval_s
        self.counter = counter
        self.record = record
        self.stage = "starting"
        self.status = "running"
        self._t0 = clock()
        self._featurize_t0: float | None = None
        self._featurize_t1: float | None = None
        self._seq = 0
        self._lock = threading.Lock()
        # One publication at a time, snapshot to line: the background thread and the main thread
        # (enter_stage, finish) both publish, and a preempted one must not write its older
        # snapshot over a newer one (progress.json going back in seq, lines out of order).
        self._publish_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._write_failed = False

    # --- state ---
    def enter_stage(self, name: str) -> None:
        with self._lock:
            now = self._clock()
            if name == "featurize" and self._featurize_t0 is None:
                self._featurize_t0 = now
            elif self._featurize_t0 is not None and self._featurize_t1 is None and name != "featurize":
                self._featurize_t1 = now
            self.stage = name
        self.publish()

    def _counts(self) -> tuple[int, int]:
        """(done, failed): exact from the record once featurize has counted, else accumulators."""
        counts = (self.record.doc.get("counts") if self.record is not None else None) or {}
        if counts.get("featurized") is not None and counts.get("failed") is not None:
            return int(counts["featurized"]) + int(counts["failed"]), int(counts["failed"])
        if self.counter is None:
            return 0, 0
        done, failed = int(self.counter.done.value), int(self.counter.failed.value)
        return min(done, self.total), min(failed, done, self.total)

    def snapshot(self) -> dict:
        with self._lock:
            now = self._clock()
            done, failed = self._counts()
            rate = None
            if self._featurize_t0 is not None:
                spent = (self._featurize_t1 or now) - self._featurize_t0
                if spent > 0 and done > 0:
                    rate = round(done / spent, 2)
            eta = None
            if self.status == "running" and rate and done < self.total:
                eta = round((self.total - done) / rate, 1)
            elif done >= self.total:
                eta = 0.0
            self._seq += 1
            return {"version": SCHEMA_VERSION, "run_id": self.run_id, "status": self.status, "stage": self.stage,
                    "images_total": self.total, "images_done": done, "images_failed": failed,
                    "images_per_second": rate, "eta_s": eta, "elapsed_s": round(now - self._t0, 1),
                    "updated_at": utc_now(), "seq": self._seq}

    # --- publication ---
    def publish(self) -> dict:
        with self._publish_lock:
            snap = self.snapshot()
            text = json.dumps(snap, separators=(",", ":"))
            try:
                self._write(text + "\n")
                self._write_failed = False
            except Exception as e:  # noqa: BLE001 - progress must never fail the run
                if not self._write_failed:
                    log.warning("could not write %s (%s); the run goes on without it", PROGRESS_FILE, one_line(e))
                self._write_failed = True
            if self._emit_line is not None:
                self._emit_line(f"{MARKER} {text}")
            return snap

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.publish()

    def start(self) -> "ProgressPublisher":
        self.publish()
        self._thread = threading.Thread(target=self._loop, name="fruits-progress", daemon=True)
        self._thread.start()
        return self

    def finish(self, status: str) -> dict:
        """Stop the thread and publish the final state (status: succeeded | failed | interrupted)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            if self._featurize_t0 is not None and self._featurize_t1 is None:
                self._featurize_t1 = self._clock()
            self.status = status
            self.stage = "done" if status == "succeeded" else self.stage
        return self.publish()


_active: ProgressPublisher | None = None


def _print_line(line: str) -> None:
    print(line, file=sys.stdout, flush=True)


def start(storage, run_uri: str, run_id: str, total: int, record=None, counter=None) -> ProgressPublisher:
    """Start publishing <run_uri>/progress.json; the pipeline's stages report to it."""
    global _active
    uri = join_uri(run_uri, PROGRESS_FILE)
    lines = os.environ.get(LINES_ENV) == "1"
    _active = ProgressPublisher(lambda text: storage.write_text(uri, text), run_id, total,
                                default_interval(run_uri), counter=counter, record=record,
                                emit_line=_print_line if lines else None).start()
    return _active


def enter_stage(name: str) -> None:
    """Called by pipeline.stage(); a no-op when no run is publishing (tests, list/weights)."""
    if _active is not None:
        _active.enter_stage(name)


def counter() -> BatchCounter | None:
    """The active run's batch counter (for the featurizer), if any."""
    return _active.counter if _active is not None else None


def finish(status: str) -> None:
    global _active
    if _active is not None:
        pub, _active = _active, None
        pub.finish(status)
