"""Shared by the export tests: a run directory as training leaves it, and the Keras reference predictions
on exactly the pixels the training pipeline feeds the model."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from artzoo.config import DataConfig, ExportConfig, HeadConfig, ModelConfig, RunConfig
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import load_labeled_data
from artzoo.models.classifier import build_classifier
from artzoo.run_dir import RunDir

GENRES = ["Genre", "Landscape", "Naturmort", "Portrait"]


def make_genre_run(root: Path, data_dir: Path, image_size: int = 96, epochs: int = 3) -> RunDir:
    """MobileNet v1 alpha 0.25 with its cached ImageNet weights; the head trained a few epochs on `data_dir`."""
    head = HeadConfig(name="genre", dropout=0.0)
    cfg = RunConfig(
        task="genre", run_dir=str(root / "run"),
        data=DataConfig(data_dir=str(data_dir), image_size=image_size, batch_size=16),
        model=ModelConfig(backbone="mobilenet_2_5", weights="imagenet", heads=(head,)),
        export=ExportConfig(dir=str(root / "saved_models")),
    )
    keras.utils.set_random_seed(0)
    data = load_labeled_data(cfg.data, cfg.model.heads)
    model = build_classifier(cfg.model, data.classes, image_size)
    model.get_layer("backbone").trainable = False
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss={"genre": "categorical_crossentropy"})
    train = make_dataset(data.split("train"), [head], {"genre": 4}, image_size, 16, cache=False)
    model.fit(train.map(lambda x, y, w: (x, y)), epochs=epochs, shuffle=False, verbose=0)
    run = RunDir.create(cfg.run_dir, cfg.task)
    run.save_config(cfg)
    run.write_json(run.labels_path, data.classes)
    model.save(run.model_path)
    return run


def pipeline_pixels(files: list[str], image_size: int, resize: str = "squash") -> np.ndarray:
    """The uint8 pixels the training/evaluation pipeline makes from these files, as float32."""
    data = tf.data.Dataset.from_tensor_slices(([Path(f).read_bytes() for f in files], {"genre": [0] * len(files)}))
    batches = make_dataset(data, [HeadConfig(name="genre")], {"genre": 4}, image_size, 64, resize=resize, cache=False)
    return np.concatenate([images.numpy() for images, _, _ in batches]).astype(np.float32)


def normalise_saved_model_cli(listing: str) -> str:
    """The signature part of `saved_model_cli show --all`: the ops set and internal tensor names dropped."""
    keep = []
    for line in listing.splitlines():
        if line.startswith("The MetaGraph with tag set"):
            continue  # the set of ops depends on the TensorFlow version
        keep.append(re.sub(r"name: (StatefulPartitionedCall|NoOp)\S*", r"name: <internal>", line.rstrip()))
    text = "\n".join(keep).strip()
    return text[text.index("MetaGraphDef"):] + "\n"
