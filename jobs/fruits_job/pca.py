"""Choose k and fit centring + PCA: exact, deterministic, checked.

Why not Spark ML's PCA: it decomposes the covariance with an iterative eigen-solver (ARPACK)
whose start vector is random; on a covariance of rank n-1 in 1280 dimensions (100 Training
photos) it returned wrong components (|cos| with the true eigenvectors near 0 from component
2 on) on about a third of the fits. Here the executors aggregate the mean and the centred
scatter matrix (float64, one pass, partitions merged with Chan's pairwise formula), only the
1280 x 1280 matrix reaches the driver, and numpy's dense symmetric solver (eigh, LAPACK)
decomposes it: no iteration, no random start. Components are sorted by eigenvalue
(descending) and signed so that each component's largest-|value| entry is positive, so two
runs give the same scores whatever the partitioning or the number of cores.

Every fit is checked (check_decomposition) before anything is written: orthonormal
components, eigenvalues descending and non-negative, and the variance of the data along each
component (c' S c) equal to its eigenvalue, with no covariance between components. A failed
check fails the run with one line: a wrong PCA is never written.

The result is saved as before, as a Spark PipelineModel [StandardScalerModel(withMean,
no std), PCAModel] built from these numbers (models/pca): Spark's PCAModel.transform does not
centre, so the scaler subtracts the mean first. Later stages and classify project exactly
as the job does (scores = (x - mean) @ components). We do not scale to unit variance:
MobileNetV2's pooled activations share one scale, and scaling would inflate rare, noisy
channels.

k limits: centred data of n images (the Training split: stages/pca_fit.py fits on it only) has at
most n-1 non-zero components and there are 1280 features, so k is clamped to
min(k, n-1, 1280) with a warning recorded in the summary (pca.k_requested / pca.warning)
rather than failing the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import FEATURE_DIM

FEATURES_COL = "features"       # array<float>, FEATURE_DIM long (the input of fit)
INPUT_COL = "features_vec"      # array_to_vector(features): the saved model's input
CENTERED_COL = "features_centered"
OUTPUT_COL = "pca_vec"
ROWS_PER_BLOCK = 2048           # rows stacked per numpy block on an executor (~10 MB of float32)
# Self-check tolerances (float64 round-off on a 1280 x 1280 matrix is ~1e-13 relative).
ORTHONORMAL_TOL = 1e-8
VARIANCE_RTOL = 1e-6            # projected variance vs eigenvalue, relative to the eigenvalue ...
VARIANCE_FLOOR = 1e-9           # ... plus this share of the largest eigenvalue (null directions)


class PcaCheckFailed(ValueError):
    """The decomposition failed its own check; nothing was written."""


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


@dataclass(frozen=True)
class Moments:
    """Row count, mean and centred scatter matrix sum((x - mean)(x - mean)') in float64."""
    n: int
    mean: np.ndarray
    scatter: np.ndarray

    @staticmethod
    def of(block: np.ndarray) -> "Moments":
        x = np.asarray(block, dtype=np.float64)
        mean = x.mean(axis=0)
        xc = x - mean
        return Moments(len(x), mean, xc.T @ xc)

    def merge(self, other: "Moments") -> "Moments":
        """Chan et al.'s pairwise update: exact for any split of the rows into parts."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        scatter = self.scatter + other.scatter + np.outer(delta, delta) * (self.n * other.n / n)
        return Moments(n, mean, scatter)

    @property
    def covariance(self) -> np.ndarray:
        return self.scatter / (self.n - 1)


@dataclass(frozen=True)
class Decomposition:
    mean: np.ndarray          # FEATURE_DIM
    components: np.ndarray    # FEATURE_DIM x k, orthonormal columns
    eigenvalues: np.ndarray   # all FEATURE_DIM, descending (variances along each direction)
    total_variance: float     # trace of the covariance

    @property
    def k(self) -> int:
        return self.components.shape[1]

    def shares(self) -> list[float]:
        """Explained variance of each kept component, as a share of the total (as Spark's PCA)."""
        return [float(v) for v in self.eigenvalues[:self.k] / self.total_variance]

    def project(self, features: np.ndarray) -> np.ndarray:
        return (np.asarray(features, dtype=np.float64) - self.mean) @ self.components


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


def fixed_signs(vectors: np.ndarray) -> np.ndarray:
    """Each column signed so that its largest-|value| entry is positive (eigenvectors are only
    defined up to sign; this makes the scores reproducible)."""
    rows = np.argmax(np.abs(vectors), axis=0)
    signs = np.where(vectors[rows, np.arange(vectors.shape[1])] < 0, -1.0, 1.0)
    return vectors * signs


def decompose(moments: Moments, k_max: int) -> Decomposition:
    """Exact eigen-decomposition of the covariance (LAPACK syevd through numpy.linalg.eigh)."""
    cov = moments.covariance
    cov = (cov + cov.T) / 2  # exactly symmetric: eigh reads one triangle only
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values, kind="stable")[::-1]
    values, vectors = values[order], vectors[:, order]
    return Decomposition(moments.mean, fixed_signs(vectors[:, :k_max]), values, float(np.trace(cov)))


def check_decomposition(cov: np.ndarray, d: Decomposition) -> None:
    """Raise PcaCheckFailed (one line) unless `d` is the principal decomposition of `cov`."""
    c, values = d.components, d.eigenvalues
    top = float(values[0]) if len(values) else 0.0
    problems = []
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(values))):
        problems.append("non-finite numbers")
    else:
        gram_error = float(np.max(np.abs(c.T @ c - np.eye(c.shape[1]))))
        if gram_error > ORTHONORMAL_TOL:
            problems.append(f"components not orthonormal (max |C'C - I| {gram_error:.2e})")
        floor = VARIANCE_FLOOR * max(top, 0.0)
        if np.any(np.diff(values) > floor):
            problems.append("eigenvalues not in descending order")
        if np.any(values < -floor):
            problems.append(f"negative eigenvalue {float(values.min()):.3e}")
        projected = c.T @ cov @ c
        kept = np.clip(values[:c.shape[1]], 0.0, None)
        tol = VARIANCE_RTOL * kept + floor
        off = np.abs(np.diag(projected) - kept)
        if np.any(off > tol):
            j = int(np.argmax(off / tol))
            problems.append(f"variance along component {j + 1} is {projected[j, j]:.6g}, its eigenvalue "
                            f"{kept[j]:.6g}")
        cross = np.abs(projected - np.diag(np.diag(projected)))
        cross_tol = VARIANCE_RTOL * np.sqrt(np.outer(kept, kept)) + floor
        if np.any(cross > cross_tol):
            problems.append("components are correlated")
        if abs(float(np.sum(values)) - d.total_variance) > VARIANCE_RTOL * abs(d.total_variance) + floor:
            problems.append("eigenvalues do not add up to the total variance")
    if problems:
        raise PcaCheckFailed("PCA self-check failed (" + "; ".join(problems) + "); nothing was written: "
                             "rerun, and report this if it persists")


