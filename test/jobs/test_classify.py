"""classify: the numpy path equals Spark's PipelineModel.transform, a Test photo gets the label
the evaluation gave it, and bad photos / run folders are one-line errors with exit 2."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from classifier_runs import cached_run
from conftest import JOBS_DIR, make_good_images, read_parquet, subprocess_env

from fruits_job.classify import classify, load_run, main
from fruits_job.layout import local_path


@pytest.fixture(scope="module")
def separable(run_job, tmp_path_factory):
    return cached_run("separable", run_job, tmp_path_factory, shuffled=False)


@pytest.fixture(scope="module")
def predictions(spark, separable):
    return read_parquet(spark, separable.run_dir / "predictions").orderBy("path").collect()


def _main(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_numpy_models_equal_the_spark_pipeline(spark, separable):
    """Same PCA scores and class probabilities as PipelineModel.transform on every image."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.functions import array_to_vector, vector_to_array

    run = separable.run_dir
    models = load_run(str(run))
    df = read_parquet(spark, run / "features").withColumn("features_vec", array_to_vector("features"))
    scored = PipelineModel.load(str(run / "models" / "pca")).transform(df)
    clf = PipelineModel.load(str(run / "models" / "classifier"))
    rows = (clf.transform(scored).select("features", vector_to_array("pca_vec").alias("pcs"),
                                         vector_to_array("probability").alias("p"), "predicted_label").collect())
    assert len(rows) == 36
    for r in rows:
        pcs = models.pca(np.asarray(r["features"]))
        np.testing.assert_allclose(pcs, r["pcs"], rtol=1e-6, atol=1e-9 * np.abs(r["pcs"]).max())
        probs = models.probabilities(pcs)
        np.testing.assert_allclose(probs, r["p"], atol=1e-6)
        assert models.labels[int(np.argmax(probs))] == r["predicted_label"]


def test_classify_a_test_photo_gives_the_evaluation_label(separable, predictions):
    models = load_run(str(separable.run_dir))
    for r in predictions[::5]:  # a few photos of each label (rows are sorted by path)
        got = classify(models, local_path(r["path"].replace("file:", "file://", 1)))
        assert got["label"] == r["predicted_label"], r["path"]
        assert got["probability"] == pytest.approx(r["probability"], abs=1e-4)
        assert list(got["probabilities"]) == models.labels
        np.testing.assert_allclose(list(got["probabilities"].values()), r["probabilities"], atol=1e-4)


