"""Training stage: a multinomial logistic regression on the PCA features, evaluated on the Test split.

Which images train and which evaluate (Fruits-360 names, matched case-insensitively):
  Training + Test present   train on Training, evaluate on Test (other splits are ignored
                            and listed in metrics.json)
  one of them missing       train on ALL images; "not evaluated" with the reason
  < 2 labels to train on    no classifier; status "skipped" with the reason (the run still
                            succeeds: the features and PCA are complete)
Test labels that training never saw can never be predicted: they count as errors and are
named in a warning.

Saved so a new photo is classified exactly like the evaluation did (see classify.py):
  models/classifier          PipelineModel [LogisticRegressionModel, IndexToString]
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

from . import run_files
from .layout import join_uri

log = logging.getLogger("fruits_job")

ALGORITHM = "multinomial logistic regression (Spark ML)"
TRAIN_SPLIT_NAMES = ("training", "train")
TEST_SPLIT_NAMES = ("test", "testing")
MAX_ITER = 100
# L2 strength, chosen by k-fold cross-validation on the Training split from this grid
# (features are standardized by Spark first, so one grid suits any k). Some L2 always:
# it keeps coefficients finite when classes are separable, as they often are in PCA space.
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


def train_stage(spark, storage, record, weights, run_uri: str, pca_model=None) -> dict:
    """Fit, evaluate and save the classifier; fills record.doc["classifier"], writes metrics.json
    and models/classifier.json (the model file classify reads) and returns metrics.json's content.
    pca_model: the run's fitted PCA PipelineModel (None: loaded from models/pca)."""
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    features = (spark.read.parquet(join_uri(run_uri, run_files.FEATURES))
                .select("path", "split", "label", array_to_vector("pca_features").alias(VECTOR_COL)))
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
    base = {"algorithm": ALGORITHM, "metrics_uri": metrics_uri,
            "train": {"splits": list(plan.train_splits) or "all", "images": sum(train_per_label.values()),
                      "per_label": train_per_label},
            "options": {"max_iter": MAX_ITER, "reg_param": None, "standardization": True,
                        "features": "pca_features", "k": (record.doc.get("pca") or {}).get("k")}}

    if len(train_per_label) < 2:
        only = ", ".join(train_per_label) or "none"
        reason = (f"skipped: the training images have {len(train_per_label)} label(s) ({only}); "
                  "a classifier needs at least 2 labels")
        section = {**skipped_section(reason), **base}
        return _finish(storage, record, section, section, metrics_uri)

    train_df = features if not plan.train_splits else features.filter(F.col("split").isin(list(plan.train_splits)))
    train_df = train_df.cache()
    n_train = sum(train_per_label.values())
    reg_param, cv = choose_reg_param(train_df, train_per_label)
    base["options"].update(reg_param=reg_param, cross_validation=cv)
    classifier, labels = _fit(train_df, reg_param)
    train_eval = classification_metrics(_confusion_counts(classifier.transform(train_df)), labels)
    centroids = nearest_centroid_fit(train_df)
    train_df.unpersist()
    section = {**base, "status": "trained", "reason": None, "labels": labels,
               "model_uri": join_uri(run_uri, run_files.CLASSIFIER_MODEL),
               "model_file_uri": join_uri(run_uri, run_files.MODEL_FILE),
               "featurizer_weights_uri": join_uri(run_uri, run_files.FEATURIZER_WEIGHTS),
               "pca_model_uri": join_uri(run_uri, run_files.PCA_MODEL),
               "training_accuracy": train_eval["accuracy"], "warnings": [],
               "baseline": {"algorithm": BASELINE, "accuracy": None}}
    k = base["options"]["k"]
    if k and n_train < MIN_IMAGES_PER_FEATURE * k:
        section["warnings"].append(
            f"training set small for k: {n_train} training images for k={k} PCA features (fewer than "
            f"{MIN_IMAGES_PER_FEATURE} per feature); the classifier may overfit: compare it with the "
            "nearest-centroid baseline, or pass a smaller --k / --variance-target")
    metrics = dict(section)

    if plan.test_splits:
        test_df = features.filter(F.col("split").isin(list(plan.test_splits)))
        predicted = classifier.transform(test_df)
        evaluation = classification_metrics(_confusion_counts(predicted), labels)
        unseen = sorted({t for t in evaluation["confusion_matrix"]["labels"] if t not in labels})
        if unseen:
            section["warnings"].append(f"test labels never seen in training count as errors: {', '.join(unseen)}")
        baseline = classification_metrics(nearest_centroid_counts(test_df, centroids), labels)
        section["baseline"] = {"algorithm": BASELINE, "accuracy": baseline["accuracy"],
                               "correct": baseline["correct"], "macro_f1": baseline["macro_f1"]}
        if baseline["accuracy"] is not None and evaluation["accuracy"] is not None \
                and evaluation["accuracy"] < baseline["accuracy"]:
            section["warnings"].append(
                f"the classifier ({100 * evaluation['accuracy']:.1f}%) does worse than the nearest-centroid "
                f"baseline ({100 * baseline['accuracy']:.1f}%) on the same features: it overfits or k is "
                "too large for the training set; try a smaller --k or more training images")
        section["caveat"] = FRUITS360_CAVEAT
        predictions_uri = join_uri(run_uri, run_files.PREDICTIONS)
        rows = _prediction_rows(predicted)
        rows.write.mode("errorifexists").parquet(predictions_uri)
        misclassified = [r.asDict() for r in
                         rows.filter(F.col("label") != F.col(PREDICTED_LABEL_COL))
                         .select("path", "label", PREDICTED_LABEL_COL, "probability")
                         .orderBy("path").limit(MAX_LISTED_MISCLASSIFIED).collect()]
        section.update(evaluated=True, not_evaluated_reason=None, test={"splits": list(plan.test_splits),
                       "images": evaluation["images"]}, ignored_splits=list(plan.ignored_splits),
                       accuracy=evaluation["accuracy"], macro_precision=evaluation["macro_precision"],
                       macro_recall=evaluation["macro_recall"], macro_f1=evaluation["macro_f1"],
                       per_class={k: {"precision": v["precision"], "recall": v["recall"], "f1": v["f1"],
                                      "support": v["support"]}
                                  for k, v in evaluation["per_class"].items()},
                       predictions_uri=predictions_uri)
        metrics = {**section, "correct": evaluation["correct"], "per_class": evaluation["per_class"],
                   "confusion_matrix": evaluation["confusion_matrix"], "misclassified": misclassified,
                   "misclassified_listed": len(misclassified)}
        log.info("classifier accuracy on %s: %.3f (%d of %d images)", "+".join(plan.test_splits),
                 evaluation["accuracy"], evaluation["correct"], evaluation["images"])
    else:
        section.update(evaluated=False, not_evaluated_reason=plan.not_evaluated_reason, accuracy=None)
        metrics = dict(section)
        log.warning("classifier %s", plan.not_evaluated_reason)
        section["warnings"].append(f"classifier {plan.not_evaluated_reason}")
    for w in section["warnings"]:
        log.warning(w)
        record.warn(w)

    classifier.write().save(section["model_uri"])
    if weights.arrays is not None:
        save_featurizer_weights(weights.arrays, storage, section["featurizer_weights_uri"])
    else:  # given as .onnx: models/featurizer.onnx (written with the PCA model) is the featurizer
        section["featurizer_weights_uri"] = None
    section["featurizer_weights_source"] = weights.source
    metrics["featurizer_weights_source"] = weights.source
    _write_model_file(storage, record, weights, run_uri, labels, classifier, pca_model)
    return _finish(storage, record, section, metrics, metrics_uri)


