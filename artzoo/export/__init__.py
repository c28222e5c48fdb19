"""Export trained models: SavedModel for TF Serving (and later .keras, TFLite, ONNX)."""
