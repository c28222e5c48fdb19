"""Training the SCAN head on vectors: the two stages as Keras models with their own `train_step`, fed by tf.data.

- `ScanTrainer`: each batch is (anchors, one random neighbour of each); every head learns the SCAN loss.
- `SelfLabelTrainer`: each batch is (weak view, strong view) of the same items; one head learns to predict,
  from the strong view, the confident clusters it gives the weak view.

Views: `views` is (v, n, d). View 0 is the plain embedding; further views (e.g. embeddings of flipped or
cropped images, computed once) are picked at random per item, as image augmentations would be. With one view
the augmentation is the head's own feature dropout and noise.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from artzoo.clustering.scan_losses import scan_loss, self_label_loss


def _uniform_ints(seed: int, step, shape, maxval):
    return tf.random.stateless_uniform(shape, seed=tf.stack([tf.cast(seed, tf.int64), step]), maxval=maxval,
                                       dtype=tf.int32)


def scan_dataset(views: np.ndarray, neighbours: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """Endless batches of (anchor vectors, vectors of a random neighbour of each), random views of both."""
    v, n, _ = views.shape
    table = tf.constant(views)
    nbrs = tf.constant(neighbours)
    kn = neighbours.shape[1]

    def sample(step, idx):
        b = tf.shape(idx)[0]
        pick = _uniform_ints(seed, step, [b], kn)
        other = tf.gather(tf.gather(nbrs, idx), pick, batch_dims=1)
        view_a, view_n = _uniform_ints(seed + 1, step, [b], v), _uniform_ints(seed + 2, step, [b], v)
        return tf.gather_nd(table, tf.stack([view_a, idx], 1)), tf.gather_nd(table, tf.stack([view_n, other], 1))

    ds = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.map(lambda i: tf.cast(i, tf.int32)).batch(batch_size, drop_remainder=True).enumerate()
    return ds.map(sample, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def self_label_dataset(views: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """Endless batches of (plain vectors, a random view of the same items)."""
    v, n, _ = views.shape
    table = tf.constant(views)

    def sample(step, idx):
        view = _uniform_ints(seed, step, [tf.shape(idx)[0]], v)
        return tf.gather(table[0], idx), tf.gather_nd(table, tf.stack([view, idx], 1))

    ds = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.map(lambda i: tf.cast(i, tf.int32)).batch(batch_size, drop_remainder=True).enumerate()
    return ds.map(sample, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


class ScanTrainer(keras.Model):
    """Trains every head of `head` (outputs (batch, heads, k)) on the SCAN loss; logs the mean over heads."""

    def __init__(self, head: keras.Model, entropy_weight: float, **kwargs):
        super().__init__(**kwargs)
        self.head = head
        self.entropy_weight = float(entropy_weight)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "consistency", "entropy")}

    def call(self, inputs, training=False):
        return self.head(inputs, training=training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, data):
        anchors, neighbours = data
        with tf.GradientTape() as tape:
            total, consistency, entropy = scan_loss(self.head(anchors, training=True),
                                                    self.head(neighbours, training=True), self.entropy_weight)
            loss = tf.reduce_sum(total)
        variables = self.head.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        for name, value in (("loss", total), ("consistency", consistency), ("entropy", entropy)):
            self.trackers[name].update_state(tf.reduce_mean(value))
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class SelfLabelTrainer(keras.Model):
    """Trains a one-head `head` by self-labelling: confident weak-view clusters are the strong view's targets."""

    def __init__(self, head: keras.Model, threshold: float, **kwargs):
        super().__init__(**kwargs)
        self.head = head
        self.threshold = float(threshold)
        self.k = int(head.output_shape[-1])
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "confident")}

    def call(self, inputs, training=False):
        return self.head(inputs, training=training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, data):
        weak, strong = data
        weak_probs = tf.stop_gradient(self.head(weak, training=False)[:, 0])
        with tf.GradientTape() as tape:
            loss, confident = self_label_loss(weak_probs, self.head(strong, training=True)[:, 0], self.threshold,
                                              self.k)
        variables = self.head.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.trackers["loss"].update_state(loss)
        self.trackers["confident"].update_state(confident)
        return {name: tracker.result() for name, tracker in self.trackers.items()}
