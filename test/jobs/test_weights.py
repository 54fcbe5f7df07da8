"""Weights loading: seeded test-only weights, .h5 files (local and through Hadoop FS), bad files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_good_images, read_parquet

from fruits_job.errors import UsageError
from fruits_job.featurizer.weights import IMAGENET_FILE, load_weights

SEED = 11


@pytest.fixture(scope="module")
def seeded():
    return load_weights(f"test-only-random:{SEED}")


def _model_with(arrays):
    from fruits_job.featurizer.model import build_architecture

    model = build_architecture()
    model.set_weights(arrays)
    return model


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_same_seed_same_weights_other_seed_differs(seeded):
    assert seeded.test_only and seeded.source == f"test-only-random:{SEED}"
    _same(seeded.arrays, load_weights(f"test-only-random:{SEED}").arrays)
    other = load_weights(f"test-only-random:{SEED + 1}").arrays
    assert any(not np.array_equal(x, y) for x, y in zip(seeded.arrays, other))


def test_keras3_weights_file_loads(seeded, tmp_path):
    path = tmp_path / "seeded.weights.h5"
    _model_with(seeded.arrays).save_weights(str(path))
    loaded = load_weights(str(path))
    assert not loaded.test_only and loaded.source == str(path)
    _same(seeded.arrays, loaded.arrays)


def test_legacy_h5_file_like_the_imagenet_download_loads(seeded, tmp_path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    path = tmp_path / "mobilenet_v2_seeded_no_top.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, _model_with(seeded.arrays))
    _same(seeded.arrays, load_weights(str(path)).arrays)


def test_missing_and_broken_weights_files_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_weights(str(tmp_path / "nope.h5"))
    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"not hdf5")
    with pytest.raises(UsageError, match="is not a MobileNetV2") as e:
        load_weights(str(broken))
    assert IMAGENET_FILE in str(e.value) and "\n" not in str(e.value)


def test_job_with_weights_file_via_hadoop_fs_reproduces_features(run_job, spark, seeded, tmp_path):
    """file:// goes through the same Hadoop FS copy as s3:// on EMR; features must equal a
    direct TensorFlow computation with the seeded weights."""
    from fruits_job.featurizer.images import decode_image, preprocess
    from fruits_job.featurizer.model import make_predictor

    images = make_good_images(tmp_path / "in", 4)
    weights_file = tmp_path / "w" / "seeded.weights.h5"
    weights_file.parent.mkdir()
    _model_with(seeded.arrays).save_weights(str(weights_file))
    result = run_job(tmp_path / "in", tmp_path / "out", "run-w", "--k", "2",
                     weights=f"file://{weights_file}")
    assert result.code == 0, result.stderr[-3000:]
    assert result.summary["weights"] == f"file://{weights_file}"
    assert "weights_warning" not in result.summary
    rows = {r["path"].rsplit("/", 1)[-1]: np.array(r["features"]) for r in
            read_parquet(spark, result.run_dir / "features").select("path", "features").collect()}
    predict = make_predictor(seeded.arrays)
    batch = preprocess(np.stack([decode_image(p.read_bytes(), 10**8)[0] for p in images]))
    expected = predict(batch)
    for p, want in zip(images, expected):
        np.testing.assert_allclose(rows[p.name], want, rtol=1e-4, atol=1e-4)


def test_imagenet_spec_uses_the_real_keras_loader_and_its_cache(seeded, tmp_path, monkeypatch):
    """The default `imagenet` path, without network: a file already in Keras's cache (as
    after a first download) is what keras.applications loads. Here the cached file holds
    seeded weights, so equality proves the real loading code ran end to end."""
    import h5py
    from keras.src.backend import config as keras_config
    from keras.src.legacy.saving import legacy_h5_format

    models_dir = tmp_path / "models"
    models_dir.mkdir()
    with h5py.File(models_dir / IMAGENET_FILE, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, _model_with(seeded.arrays))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    loaded = load_weights("imagenet")
    assert loaded.source == "imagenet" and not loaded.test_only
    _same(seeded.arrays, loaded.arrays)
