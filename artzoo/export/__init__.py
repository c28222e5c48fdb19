"""Export trained models, one format per module, all checked against the Keras model before publishing.

- `exporter`: `export_run_dir` / `export_trained` / `export_model`, the entry points.
- `saved_model`: TF Serving layout, JPEG-bytes and float signatures, warmup (`warmup`), parity on reload.
- `keras_format`, `tflite_format`, `onnx_format`: single files carrying their serving spec inside.
- `serving_spec`: heads, classes, thresholds, size and limits; `head_outputs`: the named per-head outputs;
  `bounded_decode`: header-checked decoding; `parity`: the comparison with Keras.
"""
