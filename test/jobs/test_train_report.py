"""The classifier stage and report.html: pure metric/split/report units, then real job runs on
generated classes (separable -> high accuracy; shuffled labels -> near chance) and the
missing-split / one-label / --no-train behaviours."""

from __future__ import annotations

import json

import pytest
from classifier_runs import LABELS, PER_SPLIT, K, cached_run
from conftest import make_good_images, read_parquet

from fruits_job.report import render
from fruits_job.train import (BASELINE_ALGORITHM, classification_metrics, cross_validate, logistic_model,
                              nearest_centroid_model, plan_splits)


# ---------------------------------------------------------------- pure units

def test_plan_splits_uses_training_and_test_and_lists_the_rest():
    plan = plan_splits(["Test", "Training", "Validation"])
    assert (plan.train_splits, plan.test_splits, plan.ignored_splits) == (("Training",), ("Test",), ("Validation",))
    assert plan.not_evaluated_reason is None
    assert plan_splits(["train", "TEST"]).test_splits == ("TEST",)


@pytest.mark.parametrize("splits, missing", [(["Training"], "Test"), (["Test"], "Training"), (["photos"], "Training")])
def test_plan_splits_without_a_pair_trains_on_all_and_says_why(splits, missing):
    plan = plan_splits(splits)
    assert plan.train_splits == () and plan.test_splits == ()
    assert f"no {missing} split" in plan.not_evaluated_reason and "not evaluated" in plan.not_evaluated_reason


