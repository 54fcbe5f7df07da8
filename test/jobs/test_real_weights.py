"""Real ImageNet MobileNetV2 weights (../shared/models/mobilenet_v2) on the real sample photos:
the input pipeline feeds the network what it was trained on (RGB, scaled to [-1, 1]), the job
classifies the sample's Test split without error, and classify agrees with the run."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO, read_parquet

MODELS = (REPO / ".." / "shared" / "models" / "mobilenet_v2").resolve()
NO_TOP = MODELS / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
WITH_TOP = MODELS / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"
LABELS_FILE = MODELS / "imagenet_labels_1000.txt"

pytestmark = [pytest.mark.integration,  # real weights through TensorFlow: not a fast unit test
              pytest.mark.skipif(not (NO_TOP.is_file() and WITH_TOP.is_file()),
                                 reason=f"real MobileNetV2 weights not found in {MODELS}")]


def _decode_all(folder):
    from fruits_job.featurizer.images import decode_image, preprocess

    arrays = []
    for path in sorted(folder.glob("*.jpg")):
        arr, reason = decode_image(path.read_bytes(), 50_000_000)
        assert reason is None, (path, reason)
        arrays.append(arr)
    return preprocess(np.stack(arrays))


@pytest.fixture(scope="module")
def imagenet_top1(sample_dir):
    """ImageNet top-1 class names of the sample's Test lemons and raspberries, through the
    job's own decode + preprocess and the with-top network."""
    import keras

    model = keras.applications.MobileNetV2(input_shape=(224, 224, 3), include_top=True, weights=None)
    model.load_weights(str(WITH_TOP))
    names = [line.strip() for line in LABELS_FILE.read_text().splitlines() if line.strip()]
    assert len(names) == 1000
    out = {}
    for fruit in ("lemon", "raspberry"):
        probs = model.predict(_decode_all(sample_dir / "Test" / fruit), verbose=0)
        out[fruit] = [names[i].split(",")[0] for i in probs.argmax(axis=1)]
    return out


def test_lemons_are_lemons_or_oranges(imagenet_top1):
    # A BGR or unscaled input turns these into other classes.
    assert set(imagenet_top1["lemon"]) <= {"lemon", "orange"}, imagenet_top1["lemon"]


def test_raspberries_are_strawberries(imagenet_top1):
    assert set(imagenet_top1["raspberry"]) == {"strawberry"}, imagenet_top1["raspberry"]


@pytest.fixture(scope="module")
def real_run_again(run_job, sample_dir, tmp_path_factory, spark):
    """The same run once more, read in many more, smaller partitions."""
    key = "spark.sql.files.maxPartitionBytes"
    old = spark.conf.get(key)
    spark.conf.set(key, str(64 * 1024))
    try:
        result = run_job(sample_dir, tmp_path_factory.mktemp("out"), "run-real-2", "--json", weights=str(NO_TOP))
    finally:
        spark.conf.set(key, old)
    assert result.code == 0, result.stderr[-3000:]
    return result


def _features(spark, run) -> dict:
    return {r["path"]: r for r in read_parquet(spark, run.run_dir / "features").collect()}


def test_the_demo_never_reports_less_than_its_baseline(real_run):
    clf = real_run.summary["classifier"]
    assert clf["accuracy"] >= clf["baseline"]["accuracy"], clf
    assert clf["selected"] in ("multinomial logistic regression (scikit-learn, lbfgs)", "nearest centroid")
    if clf["regression"]["accuracy"] < clf["baseline"]["accuracy"]:
        assert clf["selected"] == "nearest centroid"
        assert any("CLASSIFIER WORSE THAN BASELINE" in w for w in real_run.summary["warnings"])


def test_the_runs_pca_is_numpys_on_its_training_rows(spark, real_run):
    from fruits_job.pca import fixed_signs

    rows = [r for r in _features(spark, real_run).values() if r["split"] == "Training"]
    x = np.array([r["features"] for r in rows], dtype=np.float64)
    k = real_run.summary["pca"]["k"]
    assert (len(x), k) == (100, 50)
    _, _, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    expected = (x - x.mean(axis=0)) @ fixed_signs(vt[:k].T)
    got = np.array([r["pca_features"] for r in rows], dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * np.abs(expected).max())


def test_two_runs_give_the_same_scores_classifier_and_metrics(spark, real_run, real_run_again):
    import json

    a, b = _features(spark, real_run), _features(spark, real_run_again)
    assert a.keys() == b.keys()
    for path in a:
        np.testing.assert_allclose(a[path]["pca_features"], b[path]["pca_features"], rtol=0, atol=1e-5)
    ca, cb = real_run.summary["classifier"], real_run_again.summary["classifier"]
    for key in ("accuracy", "selected", "baseline", "regression", "options", "per_class", "training_accuracy"):
        assert ca[key] == cb[key], key
    fa, fb = (json.loads((r.run_dir / "models" / "classifier.json").read_text())["classifier"]
              for r in (real_run, real_run_again))
    np.testing.assert_allclose(fa["coefficients"], fb["coefficients"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fa["intercepts"], fb["intercepts"], rtol=1e-4, atol=1e-6)


def test_sample_test_split_is_classified_without_error(spark, real_run, sample_dir):
    s = real_run.summary
    n_test = len(list((sample_dir / "Test").rglob("*.jpg")))
    assert s["status"] == "succeeded" and s["counts"]["failed"] == 0 and s["failures"] == []
    assert s["weights"] == str(NO_TOP) and "weights_warning" not in s
    clf = s["classifier"]
    assert clf["evaluated"] is True and clf["test"]["images"] == n_test
    assert read_parquet(spark, real_run.run_dir / "predictions").count() == n_test
    # Real features separate these four fruits far above chance (25%).
    assert clf["accuracy"] >= 0.7 and clf["baseline"]["accuracy"] >= 0.7


def test_classify_agrees_with_the_runs_predictions(spark, real_run):
    from fruits_job.classify import classify, load_run
    from fruits_job.layout import local_path

    models = load_run(str(real_run.run_dir))
    rows = read_parquet(spark, real_run.run_dir / "predictions").select("path", "predicted_label").collect()
    disagree = [(r["path"], r["predicted_label"], got["label"]) for r in rows
                if (got := classify(models, local_path(r["path"].replace("file:", "file://", 1))))["label"]
                != r["predicted_label"]]
    assert disagree == []
