"""The Arrow pandas UDF: image bytes -> (1280 features | None, failure reason | None).

Iterator[pd.Series] -> Iterator[pd.DataFrame]: the model is fetched from the worker's
cache once per partition iterator, then each Arrow batch (at most
spark.sql.execution.arrow.maxRecordsPerBatch rows, set to --batch-size) is decoded
with PIL and sent to the engine (ONNX Runtime or Keras, engines.py) as one array.
"""

from __future__ import annotations

import time
from typing import Iterator

import numpy as np
import pandas as pd

RESULT_SCHEMA = "features array<float>, error string"


def featurize_batch(contents: pd.Series, predict, max_pixels: int) -> pd.DataFrame:
    from .images import decode_image, preprocess

    n = len(contents)
    features: list = [None] * n
    errors: list = [None] * n
    decoded, positions = [], []
    for i, content in enumerate(contents):
        arr, reason = decode_image(content, max_pixels)
        if reason is not None:
            errors[i] = reason
        else:
            decoded.append(arr)
            positions.append(i)
    if decoded:
        out = predict(preprocess(np.stack(decoded)))
        for row, i in enumerate(positions):
            features[i] = out[row]
    return pd.DataFrame({"features": features, "error": errors})


def make_featurizer(weights_broadcast, threads: int, max_pixels: int, counters=None, progress=None,
                    engine: str = "keras"):
    """Build the pandas UDF. `weights_broadcast` holds what `engine` needs (engines.py): the
    ONNX model bytes for onnx, the weight arrays for keras. `counters` (optional) are Spark accumulators:
    (models_built, images_inferred, model_setup_s, batch_s) - they let tests and the summary
    prove the model is built once per worker and every image is inferred once, and show
    where worker time goes (summed over workers)."""
    import uuid

    from pyspark.sql.functions import pandas_udf

    cache_key = f"weights-{uuid.uuid4().hex}"  # one key per broadcast, i.e. per run

    @pandas_udf(RESULT_SCHEMA)
    def featurize(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        from .engines import cached_predictor

        t0 = time.perf_counter()
        predict, built = cached_predictor(engine, weights_broadcast, cache_key, threads)
        if counters is not None and built:
            counters[0].add(1)
            counters[2].add(time.perf_counter() - t0)
        for contents in batches:
            t0 = time.perf_counter()
            result = featurize_batch(contents, predict, max_pixels)
            if counters is not None:
                counters[1].add(int(result["error"].isna().sum()))
                counters[3].add(time.perf_counter() - t0)
            if progress is not None:  # progress.BatchCounter: live images done / failed
                progress.count(result)
            yield result

    return featurize