def aggregate_moments(features_df) -> Moments:
    """Mean and centred scatter of the FEATURES_COL arrays, summed on the executors; only one
    FEATURE_DIM^2 matrix per partition comes back to the driver."""
    import pyarrow as pa

    dim = FEATURE_DIM

    def per_partition(batches):
        acc, block, rows = Moments(0, np.zeros(dim), np.zeros((dim, dim))), [], 0
        for batch in batches:
            col = batch.column(0)
            if len(col) == 0:
                continue
            block.append(col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), dim))
            rows += len(col)
            if rows >= ROWS_PER_BLOCK:
                acc, block, rows = acc.merge(Moments.of(np.concatenate(block))), [], 0
        if block:
            acc = acc.merge(Moments.of(np.concatenate(block)))
        if acc.n:
            yield pa.RecordBatch.from_pydict({"n": [acc.n], "mean": [acc.mean.tobytes()],
                                              "scatter": [acc.scatter.tobytes()]})

    parts = (features_df.select(FEATURES_COL)
             .mapInArrow(per_partition, "n long, mean binary, scatter binary").collect())
    total = Moments(0, np.zeros(dim), np.zeros((dim, dim)))
    for r in parts:  # collect() keeps partition order: the same merge order on every run
        total = total.merge(Moments(int(r["n"]), np.frombuffer(r["mean"], dtype=np.float64),
                                    np.frombuffer(r["scatter"], dtype=np.float64).reshape(dim, dim)))
    return total


