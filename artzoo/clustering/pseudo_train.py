"""One fine-tuning step of the pseudo-label loop, made of artzoo's training pieces.

The classifier (`build_classifier`, one softmax head named "cluster") is trained on the confident items'
cluster ids as in a normal run: `make_dataset` (decode, resize, cache, shuffle, augment), phase 1 with the
backbone frozen (`freeze_backbone`; head and self-attention learn), phase 2 with the top blocks unfrozen
(`unfreeze_top_blocks`, BatchNorm kept frozen) at a lower rate, Adam from `make_optimizer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from artzoo.config import AugmentConfig, HeadConfig
from artzoo.data.augment import build_augmenter
from artzoo.data.pipeline import make_dataset
from artzoo.embeddings.images import ImageCollection
from artzoo.models.heads import head_loss, head_metrics
from artzoo.train.finetune import freeze_backbone, unfreeze_top_blocks
from artzoo.train.optimizers import make_optimizer

HEAD = HeadConfig(name="cluster", label="cluster", type="softmax", dropout=0.2)


@dataclass(frozen=True)
class FineTuneSettings:
    head_epochs: int = 2
    fine_tune_epochs: int = 3
    fine_tune_blocks: int = 4
    learning_rate: float = 1e-3
    fine_tune_learning_rate: float = 1e-4
    batch_size: int = 32
    augment: bool = True


def pseudo_label_dataset(collection: ImageCollection, pseudo: np.ndarray, keep: np.ndarray) -> tf.data.Dataset:
    """(image bytes, {"cluster": id}) for the kept items, in collection order."""
    extra = tf.data.Dataset.from_tensor_slices((np.asarray(pseudo, np.int32), np.asarray(keep, bool)))
    ds = tf.data.Dataset.zip((collection.encoded(), extra))
    ds = ds.filter(lambda _, e: e[1]).map(lambda b, e: (b, {HEAD.name: e[0]}))
    # filter() hides the length; Keras needs it to count the steps of an epoch.
    return ds.apply(tf.data.experimental.assert_cardinality(int(np.sum(keep))))


def fine_tune_on_pseudo_labels(classifier: keras.Model, backbone: str, collection: ImageCollection,
                               pseudo: np.ndarray, keep: np.ndarray, k: int, image_size: int, resize: str,
                               settings: FineTuneSettings, seed: int, decode: str = "scaled") -> dict:
    """Trains `classifier` in place on the kept items' pseudo-labels; returns the last epoch's logs per phase."""
    augmenter = build_augmenter(AugmentConfig(), seed) if settings.augment else None
    train_ds = make_dataset(pseudo_label_dataset(collection, pseudo, keep), [HEAD], {HEAD.name: k}, image_size,
                            settings.batch_size, resize=resize, decode=decode, training=True, augmenter=augmenter,
                            shuffle_buffer=int(keep.sum()), seed=seed)
    logs = {}
    phases = [("head", settings.head_epochs, settings.learning_rate),
              ("fine_tune", settings.fine_tune_epochs if settings.fine_tune_blocks > 0 else 0,
               settings.fine_tune_learning_rate)]
    for name, epochs, learning_rate in phases:
        if epochs <= 0:
            continue
        if name == "head":
            freeze_backbone(classifier)
        else:
            unfreeze_top_blocks(classifier, backbone, settings.fine_tune_blocks)
        classifier.compile(optimizer=make_optimizer(learning_rate), loss={HEAD.name: head_loss(HEAD)},
                           metrics={HEAD.name: head_metrics(HEAD, k)})
        history = classifier.fit(train_ds, epochs=epochs, shuffle=False, verbose=0)
        logs[name] = {key: round(float(values[-1]), 4) for key, values in history.history.items()}
    freeze_backbone(classifier)
    return logs
