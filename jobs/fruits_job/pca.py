"""Choose k and fit centring + PCA with Spark ML.

Spark's PCA derives its components from the covariance matrix (so they are those of
the centred data) but PCAModel.transform does NOT subtract the mean. We therefore
centre explicitly with StandardScaler(withMean=True, withStd=False) and save both
stages as one PipelineModel: scores are then proper centred PCA scores, and a later
stage that loads <run>/models/pca projects new photos exactly the same way. We do
not scale to unit variance: MobileNetV2's pooled activations share one scale, and
scaling would inflate rare, noisy channels.

k limits: centred data of n images (the Training split: pipeline.py fits on it only) has at most n-1 non-zero components and there
are 1280 features, so k is clamped to min(k, n-1, 1280) with a warning recorded in
the summary (pca.k_requested / pca.warning) rather than failing the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import FEATURE_DIM

INPUT_COL = "features_vec"      # array_to_vector(features)
CENTERED_COL = "features_centered"
OUTPUT_COL = "pca_vec"


@dataclass
class PcaChoice:
    k: int
    k_requested: int | None
    variance_target: float | None
    explained_variance: list[float]
    warnings: list[str] = field(default_factory=list)

    @property
    def cumulative(self) -> list[float]:
        total, out = 0.0, []
        for v in self.explained_variance:
            total += v
            out.append(total)
        return out


def max_components(n_rows: int) -> int:
    return max(1, min(FEATURE_DIM, n_rows - 1))


def smallest_k_for_target(explained_variance: list[float], target: float) -> int | None:
    """1-based count of leading components whose cumulative share reaches `target`."""
    total = 0.0
    for i, v in enumerate(explained_variance):
        total += v
        if total >= target - 1e-12:
            return i + 1
    return None


def fit(vectors_df, n_rows: int, k: int | None, variance_target: float | None, what: str = "images"):
    """-> (PipelineModel [StandardScaler, PCA], PcaChoice). vectors_df has INPUT_COL."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import PCA, StandardScaler

    if n_rows < 2:
        raise ValueError(f"PCA needs at least 2 decoded images, got {n_rows}")
    scaler = StandardScaler(withMean=True, withStd=False, inputCol=INPUT_COL,
                            outputCol=CENTERED_COL).fit(vectors_df)
    centered = scaler.transform(vectors_df).select(CENTERED_COL)
    limit = max_components(n_rows)
    warnings: list[str] = []

    def pca_with(k_: int):
        return PCA(k=k_, inputCol=CENTERED_COL, outputCol=OUTPUT_COL).fit(centered)

    if variance_target is not None:
        # explainedVariance is relative to the total variance (Spark decomposes the full
        # covariance), so fitting the largest useful k once shows every cumulative share.
        probe = pca_with(limit)
        shares = [float(v) for v in probe.explainedVariance.toArray()]
        _check_finite(shares)
        chosen = smallest_k_for_target(shares, variance_target)
        if chosen is None:
            chosen = limit
            warnings.append(f"variance target {variance_target} not reached with the maximum "
                            f"k={limit} (cumulative {sum(shares):.6f}); using k={limit}")
        model = probe if chosen == limit else pca_with(chosen)
        requested = None
    else:
        requested = k
        chosen = min(k, limit)
        if chosen < k:
            warnings.append(f"k={k} clamped to {chosen}: {n_rows} {what} give at most "
                            f"{n_rows - 1} principal components (and there are {FEATURE_DIM} features)")
        model = pca_with(chosen)
    explained = [float(v) for v in model.explainedVariance.toArray()]
    _check_finite(explained)
    choice = PcaChoice(k=chosen, k_requested=requested, variance_target=variance_target,
                       explained_variance=explained, warnings=warnings)
    return PipelineModel(stages=[scaler, model]), choice


def _check_finite(values: list[float]) -> None:
    if any(not math.isfinite(v) for v in values):
        raise ValueError("PCA is undefined: all decoded images have identical features (zero variance)")
