"""notebooks/explore_run.ipynb: committed without outputs, and executed end to end (nbclient, a
real ipykernel of this venv) against the session's run on the real sample with the real
weights; every cell must run and every figure cell must show a figure. Also fruits_job.explore,
the package module the notebook reads the run with."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "explore_run.ipynb"
FIGURE_MAGIC = "%matplot plt"


def _notebook():
    import nbformat

    return nbformat.read(str(NOTEBOOK), as_version=4)


def test_committed_notebook_has_no_outputs():
    nb = _notebook()
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert dirty == [], f"cells {dirty} carry outputs: run `.venv/bin/nbstripout {NOTEBOOK.relative_to(REPO)}`"
    verify = subprocess.run([str(os.path.join(os.path.dirname(sys.executable), "nbstripout")), "--verify",
                             str(NOTEBOOK)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_notebook_has_one_parameters_cell_first():
    code = [c for c in _notebook().cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert [line.split("=")[0].strip() for line in code[0].source.splitlines()
            if not line.startswith("#")] == ["RUN", "PHOTO", "JOB_PACKAGE"]


def test_notebook_runs_end_to_end_on_a_real_run(real_run, tmp_path):
    from nbclient import NotebookClient

    nb = _notebook()
    env_before = os.environ.get("FRUITS_RUN")
    os.environ["FRUITS_RUN"] = str(real_run.run_dir)  # the kernel inherits it, as from `fruits notebook`
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop("FRUITS_RUN", None)
        else:
            os.environ["FRUITS_RUN"] = env_before
    (tmp_path / "executed.ipynb").write_text(json.dumps(nb))  # for a look when it fails

    figure_cells = [c for c in nb.cells if c.cell_type == "code" and FIGURE_MAGIC in c.source]
    assert len(figure_cells) == 7
    missing = [c.source.splitlines()[0] for c in figure_cells
               if not any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert missing == [], f"figure cells without a figure: {missing}"
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert f"reading run run-real at {real_run.run_dir}" in text and "running on this machine" in text
    assert "status     succeeded" in text and "140 featurized of 140 files" in text
    # The photo cell gives what `fruits classify` gives for the same photo.
    from fruits_job.classify import classify, load_run

    photo = next(line for line in text.splitlines() if line.startswith("file:"))
    expected = classify(load_run(str(real_run.run_dir)), photo[len("file:"):])
    assert f"-> {expected['label']} {expected['probability']:.4f}" in text


# ---------------------------------------------------------------- fruits_job.explore

def test_open_run_reads_the_documented_files(real_run):
    from fruits_job import explore

    run = explore.open_run(str(real_run.run_dir) + "/")
    assert run.run_id == "run-real" and run.summary["status"] == "succeeded"
    features = run.features()
    assert len(features) == 140 and len(features["pca_features"][0]) == run.summary["pca"]["k"] == 50
    labels, matrix = run.confusion()
    assert sorted(labels) == ["apple", "lemon", "mango", "raspberry"]
    assert sum(map(sum, matrix)) == run.classifier["test"]["images"]
    samples = run.sample_paths(per_label=2, split="Training")
    assert sorted(samples) == sorted(labels) and all(len(p) == 2 for p in samples.values())
    assert run.photo(samples["apple"][0]).shape == (224, 224, 3)


@pytest.mark.parametrize("make, problem", [
    (lambda p: None, "has no summary.json"),
    (lambda p: (p / "summary.json").write_text("{not json"), "cannot read"),
])
def test_open_run_names_the_problem_and_the_fix(tmp_path, make, problem):
    from fruits_job import explore
    from fruits_job.errors import UsageError

    make(tmp_path)
    with pytest.raises(UsageError, match=problem):
        explore.open_run(str(tmp_path))
    with pytest.raises(UsageError, match="set RUN"):
        explore.open_run("")


def test_where_tells_emr_from_local(tmp_path):
    from fruits_job import explore

    assert explore.where(str(tmp_path / "absent.json"))["place"] == "local"
    flow = tmp_path / "job-flow.json"
    flow.write_text(json.dumps({"jobFlowId": "j-ABC"}))
    assert explore.where(str(flow)) == {"place": "emr", "cluster_id": "j-ABC", "python": sys.executable}


def test_newest_run_is_the_latest_summary(tmp_path):
    from fruits_job import explore

    assert explore.newest_run(str(tmp_path / "none")) is None
    for name, mtime in (("run-a", 100), ("run-b", 300), ("run-c", 200)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text("{}")
        os.utime(tmp_path / name / "summary.json", (mtime, mtime))
    (tmp_path / "not-a-run").mkdir()
    assert explore.newest_run(str(tmp_path)) == str(tmp_path / "run-b")


@pytest.fixture()
def moto_s3(monkeypatch):
    """A moto S3 server on 127.0.0.1 (from .venv-tools, as the rehearsal uses), its endpoint
    in FRUITS_AWS_ENDPOINT the way explore reads it."""
    import socket
    import time
    import urllib.request

    server = REPO / ".venv-tools" / "bin" / "moto_server"
    if not server.exists():
        pytest.skip("moto_server not installed (bash scripts/setup.sh --test)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                     "FRUITS_AWS_ENDPOINT": f"http://127.0.0.1:{port}"}.items():
            monkeypatch.setenv(k, v)
        import boto3

        yield boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_open_run_on_s3_as_on_emr(real_run, moto_s3, sample_dir):
    """The EMR path: the run and a photo on S3, read with pyarrow's S3 filesystem; classify
    works from the model files copied down."""
    from fruits_job import explore

    moto_s3.create_bucket(Bucket="data")
    for f in real_run.run_dir.rglob("*"):
        if f.is_file():
            moto_s3.upload_file(str(f), "data", f"results/run-real/{f.relative_to(real_run.run_dir)}")
    photo = sorted((sample_dir / "Test" / "lemon").glob("*.jpg"))[0]
    moto_s3.upload_file(str(photo), "data", "images/lemon.jpg")

    run = explore.open_run("s3://data/results/run-real/")
    assert run.run_id == "run-real" and len(run.features()) == 140
    assert run.confusion() == explore.open_run(str(real_run.run_dir)).confusion()
    assert run.photo("s3://data/images/lemon.jpg").shape == (224, 224, 3)
    from fruits_job.classify import classify, load_run

    got = run.classify("s3://data/images/lemon.jpg")
    want = classify(load_run(str(real_run.run_dir)), str(photo))
    assert (got["label"], round(got["probability"], 6)) == (want["label"], round(want["probability"], 6))
