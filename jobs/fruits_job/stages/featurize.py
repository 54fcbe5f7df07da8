"""featurize: image bytes -> 1280 MobileNetV2 features on the workers (featurizer/featurize.py),
one Spark pass counting decoded images per split and label; tally (a step): the counts, and the
files not used with their reasons (decode failures, files over --max-file-mb, files the scan
never returned)."""

from __future__ import annotations

import logging

from .. import progress
from ..listing import read_images, with_split_and_label
from ..packaging import ship_package
from ..summary import MAX_LISTED_FAILURES, failures_section
from .context import RunContext

log = logging.getLogger("fruits_job")


def tf_threads(spark, config) -> int:
    if config.tf_threads:
        return config.tf_threads
    return max(1, int(spark.sparkContext.getConf().get("spark.task.cpus", "1")))


def run(ctx: RunContext) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from ..featurizer.featurize import make_featurizer

    spark, config, weights = ctx.spark, ctx.options, ctx.weights
    ship_package(spark)
    sc = spark.sparkContext
    threads = tf_threads(spark, config)
    weights_bc = sc.broadcast(weights.onnx if config.engine == "onnx" else weights.arrays)
    ctx.on_release(weights_bc.unpersist)
    # models built, images inferred, model set-up seconds, decode+infer seconds
    counters = (sc.accumulator(0), sc.accumulator(0), sc.accumulator(0.0), sc.accumulator(0.0))
    featurize = make_featurizer(weights_bc, threads, config.max_image_pixels, counters, progress.counter(),
                                engine=config.engine)
    log.info("featurizing with batch size %d, engine %s, %d thread(s) per Python worker",
             config.batch_size, config.engine, threads)
    images = with_split_and_label(read_images(spark, config), ctx.root, config.layout)
    featurized = (images
                  .filter(F.col("length") <= config.max_file_bytes)  # pushed down: big files are never read
                  .select("path", "split", "label", featurize(F.col("content")).alias("r"))
                  .select("path", "split", "label", "r.features", "r.error")
                  .persist(StorageLevel.MEMORY_AND_DISK))
    ctx.on_release(featurized.unpersist)
    ctx.featurized, ctx.counters = featurized, counters
    ctx.by_group = (featurized.groupBy("split", "label")
                    .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("error").isNull().cast("long")).alias("ok"))
                    .collect())
    return {"featurizer": {"engine": config.engine, "onnx_sha256": weights.onnx_sha256,
                           "onnx_origin": weights.onnx_origin},
            "workers": {"models_built": counters[0].value, "images_inferred": counters[1].value,
                        "tf_threads_per_worker": threads, "engine": config.engine,
                        "model_setup_s_summed": round(counters[2].value, 3),
                        "decode_infer_s_summed": round(counters[3].value, 3)}}


def tally(ctx: RunContext) -> dict:
    ok_total = sum(int(r["ok"]) for r in ctx.by_group)
    per_label: dict = {}
    per_split: dict = {}
    for r in ctx.by_group:
        if r["ok"]:
            per_label[r["label"]] = per_label.get(r["label"], 0) + int(r["ok"])
            per_split[r["split"]] = per_split.get(r["split"], 0) + int(r["ok"])
    scanned = sum(int(r["n"]) for r in ctx.by_group)
    failures = sorted(_collect_failures(ctx, scanned) + ctx.not_used, key=lambda f: f["path"])
    failed = ctx.total_files - ok_total
    ctx.ok_total, ctx.per_split = ok_total, per_split
    log.info("featurized %d of %d files (%d failed) in %.1fs", ok_total, ctx.total_files, failed,
             ctx.timings["featurize"])
    for f in failures[:5]:
        log.warning("skipped %s: %s", f["path"], f["reason"])
    if failed > 5:
        log.warning("... %d files skipped in all; see failures in summary.json", failed)
    return {"counts": {"featurized": ok_total, "failed": failed, "per_label": dict(sorted(per_label.items())),
                       "per_split": dict(sorted(per_split.items()))},
            **failures_section(failures, failed)}


def _collect_failures(ctx: RunContext, scanned: int) -> list[dict]:
    """Decode failures, files over --max-file-mb, and listed files the scan never returned
    (zero-byte files, which Spark skips, and files Spark could not read)."""
    from pyspark.sql import functions as F

    spark, config, featurized = ctx.spark, ctx.options, ctx.featurized
    too_big = (with_split_and_label(read_images(spark, config), ctx.root, config.layout)
               .filter(F.col("length") > config.max_file_bytes)
               .select("path", F.concat(F.lit("file larger than --max-file-mb ("), F.col("length"),
                                        F.lit(" bytes)")).alias("reason")))
    bad = featurized.filter(F.col("error").isNotNull()).select("path", F.col("error").alias("reason"))
    found = [{"path": r["path"], "reason": r["reason"]}
             for r in bad.unionByName(too_big).orderBy("path").limit(MAX_LISTED_FAILURES).collect()]
    n_too_big = too_big.count()
    if len(ctx.placed) > scanned + n_too_big:
        seen = featurized.select("path").unionByName(too_big.select("path"))
        missing = (spark.createDataFrame([(p,) for p in ctx.placed], "path string")
                   .join(seen, "path", "left_anti").orderBy("path").limit(MAX_LISTED_FAILURES).collect())
        for r in missing:
            found.append({"path": r["path"], "reason": why_not_scanned(ctx.files, r["path"])})
    return sorted(found, key=lambda f: f["path"])


def why_not_scanned(storage, path: str) -> str:
    """Reason for a listed file the scan never returned (Spark skips these silently)."""
    try:
        if not storage.exists(path):
            return "file no longer exists (deleted or moved after it was listed); rerun to include it"
        if storage.length(path) == 0:
            return "empty file (0 bytes)"
    except Exception:  # noqa: BLE001 - the storage cannot even say: report it as unreadable
        pass
    return "could not be read (unreadable or corrupt at the storage level; see the executor log)"
