"""SIGINT, SIGTERM and SIGHUP stop the run cleanly: Spark's jobs are cancelled, the stage
reached is recorded as status "interrupted", and the console gets one line (exit 130).

The handler only sets a flag and starts one thread: raising inside the handler would
tear a Py4J call apart mid-message and flood the console with Python and Java tracebacks.
The cancelled Spark job makes the pending call return with an error, and the pipeline
then sees `requested()` and records the interruption instead of a failure. A second
signal raises at once (the user insists). Stages also check the flag on entry.

Recording comes first, on that thread, before anything slow: a signal to spark-submit's
process group reaches Spark's JVM too, which exits after its shutdown hooks (about a
second) and takes the Py4J gateway with it, while the driver's main thread may still be
inside a Py4J call. So once a run folder is claimed (`record_with`), the thread writes the
"interrupted" summary at once (atomically, a local write takes milliseconds), then cancels
Spark's jobs. It is a thread and not the handler itself because the handler may have
interrupted the main thread in the middle of a summary write; the record's lock orders the
two writes so the interrupted one lands last.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from . import contract

log = logging.getLogger("fruits_job")

SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
EXIT_CODE = contract.exit_code("interrupted")


class Interrupted(KeyboardInterrupt):
    """Raised at a stage boundary (or on a second signal) once a stop signal arrived."""

    def __init__(self, signal_name: str):
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name


_state: dict = {"signal": None, "spark": None, "record": None}


def requested() -> str | None:
    """The name of the stop signal received, or None."""
    return _state["signal"]


def check() -> None:
    if _state["signal"] is not None:
        raise Interrupted(_state["signal"])


def _handler(signum, _frame) -> None:
    name = signal.Signals(signum).name
    if _state["signal"] is not None:
        raise Interrupted(_state["signal"])  # second signal: stop now
    _state["signal"] = name
    spark = _state["spark"]
    if spark is None:
        raise Interrupted(name)  # no Spark call to unwind: stop at once
    # Record, then cancel now and keep cancelling: a job the driver starts after this instant
    # (the signal may land between two Spark calls) must not run to its end either.
    threading.Thread(target=_record_then_cancel, args=(spark, _state["record"], name),
                     name="fruits-interrupt", daemon=True).start()


def _record_then_cancel(spark, record, name: str) -> None:
    if record is not None:
        _record(record, name)
    _keep_cancelling(spark)


def _record(record, name: str) -> None:
    try:
        record.stopped_by(name)
    except Exception as e:  # noqa: BLE001 - the pipeline's own except path records it again
        log.warning("could not record the interruption yet: %s", e)


def _keep_cancelling(spark) -> None:
    try:
        spark.sparkContext.setLogLevel("ERROR")  # the cancelled tasks' WARN lines are noise now
    except Exception:  # noqa: BLE001
        pass
    while _state["signal"] is not None and _state["spark"] is spark:
        try:
            spark.sparkContext.cancelAllJobs()
        except Exception:  # noqa: BLE001 - the JVM may already be going down (SIGTERM to the group)
            return
        time.sleep(0.2)


def install(spark=None) -> dict:
    """Route the stop signals to the handler (main thread only); returns the previous handlers."""
    _state["signal"], _state["spark"], _state["record"] = None, spark, None
    previous: dict = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, _handler)
    return previous


def record_with(record) -> None:
    """From now on a stop signal writes `record` as interrupted at once (record.stopped_by);
    call it once the run folder is claimed (before that, nothing may be written)."""
    _state["record"] = record
    if _state["signal"] is not None:  # the signal landed between the claim and this call
        _record(record, _state["signal"])


def restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    _state["spark"] = _state["record"] = None  # ends the cancelling thread
