"""Data: TFDS or folder sources, validated; tf.data pipelines (decode, resize, augment, batch, prefetch)."""