def test_classification_metrics_by_hand():
    # true a: 3 right, 1 as b; true b: 2 right; true c (never trained): 1 predicted as a
    m = classification_metrics({("a", "a"): 3, ("a", "b"): 1, ("b", "b"): 2, ("c", "a"): 1}, ["a", "b"])
    assert m["confusion_matrix"]["labels"] == ["a", "b", "c"]
    assert m["confusion_matrix"]["matrix"] == [[3, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert (m["images"], m["correct"]) == (7, 5)
    assert m["accuracy"] == pytest.approx(5 / 7)
    a, b, c = (m["per_class"][x] for x in "abc")
    assert (a["precision"], a["recall"], a["support"]) == (pytest.approx(3 / 4), pytest.approx(3 / 4), 4)
    assert (b["precision"], b["recall"]) == (pytest.approx(2 / 3), 1.0)
    assert c["precision"] is None and c["recall"] == 0.0  # never predicted; all missed
    assert m["macro_recall"] == pytest.approx((0.75 + 1.0 + 0.0) / 3)


def _blobs(seed: int = 4, n: int = 30, k: int = 6):
    """Three labelled Gaussian clouds in k dimensions whose scales differ per dimension."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (3, k))
    y = [("a", "b", "c")[i % 3] for i in range(n)]
    x = np.array([centres["abc".index(t)] for t in y]) + rng.normal(0, 1, (n, k)) * np.linspace(3, 0.1, k)
    return x, y


def test_nearest_centroid_as_a_linear_model_predicts_the_nearest_centroid():
    import numpy as np

    x, y = _blobs()
    model = nearest_centroid_model(x, y)
    centroids = {t: x[np.asarray(y) == t].mean(axis=0) for t in "abc"}
    probe = np.random.default_rng(1).normal(0, 4, (200, x.shape[1]))
    nearest = [min("abc", key=lambda t: np.sum((p - centroids[t]) ** 2)) for p in probe]
    assert model.algorithm == BASELINE_ALGORITHM and model.predict(probe) == nearest
    np.testing.assert_allclose(model.probabilities(probe).sum(axis=1), 1.0)


def test_standardization_is_folded_into_coefficients_that_read_raw_scores():
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x, y = _blobs()
    model = logistic_model(x, y, 0.01, standardize=True)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    ref = LogisticRegression(C=1 / (0.01 * len(x)), max_iter=1000, tol=1e-8).fit(z, y)
    np.testing.assert_allclose(model.probabilities(x), ref.predict_proba(z), atol=1e-9)
    ab = [i for i, t in enumerate(y) if t != "c"]
    xa, ya = x[ab], [y[i] for i in ab]
    two = logistic_model(xa, ya, 0.01, standardize=False)  # labels a, b: sklearn fits one margin
    ref2 = LogisticRegression(C=1 / (0.01 * len(xa)), max_iter=1000, tol=1e-8).fit(xa, ya)
    assert two.coefficients.shape == (2, x.shape[1])
    np.testing.assert_allclose(two.probabilities(xa), ref2.predict_proba(xa), atol=1e-9)


def test_cross_validation_is_deterministic_and_reports_both_scalings():
    x, y = _blobs(n=60)
    counts = {t: y.count(t) for t in "abc"}
    first, second = cross_validate(x, y, counts), cross_validate(x, y, counts)
    assert first == second
    reg, standardize, cv = first
    assert reg in cv["grid"] and cv["standardization"] is standardize and cv["folds"] == 3
    assert len(cv["mean_accuracy_standardized"]) == len(cv["mean_accuracy_unstandardized"]) == len(cv["grid"])


def _summary(**over):
    doc = {"status": "succeeded", "run_id": "r<1>", "input": "/in/<b>&", "output": "/out", "weights": "imagenet",
           "counts": {"total_files": 5, "featurized": 4, "failed": 1, "per_label": {"<script>x": 4}, "per_split": {"Test": 4}},
           "pca": {"k": 2, "k_requested": 2, "cumulative": [0.6, 0.9]}, "timings_s": {"featurize": 1.5, "total": 3.0},
           "failures": [{"path": "/in/<bad>.jpg", "reason": "not an image & broken"}], "warnings": []}
    doc.update(over)
    return doc


def test_report_escapes_every_text_from_the_data():
    html = render(_summary(), None, {"spectrum_cumulative": [0.6, 0.9, 1.0], "points": [(0.1, 0.2, "<script>x", "Test")],
                                     "points_total": 1})
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert "/in/&lt;bad&gt;.jpg" in html and "not an image &amp; broken" in html and "r&lt;1&gt;" in html
    assert "test-only-banner" not in html


def test_report_shows_a_banner_for_test_only_weights_and_for_failures():
    html = render(_summary(weights="test-only-random:3", weights_warning="TEST-ONLY RANDOM WEIGHTS: meaningless",
                           status="failed", error="boom <here>"), None, None)
    assert 'id="test-only-banner"' in html and "TEST-ONLY RANDOM WEIGHTS" in html
    assert "Run failed: boom &lt;here&gt;" in html


# ---------------------------------------------------------------- real runs on generated classes

@pytest.fixture(scope="module")
def separable(run_job, tmp_path_factory):
    return cached_run("separable", run_job, tmp_path_factory, shuffled=False)


@pytest.fixture(scope="module")
def shuffled(run_job, tmp_path_factory):
    return cached_run("shuffled", run_job, tmp_path_factory, shuffled=True)


def test_separable_classes_are_learned(separable):
    clf = separable.summary["classifier"]
    assert clf["status"] == "trained" and clf["evaluated"] is True
    assert clf["accuracy"] >= 0.9, clf
    assert clf["labels"] == list(LABELS)
    assert clf["train"]["images"] == clf["test"]["images"] == PER_SPLIT * len(LABELS)


def test_shuffled_labels_stay_near_chance(shuffled):
    clf = shuffled.summary["classifier"]
    assert clf["status"] == "trained" and clf["evaluated"] is True
    # Every label holds the same mix of patterns, so chance is 1/3; the bound leaves room
    # for memorised noise but not for learning (separable classes score >= 0.9).
    assert clf["accuracy"] <= 0.6, clf


def test_metrics_json_fields_and_confusion_matrix_agree_with_the_summary(separable):
    metrics = json.loads((separable.run_dir / "metrics.json").read_text())
    clf = separable.summary["classifier"]
    assert metrics["accuracy"] == clf["accuracy"] and metrics["run_id"] == "run-separable"
    cm = metrics["confusion_matrix"]
    assert cm["labels"] == list(LABELS)
    matrix = cm["matrix"]
    assert sum(map(sum, matrix)) == metrics["test"]["images"] == 18
    assert sum(matrix[i][i] for i in range(3)) == metrics["correct"]
    assert metrics["correct"] / 18 == pytest.approx(metrics["accuracy"])
    for i, label in enumerate(LABELS):
        per = metrics["per_class"][label]
        assert per["support"] == sum(matrix[i]) == PER_SPLIT
        assert per["recall"] == pytest.approx(matrix[i][i] / PER_SPLIT)
        assert set(per) >= {"precision", "recall", "f1", "support"}
        assert clf["per_class"][label]["precision"] == per["precision"]
    assert metrics["options"]["k"] == K and metrics["featurizer_weights_source"].startswith("test-only-random:")
    assert len(metrics["misclassified"]) == 18 - metrics["correct"]


def test_models_saved_and_predictions_match_the_metrics(separable, spark):
    models = separable.run_dir / "models"
    assert (models / "pca" / "metadata").is_dir() and (models / "classifier" / "metadata").is_dir()
    assert (models / "featurizer.weights.h5").stat().st_size > 1_000_000
    rows = read_parquet(spark, separable.run_dir / "predictions").collect()
    assert len(rows) == 18 and {r["split"] for r in rows} == {"Test"}
    correct = sum(r["label"] == r["predicted_label"] for r in rows)
    assert correct == json.loads((separable.run_dir / "metrics.json").read_text())["correct"]
    for r in rows:
        assert r["probability"] == pytest.approx(max(r["probabilities"]))
        assert sum(r["probabilities"]) == pytest.approx(1.0)


def test_training_ran_inside_the_run_before_succeeded(separable):
    s = separable.summary
    assert s["status"] == "succeeded"
    assert s["timings_s"]["train"] > 0 and s["timings_s"]["report"] > 0
    assert s["report_uri"].endswith("report.html") and s["options"]["train"] is True


def test_report_shows_k_labels_confusion_numbers_and_svg(separable):
    html = (separable.run_dir / "report.html").read_text()
    metrics = json.loads((separable.run_dir / "metrics.json").read_text())
    assert html.count("<svg") >= 2 and 'id="variance-chart"' in html and 'id="projection-chart"' in html
    assert f"k = {K}" in html
    for label in LABELS:
        assert f">{label}<" in html
    table = html.split('id="confusion-matrix"')[1].split("</table>")[0]
    cells = [int(c.split(">")[-1]) for c in table.split("</td>")[:-1]]
    assert cells == [v for row in metrics["confusion_matrix"]["matrix"] for v in row]
    assert f"{100 * metrics['accuracy']:.1f}%" in html
    assert 'id="test-only-banner"' in html  # the run used test-only weights
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # self-contained


# ---------------------------------------------------------------- split and label edge cases

def test_no_test_split_trains_on_all_and_reports_not_evaluated(run_job, tmp_path):
    make_good_images(tmp_path / "in", 6, labels=("kiwi", "plum"), splits=("Training",))
    result = run_job(tmp_path / "in", tmp_path / "out", "run-notest", "--k", "2")
    assert result.code == 0, result.stderr[-3000:]
    clf = result.summary["classifier"]
    assert clf["status"] == "trained" and clf["evaluated"] is False and clf["accuracy"] is None
    assert "no Test split" in clf["not_evaluated_reason"]
    assert clf["train"]["images"] == 6 and clf["train"]["splits"] == "all"
    assert (result.run_dir / "models" / "classifier").is_dir() and not (result.run_dir / "predictions").exists()
    assert any("not evaluated" in w for w in result.summary["warnings"])
    assert "no Test split" in (result.run_dir / "report.html").read_text()


def test_one_label_skips_training_with_the_reason(run_job, tmp_path):
    make_good_images(tmp_path / "in", 4, labels=("kiwi",))
    result = run_job(tmp_path / "in", tmp_path / "out", "run-onelabel", "--k", "2")
    assert result.code == 0, result.stderr[-3000:]
    clf = result.summary["classifier"]
    assert clf["status"] == "skipped" and "1 label(s) (kiwi)" in clf["reason"]
    assert not (result.run_dir / "models" / "classifier").exists()
    assert json.loads((result.run_dir / "metrics.json").read_text())["status"] == "skipped"
    assert "No classifier" in (result.run_dir / "report.html").read_text()


def test_no_train_option_skips_the_stage(run_job, tmp_path):
    make_good_images(tmp_path / "in", 4)
    result = run_job(tmp_path / "in", tmp_path / "out", "run-notrain", "--k", "2", "--no-train")
    assert result.code == 0, result.stderr[-3000:]
    assert result.summary["classifier"]["status"] == "skipped" and "--no-train" in result.summary["classifier"]["reason"]
    assert "train" not in result.summary["timings_s"] and result.summary["options"]["train"] is False
    assert not (result.run_dir / "metrics.json").exists() and not (result.run_dir / "models" / "classifier").exists()
    assert (result.run_dir / "report.html").is_file()


def test_a_failing_training_stage_fails_the_run(run_job, tmp_path, monkeypatch):
    import fruits_job.train as train

    def broken(*_a, **_k):
        raise RuntimeError("training exploded")

    monkeypatch.setattr(train, "train_stage", broken)
    make_good_images(tmp_path / "in", 4)
    result = run_job(tmp_path / "in", tmp_path / "out", "run-trainfail", "--k", "2")
    assert result.code == 1
    assert result.summary["status"] == "failed" and "training exploded" in result.summary["error"]
    assert "Run failed: training exploded" in (result.run_dir / "report.html").read_text()


def test_a_regression_worse_than_the_baseline_is_not_kept_and_says_so(run_job, tmp_path_factory, monkeypatch):
    """A deliberately useless regression (always the first label): the run keeps the nearest-centroid
    baseline as its model, says so in the summary, report and warnings, and classify uses it."""
    import numpy as np

    import fruits_job.train as train
    from classifier_runs import write_classes
    from fruits_job.classify import load_run

    real = train.logistic_model

    def useless(x, y, reg_param, standardize):
        m = real(x, y, reg_param, standardize)
        return train.LinearModel(m.algorithm, m.labels, np.zeros_like(m.coefficients),
                                 np.arange(len(m.labels), 0, -1, dtype=float), m.details)

    monkeypatch.setattr(train, "logistic_model", useless)
    base = tmp_path_factory.mktemp("worse")
    result = run_job(write_classes(base / "images"), base / "out", "run-worse", "--k", str(K), "--json")
    assert result.code == 0, result.stderr[-3000:]
    clf = result.summary["classifier"]
    assert clf["regression"]["accuracy"] == pytest.approx(1 / 3)
    assert clf["selected"] == BASELINE_ALGORITHM and clf["accuracy"] == clf["baseline"]["accuracy"] >= 0.9
    assert any("CLASSIFIER WORSE THAN BASELINE" in w for w in result.summary["warnings"])
    assert 'id="worse-than-baseline"' in (result.run_dir / "report.html").read_text()
    doc = json.loads((result.run_dir / "models" / "classifier.json").read_text())
    assert doc["classifier"]["algorithm"] == BASELINE_ALGORITHM
    models = load_run(str(result.run_dir))
    rows = json.loads((result.run_dir / "metrics.json").read_text())
    assert rows["correct"] == round(clf["accuracy"] * rows["test"]["images"])
    assert models.coefficients.shape == (len(LABELS), K)
