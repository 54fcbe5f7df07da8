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
    from fruits_job.images import decode_image, preprocess

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
