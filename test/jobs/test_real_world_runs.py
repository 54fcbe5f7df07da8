"""Issue 9 on real Spark runs: layout rules, counts that lose nothing, run-folder safety,
file modes, interruption, and an honest classifier (Training-only PCA, k capped by the
training set, CV-chosen L2, nearest-centroid baseline, warnings)."""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

import pytest
from classifier_runs import LABELS, pattern_image
from conftest import make_good_images, read_parquet, save_image
from PIL import Image


@pytest.fixture(scope="module")
def odd_layout(tmp_path_factory):
    """8 good files, 3 at the wrong depth, 2 ignored extensions, one dangling link."""
    root = tmp_path_factory.mktemp("odd") / "images"
    make_good_images(root, 8)
    save_image(root / "loose.jpg", 50, fmt="JPEG")                         # directly under the root
    save_image(root / "kiwi" / "nosplit.jpg", 51, fmt="JPEG")              # one level: no split
    save_image(root / "Training" / "kiwi" / "batch1" / "deep.jpg", 52, fmt="JPEG")  # one level too deep
    save_image(root / "Training" / "kiwi" / "photo.webp", 53, fmt="WEBP")
    save_image(root / "Test" / "plum" / "anim.gif", 54, fmt="GIF")
    os.symlink(root / "nowhere.jpg", root / "Training" / "plum" / "dangling.jpg")
    return root


@pytest.fixture(scope="module")
def odd_run(run_job, odd_layout, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    old = os.umask(0o022)
    try:
        result = run_job(odd_layout, out, "run-odd", "--k", "3")
    finally:
        os.umask(old)
    assert result.code == 0, result.stderr[-3000:]
    return result


def test_misplaced_files_are_reported_never_renamed(spark, odd_run):
    s = odd_run.summary
    reasons = {f["path"].rsplit("/", 1)[-1]: f["reason"] for f in s["failures"]}
    for name in ("loose.jpg", "nosplit.jpg", "deep.jpg"):
        assert "not at <root>/<Split>/<Label>/<image>" in reasons[name], reasons
    assert s["counts"]["misplaced"] == 3
    assert set(s["counts"]["per_label"]) == {"kiwi", "plum"} and set(s["counts"]["per_split"]) == {"Training", "Test"}
    assert any("3 file(s) not at <root>/<Split>/<Label>/<image>" in w for w in s["warnings"])
    rows = read_parquet(spark, odd_run.run_dir / "features").select("split", "label").distinct().collect()
    assert {(r["split"], r["label"]) for r in rows} <= {(a, b) for a in ("Training", "Test") for b in ("kiwi", "plum")}


def test_nothing_vanishes_from_the_counts(odd_run):
    s = odd_run.summary
    c = s["counts"]
    reasons = {f["path"].rsplit("/", 1)[-1]: f["reason"] for f in s["failures"]}
    assert reasons["dangling.jpg"].startswith("dangling symbolic link")
    # 8 good + 3 misplaced + 1 dangling link; .webp and .gif are counted as ignored, with the hint.
    assert c["total_files"] == 12 and c["featurized"] == 8 and c["failed"] == 4 == len(s["failures"])
    assert c["ignored"] == 2 and c["ignored_extensions"] == {".webp": 1, ".gif": 1}
    assert any("ignored for their extension" in w and "--extensions" in w for w in s["warnings"])


def test_result_files_follow_the_umask(odd_run):
    for name in ("summary.json", "metrics.json", "report.html"):
        assert stat.S_IMODE((odd_run.run_dir / name).stat().st_mode) == 0o644, name


def test_a_run_that_loses_the_race_for_the_folder_is_refused_and_touches_nothing(run_job, odd_run, odd_layout,
                                                                                   monkeypatch):
    from fruits_job.hadoop_files import HadoopFiles

    before = odd_run.summary_path.read_bytes()
    real_exists = HadoopFiles.exists
    # Both runs passed the "already exists" check: only the atomic claim stands between them.
    monkeypatch.setattr(HadoopFiles, "exists", lambda self, uri: False if uri.endswith("run-odd") else real_exists(self, uri))
    again = run_job(odd_layout, odd_run.run_dir.parent, "run-odd", "--k", "3")
    assert again.code == 2 and "already exists" in again.stderr
    assert odd_run.summary_path.read_bytes() == before


def test_mostly_misplaced_input_stops_with_one_line(run_job, tmp_path):
    for i in range(4):
        save_image(tmp_path / "in" / "apple" / f"{i}.jpg", i, fmt="JPEG")
    save_image(tmp_path / "in" / "Training" / "apple" / "x.jpg", 9, fmt="JPEG")
    result = run_job(tmp_path / "in", tmp_path / "out", "run-m")
    lines = result.stderr.strip().splitlines()
    assert result.code == 2 and "4 of 5 image files" in lines[-1] and "--layout label" in lines[-1]
    assert not (tmp_path / "out" / "run-m").exists()


def test_label_layout_trains_on_a_seeded_split(run_job, tmp_path):
    for kind, label in enumerate(LABELS):
        for i in range(10):
            d = tmp_path / "in" / label
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pattern_image(kind, seed=100 * kind + i), "RGB").save(d / f"{i}.png")
    first = run_job(tmp_path / "in", tmp_path / "out", "run-l1", "--layout", "label", "--k", "4")
    second = run_job(tmp_path / "in", tmp_path / "out", "run-l2", "--layout", "label", "--k", "4")
    assert first.code == 0 and second.code == 0, first.stderr[-3000:]
    s = first.summary
    assert set(s["counts"]["per_label"]) == set(LABELS) and s["counts"]["misplaced"] == 0
    assert set(s["counts"]["per_split"]) == {"Training", "Test"}
    assert s["counts"]["per_split"] == second.summary["counts"]["per_split"]  # seeded: same split
    assert s["classifier"]["evaluated"] is True and s["options"]["layout"] == "label"


