"""Generated, well-separated fruit-like classes, and job runs on them shared by the classifier
tests (cached per test session: each run costs a Spark job with TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

LABELS = ("bluecheck", "greendots", "redstripes")
PER_SPLIT = 6  # images per class and split: 18 Training, 18 Test
K = 8
SIZE = 32

_RUNS: dict[str, object] = {}


def pattern_image(kind: int, seed: int, size: int = SIZE) -> np.ndarray:
    """Class `kind`: 0 blue with a light checkerboard, 1 green with white dots, 2 red with
    dark stripes (distinct overall colour AND texture); seeded brightness jitter and noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    background, ink = [((30, 50, 190), (150, 170, 255)), ((40, 160, 50), (245, 245, 245)),
                       ((200, 35, 30), (70, 10, 10))][kind]
    if kind == 0:
        mask = ((xx // 4 + yy // 4) % 2) == 0
    elif kind == 1:
        mask = ((xx % 8 - 4) ** 2 + (yy % 8 - 4) ** 2) < 6
    else:
        mask = (yy // 3) % 2 == 0
    img = np.empty((size, size, 3))
    img[:] = background
    img[mask] = ink
    img += rng.uniform(-15, 15) + rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_classes(root: Path, shuffled: bool = False) -> Path:
    """<root>/<Training|Test>/<label>/*.png. shuffled: every label gets the same mix of
    patterns (2 of each per split), so the pattern says nothing about the label."""
    from PIL import Image

    for s, split in enumerate(("Training", "Test")):
        for kind in range(len(LABELS)):
            for i in range(PER_SPLIT):
                label = LABELS[(kind + i) % len(LABELS)] if shuffled else LABELS[kind]
                out = root / split / label / f"k{kind}_{i}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(pattern_image(kind, seed=1000 * s + 100 * kind + i), "RGB").save(out)
    return root


def cached_run(name: str, run_job, tmp_path_factory, shuffled: bool):
    if name not in _RUNS:
        base = tmp_path_factory.mktemp(name)
        images = write_classes(base / "images", shuffled=shuffled)
        result = run_job(images, base / "out", f"run-{name}", "--k", str(K), "--json")
        assert result.code == 0, result.stderr[-3000:]
        _RUNS[name] = result
    return _RUNS[name]
