"""SIGINT, SIGTERM and SIGHUP stop the run cleanly: Spark's jobs are cancelled, the stage
reached is recorded as status "interrupted", and the console gets one line (exit 130).

The handler only sets a flag and cancels Spark's jobs: raising inside the handler would
tear a Py4J call apart mid-message and flood the console with Python and Java tracebacks.
The cancelled Spark job makes the pending call return with an error, and the pipeline
then sees `requested()` and records the interruption instead of a failure. A second
signal raises at once (the user insists). Stages also check the flag on entry.
"""

from __future__ import annotations

import signal
import threading
import time

from . import contract

SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
EXIT_CODE = contract.exit_code("interrupted")


class Interrupted(KeyboardInterrupt):
    """Raised at a stage boundary (or on a second signal) once a stop signal arrived."""

    def __init__(self, signal_name: str):
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name


_state: dict = {"signal": None, "spark": None}


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
    # Cancel now and keep cancelling: a job the driver starts after this instant (the signal
    # may land between two Spark calls) must not run to its end either.
    threading.Thread(target=_keep_cancelling, args=(spark,), name="fruits-interrupt", daemon=True).start()


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
    _state["signal"], _state["spark"] = None, spark
    previous: dict = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, _handler)
    return previous


def restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    _state["spark"] = None  # ends the cancelling thread
