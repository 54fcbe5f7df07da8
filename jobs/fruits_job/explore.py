"""Notebook support (notebooks/explore_run.ipynb): open a run folder, local or s3://, through
its documented files only (contract.json's run_folder: summary.json, metrics.json, the features
Parquet, models/classifier.json through classify), and say where the notebook runs.

No Spark and no plotting here: files are read with pyarrow's filesystems (local paths and
s3:// with the machine's AWS credentials, e.g. the EMR node's instance profile), photos are
decoded by the job's own decoder (images.decode_image), and a photo is classified by
classify.load_run/classify, the code `fruits classify` runs. So the same calls work in a local
kernel and in the Spark driver behind EMR JupyterHub's PySpark kernel (Livy), and they keep
working when the model file's internals change.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from . import run_files
from .errors import UsageError, one_line
from .layout import has_scheme, join_uri, local_path

EMR_JOB_FLOW = "/mnt/var/lib/info/job-flow.json"  # on every EMR node: the cluster id
EMR_INSTANCE_DATA = "/mnt/var/lib/info/extraInstanceData.json"  # on every EMR node: its region


def where(job_flow_file: str = EMR_JOB_FLOW) -> dict:
    """{"place": "emr" | "local", "cluster_id": ... | None, "python": the interpreter}.
    On EMR JupyterHub's PySpark kernel the code runs in the Livy Spark driver on a cluster
    node, which has EMR's job-flow.json; a local kernel does not."""
    import sys

    place, cluster = "local", None
    if os.path.isfile(job_flow_file):
        place = "emr"
        try:
            with open(job_flow_file, encoding="utf-8") as f:
                cluster = json.load(f).get("jobFlowId")
        except (OSError, ValueError):
            cluster = None
    return {"place": place, "cluster_id": cluster, "python": sys.executable}


def _normalize(uri: str) -> str:
    """Spark writes local paths as file:/a/b; pyarrow and Python want /a/b."""
    if uri.startswith("file:") and not uri.startswith("file://"):
        return uri[len("file:"):]
    return local_path(uri) if uri.startswith("file://") else uri


def _emr_region(info_file: str = EMR_INSTANCE_DATA) -> str | None:
    try:
        with open(info_file, encoding="utf-8") as f:
            return json.load(f).get("region")
    except (OSError, ValueError):
        return None


def _fs(uri: str):
    from pyarrow import fs

    uri = _normalize(uri)
    if uri.startswith("s3://"):
        # The region is given, not probed: probing is a HeadBucket, which the EMR node policy
        # does not allow (it lists only the project's prefixes).
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or _emr_region()
        endpoint = os.environ.get("FRUITS_AWS_ENDPOINT")  # a local S3 such as moto (tests)
        s3 = fs.S3FileSystem(region=region, endpoint_override=endpoint,
                             scheme="http" if endpoint and endpoint.startswith("http://") else "https")
        return s3, uri[len("s3://"):]
    if has_scheme(uri):
        return fs.FileSystem.from_uri(uri)
    return fs.LocalFileSystem(), os.path.abspath(uri)


def read_bytes(uri: str) -> bytes:
    filesystem, path = _fs(uri)
    with filesystem.open_input_file(path) as f:
        return f.read()


def exists(uri: str) -> bool:
    from pyarrow import fs

    filesystem, path = _fs(uri)
    return filesystem.get_file_info(path).type != fs.FileType.NotFound


