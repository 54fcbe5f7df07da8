"""Where a run keeps its files, relative to <output>/<run-id>/ (one place, shared by the
job stages and by classify). The paths are declared in contract.json's run_folder."""

from __future__ import annotations

from .contract import run_file

FEATURES = run_file("features")                  # Parquet: path, split, label, features, pca_features
SUMMARY = run_file("summary")                    # summary.json
PROGRESS = run_file("progress")                  # progress.json, rewritten while the job runs
METRICS = run_file("metrics")                    # classifier accuracy, per-class scores, confusion matrix
REPORT = run_file("report")                      # report.html
PREDICTIONS = run_file("predictions")            # Parquet: the evaluated images and their predicted label
PCA_MODEL = run_file("pca_model")                # PipelineModel [StandardScaler (centring), PCA]
CLASSIFIER_MODEL = run_file("classifier_model")  # PipelineModel [LogisticRegression, IndexToString]
MODEL_FILE = run_file("model_file")              # models/classifier.json: what classify reads (model_file.py)
FEATURIZER_WEIGHTS = run_file("featurizer_weights")  # the MobileNetV2 weights the features came from
FEATURIZER_ONNX = run_file("featurizer_onnx")    # the same featurizer in ONNX (--engine onnx runs)
