"""The job on the real Fruits-360 sample (140 JPEGs), in-process on the shared local[2] session."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import WEIGHTS, read_parquet

EXPECTED_LABELS = {"apple", "lemon", "mango", "raspberry"}


@pytest.fixture(scope="module")
def sample_run(run_job, sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_job(sample_dir, out, "run-sample", "--json")
    assert result.code == 0, result.stderr[-3000:]
    return result


def _expected_counts(sample_dir):
    per_label, per_split = {}, {}
    for f in sample_dir.rglob("*"):
        if f.is_file() and f.suffix.lower() in (".jpg", ".jpeg", ".png"):
            split, label = f.parent.parent.name, f.parent.name
            per_label[label] = per_label.get(label, 0) + 1
            per_split[split] = per_split.get(split, 0) + 1
    return per_label, per_split


def test_parquet_schema_and_dimensions(spark, sample_run):
    df = read_parquet(spark, sample_run.run_dir / "features")
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    assert types == {"path": "string", "split": "string", "label": "string",
                     "features": "array<float>", "pca_features": "array<float>"}
    dims = df.selectExpr("size(features) AS f", "size(pca_features) AS p").distinct().collect()
    assert [(r["f"], r["p"]) for r in dims] == [(1280, 50)]


def test_rows_labels_and_splits_match_the_folders(spark, sample_run, sample_dir):
    rows = read_parquet(spark, sample_run.run_dir / "features").select("path", "split", "label").collect()
    per_label, per_split = _expected_counts(sample_dir)
    assert len(rows) == sum(per_label.values()) == 140
    assert {r["label"] for r in rows} == EXPECTED_LABELS
    for r in rows:
        parts = r["path"].split("/")
        assert (r["split"], r["label"]) == (parts[-3], parts[-2])
        assert r["split"] in ("Training", "Test")
    counts = sample_run.summary["counts"]
    assert counts["per_label"] == per_label and counts["per_split"] == per_split
    assert counts["total_files"] == 140 and counts["featurized"] == 140 and counts["failed"] == 0


def test_features_are_finite_and_vary_between_images(spark, sample_run):
    feats = np.array([r["features"] for r in
                      read_parquet(spark, sample_run.run_dir / "features").select("features").collect()])
    assert np.isfinite(feats).all()
    assert feats.std(axis=0).max() > 0  # not all identical


def test_explained_variance_recorded(sample_run):
    pca = sample_run.summary["pca"]
    ev = pca["explained_variance"]
    assert pca["k"] == 50 and len(ev) == 50 and len(pca["cumulative"]) == 50
    assert all(v >= 0 for v in ev)
    assert ev == sorted(ev, reverse=True)
    assert 0 < sum(ev) <= 1 + 1e-9
    assert pca["cumulative"][-1] == pytest.approx(sum(ev))


def test_summary_says_succeeded_and_warns_about_test_weights(sample_run, sample_dir):
    s = sample_run.summary
    assert s["status"] == "succeeded" and s["run_id"] == "run-sample"
    assert s["input"] == str(sample_dir) and s["output"] == str(sample_run.run_dir.parent)
    assert s["run_uri"] == str(sample_run.run_dir)
    assert s["weights"] == WEIGHTS and "TEST-ONLY" in s["weights_warning"]
    assert "TEST-ONLY RANDOM WEIGHTS" in sample_run.stderr
    assert s["failures"] == []
    for stage in ("list", "load_weights", "featurize", "pca_fit", "write", "total"):
        assert s["timings_s"][stage] >= 0
    # total runs from the start of run(), so it covers every stage, list and load_weights included
    stages = {k: v for k, v in s["timings_s"].items() if k != "total"}
    assert s["timings_s"]["total"] >= sum(stages.values()) - 0.001 * len(stages), s["timings_s"]
    assert {"python", "spark", "tensorflow", "pyarrow", "pillow"} <= set(s["versions"])


def test_model_built_once_per_worker_and_each_image_inferred_once(sample_run):
    workers = sample_run.summary["workers"]
    # 140 images in batches of 64 over several partitions, but at most one model per
    # Python worker (local[2] -> 2 workers) and no re-featurizing after the cache.
    assert 1 <= workers["models_built"] <= 2
    assert workers["images_inferred"] == 140


def test_stdout_has_json_then_marker(sample_run):
    lines = sample_run.stdout.strip().splitlines()
    assert lines[-1] == f"FRUITS_RUN_SUMMARY {sample_run.summary_path}"
    assert json.loads(lines[-2])["status"] == "succeeded"


def test_saved_pca_model_reproduces_pca_features(spark, sample_run):
    from pyspark.ml import PipelineModel
    from pyspark.ml.functions import array_to_vector, vector_to_array

    df = read_parquet(spark, sample_run.run_dir / "features").limit(5)
    model = PipelineModel.load(str(sample_run.run_dir / "models" / "pca"))
    again = (model.transform(df.withColumn("features_vec", array_to_vector("features")))
             .select("path", "pca_features", vector_to_array("pca_vec").alias("again")).collect())
    for r in again:
        np.testing.assert_allclose(r["pca_features"], r["again"], rtol=1e-4, atol=1e-4)


def test_pca_scores_are_centred(spark, sample_run):
    # PCA is fitted on the Training split only (no Test leakage): Training scores are centred.
    rows = read_parquet(spark, sample_run.run_dir / "features").select("split", "features", "pca_features").collect()
    pcs = np.array([r["pca_features"] for r in rows if r["split"] == "Training"])
    scale = np.abs(pcs).max()
    assert np.abs(pcs.mean(axis=0)).max() < 1e-3 * scale
    assert sample_run.summary["pca"]["fitted_on"] == "Training"
    from fruits_job.classify import load_run

    mean = load_run(str(sample_run.run_dir)).mean
    train = np.array([r["features"] for r in rows if r["split"] == "Training"], dtype=np.float64)
    every = np.array([r["features"] for r in rows], dtype=np.float64)
    assert np.allclose(mean, train.mean(axis=0), rtol=1e-5, atol=1e-12 * np.abs(train).max())
    assert not np.allclose(mean, every.mean(axis=0), rtol=1e-5, atol=1e-9 * np.abs(every).max())


def test_second_run_with_same_id_is_refused(run_job, sample_run, sample_dir):
    before = sample_run.summary_path.read_bytes()
    again = run_job(sample_dir, sample_run.run_dir.parent, "run-sample")
    assert again.code == 2
    assert "already exists" in again.stderr and "--overwrite" in again.stderr
    assert "FRUITS_RUN_SUMMARY" not in again.stdout
    assert sample_run.summary_path.read_bytes() == before


def test_variance_target_picks_smallest_k_and_overwrite_replaces(run_job, sample_run, sample_dir, spark):
    result = run_job(sample_dir, sample_run.run_dir.parent, "run-sample",
                     "--variance-target", "0.8", "--overwrite")
    assert result.code == 0, result.stderr[-3000:]
    pca = result.summary["pca"]
    k, cum = pca["k"], pca["cumulative"]
    assert pca["variance_target"] == 0.8 and len(cum) == k
    assert cum[-1] >= 0.8
    if k > 1:
        assert cum[-2] < 0.8  # one fewer component would not reach the target
    dims = read_parquet(spark, result.run_dir / "features").selectExpr("size(pca_features) AS p").distinct()
    assert [r["p"] for r in dims.collect()] == [k]
