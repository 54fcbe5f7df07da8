"""Fruit photos -> MobileNetV2 features (1280) -> PCA -> Parquet, as a PySpark job.

Modules, one job each:
  contract   contract.json: the options, run folder files and summary fields (the runner reads it too)
  options    command line -> validated JobOptions (exit 2 on bad usage), built from the contract
  layout     pure path helpers: label/split from a path (--layout), run ids, URI joins
  listing    the input as Spark lists and reads it (glob, split and label columns), and what its
             listing hides: ignored extensions, dangling links and loops
  hadoop_files  thin adapter over the Hadoop FileSystem API (local, file://, s3://); atomic run claim
  s3_claim   S3 conditional PutObject (If-None-Match: *) for the run claim
  interrupts SIGINT/SIGTERM/SIGHUP -> cancel Spark jobs, status "interrupted", exit 130
  featurizer/  the model, weights to workers' inference (its __init__ lists its modules): weights,
             convert + convert_cli (Keras -> ONNX), images (decode one photo; shared with classify),
             engines, onnx_engine, model (Keras), featurize (the Arrow pandas UDF)
  pca        choose k and fit the centring + PCA pipeline
  summary    the run's summary.json document
  train      the classifier stage: logistic regression on the PCA features, metrics.json
  report     report.html rendering (pure); report_stage gathers its data and writes it
  run_files  where a run keeps its files
  model_file models/classifier.json: the documented model file the job exports and classify reads
  classify   one photo -> fruit + probability with a run's saved models (jobs/classify.py)
  pipeline   STAGES, the job's stages in order, and the loop that runs them (timings, progress,
             the claim boundary, failure and interrupt handling)
  stages/    one module per stage, each taking the RunContext (stages/context.py) and returning
             its section of summary.json (pipeline.STAGES lists them, in order)
  packaging  which files make the shipped package (packaging.json, shared with the runner)
  cli        main(argv) -> exit code
"""

FEATURE_DIM = 1280
IMAGE_SIZE = 224
