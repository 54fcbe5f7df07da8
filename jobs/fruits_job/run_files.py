"""Where a run keeps its files, relative to <output>/<run-id>/ (one place, shared by the
job stages and by classify)."""

from __future__ import annotations

FEATURES = "features"                          # Parquet: path, split, label, features, pca_features
SUMMARY = "summary.json"
METRICS = "metrics.json"                       # classifier accuracy, per-class scores, confusion matrix
REPORT = "report.html"
PREDICTIONS = "predictions"                    # Parquet: the evaluated images and their predicted label
PCA_MODEL = "models/pca"                       # PipelineModel [StandardScaler (centring), PCA]
CLASSIFIER_MODEL = "models/classifier"         # PipelineModel [LogisticRegression, IndexToString]
FEATURIZER_WEIGHTS = "models/featurizer.weights.h5"  # the MobileNetV2 weights the features came from
FEATURIZER_ONNX = "models/featurizer.onnx"    # the same featurizer in ONNX (--engine onnx runs)
