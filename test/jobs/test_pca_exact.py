"""PCA is exact and deterministic (issue 16): executors aggregate the covariance, numpy's eigh
decomposes it, a self-check refuses a wrong decomposition.

The data mimics the real-weights features of the sample's 100 Training photos: n=100 rows in
1280 dimensions (covariance of rank 99), with the sample's spectrum (component standard
deviations 9.5, 8.3, 5.6, 3.1, ... 0.17, measured with the real weights). On such data the old
Spark ML PCA (ARPACK, random start) returned wrong components on part of the fits."""

from __future__ import annotations

import numpy as np
import pytest

from fruits_job import FEATURE_DIM
from fruits_job.pca import (Decomposition, Moments, PcaCheckFailed, check_decomposition, choose, decompose,
                            fixed_signs)

N, K = 100, 50
# Component standard deviations of the real-weights sample (Training, 100 photos) at these ranks.
RANKS = np.array([1, 2, 3, 4, 6, 11, 21, 41, 61, 81, 99])
STDS = np.array([9.4853, 8.3056, 5.5955, 3.1208, 1.8604, 1.2958, 0.8651, 0.5182, 0.3666, 0.2665, 0.1671])


def sample_like(seed: int = 3, n: int = N) -> np.ndarray:
    """n x 1280 float32 rows whose centred spectrum follows STDS (log-interpolated)."""
    rng = np.random.default_rng(seed)
    r = n - 1
    stds = np.exp(np.interp(np.arange(1, r + 1), RANKS, np.log(STDS)))
    basis, _ = np.linalg.qr(rng.normal(size=(FEATURE_DIM, r)))
    scores, _ = np.linalg.qr(rng.normal(size=(n, r)) - rng.normal(size=(n, r)).mean(axis=0))
    scores -= scores.mean(axis=0)
    scores *= np.sqrt(n - 1) / np.linalg.norm(scores, axis=0)
    mean = rng.gamma(0.6, 0.5, FEATURE_DIM)
    return (mean + (scores * stds) @ basis.T).astype(np.float32)


