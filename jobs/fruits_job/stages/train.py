"""train: the classifier on the PCA features (train.py: fit, evaluate on Test, save the models,
metrics.json); with --no-train its section says "skipped" and the stage does not run."""

from __future__ import annotations

from .. import train
from .context import RunContext


def skipped(ctx: RunContext) -> dict | None:
    if ctx.options.train:
        return None
    return {"classifier": train.skipped_section("skipped: --no-train given")}


def run(ctx: RunContext) -> None:
    """train_stage fills the summary's classifier section and warnings itself (they go into
    metrics.json too). Called through the module, so a test can replace it."""
    ctx.metrics = train.train_stage(ctx.spark, ctx.files, ctx.record, ctx.weights, ctx.run_uri,
                                    pca_model=ctx.pca_model)
