"""The job's stages, one module each; pipeline.STAGES lists them in order and runs them.

A stage is a function taking the RunContext (context.py) and returning its summary section
(a dict merged into summary.json, see summary.RunRecord.merge) or None. It reads what earlier
stages left in the context and leaves its own products there. Modules:

  check        (step) --input exists and the run folder is free
  list_input   list: the files, misplaced files, ignored extensions, broken links
  load_weights load_weights and prepare_model: the featurizer's model for the engine
  claim        (step) the run folder and its first summary.json, atomically
  featurize    featurize: images -> 1280 features on the workers; tally (step): counts, failures
  pca_fit      pca_rows (step): the rows PCA is fitted on; pca_fit: choose k and fit
  write        write: features Parquet, the PCA model, the featurizer's ONNX model
  train        train: the classifier (train.py), or its "skipped" section with --no-train
  report       report: report.html (report_stage.py)

A step is untimed: no entry in timings_s or progress.json; it belongs to the stage before it.
"""
