"""Training stage: a multinomial logistic regression on the PCA features, evaluated on the Test
split against a nearest-centroid baseline; the better of the two on Test is the model kept.

Which images train and which evaluate (Fruits-360 names, matched case-insensitively):
  Training + Test present   train on Training, evaluate on Test (other splits are ignored
                            and listed in metrics.json)
  one of them missing       train on ALL images; "not evaluated" with the reason
  < 2 labels to train on    no classifier; status "skipped" with the reason (the run still
                            succeeds: the features and PCA are complete)
Test labels that training never saw can never be predicted: they count as errors and are
named in a warning.

Where it runs: the PCA scores (n x k floats, k <= 1280) are collected to the driver and the
classifier is fitted there with scikit-learn (lbfgs, deterministic; Spark ML's distributed
fit took 38 s for 2000 x 50 where this takes well under a second). Above MAX_DRIVER_VALUES
(n x k) the stage is skipped with the reason instead of exhausting the driver's memory.

Choices, measured per run: the L2 strength and whether to standardize the PCA scores are picked
by CV_FOLDS-fold cross-validation on Training (ties: unstandardized, then stronger L2).
Then both the regression and the baseline are scored on Test; when the regression is worse,
the run says so loudly (warning, summary, report, the runner's line) and keeps the baseline
as the model (classifier.selected = "nearest centroid"): the headline accuracy is never below
the baseline's. Picking the better of two on Test makes that accuracy slightly optimistic;
the report says so.

Saved so a new photo is classified exactly like the evaluation did (see classify.py). Both
models are linear softmax models on the PCA scores (nearest centroid: coefficients c/s2 and
intercepts -|c|^2/(2 s2), s2 the pooled within-class variance, whose argmax is the nearest
centroid), so one format holds either:
  models/classifier          Spark PipelineModel [LogisticRegressionModel, IndexToString]
  models/classifier.json     the documented model file classify reads (model_file.py)
  models/featurizer.weights.h5  the MobileNetV2 weights the features were computed with
  (models/pca is written by the PCA stage)
Metric arithmetic is pure (confusion counts -> metrics) so it is unit-tested without Spark.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from . import run_files
from .layout import join_uri

log = logging.getLogger("fruits_job")

ALGORITHM = "multinomial logistic regression (scikit-learn, lbfgs)"
BASELINE_ALGORITHM = "nearest centroid"
TRAIN_SPLIT_NAMES = ("training", "train")
TEST_SPLIT_NAMES = ("test", "testing")
MAX_ITER = 1000
MAX_DRIVER_VALUES = 20_000_000  # n x k PCA scores collected to the driver (160 MB of float64)
# L2 strength (Spark's regParam convention: mean loss + reg/2 |w|^2), chosen by k-fold
# cross-validation on the Training split from this grid. Some L2 always: it keeps
# coefficients finite when classes are separable, as they often are in PCA space.
REG_PARAM = 0.01          # used when Training is too small to cross-validate
REG_PARAM_GRID = (0.001, 0.01, 0.1, 1.0)
CV_FOLDS = 3
CV_SEED = 11
MIN_IMAGES_PER_FEATURE = 5  # fewer training images than 5 per PCA feature: warn "small for k"
BASELINE = "nearest centroid (Euclidean, on the same PCA features)"
FRUITS360_CAVEAT = ("Fruits-360's Training and Test images are frames of the same fruits filmed "
                    "turning, so a Test photo has near-twins in Training: this accuracy is optimistic "
                    "for new photos of other fruits.")
MAX_LISTED_MISCLASSIFIED = 50

VECTOR_COL = "pca_vec"
LABEL_INDEX_COL = "label_index"
PREDICTION_COL = "prediction"
PROBABILITY_COL = "probability"
PREDICTED_LABEL_COL = "predicted_label"


@dataclass(frozen=True)
class SplitPlan:
    train_splits: tuple[str, ...]  # empty: train on every image
    test_splits: tuple[str, ...]   # empty: not evaluated
    ignored_splits: tuple[str, ...]
    not_evaluated_reason: str | None


def plan_splits(splits: Iterable[str]) -> SplitPlan:
    names = sorted(set(splits))
    train = tuple(s for s in names if s.lower() in TRAIN_SPLIT_NAMES)
    test = tuple(s for s in names if s.lower() in TEST_SPLIT_NAMES)
    if train and test:
        ignored = tuple(s for s in names if s not in train and s not in test)
        return SplitPlan(train, test, ignored, None)
    missing = "Test" if train else "Training"
    reason = (f"not evaluated: no {missing} split (splits found: {', '.join(names) or 'none'}); "
              "the classifier was trained on all images, so its accuracy is unknown")
    return SplitPlan((), (), (), reason)


def classification_metrics(counts: dict[tuple[str, str], int], classes: Iterable[str]) -> dict:
    """(true label, predicted label) -> count  =>  accuracy, per-class scores, confusion matrix.

    `classes` are the labels the classifier knows; labels only seen as truth are added as
    rows/columns too, so the matrix is square and every image appears in it once.
    """
    labels = sorted(set(classes) | {t for t, _ in counts} | {p for _, p in counts})
    matrix = [[int(counts.get((t, p), 0)) for p in labels] for t in labels]
    total = sum(sum(row) for row in matrix)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    per_class = {}
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted = sum(row[i] for row in matrix)
        precision = tp / predicted if predicted else None
        recall = tp / support if support else None
        f1 = (2 * precision * recall / (precision + recall)
              if precision is not None and recall is not None and precision + recall > 0 else
              (0.0 if precision is not None and recall is not None else None))
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": support, "predicted": predicted}

    def mean(key: str) -> float | None:
        values = [c[key] for c in per_class.values() if c[key] is not None]
        return sum(values) / len(values) if values else None

    return {"images": total, "correct": correct, "accuracy": correct / total if total else None,
            "macro_precision": mean("precision"), "macro_recall": mean("recall"), "macro_f1": mean("f1"),
            "per_class": per_class, "confusion_matrix": {"labels": labels, "rows": "true label",
                                                         "columns": "predicted label", "matrix": matrix}}


def skipped_section(reason: str) -> dict:
    return {"status": "skipped", "reason": reason, "algorithm": ALGORITHM, "evaluated": False,
            "accuracy": None}


@dataclass(frozen=True)
class LinearModel:
    """softmax(x @ coefficients.T + intercepts) on PCA scores; labels in row order."""
    algorithm: str
    labels: tuple[str, ...]
    coefficients: np.ndarray  # classes x k
    intercepts: np.ndarray    # classes
    details: dict

    def margins(self, x) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) @ self.coefficients.T + self.intercepts

    def predict(self, x) -> list[str]:
        return [self.labels[i] for i in self.margins(x).argmax(axis=1)]

    def probabilities(self, x):
        m = self.margins(x)
        m = m - m.max(axis=1, keepdims=True)
        e = np.exp(m)
        return e / e.sum(axis=1, keepdims=True)


def nearest_centroid_model(x, y: list[str]) -> LinearModel:
    """Nearest centroid as a linear softmax model (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    labels = tuple(sorted(set(y.tolist())))
    centroids = np.stack([x[y == label].mean(axis=0) for label in labels])
    residual = x - centroids[np.searchsorted(np.asarray(labels), y)]
    s2 = float((residual ** 2).sum() / max(1, residual.size)) or 1.0
    return LinearModel(BASELINE_ALGORITHM, labels, centroids / s2, -(centroids ** 2).sum(axis=1) / (2 * s2),
                       {"within_class_variance": s2})


def logistic_model(x, y: list[str], reg_param: float, standardize: bool) -> LinearModel:
    """Multinomial L2 logistic regression; standardization folded into the coefficients so the
    model reads raw PCA scores. reg_param in Spark's convention: sklearn's C = 1 / (reg * n)."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0) if standardize else np.zeros(x.shape[1])
    std = x.std(axis=0) if standardize else np.ones(x.shape[1])
    std = np.where(std > 0, std, 1.0)
    lr = LogisticRegression(C=1.0 / (reg_param * len(x)), max_iter=MAX_ITER, tol=1e-8)
    lr.fit((x - mean) / std, np.asarray(y))
    coef, intercept = lr.coef_, lr.intercept_
    if coef.shape[0] == 1:  # two classes: sklearn fits one margin; softmax of (-m/2, m/2) is the same
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    coef = coef / std
    return LinearModel(ALGORITHM, tuple(str(c) for c in lr.classes_), coef, intercept - coef @ mean,
                       {"reg_param": reg_param, "standardization": standardize,
                        "converged": bool(np.all(lr.n_iter_ < MAX_ITER))})


def cross_validate(x, y: list[str], train_per_label: dict) -> tuple[float, bool, dict]:
    """(reg_param, standardize, report) by CV_FOLDS-fold stratified cross-validation (accuracy) on
    Training only. Ties: unstandardized (PCA scores share one scale), then the stronger L2."""
    from sklearn.model_selection import StratifiedKFold

    if min(train_per_label.values()) < CV_FOLDS:
        return REG_PARAM, False, {
            "folds": None, "grid": list(REG_PARAM_GRID), "mean_accuracy": None, "standardization": False,
            "note": f"not cross-validated: a label has fewer than {CV_FOLDS} training images; "
                    f"reg_param {REG_PARAM}, unstandardized"}
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    folds = list(StratifiedKFold(CV_FOLDS, shuffle=True, random_state=CV_SEED).split(x, y))
    scores = {}
    for standardize in (False, True):
        scores[standardize] = [float(np.mean([
            np.mean(np.asarray(logistic_model(x[a], y[a].tolist(), reg, standardize).predict(x[b])) == y[b])
            for a, b in folds])) for reg in REG_PARAM_GRID]
    candidates = [(round(scores[s][i], 9), not s, REG_PARAM_GRID[i], s, i)
                  for s in (False, True) for i in range(len(REG_PARAM_GRID))]
    _, _, reg, standardize, _ = max(candidates)
    return reg, standardize, {
        "folds": CV_FOLDS, "grid": list(REG_PARAM_GRID), "metric": "accuracy", "seed": CV_SEED,
        "mean_accuracy": scores[standardize], "standardization": standardize,
        "mean_accuracy_unstandardized": scores[False], "mean_accuracy_standardized": scores[True]}


def _counts(truth: list[str], predicted: list[str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for t, p in zip(truth, predicted):
        out[(t, p)] = out.get((t, p), 0) + 1
    return out


def _scores(df) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """(paths, splits, labels, n x k scores) of a small DataFrame, ordered by path (so every run
    feeds the rows in the same order whatever the partitioning)."""
    rows = df.orderBy("path").collect()
    k = len(rows[0]["pca_features"]) if rows else 0
    x = np.asarray([r["pca_features"] for r in rows], dtype=np.float64).reshape(len(rows), k)
    return [r["path"] for r in rows], [r["split"] for r in rows], [r["label"] for r in rows], x


def train_stage(spark, storage, record, weights, run_uri: str, pca_model=None) -> dict:
    """Fit, evaluate and save the classifier; fills record.doc["classifier"], writes metrics.json
    and models/classifier.json (the model file classify reads) and returns metrics.json's content.
    pca_model: the run's fitted PCA PipelineModel (None: loaded from models/pca)."""
    from pyspark.sql import functions as F

    features = (spark.read.parquet(join_uri(run_uri, run_files.FEATURES))
                .select("path", "split", "label", "pca_features"))
    groups = {(r["split"], r["label"]): int(r["n"]) for r in
              features.groupBy("split", "label").agg(F.count(F.lit(1)).alias("n")).collect()}
    plan = plan_splits(s for s, _ in groups)
    in_train = (lambda s: True) if not plan.train_splits else (lambda s: s in plan.train_splits)
    train_per_label: dict[str, int] = {}
    for (split, label), n in groups.items():
        if in_train(split):
            train_per_label[label] = train_per_label.get(label, 0) + n
    train_per_label = dict(sorted(train_per_label.items()))
    metrics_uri = join_uri(run_uri, run_files.METRICS)
    k = (record.doc.get("pca") or {}).get("k")
    base = {"algorithm": ALGORITHM, "metrics_uri": metrics_uri,
            "train": {"splits": list(plan.train_splits) or "all", "images": sum(train_per_label.values()),
                      "per_label": train_per_label},
            "options": {"max_iter": MAX_ITER, "reg_param": None, "standardization": None,
                        "features": "pca_features", "k": k}}

    if len(train_per_label) < 2:
        only = ", ".join(train_per_label) or "none"
        reason = (f"skipped: the training images have {len(train_per_label)} label(s) ({only}); "
                  "a classifier needs at least 2 labels")
        section = {**skipped_section(reason), **base}
        return _finish(storage, record, section, section, metrics_uri)
    n_rows = sum(groups.values())
    if k and n_rows * k > MAX_DRIVER_VALUES:
        reason = (f"skipped: {n_rows} images x k={k} PCA scores exceed the {MAX_DRIVER_VALUES:,} values this "
                  "stage collects to the driver; pass a smaller --k / --variance-target, or train on a subset")
        section = {**skipped_section(reason), **base}
        return _finish(storage, record, section, section, metrics_uri)

    train_sel = features if not plan.train_splits else features.filter(F.col("split").isin(list(plan.train_splits)))
    _, _, y_train, x_train = _scores(train_sel)
    n_train = len(y_train)
    reg_param, standardize, cv = cross_validate(x_train, y_train, train_per_label)
    base["options"].update(reg_param=reg_param, standardization=standardize, cross_validation=cv)
    regression = logistic_model(x_train, y_train, reg_param, standardize)
    baseline_model = nearest_centroid_model(x_train, y_train)
    labels = list(regression.labels)
    section = {**base, "status": "trained", "reason": None, "labels": labels,
               "model_uri": join_uri(run_uri, run_files.CLASSIFIER_MODEL),
               "model_file_uri": join_uri(run_uri, run_files.MODEL_FILE),
               "featurizer_weights_uri": join_uri(run_uri, run_files.FEATURIZER_WEIGHTS),
               "pca_model_uri": join_uri(run_uri, run_files.PCA_MODEL), "warnings": [],
               "selected": ALGORITHM, "baseline": {"algorithm": BASELINE, "accuracy": None}}
    if k and n_train < MIN_IMAGES_PER_FEATURE * k:
        section["warnings"].append(
            f"training set small for k: {n_train} training images for k={k} PCA features (fewer than "
            f"{MIN_IMAGES_PER_FEATURE} per feature); the classifier may overfit: compare it with the "
            "nearest-centroid baseline, or pass a smaller --k / --variance-target")
    kept = regression

    if plan.test_splits:
        test_sel = features.filter(F.col("split").isin(list(plan.test_splits)))
        paths, splits, y_test, x_test = _scores(test_sel)
        evaluation = classification_metrics(_counts(y_test, regression.predict(x_test)), labels)
        baseline = classification_metrics(_counts(y_test, baseline_model.predict(x_test)), labels)
        unseen = sorted({t for t in evaluation["confusion_matrix"]["labels"] if t not in labels})
        if unseen:
            section["warnings"].append(f"test labels never seen in training count as errors: {', '.join(unseen)}")
        section["baseline"] = {"algorithm": BASELINE, "accuracy": baseline["accuracy"],
                               "correct": baseline["correct"], "macro_f1": baseline["macro_f1"]}
        section["regression"] = {"algorithm": ALGORITHM, "accuracy": evaluation["accuracy"],
                                 "correct": evaluation["correct"], "macro_f1": evaluation["macro_f1"]}
        if baseline["accuracy"] is not None and evaluation["accuracy"] is not None \
                and evaluation["accuracy"] < baseline["accuracy"]:
            kept, evaluation = baseline_model, baseline
            section["selected"] = BASELINE_ALGORITHM
            section["warnings"].append(
                f"CLASSIFIER WORSE THAN BASELINE: the logistic regression ({100 * section['regression']['accuracy']:.1f}%) "
                f"does worse than the nearest-centroid baseline ({100 * baseline['accuracy']:.1f}%) on the "
                "same Test features, so the baseline is kept as the model (classifier.selected); it overfits "
                "or k is too large for the training set: try a smaller --k or more training images")
        section["selection"] = ("the better of the logistic regression and the nearest-centroid baseline on the "
                                "Test split is kept, so its Test accuracy is slightly optimistic")
        section["caveat"] = FRUITS360_CAVEAT
        probabilities = kept.probabilities(x_test)
        predicted = kept.predict(x_test)
        predictions_uri = join_uri(run_uri, run_files.PREDICTIONS)
        _write_predictions(spark, predictions_uri, paths, splits, y_test, predicted, probabilities)
        misclassified = [{"path": p, "label": t, PREDICTED_LABEL_COL: q, "probability": float(pr.max())}
                         for p, t, q, pr in zip(paths, y_test, predicted, probabilities)
                         if t != q][:MAX_LISTED_MISCLASSIFIED]
        section.update(evaluated=True, not_evaluated_reason=None, test={"splits": list(plan.test_splits),
                       "images": evaluation["images"]}, ignored_splits=list(plan.ignored_splits),
                       accuracy=evaluation["accuracy"], macro_precision=evaluation["macro_precision"],
                       macro_recall=evaluation["macro_recall"], macro_f1=evaluation["macro_f1"],
                       per_class={c: {"precision": v["precision"], "recall": v["recall"], "f1": v["f1"],
                                      "support": v["support"]}
                                  for c, v in evaluation["per_class"].items()},
                       predictions_uri=predictions_uri)
        metrics = {**section, "correct": evaluation["correct"], "per_class": evaluation["per_class"],
                   "confusion_matrix": evaluation["confusion_matrix"], "misclassified": misclassified,
                   "misclassified_listed": len(misclassified)}
        log.info("classifier (%s) accuracy on %s: %.3f (%d of %d images); baseline %.3f", section["selected"],
                 "+".join(plan.test_splits), evaluation["accuracy"], evaluation["correct"], evaluation["images"],
                 baseline["accuracy"])
    else:
        section.update(evaluated=False, not_evaluated_reason=plan.not_evaluated_reason, accuracy=None)
        metrics = dict(section)
        log.warning("classifier %s", plan.not_evaluated_reason)
        section["warnings"].append(f"classifier {plan.not_evaluated_reason}")
    train_eval = classification_metrics(_counts(y_train, kept.predict(x_train)), labels)
    section["training_accuracy"] = metrics["training_accuracy"] = train_eval["accuracy"]
    section["algorithm"] = metrics["algorithm"] = kept.algorithm if kept is regression else BASELINE
    metrics["warnings"] = section["warnings"]
    for w in section["warnings"]:
        log.warning(w)
        record.warn(w)

    spark_classifier(spark, kept).write().save(section["model_uri"])
    if weights.arrays is not None:
        save_featurizer_weights(weights.arrays, storage, section["featurizer_weights_uri"])
    else:  # given as .onnx (or found in the ONNX cache): models/featurizer.onnx is the featurizer
        section["featurizer_weights_uri"] = None
    section["featurizer_weights_source"] = weights.source
    metrics["featurizer_weights_source"] = weights.source
    metrics["featurizer_weights_uri"] = section["featurizer_weights_uri"]
    _write_model_file(storage, record, weights, run_uri, kept, pca_model)
    return _finish(storage, record, section, metrics, metrics_uri)


def _write_predictions(spark, uri, paths, splits, labels, predicted, probabilities) -> None:
    rows = [(p, s, t, q, float(pr.max()), [float(v) for v in pr])
            for p, s, t, q, pr in zip(paths, splits, labels, predicted, probabilities)]
    schema = ("path string, split string, label string, predicted_label string, probability double, "
              "probabilities array<double>")
    spark.createDataFrame(rows, schema).coalesce(1).write.mode("errorifexists").parquet(uri)


def spark_classifier(spark, model: LinearModel):
    """The kept model as Spark's PipelineModel [LogisticRegressionModel, IndexToString], built from
    its numbers through the JVM constructor (Spark's transform gives the same softmax)."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.classification import LogisticRegressionModel
    from pyspark.ml.common import _py2java
    from pyspark.ml.feature import IndexToString
    from pyspark.ml.linalg import DenseMatrix, DenseVector

    sc = spark.sparkContext
    jvm = sc._jvm
    rows, k = model.coefficients.shape
    coef = DenseMatrix(rows, k, np.asarray(model.coefficients, dtype=np.float64).ravel(order="F").tolist())
    java = jvm.org.apache.spark.ml.classification.LogisticRegressionModel(
        jvm.org.apache.spark.ml.util.Identifiable.randomUID("logreg"), _py2java(sc, coef),
        _py2java(sc, DenseVector(model.intercepts)), rows, True)
    lr = LogisticRegressionModel(java)
    lr._set(featuresCol=VECTOR_COL, predictionCol=PREDICTION_COL, probabilityCol=PROBABILITY_COL,
            family="multinomial")
    to_label = IndexToString(inputCol=PREDICTION_COL, outputCol=PREDICTED_LABEL_COL, labels=list(model.labels))
    return PipelineModel(stages=[lr, to_label])


def _write_model_file(storage, record, weights, run_uri, model: LinearModel, pca_model) -> None:
    """models/classifier.json, from the same fitted models that were just evaluated and saved."""
    from . import model_file

    if pca_model is None:
        from pyspark.ml import PipelineModel

        pca_model = PipelineModel.load(join_uri(run_uri, run_files.PCA_MODEL))
    options = record.doc.get("options") or {}
    doc = model_file.build(
        run_id=record.doc.get("run_id"), labels=list(model.labels), pca_model=pca_model,
        classifier=model_file.LinearClassifier(model.algorithm, model.coefficients, model.intercepts,
                                               model.details),
        engine=options.get("engine") or "onnx", weights=weights.source, test_only=weights.test_only,
        onnx_sha256=weights.onnx_sha256, has_keras_weights=weights.arrays is not None,
        has_onnx=weights.onnx is not None, max_image_pixels=options.get("max_image_pixels"))
    storage.write_text(join_uri(run_uri, run_files.MODEL_FILE), model_file.dumps(doc))


def save_featurizer_weights(arrays: list, storage, uri: str) -> None:
    """The exact weights the features came from, as a Keras .weights.h5 file (works for
    imagenet, weight files and test-only random weights alike)."""
    from .featurizer.model import build_architecture

    model = build_architecture()
    model.set_weights(arrays)
    with tempfile.TemporaryDirectory(prefix="fruits-featurizer-") as tmp:
        local = os.path.join(tmp, "featurizer.weights.h5")
        model.save_weights(local)
        storage.copy_from_local(local, uri)


def _finish(storage, record, section: dict, metrics: dict, metrics_uri: str) -> dict:
    record.doc["classifier"] = section
    doc = {"run_id": record.doc.get("run_id"), "weights": record.doc.get("weights"), **metrics}
    storage.write_text(metrics_uri, json.dumps(doc, indent=2) + "\n")
    return doc
