"""The report stage: gather what the report plots that summary.json does not hold (read
back from the run's Parquet), render report.html (report.py) and write it into the run.

- the full explained-variance spectrum (every component, not only the k kept), so the
  curve shows where the chosen k sits: the eigenvalues of the covariance of every image's
  raw features (pca.aggregate_moments on the executors, numpy's eigvalsh on the driver:
  one pass over the data, exact)
- the first two PCA scores of (at most MAX_POINTS, seeded sample of) the images
"""

from __future__ import annotations

import logging

from . import FEATURE_DIM, run_files
from .errors import one_line
from .layout import join_uri
from .report import render

log = logging.getLogger("fruits_job")

MAX_POINTS = 2000
SAMPLE_SEED = 5


def gather(spark, run_uri: str) -> dict:
    import numpy as np
    from pyspark.sql import functions as F

    from .pca import aggregate_moments

    df = spark.read.parquet(join_uri(run_uri, run_files.FEATURES))
    n = df.count()
    data: dict = {"images": n, "spectrum_cumulative": None, "points": [], "points_total": n}
    if n < 2:
        return data
    limit = max(1, min(FEATURE_DIM, n - 1))
    values = np.clip(np.linalg.eigvalsh(aggregate_moments(df).covariance)[::-1][:limit], 0.0, None)
    total_variance = float(values.sum())
    if total_variance > 0:
        data["spectrum_cumulative"] = [float(v) for v in np.cumsum(values) / total_variance]

    second = F.when(F.size("pca_features") > 1, F.col("pca_features")[1]).otherwise(F.lit(0.0))
    points = df.select("label", "split", F.col("pca_features")[0].alias("x"), second.alias("y"))
    if n > MAX_POINTS:
        points = points.sample(False, min(1.0, 1.5 * MAX_POINTS / n), SAMPLE_SEED).limit(MAX_POINTS)
    data["points"] = [(float(r["x"]), float(r["y"]), r["label"], r["split"])
                      for r in points.orderBy("label", "split", "x").collect()]
    return data


def write_report(spark, storage, record, run_uri: str, metrics: dict | None) -> str:
    """Render the complete run. Called just before "succeeded" is written, so the page
    shows the status the run is about to get (a later failure rewrites it as failed)."""
    import time

    uri = join_uri(run_uri, run_files.REPORT)
    record.doc["report_uri"] = uri
    t0 = time.monotonic()
    data = gather(spark, run_uri)
    from .summary import utc_now

    view = {**record.doc, "status": "succeeded", "finished_at": utc_now()}
    # The page's timings include this stage (its Spark work; rendering is milliseconds).
    view["timings_s"] = {**record.doc["timings_s"], "report": round(time.monotonic() - t0, 3),
                         "total": record.elapsed()}
    storage.write_text(uri, render(view, metrics, data))
    log.info("report: %s", uri)
    return uri


def write_failed_report(storage, record, run_uri: str) -> None:
    """Best effort after a failure: the summary alone, so the page never shows stale success."""
    uri = join_uri(run_uri, run_files.REPORT)
    try:
        storage.write_text(uri, render(record.doc, None, None))
    except Exception as e:  # noqa: BLE001 - the run already failed; keep its cause
        log.error("could not write the failed run's report to %s: %s", uri, one_line(e, 300))
