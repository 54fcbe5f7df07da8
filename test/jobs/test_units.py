"""Pure pieces without Spark: config validation, globs, decoding, preprocessing, k choice."""

from __future__ import annotations

import re

import io
import json
import struct

import numpy as np
import pytest
from conftest import save_image
from PIL import Image

from fruits_job.options import parse_args
from fruits_job.errors import UsageError
from fruits_job.featurizer import images
from fruits_job.featurizer.images import decode_image, preprocess
from fruits_job.layout import default_run_id, image_glob, join_uri
from fruits_job.pca import max_components, smallest_k_for_target
from fruits_job.summary import RunRecord

BASE = ["--input", "/in", "--output", "/out"]


def test_defaults():
    c = parse_args(BASE)
    assert c.k == 50 and c.variance_target is None and c.weights == "imagenet"
    assert re.fullmatch(r"run-\d{8}-\d{6}-[0-9a-f]{6}", c.run_id)
    assert c.layout == "split-label" and "[hH][eE][iI][cC]" in c.path_glob
    assert c.overwrite is False and c.json is False


@pytest.mark.parametrize("extra, fragment", [
    (["--k", "0"], "--k 0 is out of range"),
    (["--k", "1281"], "1..1280"),
    (["--variance-target", "1.5"], "--variance-target 1.5 is out of range; use (0, 1]"),
    (["--k", "5", "--variance-target", "0.9"], "not allowed with"),
    (["--run-id", "../escape"], "not a plain folder name"),
    (["--weights", "random:1"], "test-only-random:<seed>"),
    (["--weights", "test-only-random:abc"], "seed must be a whole number"),
    (["--weights", "/tmp/model.bin"], "not a Keras weights file"),
    (["--batch-size", "0"], "--batch-size 0"),
    (["--max-file-mb", "4096"], "2 GiB"),
])
def test_bad_usage_is_one_line_usage_error(extra, fragment):
    with pytest.raises(UsageError) as e:
        parse_args(BASE + extra)
    assert fragment in str(e.value)
    assert "\n" not in str(e.value)


def test_variance_target_replaces_k():
    c = parse_args(BASE + ["--variance-target", "0.9"])
    assert c.k is None and c.variance_target == 0.9


def test_image_glob_is_case_insensitive():
    assert image_glob(["jpg"]) == "*.[jJ][pP][gG]"
    assert image_glob(["jpg", ".PNG"]) == "*.{[jJ][pP][gG],[pP][nN][gG]}"
    with pytest.raises(ValueError):
        image_glob([""])


def test_uri_helpers():
    assert join_uri("s3://b/results/", "run-1", "summary.json") == "s3://b/results/run-1/summary.json"
    from datetime import datetime, timezone
    assert default_run_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "abc123") == "run-20260102-030405-abc123"
    same_second = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert len({default_run_id(same_second) for _ in range(50)}) == 50  # no collision within a second


def test_preprocess_matches_keras_mobilenet_v2():
    from keras.applications.mobilenet_v2 import preprocess_input

    x = np.random.default_rng(0).integers(0, 256, (2, 224, 224, 3), dtype=np.uint8)
    np.testing.assert_allclose(preprocess(x), preprocess_input(x.astype(np.float32)), atol=1e-6)
    assert preprocess(x).min() >= -1 and preprocess(x).max() <= 1


def _bytes(mode="RGB", fmt="JPEG", size=(40, 30), **kw) -> bytes:
    buf = io.BytesIO()
    rgb = Image.fromarray(np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), np.uint8))
    (rgb.convert(mode) if mode != "RGB" else rgb).save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("mode, fmt", [("RGB", "JPEG"), ("L", "JPEG"), ("CMYK", "JPEG"),
                                       ("RGBA", "PNG"), ("P", "PNG"), ("I;16", "PNG"), ("LA", "PNG")])
def test_decodable_modes_become_224_rgb(mode, fmt):
    arr, reason = decode_image(_bytes(mode, fmt), 10**8)
    assert reason is None
    assert arr.shape == (224, 224, 3) and arr.dtype == np.uint8


def test_transparent_pixels_become_white():
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buf, format="PNG")
    arr, reason = decode_image(buf.getvalue(), 10**8)
    assert reason is None and arr.min() == 255


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty file"),
    (b"this is not an image at all", "not an image"),
    (_bytes()[:200], "cannot decode"),
])
def test_bad_bytes_give_a_reason(content, fragment):
    arr, reason = decode_image(content, 10**8)
    assert arr is None and fragment in reason


@pytest.mark.parametrize("error", [struct.error("unpack requires a buffer of 4 bytes"), IndexError(),
                                   KeyError("tile"), ZeroDivisionError("division by zero")])
def test_unexpected_pil_errors_give_a_reason_not_a_crash(monkeypatch, error):
    # Crafted files make PIL raise errors outside the expected list; one file must not fail the task.
    def raising_open(*args, **kwargs):
        raise error

    monkeypatch.setattr(images.Image, "open", raising_open)
    arr, reason = decode_image(_bytes(), 10**8)
    assert arr is None
    assert reason.startswith(f"cannot decode: {type(error).__name__}")
    assert str(error) == "" or " ".join(str(error).split()) in reason


def test_keyboard_interrupt_is_not_swallowed(monkeypatch):
    def raising_open(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(images.Image, "open", raising_open)
    with pytest.raises(KeyboardInterrupt):
        decode_image(_bytes(), 10**8)


def test_pixel_limit_rejects_large_images():
    arr, reason = decode_image(_bytes(size=(300, 200)), 300 * 200 - 1)
    assert arr is None and "image too large: 300x200" in reason


def test_smallest_k_for_target():
    shares = [0.5, 0.3, 0.1, 0.05, 0.05]
    assert smallest_k_for_target(shares, 0.5) == 1
    assert smallest_k_for_target(shares, 0.8) == 2
    assert smallest_k_for_target(shares, 0.81) == 3
    assert smallest_k_for_target(shares, 1.0) == 5
    assert smallest_k_for_target([0.4, 0.4], 0.9) is None


def test_max_components():
    assert max_components(2) == 1
    assert max_components(140) == 139
    assert max_components(5000) == 1280


def test_save_image_helper_makes_distinct_images(tmp_path):
    a = np.asarray(Image.open(save_image(tmp_path / "a.png", 1)))
    b = np.asarray(Image.open(save_image(tmp_path / "b.png", 2)))
    assert a.shape == (32, 32, 3) and not np.array_equal(a, b)


class _MemoryStorage:
    def __init__(self):
        self.files: dict[str, str] = {}

    def write_text(self, uri: str, text: str) -> None:
        self.files[uri] = text


def test_run_record_total_counts_from_the_given_start(monkeypatch):
    from fruits_job import summary

    now = [1000.0]
    monkeypatch.setattr(summary.time, "monotonic", lambda: now[0])
    config = parse_args(BASE)
    storage = _MemoryStorage()
    # run() started at t=1000; list and load_weights ran before the record existed at t=1012
    now[0] = 1012.0
    record = RunRecord(storage, "/out/r/summary.json", config, "/out/r", started_monotonic=1000.0,
                       started_at="2026-01-01T00:00:00Z")
    record.timed("list", 2.0)
    record.timed("load_weights", 10.0)
    now[0] = 1020.0
    record.timed("featurize", 8.0)
    record.succeed()
    doc = json.loads(storage.files["/out/r/summary.json"])
    assert doc["timings_s"]["total"] == 20.0
    assert doc["started_at"] == "2026-01-01T00:00:00Z"
