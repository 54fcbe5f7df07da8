"""The featurizer: MobileNetV2 (1280 features per 224x224 image), from the weights on the driver
to the inference on the workers. Imports only the package's leaf modules (contract, errors,
layout, options, FEATURE_DIM and IMAGE_SIZE), never the job's stages or driver.

Driver side:
  weights      resolve --weights and load the model weights (LoadedWeights; for_engine readies
               what the chosen engine's workers receive)
  convert      Keras weights -> ONNX model with tf2onnx, cached by the weights' content hash
  convert_cli  python jobs/convert_weights.py: convert ahead of a run
Worker side (and classify, on one photo):
  images       decode one image file (EXIF turn, JPEG draft, HEIC, pixel guard) into a 224x224
               RGB array, or a failure reason
  engines      --engine onnx|keras and the per-worker predictor cache
  onnx_engine  ONNX Runtime inference: one InferenceSession per Python worker, no TensorFlow
  model        MobileNetV2 with Keras/TensorFlow (the reference engine; driver-side weights)
  featurize    the Arrow pandas UDF that turns image bytes into 1280 features
"""