def _write_model_file(storage, record, weights, run_uri, labels, classifier, pca_model) -> None:
    """models/classifier.json, from the same fitted models that were just evaluated and saved."""
    from . import model_file

    if pca_model is None:
        from pyspark.ml import PipelineModel

        pca_model = PipelineModel.load(join_uri(run_uri, run_files.PCA_MODEL))
    options = record.doc.get("options") or {}
    doc = model_file.build(
        run_id=record.doc.get("run_id"), labels=labels, pca_model=pca_model, classifier_model=classifier,
        engine=options.get("engine") or "onnx", weights=weights.source, test_only=weights.test_only,
        onnx_sha256=weights.onnx_sha256, has_keras_weights=weights.arrays is not None,
        has_onnx=weights.onnx is not None, max_image_pixels=options.get("max_image_pixels"))
    storage.write_text(join_uri(run_uri, run_files.MODEL_FILE), model_file.dumps(doc))


def _logistic_regression(reg_param: float):
    from pyspark.ml.classification import LogisticRegression

    return LogisticRegression(featuresCol=VECTOR_COL, labelCol=LABEL_INDEX_COL, family="multinomial",
                              maxIter=MAX_ITER, regParam=reg_param, standardization=True,
                              predictionCol=PREDICTION_COL, probabilityCol=PROBABILITY_COL)


def _indexer(train_df):
    from pyspark.ml.feature import StringIndexer

    return StringIndexer(inputCol="label", outputCol=LABEL_INDEX_COL, stringOrderType="alphabetAsc").fit(train_df)


