"""The run's summary.json: what ran, on what, with which result. Written through HadoopFiles."""

from __future__ import annotations

import json
import platform
import sys
import threading
import time
import traceback
from datetime import datetime, timezone

from . import contract, run_files
from .errors import one_line

MAX_LISTED_FAILURES = 1000  # counts stay exact; the list is capped to keep the JSON small


def versions(spark) -> dict:
    import numpy
    import pandas
    import PIL
    import pyarrow
    import pyspark

    out = {"python": platform.python_version(), "spark": spark.version, "pyspark": pyspark.__version__,
           "numpy": numpy.__version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__,
           "pillow": PIL.__version__}
    # TensorFlow only when this run loaded it (Keras weights or --engine keras): importing it
    # just to print a version costs seconds and needs it installed on the driver.
    for name in ("tensorflow", "keras"):
        if name in sys.modules:
            out[name] = sys.modules[name].__version__
    try:
        from importlib.metadata import version

        out["onnxruntime"] = version("onnxruntime")
    except Exception:  # noqa: BLE001 - not installed: nothing to record
        pass
    return out


def failures_section(failures: list[dict], total: int) -> dict:
    """failures, capped at MAX_LISTED_FAILURES; failures_truncated when `total` is more than listed."""
    listed = failures[:MAX_LISTED_FAILURES]
    section: dict = {"failures": listed}
    if total > len(listed):
        section["failures_truncated"] = {"listed": len(listed), "total": total}
    return section


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RunRecord:
    """Mutable summary of one run; `write()` persists it (status last, after the data).

    Writes are serialized by a lock: the interrupt thread (interrupts.py) writes the
    interrupted status while the main thread may be writing, and must land last."""

    def __init__(self, storage, summary_uri: str, config, run_uri: str,
                 started_monotonic: float | None = None, started_at: str | None = None):
        """started_*: when run() began; the record is made later (after list and weights),
        and timings_s.total must cover those stages too."""
        self._storage = storage
        self._lock = threading.RLock()
        self.uri = summary_uri
        # The stage running now (pipeline.stage sets it); "starting" (as in progress.json) until
        # the first one, so a signal right after the claim is not reported "during None".
        self.stage: str = "starting"
        self._t0 = time.monotonic() if started_monotonic is None else started_monotonic
        self.doc: dict = {
            "status": "running",
            "run_id": config.run_id,
            "input": config.input,
            "output": config.output,  # the --output root as given
            "run_uri": run_uri,       # <output>/<run-id>: everything of this run is in here
            "features_uri": f"{run_uri}/{run_files.FEATURES}",
            "pca_model_uri": f"{run_uri}/{run_files.PCA_MODEL}",
            "started_at": started_at or utc_now(),
            "weights": config.weights,
            # the fields the contract lists (summary.fields.options.fields), in its order
            "options": {name: getattr(config, name) for name in contract.summary_options()},
            "counts": {"total_files": None, "featurized": None, "failed": None,
                       "per_label": {}, "per_split": {}},
            "pca": None,
            "failures": [],
            "warnings": [],
            "timings_s": {},
            "versions": {},
        }

    def timed(self, stage: str, seconds: float) -> None:
        self.doc["timings_s"][stage] = round(seconds, 3)

    def warn(self, message: str) -> None:
        self.doc["warnings"].append(message)

    def merge(self, section: dict) -> None:
        """A stage's summary section: an object field is updated key by key, a list (warnings,
        failures) grows, anything else is set."""
        with self._lock:
            for key, value in section.items():
                current = self.doc.get(key)
                if isinstance(current, dict) and isinstance(value, dict):
                    current.update(value)
                elif isinstance(current, list) and isinstance(value, list):
                    current.extend(value)
                else:
                    self.doc[key] = value

    def elapsed(self) -> float:
        return round(time.monotonic() - self._t0, 3)

    def text(self) -> str:
        """The document as written, with the total time and update stamp refreshed."""
        self.doc["timings_s"]["total"] = self.elapsed()
        self.doc["updated_at"] = utc_now()
        return json.dumps(self.doc, indent=2, sort_keys=False) + "\n"

    def write(self) -> None:
        with self._lock:
            self._storage.write_text(self.uri, self.text())

    def interrupted(self, signal_name: str) -> None:
        """A stop signal (SIGINT/SIGTERM/SIGHUP) ended the run at `self.stage`."""
        with self._lock:
            self.doc["status"] = "interrupted"
            self.doc["interrupted"] = {"signal": signal_name, "stage": self.stage}
            self.doc["error"] = f"interrupted by {signal_name} during {self.stage}"
            self.doc["finished_at"] = utc_now()
            self.write()

    def stopped_by(self, signal_name: str) -> None:
        """The interrupt thread's record, written the moment the signal arrives: "interrupted"
        unless the run already ended (the first final status written stays)."""
        with self._lock:
            if self.doc["status"] == "running":
                self.interrupted(signal_name)

    def succeed(self) -> None:
        with self._lock:
            if self.doc["status"] == "interrupted":  # the signal won the race: the run stops
                from .interrupts import Interrupted

                raise Interrupted(self.doc["interrupted"]["signal"])
            self.doc["status"] = "succeeded"
            self.doc["finished_at"] = utc_now()
            self.write()

    def fail(self, error: BaseException) -> None:
        with self._lock:
            self.doc["status"] = "failed"
            self.doc["error"] = one_line(error)
            self.doc["error_type"] = type(error).__name__
            self.doc["traceback_tail"] = [t[-2000:] for t in traceback.format_exception(error)[-3:]]
            self.doc["finished_at"] = utc_now()
            self.write()