def test_command_line_prints_label_and_probability_and_json(separable, predictions):
    """The real entry script in a fresh interpreter (as the runner calls it)."""
    r = predictions[0]
    photo = local_path(r["path"].replace("file:", "file://", 1))
    script = str(JOBS_DIR / "classify.py")
    plain = subprocess.run([sys.executable, script, photo, "--run", str(separable.run_dir)],
                           capture_output=True, text=True, env=subprocess_env(), timeout=300)
    assert plain.returncode == 0, plain.stderr[-2000:]
    label, probability = plain.stdout.strip().split(" ")
    assert label == r["predicted_label"] and float(probability) == pytest.approx(r["probability"], abs=1e-3)
    assert "TEST-ONLY RANDOM WEIGHTS" in plain.stderr
    code, out, _ = _main(photo, "--run", str(separable.run_dir), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["label"] == label and doc["test_only_weights"] is True
    assert sum(doc["probabilities"].values()) == pytest.approx(1.0)


def test_bad_photos_are_one_line_errors(separable, tmp_path):
    run = str(separable.run_dir)
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    for photo, message in ((tmp_path / "missing.jpg", "does not exist"), (text, "not an image PIL can identify"),
                           (empty, "empty file"), (tmp_path, "is a folder")):
        code, out, err = _main(str(photo), "--run", run)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and err.startswith("classify: error: photo ") and message in err, err


def test_bad_run_folders_are_one_line_errors(separable, run_job, tmp_path):
    photo = str(make_good_images(tmp_path / "img", 1)[0])
    no_models = run_job(_two_images(tmp_path), tmp_path / "out", "run-nt", "--k", "1", "--no-train")
    assert no_models.code == 0
    failed = tmp_path / "failed-run"
    shutil.copytree(separable.run_dir, failed, ignore=shutil.ignore_patterns("features", "predictions"))
    doc = json.loads((failed / "summary.json").read_text())
    (failed / "summary.json").write_text(json.dumps({**doc, "status": "failed"}))
    broken = tmp_path / "broken-run"
    shutil.copytree(separable.run_dir, broken, ignore=shutil.ignore_patterns("features", "predictions"))
    (broken / "models" / "classifier.json").write_text('{"format": "fruits-classifier", "format_version": 1}')
    old = tmp_path / "old-run"  # made before the job exported the model file: Spark's folders only
    shutil.copytree(separable.run_dir, old, ignore=shutil.ignore_patterns("features", "predictions"))
    (old / "models" / "classifier.json").unlink()
    cases = [
        (tmp_path / "nope", "does not exist"),
        (separable.run_dir.parent, "has no summary.json"),
        (no_models.run_dir, "has no classifier model (models/classifier.json: skipped: --no-train given)"),
        (failed, "did not succeed (status 'failed')"),
        (broken, "cannot read the model file models/classifier.json"),
        (old, "has no model file models/classifier.json: it was made by an older job"),
        ("s3://bucket/results/run-1", "is not a local folder"),
    ]
    for run, message in cases:
        code, out, err = _main(photo, "--run", str(run))
        assert code == 2 and out == "", (run, err)
        assert err.count("\n") == 1 and err.startswith("classify: error: ") and message in err, err


def _two_images(tmp_path):
    # two per split: PCA is fitted on the Training split, which needs at least 2 images
    make_good_images(tmp_path / "two", 4, labels=("kiwi",))
    return tmp_path / "two"


def test_classify_reads_only_the_model_file_not_sparks_folders(separable, predictions, tmp_path):
    """Spark's internal model folders gone, the documented model file alone gives the same answer."""
    run = tmp_path / "model-file-only"
    shutil.copytree(separable.run_dir, run, ignore=shutil.ignore_patterns("features", "predictions"))
    shutil.rmtree(run / "models" / "classifier")
    shutil.rmtree(run / "models" / "pca")
    r = predictions[0]
    got = classify(load_run(str(run)), local_path(r["path"].replace("file:", "file://", 1)))
    assert got["label"] == r["predicted_label"] and got["probability"] == pytest.approx(r["probability"], abs=1e-4)


def test_the_model_file_is_the_documented_format(separable):
    doc = json.loads((separable.run_dir / "models" / "classifier.json").read_text())
    summary = separable.summary
    assert doc["format"] == "fruits-classifier" and doc["format_version"] == 1
    assert doc["labels"] == summary["classifier"]["labels"] and doc["run_id"] == summary["run_id"]
    k = summary["pca"]["k"]
    assert doc["pca"]["k"] == k and len(doc["pca"]["mean"]) == 1280 and doc["pca"]["scale"] is None
    assert np.asarray(doc["pca"]["components"]).shape == (1280, k)
    assert np.asarray(doc["classifier"]["coefficients"]).shape == (len(doc["labels"]), k)
    assert len(doc["classifier"]["intercepts"]) == len(doc["labels"])
    assert doc["input"]["image_size"] == [224, 224]
    assert doc["input"]["max_image_pixels"] == summary["options"]["max_image_pixels"]
    f = doc["featurizer"]
    assert f["engine"] == summary["options"]["engine"] and f["weights"] == summary["weights"]
    assert f["test_only_weights"] is True and f["onnx_sha256"] == summary["featurizer"]["onnx_sha256"]
    assert (separable.run_dir / f["onnx_file"]).is_file() and (separable.run_dir / f["keras_weights_file"]).is_file()
    assert summary["classifier"]["model_file_uri"].endswith("/models/classifier.json")