def test_sigint_mid_run_records_interrupted_with_the_stage_and_prints_one_line(run_job, tmp_path, spark, monkeypatch):
    from fruits_job import train

    def interrupted_training(spark_, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would, while a Spark job runs
        spark_.range(0, 10**12, numPartitions=2).selectExpr("sum(id * id)").collect()
        raise AssertionError("the Spark job was not cancelled")

    monkeypatch.setattr(train, "train_stage", interrupted_training)
    make_good_images(tmp_path / "in", 8)
    result = run_job(tmp_path / "in", tmp_path / "out", "run-int", "--k", "2")
    assert result.code == 130, result.stderr[-3000:]
    s = result.summary
    assert s["status"] == "interrupted" and s["interrupted"] == {"signal": "SIGINT", "stage": "train"}
    # The live progress file ends in the same state, so `fruits watch` stops on it (not "failed").
    progress = json.loads((Path(result.summary_path).parent / "progress.json").read_text())
    assert progress["status"] == "interrupted" and progress["stage"] == "train"
    job_lines = [line for line in result.stderr.splitlines() if line.startswith("fruits-job: ")]
    assert job_lines == [f"fruits-job: interrupted by SIGINT during train; summary: {result.summary_path} "
                         "(status interrupted)"]
    assert "Traceback" not in result.stderr and "Py4J" not in result.stderr
    assert signal.getsignal(signal.SIGINT) is not None
    spark.sparkContext.setLogLevel("ERROR")


# ---------------------------------------------------------------- classifier honesty

@pytest.fixture(scope="module")
def small_training_run(run_job, tmp_path_factory):
    """16 Training images (4 labels x 4) and k=50 asked: the case that used to collapse."""
    root = tmp_path_factory.mktemp("small") / "images"
    labels = ("a", "b", "c", "d")
    for split_i, split in enumerate(("Training", "Test")):
        for kind, label in enumerate(labels):
            for i in range(4):
                d = root / split / label
                d.mkdir(parents=True, exist_ok=True)
                img = pattern_image(kind % 3, seed=1000 * split_i + 100 * kind + i)
                if kind == 3:
                    img = 255 - img  # a fourth, distinct class
                Image.fromarray(img, "RGB").save(d / f"{i}.png")
    result = run_job(root, tmp_path_factory.mktemp("out"), "run-small", "--json")
    assert result.code == 0, result.stderr[-3000:]
    return result


def test_k_is_capped_by_the_training_set_not_all_images(small_training_run):
    pca = small_training_run.summary["pca"]
    assert pca["fitted_on"] == "Training" and pca["fit_images"] == 16
    assert pca["k"] == 15 and pca["k_requested"] == 50
    assert "16 training images" in pca["warning"]


def test_baseline_cross_validation_and_warnings_are_reported(small_training_run):
    s = small_training_run.summary
    clf = s["classifier"]
    assert clf["baseline"]["algorithm"].startswith("nearest centroid")
    assert 0 <= clf["baseline"]["accuracy"] <= 1
    cv = clf["options"]["cross_validation"]
    assert cv["folds"] == 3 and len(cv["mean_accuracy"]) == len(cv["grid"])
    assert clf["options"]["reg_param"] in cv["grid"]
    assert any("training set small for k" in w for w in s["warnings"])
    if clf["accuracy"] < clf["baseline"]["accuracy"]:
        assert any("does worse than the nearest-centroid baseline" in w for w in s["warnings"])
    assert all(0 <= v["f1"] <= 1 for v in clf["per_class"].values()) and clf["macro_f1"] is not None
    html = (small_training_run.run_dir / "report.html").read_text()
    assert 'id="baseline"' in html and "frames of the same fruits" in html and "<th>F1</th>" in html
    assert "training set small for k" in html and "cross-validation" in html


def test_report_total_includes_the_report_stage(small_training_run):
    import re

    html = (small_training_run.run_dir / "report.html").read_text()
    assert re.search(r"<td class=\"l\">report</td><td>\d+\.\d s", html)
    total = float(re.search(r"<th class=\"l\">total</th><th>([\d.]+) s</th>", html).group(1))
    assert total >= sum(v for k, v in small_training_run.summary["timings_s"].items()
                        if k not in ("total", "report")) - 0.1
