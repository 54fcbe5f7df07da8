"""RunContext: what one run's stages share (pipeline.py runs them in order).

The run's inputs (options, Spark session, storage, the summary record) and the products the
stages hand each other: a stage reads what earlier stages put here and adds its own. A stage
never reaches into another stage's module; what it needs travels through the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..featurizer.weights import LoadedWeights
from ..hadoop_files import HadoopFiles
from ..options import JobOptions
from ..summary import RunRecord


@dataclass
class RunContext:
    options: JobOptions
    spark: Any  # pyspark.sql.SparkSession (pyspark is imported only where it is used)
    files: HadoopFiles
    record: RunRecord  # summary.json; written first by the claim stage
    run_uri: str  # <output>/<run-id>
    timings: dict[str, float] = field(default_factory=dict)  # seconds per timed stage, as run
    claimed: bool = False  # the run folder is ours: a failure from here on is recorded
    banner: str | None = None  # logged before the claim and again when the run ends (test-only weights)

    # --- handed from stage to stage ---
    root: str = ""  # --input, fully qualified (the prefix of Spark's `path` column)
    listed: list[str] = field(default_factory=list)  # every file matching the glob (list)
    placed: list[str] = field(default_factory=list)  # those at the layout's depth (list)
    not_used: list[dict] = field(default_factory=list)  # [{path, reason}] found while listing
    total_files: int = 0
    weights: LoadedWeights | None = None  # load_weights, readied for the engine by prepare_model
    featurized: Any = None  # DataFrame path, split, label, features, error (persisted; featurize)
    counters: tuple = ()  # accumulators: models built, images inferred, set-up s, decode+infer s
    by_group: list = field(default_factory=list)  # rows split, label, n, ok (featurize)
    ok_total: int = 0  # decoded images (tally)
    per_split: dict = field(default_factory=dict)  # decoded images per split (tally)
    features: Any = None  # DataFrame of the decoded rows, without error (pca_rows)
    fit_rows: Any = None  # the rows PCA is fitted on: the Training split (pca_rows)
    n_fit: int = 0
    fit_label: str = ""  # "training images" or "images", for PCA's messages
    fitted_on: str = ""  # the summary's pca.fitted_on
    pca_model: Any = None  # fitted PipelineModel (pca_fit), exported with the classifier (train)
    metrics: dict | None = None  # metrics.json (train), shown in report.html

    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def on_release(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` at release(): after the stage that no longer needs it, or when the run ends."""
        self._cleanups.append(cleanup)

    def release(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()
