"""Generated edge cases: bad files are skipped and reported, bad runs fail clearly."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import make_good_images, read_parquet, save_image


@pytest.fixture(scope="module")
def messy_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy")
    make_good_images(root, 4)
    d = root / "Training" / "odd label"  # a space in a folder name
    save_image(d / "upper.JPG", 1, fmt="JPEG")
    save_image(d / "long.jpeg", 2, fmt="JPEG")
    save_image(d / "grey.jpg", 3, mode="L", fmt="JPEG")
    save_image(d / "cmyk.jpg", 4, mode="CMYK", fmt="JPEG")
    save_image(d / "alpha.png", 5, mode="RGBA", fmt="PNG")
    save_image(d / "palette.png", 6, mode="P", fmt="PNG")
    save_image(d / "deep.png", 7, mode="I;16", fmt="PNG")
    bad = root / "Test" / "broken"
    bad.mkdir(parents=True)
    full = save_image(bad / "full.jpg", 8, size=(64, 64), fmt="JPEG").read_bytes()
    (bad / "full.jpg").unlink()
    (bad / "truncated.jpg").write_bytes(full[: len(full) // 3])
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "text.jpg").write_text("definitely not a JPEG\n")
    from PIL import Image
    Image.new("RGB", (300, 300), (200, 30, 30)).save(bad / "bomb.png")  # tiny file, too many pixels
    (bad / "huge.jpg").write_bytes(b"\xff\xd8" + b"\0" * 120_000)  # over --max-file-mb below
    (bad / "notes.txt").write_text("not matched by the glob, so not counted\n")
    return root


EXPECTED_FAILURES = {
    "truncated.jpg": "cannot decode",
    "empty.jpg": "empty file",
    "text.jpg": "not an image",
    "bomb.png": "image too large",
    "huge.jpg": "larger than --max-file-mb",
}


@pytest.fixture(scope="module")
def messy_run(run_job, messy_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_job(messy_dir, out, "run-messy", "--max-image-pixels", "50000", "--max-file-mb", "0.1",
                     "--batch-size", "4")
    assert result.code == 0, result.stderr[-3000:]
    return result


def test_bad_files_are_reported_not_fatal(messy_run):
    s = messy_run.summary
    assert s["status"] == "succeeded"
    reasons = {f["path"].rsplit("/", 1)[-1]: f["reason"] for f in s["failures"]}
    assert set(reasons) == set(EXPECTED_FAILURES)
    for name, fragment in EXPECTED_FAILURES.items():
        assert fragment in reasons[name], (name, reasons[name])
    assert s["counts"] == {
        "total_files": 16, "featurized": 11, "failed": 5,
        "per_label": {"kiwi": 2, "odd label": 7, "plum": 2},
        "per_split": {"Test": 2, "Training": 9},
        "misplaced": 0, "ignored": 1, "ignored_extensions": {".txt": 1},  # notes.txt: counted, not lost
    }


def test_decodable_odd_formats_are_in_the_output(spark, messy_run):
    rows = read_parquet(spark, messy_run.run_dir / "features").select("path", "split", "label").collect()
    names = {r["path"].rsplit("/", 1)[-1] for r in rows}
    assert {"upper.JPG", "long.jpeg", "grey.jpg", "cmyk.jpg", "alpha.png", "palette.png", "deep.png"} <= names
    assert not names & set(EXPECTED_FAILURES)
    assert {r["label"] for r in rows} == {"kiwi", "plum", "odd label"}


def test_k_larger_than_images_is_clamped_with_a_warning(spark, messy_run):
    pca = messy_run.summary["pca"]
    # PCA is fitted on the 9 Training images (not all 11): at most 8 components
    assert pca["k_requested"] == 50 and pca["k"] == 8 and pca["fit_images"] == 9
    assert "clamped" in pca["warning"]
    assert any("clamped" in w for w in messy_run.summary["warnings"])
    dims = read_parquet(spark, messy_run.run_dir / "features").selectExpr("size(pca_features) AS p").distinct()
    assert [r["p"] for r in dims.collect()] == [8]


def test_only_image_extensions_are_read(messy_run):
    assert not any(f["path"].endswith(".txt") for f in messy_run.summary["failures"])


def test_run_with_no_decodable_image_is_marked_failed(run_job, tmp_path):
    src = tmp_path / "in" / "Training" / "junk"
    src.mkdir(parents=True)
    (src / "a.jpg").write_text("nope")
    (src / "b.jpg").write_bytes(b"")
    result = run_job(tmp_path / "in", tmp_path / "out", "run-bad")
    assert result.code == 1
    s = result.summary
    assert s["status"] == "failed" and "could be decoded" in s["error"]
    assert s["counts"]["failed"] == 2 and len(s["failures"]) == 2
    assert result.last_line == f"FRUITS_RUN_SUMMARY {result.summary_path}"
    assert "run failed" in result.stderr
    assert not (result.run_dir / "features").exists()


def test_missing_input_fails_at_once(run_job, tmp_path):
    result = run_job(tmp_path / "nope", tmp_path / "out", "run-x")
    assert result.code == 2
    assert "does not exist" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_empty_input_fails_at_once(run_job, tmp_path):
    (tmp_path / "in" / "Training").mkdir(parents=True)
    result = run_job(tmp_path / "in", tmp_path / "out", "run-x")
    assert result.code == 2 and "is empty" in result.stderr
    assert not (tmp_path / "out").exists()


def test_input_without_matching_images_fails_before_writing(run_job, tmp_path):
    (tmp_path / "in" / "Training" / "x").mkdir(parents=True)
    (tmp_path / "in" / "Training" / "x" / "readme.txt").write_text("hi")
    result = run_job(tmp_path / "in", tmp_path / "out", "run-x")
    assert result.code == 2 and "holds no image files" in result.stderr
    assert not (tmp_path / "out" / "run-x").exists()


def test_summary_failures_are_complete_and_name_the_real_files(messy_run, messy_dir):
    doc = json.loads(messy_run.summary_path.read_text())
    counts = doc["counts"]
    assert doc["status"] == "succeeded" and doc["finished_at"] >= doc["started_at"]
    assert counts["featurized"] + counts["failed"] == counts["total_files"]
    assert len(doc["failures"]) == counts["failed"] and "failures_truncated" not in doc
    for failure in doc["failures"]:
        assert set(failure) == {"path", "reason"} and failure["reason"].strip(), failure
        local = Path(urlsplit(failure["path"]).path)  # file:/... as Spark spells it
        assert local.is_file() and messy_dir in local.parents, failure["path"]


def test_listed_file_that_vanished_before_the_scan_is_reported_as_gone(spark, tmp_path):
    # Spark's scan skips a listed file that disappeared (ignoreMissingFiles); the job then asks
    # storage why. Tests run as root, so "unreadable" cannot be staged; "gone" and "empty" can.
    from fruits_job.stages.featurize import why_not_scanned
    from fruits_job.hadoop_files import HadoopFiles

    storage = HadoopFiles(spark)
    folder = tmp_path / "Training" / "kiwi"
    gone = save_image(folder / "gone.jpg", 1, fmt="JPEG")
    gone.unlink()
    (folder / "empty.jpg").write_bytes(b"")
    kept = save_image(folder / "kept.jpg", 2, fmt="JPEG")
    assert "no longer exists" in why_not_scanned(storage, f"file:{gone}")  # as Spark spells paths
    assert why_not_scanned(storage, f"file:{folder / 'empty.jpg'}") == "empty file (0 bytes)"
    assert "could not be read" in why_not_scanned(storage, f"file:{kept}")  # present: Spark failed it


def test_storage_that_cannot_answer_is_reported_as_unreadable():
    from fruits_job.stages.featurize import why_not_scanned

    class BrokenStorage:
        def exists(self, uri):
            raise PermissionError("access denied")

    assert "could not be read" in why_not_scanned(BrokenStorage(), "s3://bucket/Training/kiwi/a.jpg")
