"""write: the features with their PCA scores (Parquet), the fitted PCA model, and the ONNX model
the features came from (classify uses it). Then the cached features are released."""

from __future__ import annotations

from .. import pca, run_files
from ..layout import join_uri
from .context import RunContext


def run(ctx: RunContext) -> dict:
    from pyspark.ml.functions import array_to_vector, vector_to_array

    model, run_uri = ctx.pca_model, ctx.run_uri
    out = (model.transform(ctx.features.withColumn(pca.INPUT_COL, array_to_vector("features")))
           .select("path", "split", "label", "features",
                   vector_to_array(pca.OUTPUT_COL, "float32").alias("pca_features")))
    out.write.mode("errorifexists").parquet(join_uri(run_uri, run_files.FEATURES))
    model.write().save(join_uri(run_uri, run_files.PCA_MODEL))
    section: dict = {"workers": {"images_inferred": ctx.counters[1].value}}
    if ctx.weights.onnx is not None:  # the exact model the features came from (classify uses it)
        from ..featurizer.onnx_engine import save_model

        save_model(ctx.weights.onnx, ctx.files, join_uri(run_uri, run_files.FEATURIZER_ONNX))
        section["featurizer"] = {"onnx_uri": join_uri(run_uri, run_files.FEATURIZER_ONNX)}
    ctx.release()  # the persisted features and the broadcast weights: train reads the Parquet
    return section