def choose_reg_param(train_df, train_per_label: dict) -> tuple[float, dict]:
    """L2 strength by CV_FOLDS-fold cross-validation (accuracy) on the Training split only.
    Too few images per label to hold some out in every fold: the default, and say so."""
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

    if min(train_per_label.values()) < CV_FOLDS:
        return REG_PARAM, {"folds": None, "grid": list(REG_PARAM_GRID), "mean_accuracy": None,
                           "note": f"not cross-validated: a label has fewer than {CV_FOLDS} training images; "
                                   f"reg_param {REG_PARAM} used"}
    indexed = _indexer(train_df).transform(train_df)
    lr = _logistic_regression(REG_PARAM)
    grid = ParamGridBuilder().addGrid(lr.regParam, list(REG_PARAM_GRID)).build()
    evaluator = MulticlassClassificationEvaluator(labelCol=LABEL_INDEX_COL, predictionCol=PREDICTION_COL,
                                                  metricName="accuracy")
    cv = CrossValidator(estimator=lr, estimatorParamMaps=grid, evaluator=evaluator, numFolds=CV_FOLDS,
                        seed=CV_SEED, parallelism=1).fit(indexed)
    scores = [float(m) for m in cv.avgMetrics]
    # Ties go to the stronger regularization (simpler model): scan from the largest value.
    best = max(range(len(scores)), key=lambda i: (round(scores[i], 9), REG_PARAM_GRID[i]))
    return REG_PARAM_GRID[best], {"folds": CV_FOLDS, "grid": list(REG_PARAM_GRID), "mean_accuracy": scores,
                                  "metric": "accuracy", "seed": CV_SEED}


def nearest_centroid_fit(train_df) -> dict:
    """label -> mean PCA feature vector of its training images (the baseline's model)."""
    import numpy as np
    from pyspark.ml.stat import Summarizer
    from pyspark.sql import functions as F

    rows = train_df.groupBy("label").agg(Summarizer.mean(F.col(VECTOR_COL)).alias("c")).collect()
    return {r["label"]: np.asarray(r["c"].toArray(), dtype=np.float64) for r in rows}


def nearest_centroid_counts(test_df, centroids: dict) -> dict[tuple[str, str], int]:
    """(true label, nearest centroid's label) -> count, computed on the executors."""
    import numpy as np
    import pandas as pd
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql.functions import pandas_udf

    labels = sorted(centroids)
    matrix = np.stack([centroids[label] for label in labels])

    def nearest(vectors):
        x = np.stack(vectors.to_numpy()).astype(np.float64)
        d = ((x[:, None, :] - matrix[None, :, :]) ** 2).sum(axis=2)
        return pd.Series(np.asarray(labels, dtype=object)[d.argmin(axis=1)])

    # Real classes, not the strings `from __future__ import annotations` would leave.
    nearest.__annotations__ = {"vectors": pd.Series, "return": pd.Series}
    nearest_udf = pandas_udf(nearest, "string")
    rows = (test_df.select("label", nearest_udf(vector_to_array(VECTOR_COL)).alias("nearest"))
            .groupBy("label", "nearest").count().collect())
    return {(r["label"], r["nearest"]): int(r["count"]) for r in rows}


def _fit(train_df, reg_param: float = REG_PARAM):
    """-> (PipelineModel [LogisticRegressionModel, IndexToString], labels in class-index order)."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import IndexToString

    indexer = _indexer(train_df)
    lr = _logistic_regression(reg_param)
    model = lr.fit(indexer.transform(train_df))
    labels = list(indexer.labels)
    to_label = IndexToString(inputCol=PREDICTION_COL, outputCol=PREDICTED_LABEL_COL, labels=labels)
    return PipelineModel(stages=[model, to_label]), labels


def _confusion_counts(predicted) -> dict[tuple[str, str], int]:
    rows = predicted.groupBy("label", PREDICTED_LABEL_COL).count().collect()
    return {(r["label"], r[PREDICTED_LABEL_COL]): int(r["count"]) for r in rows}


def _prediction_rows(predicted):
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    probabilities = vector_to_array(PROBABILITY_COL)
    return predicted.select("path", "split", "label", PREDICTED_LABEL_COL,
                            F.array_max(probabilities).alias("probability"),
                            probabilities.alias("probabilities"))


def save_featurizer_weights(arrays: list, storage, uri: str) -> None:
    """The exact weights the features came from, as a Keras .weights.h5 file (works for
    imagenet, weight files and test-only random weights alike)."""
    from .model import build_architecture

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