def fit(features_df, n_rows: int, k: int | None, variance_target: float | None, what: str = "images"):
    """-> (PipelineModel [StandardScalerModel, PCAModel], PcaChoice). features_df has FEATURES_COL."""
    if n_rows < 2:
        raise ValueError(f"PCA needs at least 2 decoded images, got {n_rows}")
    moments = aggregate_moments(features_df)
    if moments.n != n_rows:
        raise ValueError(f"PCA saw {moments.n} rows where {n_rows} were counted; rerun")
    decomposition, choice = choose(moments, k, variance_target, what)
    return spark_model(features_df.sparkSession, decomposition, moments), choice


def choose(moments: Moments, k: int | None, variance_target: float | None,
           what: str = "images") -> tuple[Decomposition, PcaChoice]:
    """Decompose, pick k (fixed or by variance target), check; pure numpy (unit-tested)."""
    limit = max_components(moments.n)
    full = decompose(moments, limit)
    if not math.isfinite(full.total_variance) or full.total_variance <= 0:
        raise ValueError("PCA is undefined: all decoded images have identical features (zero variance)")
    warnings: list[str] = []
    if variance_target is not None:
        shares = full.shares()
        chosen = smallest_k_for_target(shares, variance_target)
        if chosen is None:
            chosen = limit
            warnings.append(f"variance target {variance_target} not reached with the maximum "
                            f"k={limit} (cumulative {sum(shares):.6f}); using k={limit}")
        requested = None
    else:
        requested = k
        chosen = min(k, limit)
        if chosen < k:
            warnings.append(f"k={k} clamped to {chosen}: {moments.n} {what} give at most "
                            f"{moments.n - 1} principal components (and there are {FEATURE_DIM} features)")
    d = Decomposition(full.mean, full.components[:, :chosen], full.eigenvalues, full.total_variance)
    check_decomposition(moments.covariance, d)
    choice = PcaChoice(k=chosen, k_requested=requested, variance_target=variance_target,
                       explained_variance=d.shares(), warnings=warnings)
    return d, choice


def spark_model(spark, d: Decomposition, moments: Moments):
    """The saved form: PipelineModel [StandardScalerModel (centre only), PCAModel], built through
    the models' JVM constructors from these exact numbers (Spark fits nothing here)."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.common import _py2java
    from pyspark.ml.feature import PCAModel, StandardScalerModel
    from pyspark.ml.linalg import DenseMatrix, DenseVector

    sc = spark.sparkContext
    jvm = sc._jvm
    uid = jvm.org.apache.spark.ml.util.Identifiable.randomUID
    std = np.sqrt(np.clip(np.diag(moments.covariance), 0.0, None))
    scaler = StandardScalerModel(jvm.org.apache.spark.ml.feature.StandardScalerModel(
        uid("stdScal"), _py2java(sc, DenseVector(std)), _py2java(sc, DenseVector(d.mean))))
    scaler._set(withMean=True, withStd=False, inputCol=INPUT_COL, outputCol=CENTERED_COL)
    rows, k = d.components.shape
    pc = DenseMatrix(rows, k, np.asfortranarray(d.components).ravel(order="F").tolist())
    pca = PCAModel(jvm.org.apache.spark.ml.feature.PCAModel(
        uid("pca"), _py2java(sc, pc), _py2java(sc, DenseVector(d.shares()))))
    pca._set(k=k, inputCol=CENTERED_COL, outputCol=OUTPUT_COL)
    return PipelineModel(stages=[scaler, pca])