@dataclass
class Run:
    uri: str
    summary: dict
    metrics: dict | None
    _local_copy: str | None = field(default=None, repr=False)

    @property
    def run_id(self) -> str:
        return str(self.summary.get("run_id", ""))

    @property
    def classifier(self) -> dict:
        return self.summary.get("classifier") or {}

    @property
    def test_only_weights(self) -> bool:
        return str(self.summary.get("weights", "")).startswith("test-only-random:")

    def features(self, columns=("path", "split", "label", "pca_features")):
        """The features Parquet as a pandas DataFrame (pca_features: arrays of k floats)."""
        import pyarrow.parquet as pq

        filesystem, path = _fs(join_uri(self.uri, run_files.FEATURES))
        return pq.read_table(path, filesystem=filesystem, columns=list(columns)).to_pandas()

    def photo(self, path: str, max_pixels: int | None = None):
        """One photo of the run as the job saw it: a 224x224x3 uint8 array (EXIF turn, RGB)."""
        from .featurizer.images import decode_image

        limit = max_pixels or int((self.summary.get("options") or {}).get("max_image_pixels") or 50_000_000)
        arr, reason = decode_image(read_bytes(path), limit)
        if reason is not None:
            raise UsageError(f"photo {path} cannot be shown: {reason}")
        return arr

    def sample_paths(self, per_label: int = 4, split: str | None = None) -> dict[str, list[str]]:
        """label -> the first `per_label` image paths (sorted, so every run shows the same)."""
        df = self.features(columns=("path", "split", "label"))
        if split is not None:
            df = df[df["split"] == split]
        return {label: sorted(group["path"])[:per_label] for label, group in sorted(df.groupby("label"))}

    def confusion(self) -> tuple[list[str], list[list[int]]] | None:
        """(labels, matrix: rows true label, columns predicted) from metrics.json, or None."""
        cm = (self.metrics or {}).get("confusion_matrix")
        return None if not cm else (list(cm["labels"]), [list(r) for r in cm["matrix"]])

    def misclassified(self) -> list[dict]:
        return list((self.metrics or {}).get("misclassified") or [])

    def models(self):
        """The run's models as `fruits classify` loads them (classify.load_run). An s3:// run's
        summary, model file and featurizer are copied once to a temporary folder first."""
        from .classify import load_run

        if not has_scheme(_normalize(self.uri)):
            return load_run(_normalize(self.uri))
        if self._local_copy is None:
            self._local_copy = self._copy_model_files()
        return load_run(self._local_copy)

    def classify(self, photo: str) -> dict:
        """A photo (local path or s3://) -> label, probability, every class's probability."""
        from .classify import classify

        models = self.models()
        if has_scheme(_normalize(photo)):
            local = os.path.join(tempfile.mkdtemp(prefix="fruits-photo-"), os.path.basename(photo))
            with open(local, "wb") as f:
                f.write(read_bytes(photo))
            photo = local
        return classify(models, _normalize(photo))

    def _copy_model_files(self) -> str:
        folder = tempfile.mkdtemp(prefix=f"fruits-{self.run_id or 'run'}-")
        wanted = [run_files.SUMMARY, run_files.MODEL_FILE, run_files.FEATURIZER_ONNX, run_files.FEATURIZER_WEIGHTS]
        try:
            for name in wanted:
                uri = join_uri(self.uri, name)
                if not exists(uri):
                    continue  # load_run names what is missing
                os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(read_bytes(uri))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder


def newest_run(root: str) -> str | None:
    """The newest local run folder under root (by its summary.json's time), or None."""
    if not os.path.isdir(root):
        return None
    runs = [os.path.join(root, d) for d in os.listdir(root)
            if os.path.isfile(os.path.join(root, d, run_files.SUMMARY))]
    return max(runs, key=lambda d: os.path.getmtime(os.path.join(d, run_files.SUMMARY)), default=None)


def open_run(run: str) -> Run:
    """A run folder (<output>/<run-id>: local path, file:// or s3://); UsageError naming the fix."""
    run = run.rstrip("/")
    if not run:
        raise UsageError("no run folder given; set RUN to a run folder such as runs/<run-id> or s3://<bucket>/results/<run-id>")
    summary_uri = join_uri(run, run_files.SUMMARY)
    try:
        found = exists(summary_uri)
    except OSError as e:
        raise UsageError(f"cannot read {summary_uri} ({one_line(e, 300)}); check the path and your "
                         "AWS credentials") from None
    if not found:
        raise UsageError(f"{run} has no {run_files.SUMMARY}; set RUN to a run folder written by the job "
                         "(<output>/<run-id>), not the output root")
    try:
        summary = json.loads(read_bytes(summary_uri))
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {summary_uri} ({one_line(e, 300)})") from None
    metrics_uri = join_uri(run, run_files.METRICS)
    metrics = json.loads(read_bytes(metrics_uri)) if exists(metrics_uri) else None
    return Run(uri=run, summary=summary, metrics=metrics)


def register_matplot_magic() -> bool:
    """`%matplot plt` shows the current matplotlib figure. sparkmagic's PySpark kernel on EMR
    JupyterHub handles that line itself (Livy renders the driver's figure); a local IPython
    kernel gets this equivalent, so one notebook runs in both. False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False

    def matplot(line: str) -> None:
        from IPython.display import display

        plt = shell.ev(line.strip() or "plt")
        fig = plt.gcf()
        display(fig)
        plt.close(fig)  # shown once: the inline backend would show it again at the cell's end

    shell.register_magic_function(matplot, magic_kind="line", magic_name="matplot")
    return True