def numpy_reference(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(components 1280 x k by SVD, signed by the convention, explained variance shares)."""
    x = np.asarray(x, dtype=np.float64)
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    return fixed_signs(vt[:k].T), (s ** 2 / (s ** 2).sum())[:k]


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return sample_like()


# ---------------------------------------------------------------- pure numpy (fast unit tests)

def test_moments_merged_from_any_split_equal_the_whole(data):
    whole = Moments.of(data)
    for cuts in ([50], [1, 2, 3], [10, 40, 41, 99]):
        parts = [Moments.of(p) for p in np.split(data, cuts)]
        merged = parts[0]
        for p in parts[1:]:
            merged = merged.merge(p)
        assert merged.n == N
        np.testing.assert_allclose(merged.mean, whole.mean, rtol=0, atol=1e-12)
        np.testing.assert_allclose(merged.scatter, whole.scatter, rtol=0, atol=1e-9)


def test_decomposition_equals_numpy_svd_with_signs(data):
    d, choice = choose(Moments.of(data), K, None)
    ref, shares = numpy_reference(data, K)
    assert d.k == choice.k == K
    np.testing.assert_allclose(d.components, ref, rtol=0, atol=1e-6)
    np.testing.assert_allclose(choice.explained_variance, shares, rtol=1e-9)
    scores = d.project(data)
    np.testing.assert_allclose(scores.var(axis=0, ddof=1), d.eigenvalues[:K], rtol=1e-9)


def test_variance_target_and_k_clamp_as_documented(data):
    d, choice = choose(Moments.of(data), None, 0.9)
    cumulative = choice.cumulative
    assert cumulative[-1] >= 0.9 > (cumulative[-2] if len(cumulative) > 1 else 0)
    assert choice.k_requested is None and d.k == choice.k
    d, choice = choose(Moments.of(data[:10]), 50, None, "training images")
    assert choice.k == 9 and choice.k_requested == 50 and "k=50 clamped to 9" in choice.warnings[0]


@pytest.fixture(scope="module")
def exact(data) -> tuple[np.ndarray, Decomposition]:
    m = Moments.of(data)
    return m.covariance, decompose(m, K)


def _with(d: Decomposition, components: np.ndarray, eigenvalues=None) -> Decomposition:
    return Decomposition(d.mean, components, d.eigenvalues if eigenvalues is None else eigenvalues,
                         d.total_variance)


def test_self_check_accepts_the_exact_decomposition(exact):
    cov, d = exact
    check_decomposition(cov, d)


def test_self_check_rejects_a_null_direction_in_place_of_component_2(exact):
    # What Spark's PCA returned on bad fits: orthonormal vectors, but not the eigenvectors.
    cov, d = exact
    full = np.linalg.eigh(cov)[1][:, ::-1]
    wrong = d.components.copy()
    wrong[:, 1] = full[:, -1]  # a direction of (numerically) zero variance
    with pytest.raises(PcaCheckFailed, match=r"^PCA self-check failed \(.*variance along component 2"):
        check_decomposition(cov, _with(d, wrong))


def test_self_check_rejects_mixed_swapped_scaled_or_unsorted_components(exact):
    cov, d = exact
    c = d.components
    rotated = c.copy()
    a, b = c[:, 0], c[:, 1]
    rotated[:, 0], rotated[:, 1] = (a + b) / np.sqrt(2), (a - b) / np.sqrt(2)  # still orthonormal
    swapped = c.copy()
    swapped[:, [0, 2]] = swapped[:, [2, 0]]
    unsorted = d.eigenvalues.copy()
    unsorted[[0, 1]] = unsorted[[1, 0]]
    for bad, why in ((_with(d, rotated), "variance along component [12] "), (_with(d, swapped), "component [13] "),
                     (_with(d, c * 1.001), "not orthonormal"), (_with(d, c, unsorted), "descending")):
        with pytest.raises(PcaCheckFailed, match=why):
            check_decomposition(cov, bad)


def test_identical_rows_are_one_clear_error():
    rows = np.ones((5, FEATURE_DIM), dtype=np.float32)
    with pytest.raises(ValueError, match="identical features"):
        choose(Moments.of(rows), 3, None)


# ---------------------------------------------------------------- Spark: the job's own fit

@pytest.fixture(scope="module")
def frame(spark, data):
    from fruits_job.packaging import ship_package

    ship_package(spark)  # the executors' half of the fit lives in fruits_job
    return spark.createDataFrame([(row.tolist(),) for row in data], "features array<float>").cache()


def test_twenty_fits_with_different_partitionings_all_match_numpy(spark, frame, data):
    """The old Spark ML fit failed on part of such fits; every one must be exact now."""
    from pyspark.sql import functions as F

    from fruits_job import pca

    ref, shares = numpy_reference(data, K)
    first_scores = None
    cosines = []
    for i in range(20):
        parts = 1 + i % 7
        df = frame.repartition(parts) if i % 2 else frame.orderBy(F.rand(seed=i)).coalesce(parts)
        model, choice = pca.fit(df, N, K, None, "training images")
        pc = model.stages[1].pc.toArray()
        cosines.append(np.abs((pc * ref).sum(axis=0)).min())
        np.testing.assert_allclose(pc, ref, rtol=0, atol=1e-6, err_msg=f"fit {i} ({parts} partitions)")
        np.testing.assert_allclose(choice.explained_variance, shares, rtol=1e-9)
        from pyspark.ml.functions import array_to_vector, vector_to_array

        scores = np.array([r["s"] for r in model.transform(
            frame.select(array_to_vector("features").alias(pca.INPUT_COL)))
            .select(vector_to_array(pca.OUTPUT_COL).alias("s")).collect()])
        if first_scores is None:
            first_scores = scores
        np.testing.assert_allclose(scores, first_scores, rtol=0, atol=1e-5)  # same scores, signs included
    assert min(cosines) > 1 - 1e-9


def test_saved_model_projects_like_numpy(spark, frame, data, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.functions import array_to_vector, vector_to_array

    from fruits_job import pca

    model, _ = pca.fit(frame, N, K, None)
    model.write().save(str(tmp_path / "pca"))
    loaded = PipelineModel.load(str(tmp_path / "pca"))
    got = np.array([r["s"] for r in loaded.transform(frame.select(array_to_vector("features").alias(pca.INPUT_COL)))
                    .select(vector_to_array(pca.OUTPUT_COL).alias("s")).collect()])
    d, _ = choose(Moments.of(data), K, None)
    np.testing.assert_allclose(got, d.project(data), rtol=0, atol=1e-9)
    scaler, pc = loaded.stages
    assert scaler.getWithMean() and not scaler.getWithStd() and pc.pc.numCols == K
