"""The job's stages in order: check -> list -> weights -> claim run folder -> featurize -> PCA -> write.

Everything before the run folder is claimed raises UsageError (exit 2, nothing written).
After that, any error marks summary.json "failed" and raises RunFailed (exit 1);
"succeeded" is written only after the Parquet data and the PCA model are complete.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from contextlib import contextmanager

from . import run_files
from .packaging import write_package_zip
from . import interrupts
from .options import JobOptions
from . import progress
from .errors import JobFailure, UsageError, missing_input, one_line
from .layout import LAYOUT_LABEL, LAYOUTS, join_uri, misplaced_reason
from .listing import broken_links, ignored_files, list_files, read_images, with_split_and_label
from .hadoop_files import HadoopFiles
from .summary import MAX_LISTED_FAILURES, RunRecord, utc_now, versions

log = logging.getLogger("fruits_job")

TEST_ONLY_BANNER = "*** {} ***"


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


_SHIPPED: set[str] = set()


def ship_package(spark) -> None:
    """Make fruits_job importable on executors when it was not given via --py-files."""
    import fruits_job

    package_dir = os.path.dirname(os.path.abspath(fruits_job.__file__))
    if ".zip" in package_dir or ".egg" in package_dir:
        return  # imported from the --py-files archive, which Spark already ships
    sc = spark.sparkContext
    submitted = sc.getConf().get("spark.submit.pyFiles", "") or ""
    if "fruits_job" in submitted or sc.applicationId in _SHIPPED:
        return  # shipped by spark-submit --py-files, or already by us in this application
    tmp = tempfile.mkdtemp(prefix="fruits-job-pkg-")
    # Own name, so it never clashes with a fruits_job.zip given via --py-files.
    archive = os.path.join(tmp, "fruits_job_autoship.zip")
    write_package_zip(package_dir, archive)  # same rule as the runner's fruits_job.zip
    sc.addPyFile(archive)
    _SHIPPED.add(sc.applicationId)


def tf_threads(spark, config: JobOptions) -> int:
    if config.tf_threads:
        return config.tf_threads
    return max(1, int(spark.sparkContext.getConf().get("spark.task.cpus", "1")))


def run(config: JobOptions, spark) -> tuple[str, dict]:
    """Run the job; returns (summary uri, summary). Raises UsageError or RunFailed."""
    started_monotonic, started_at = time.monotonic(), utc_now()  # timings_s.total covers the whole run
    storage = HadoopFiles(spark)
    configure_session(spark, config)
    run_uri = join_uri(config.output, config.run_id)
    summary_uri = join_uri(run_uri, run_files.SUMMARY)
    timings: dict = {}

    # --- checks that write nothing (exit 2) ---
    if not storage.exists(config.input):
        raise missing_input(config.input)
    if storage.exists(run_uri) and not config.overwrite:
        raise _already_exists(run_uri)
    with stage(None, "list", timings):
        listed = list_files(spark, config)
        links = broken_links(config)  # dangling links and loops: Spark's listing drops them silently
        ignored = ignored_files(spark, config, listed)
    root = storage.qualify(config.input)
    reasons = {p: misplaced_reason(p, root, config.layout) for p in listed}  # None: at the expected depth
    misplaced = [{"path": p, "reason": r} for p, r in reasons.items() if r]
    placed = [p for p, r in reasons.items() if r is None]
    total_files = len(listed) + len(links)
    log.info("%d image files under %s", total_files, config.input)
    if total_files == 0:
        raise UsageError(f"--input {config.input} holds no image files matching {config.path_glob}"
                         f"{ignored.hint()}; check the path or --extensions")
    if len(misplaced) * 2 > len(listed):
        raise _mostly_misplaced(config, root, misplaced, len(listed))
    from .featurizer.weights import TEST_ONLY_WARNING, cached_onnx_for_file, for_engine, load_weights, remember_file

    with stage(None, "load_weights", timings):  # onnx + a weights file converted before: no TensorFlow
        weights = ((cached_onnx_for_file(config.weights) if config.engine == "onnx" else None)
                   or load_weights(config.weights, storage))
    with stage(None, "prepare_model", timings):  # onnx: convert once, cached by the weights' hash
        weights = for_engine(weights, config.engine)
        if config.engine == "onnx":
            remember_file(config.weights, weights)
    if weights.test_only:
        log.warning(TEST_ONLY_BANNER.format(TEST_ONLY_WARNING))

    # --- claim the run folder; from here on a failure is recorded in summary.json ---
    record = RunRecord(storage, summary_uri, config, run_uri, started_monotonic, started_at)
    for name, seconds in timings.items():
        record.timed(name, seconds)
    record.doc["counts"]["total_files"] = total_files
    record.doc["counts"].update(misplaced=len(misplaced), ignored=ignored.total,
                                ignored_extensions=ignored.by_extension)
    record.doc["options"]["layout"] = config.layout
    if weights.test_only:
        record.doc["weights_warning"] = TEST_ONLY_WARNING
        record.warn(TEST_ONLY_WARNING)
    if misplaced:
        record.warn(f"{len(misplaced)} file(s) not at {LAYOUTS[config.layout]} were not used "
                    "(see failures; --layout names the supported layouts)")
    if ignored.total:
        record.warn(ignored.warning())
    record.doc["versions"] = versions(spark)
    interrupts.check()
    if config.overwrite:
        storage.delete_recursively(run_uri)
    _claim(storage, record, run_uri)  # status "running": a crash leaves a run that does not look complete
    interrupts.record_with(record)  # a stop signal now writes "interrupted" at once (interrupts.py)
    try:
        progress.start(storage, run_uri, config.run_id, total_files, record,
                       progress.BatchCounter(spark.sparkContext))
        pca_model = _featurize_and_reduce(spark, config, storage, record, weights, run_uri, placed,
                                          misplaced + links)
        _train_and_report(spark, config, storage, record, weights, run_uri, pca_model)
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
        from .report_stage import write_failed_report

        write_failed_report(storage, record, run_uri)
        progress.finish("interrupted" if signal_name is not None else "failed")
        if signal_name is not None:
            raise RunInterrupted(f"interrupted by {signal_name} during {record.stage}",
                                 summary_uri, record.doc) from None
        if isinstance(e, Exception):
            raise RunFailed(one_line(e), summary_uri, record.doc) from e
        raise
    if weights.test_only:
        log.warning(TEST_ONLY_BANNER.format(TEST_ONLY_WARNING))
    return summary_uri, record.doc


def _already_exists(run_uri: str) -> UsageError:
    return UsageError(f"run folder {run_uri} already exists; choose another --run-id "
                      "or pass --overwrite to replace it")


def _claim(storage, record: RunRecord, run_uri: str) -> None:
    """Create the run folder and its summary.json exclusively and atomically: of two runs
    with the same id exactly one gets it; the other is refused (exit 2) and writes nothing."""
    try:
        storage.claim(run_uri, record.uri, record.text())
    except FileExistsError:
        raise _already_exists(run_uri) from None
    except Exception as e:  # noqa: BLE001 - unwritable --output: one line, nothing left behind
        raise UsageError(f"--output {record.doc['output']} cannot be written ({one_line(e, 300)}); "
                         "choose a folder or bucket you can write to") from None


def _mostly_misplaced(config, root: str, misplaced: list[dict], listed: int) -> UsageError:
    example = misplaced[0]["path"]
    other = ("; for <root>/<Label>/<image> pass --layout label" if config.layout != LAYOUT_LABEL
             else "; for <root>/<Split>/<Label>/<image> drop --layout label")
    return UsageError(f"{len(misplaced)} of {listed} image files under --input {config.input} are not at "
                      f"{LAYOUTS[config.layout]} (e.g. {example}){other}")


def _train_and_report(spark, config, storage, record, weights, run_uri, pca_model) -> None:
    """Classifier (train.py, unless --no-train) and report.html, inside the run: a failure
    here fails the run like any other stage."""
    from .report_stage import write_report
    from .train import skipped_section, train_stage

    record.doc["options"]["train"] = config.train
    metrics = None
    if config.train:
        with stage(record, "train"):
            metrics = train_stage(spark, storage, record, weights, run_uri, pca_model=pca_model)
    else:
        record.doc["classifier"] = skipped_section("skipped: --no-train given")
    record.write()
    with stage(record, "report"):
        write_report(spark, storage, record, run_uri, metrics)


def _featurize_and_reduce(spark, config, storage, record, weights, run_uri, listed, not_used):
    """`listed`: the files at the layout's place; `not_used`: failures found while listing.
    Returns the fitted PCA PipelineModel (the model file exports it with the classifier)."""
    from pyspark import StorageLevel
    from pyspark.ml.functions import array_to_vector, vector_to_array
    from pyspark.sql import functions as F

    from . import pca
    from .featurizer.featurize import make_featurizer

    ship_package(spark)
    sc = spark.sparkContext
    threads = tf_threads(spark, config)
    weights_bc = sc.broadcast(weights.onnx if config.engine == "onnx" else weights.arrays)
    # models built, images inferred, model set-up seconds, decode+infer seconds
    counters = (sc.accumulator(0), sc.accumulator(0), sc.accumulator(0.0), sc.accumulator(0.0))
    featurize = make_featurizer(weights_bc, threads, config.max_image_pixels, counters, progress.counter(),
                                engine=config.engine)
    log.info("featurizing with batch size %d, engine %s, %d thread(s) per Python worker",
             config.batch_size, config.engine, threads)
    record.doc["options"]["engine"] = config.engine
    record.doc["featurizer"] = {"engine": config.engine, "onnx_sha256": weights.onnx_sha256,
                                "onnx_origin": weights.onnx_origin}

    root = storage.qualify(config.input)
    images = with_split_and_label(read_images(spark, config), root, config.layout)
    featurized = (images
                  .filter(F.col("length") <= config.max_file_bytes)  # pushed down: big files are never read
                  .select("path", "split", "label", featurize(F.col("content")).alias("r"))
                  .select("path", "split", "label", "r.features", "r.error")
                  .persist(StorageLevel.MEMORY_AND_DISK))
    try:
        with stage(record, "featurize"):
            by_group = (featurized.groupBy("split", "label")
                        .agg(F.count(F.lit(1)).alias("n"),
                             F.sum(F.col("error").isNull().cast("long")).alias("ok"))
                        .collect())
        ok_total = sum(int(r["ok"]) for r in by_group)
        per_label: dict = {}
        per_split: dict = {}
        for r in by_group:
            if r["ok"]:
                per_label[r["label"]] = per_label.get(r["label"], 0) + int(r["ok"])
                per_split[r["split"]] = per_split.get(r["split"], 0) + int(r["ok"])
        scanned = sum(int(r["n"]) for r in by_group)
        failures = sorted(_collect_failures(spark, config, storage, featurized, listed, scanned, root)
                          + not_used, key=lambda f: f["path"])
        counts = record.doc["counts"]
        counts.update(featurized=ok_total, failed=counts["total_files"] - ok_total,
                      per_label=dict(sorted(per_label.items())), per_split=dict(sorted(per_split.items())))
        record.set_failures(failures, counts["failed"])
        record.doc["workers"] = {"models_built": counters[0].value, "images_inferred": counters[1].value,
                                 "tf_threads_per_worker": threads, "engine": config.engine,
                                 "model_setup_s_summed": round(counters[2].value, 3),
                                 "decode_infer_s_summed": round(counters[3].value, 3)}
        log.info("featurized %d of %d files (%d failed) in %.1fs", ok_total, counts["total_files"],
                 counts["failed"], record.doc["timings_s"]["featurize"])
        for f in failures[:5]:
            log.warning("skipped %s: %s", f["path"], f["reason"])
        if counts["failed"] > 5:
            log.warning("... %d files skipped in all; see failures in summary.json", counts["failed"])
        record.write()
        if ok_total < 2:
            raise JobFailure(f"only {ok_total} of {counts['total_files']} files could be decoded; PCA needs "
                             "at least 2 images (see failures in summary.json)")

        # The scan made one partition per ~32 small files. PCA sends one 1280x1280 matrix per
        # partition to the driver, so fewer, fuller partitions (one per core, read from the
        # cache, no shuffle) cut that traffic and the number of Parquet files.
        ok = (featurized.filter(F.col("error").isNull()).drop("error")
              .coalesce(max(1, sc.defaultParallelism)))
        # PCA sees the Training split only (as the classifier does, see train.plan_splits):
        # fitting it on Test images too would leak them into the features it is scored on.
        from .train import plan_splits

        plan = plan_splits(per_split)
        fit_rows = ok.filter(F.col("split").isin(list(plan.train_splits))) if plan.train_splits else ok
        n_fit = sum(per_split[s] for s in plan.train_splits) if plan.train_splits else ok_total
        if n_fit < 2:
            raise JobFailure(f"only {n_fit} decoded image(s) in {'+'.join(plan.train_splits)}; PCA needs at "
                             "least 2 training images")
        with stage(record, "pca_fit"):
            model, choice = pca.fit(fit_rows.select(pca.FEATURES_COL), n_fit, config.k, config.variance_target,
                                    "training images" if plan.train_splits else "images")
        record.doc["pca"] = {"fitted_on": "+".join(plan.train_splits) or "all images", "fit_images": n_fit,
                             "k": choice.k, "k_requested": choice.k_requested,
                             "variance_target": choice.variance_target, "centered": True,
                             "explained_variance": choice.explained_variance,
                             "cumulative": choice.cumulative,
                             "total_explained": choice.cumulative[-1]}
        for w in choice.warnings:
            log.warning(w)
            record.warn(w)
        if choice.warnings:
            record.doc["pca"]["warning"] = "; ".join(choice.warnings)
        log.info("PCA k=%d explains %.1f%% of the variance", choice.k, 100 * choice.cumulative[-1])

        with stage(record, "write"):
            out = (model.transform(ok.withColumn(pca.INPUT_COL, array_to_vector("features")))
                   .select("path", "split", "label", "features",
                           vector_to_array(pca.OUTPUT_COL, "float32").alias("pca_features")))
            out.write.mode("errorifexists").parquet(join_uri(run_uri, run_files.FEATURES))
            model.write().save(join_uri(run_uri, run_files.PCA_MODEL))
            if weights.onnx is not None:  # the exact model the features came from (classify uses it)
                from .featurizer.onnx_engine import save_model

                save_model(weights.onnx, storage, join_uri(run_uri, run_files.FEATURIZER_ONNX))
                record.doc["featurizer"]["onnx_uri"] = join_uri(run_uri, run_files.FEATURIZER_ONNX)
        record.doc["workers"]["images_inferred"] = counters[1].value
    finally:
        featurized.unpersist()
        weights_bc.unpersist()
    return model


def _collect_failures(spark, config, storage, featurized, listed, scanned, root) -> list[dict]:
    """Decode failures, files over --max-file-mb, and listed files the scan never returned
    (zero-byte files, which Spark skips, and files Spark could not read)."""
    from pyspark.sql import functions as F

    too_big = (with_split_and_label(read_images(spark, config), root, config.layout)
               .filter(F.col("length") > config.max_file_bytes)
               .select("path", F.concat(F.lit("file larger than --max-file-mb ("), F.col("length"),
                                        F.lit(" bytes)")).alias("reason")))
    bad = featurized.filter(F.col("error").isNotNull()).select("path", F.col("error").alias("reason"))
    found = [{"path": r["path"], "reason": r["reason"]}
             for r in bad.unionByName(too_big).orderBy("path").limit(MAX_LISTED_FAILURES).collect()]
    n_too_big = too_big.count()
    if len(listed) > scanned + n_too_big:
        seen = featurized.select("path").unionByName(too_big.select("path"))
        missing = (spark.createDataFrame([(p,) for p in listed], "path string")
                   .join(seen, "path", "left_anti").orderBy("path").limit(MAX_LISTED_FAILURES).collect())
        for r in missing:
            found.append({"path": r["path"], "reason": _why_not_scanned(storage, r["path"])})
    return sorted(found, key=lambda f: f["path"])


def _why_not_scanned(storage, path: str) -> str:
    """Reason for a listed file the scan never returned (Spark skips these silently)."""
    try:
        if not storage.exists(path):
            return "file no longer exists (deleted or moved after it was listed); rerun to include it"
        if storage.length(path) == 0:
            return "empty file (0 bytes)"
    except Exception:  # noqa: BLE001 - the storage cannot even say: report it as unreadable
        pass
    return "could not be read (unreadable or corrupt at the storage level; see the executor log)"
