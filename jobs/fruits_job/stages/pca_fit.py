"""pca_rows (a step): the decoded images, and the rows PCA is fitted on; pca_fit: choose k and fit
the centring + PCA pipeline (pca.py)."""

from __future__ import annotations

import logging

from .. import pca
from ..errors import JobFailure
from ..train import plan_splits
from .context import RunContext

log = logging.getLogger("fruits_job")


def rows(ctx: RunContext) -> None:
    from pyspark.sql import functions as F

    if ctx.ok_total < 2:
        raise JobFailure(f"only {ctx.ok_total} of {ctx.total_files} files could be decoded; PCA needs "
                         "at least 2 images (see failures in summary.json)")
    # The scan made one partition per ~32 small files. PCA sends one 1280x1280 matrix per
    # partition to the driver, so fewer, fuller partitions (one per core, read from the
    # cache, no shuffle) cut that traffic and the number of Parquet files.
    ok = (ctx.featurized.filter(F.col("error").isNull()).drop("error")
          .coalesce(max(1, ctx.spark.sparkContext.defaultParallelism)))
    # PCA sees the Training split only (as the classifier does, see train.plan_splits):
    # fitting it on Test images too would leak them into the features it is scored on.
    plan = plan_splits(ctx.per_split)
    fit_rows = ok.filter(F.col("split").isin(list(plan.train_splits))) if plan.train_splits else ok
    n_fit = sum(ctx.per_split[s] for s in plan.train_splits) if plan.train_splits else ctx.ok_total
    if n_fit < 2:
        raise JobFailure(f"only {n_fit} decoded image(s) in {'+'.join(plan.train_splits)}; PCA needs at "
                         "least 2 training images")
    ctx.features, ctx.fit_rows, ctx.n_fit = ok, fit_rows, n_fit
    ctx.fit_label = "training images" if plan.train_splits else "images"
    ctx.fitted_on = "+".join(plan.train_splits) or "all images"


def run(ctx: RunContext) -> dict:
    config = ctx.options
    model, choice = pca.fit(ctx.fit_rows.select(pca.FEATURES_COL), ctx.n_fit, config.k, config.variance_target,
                            ctx.fit_label)
    ctx.pca_model = model
    section = {"fitted_on": ctx.fitted_on, "fit_images": ctx.n_fit,
               "k": choice.k, "k_requested": choice.k_requested,
               "variance_target": choice.variance_target, "centered": True,
               "explained_variance": choice.explained_variance,
               "cumulative": choice.cumulative,
               "total_explained": choice.cumulative[-1]}
    for w in choice.warnings:
        log.warning(w)
    if choice.warnings:
        section["warning"] = "; ".join(choice.warnings)
    log.info("PCA k=%d explains %.1f%% of the variance", choice.k, 100 * choice.cumulative[-1])
    return {"pca": section, "warnings": list(choice.warnings)}
