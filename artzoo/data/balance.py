"""Class balance: class weights from label counts (applied per head as sample weights; Keras's
class_weight only works for single-output models), undersampling and two ways of oversampling in tf.data.

Oversampling, compared: `resample` makes one pass over the (cached) stream and emits every item a random
number of times (floor or ceil of its class's rate), so each item is seen about equally often; `sample_classes`
uses `tf.data.Dataset.sample_from_datasets` over one endless, shuffled stream per class with equal weights,
the tf.data guide's recipe (classes equal in every stretch of the stream, items drawn as their class comes up).
`Dataset.rejection_resample` is not used: to oversample it needs the stream repeated and then throws away
most majority items it has already decoded."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from artzoo.errors import choice_error


def class_weights(counts: list[int] | np.ndarray, method: str = "balanced", beta: float = 0.999) -> np.ndarray:
    """Per-class weights, normalised so that the weighted mean over the training set is 1.

    Args:
        counts: images per class in the training split.
        method: "none"; "balanced" (n / (k * n_c), as scikit-learn); "effective" (Cui et al. 2019,
            (1 - beta) / (1 - beta ** n_c)).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if method == "none":
        return np.ones_like(counts, dtype=np.float32)
    safe = np.maximum(counts, 1.0)
    if method == "balanced":
        weights = counts.sum() / (len(counts) * safe)
    elif method == "effective":
        weights = (1.0 - beta) / (1.0 - np.power(beta, safe))
    else:
        raise choice_error("class weight method", method, ("none", "balanced", "effective"))
    weights *= counts.sum() / max(float((weights * counts).sum()), 1e-12)
    return weights.astype(np.float32)


BALANCES = ("none", "undersample", "resample", "sample", "sources")


def head_labels(data: tf.data.Dataset, head: str) -> np.ndarray:
    """Every item's class index for `head` (MISSING = -1 where unknown), in the dataset's order."""
    labels = data.map(lambda _, y: y[head], num_parallel_calls=tf.data.AUTOTUNE).batch(4096)
    return np.concatenate([np.asarray(b).reshape(-1) for b in labels.as_numpy_iterator()] or [np.zeros(0, np.int64)])


def undersample_mask(labels: np.ndarray, seed: int) -> np.ndarray:
    """Keeps, per class present, as many items as the smallest class has, chosen with `seed`.

    Items without a label for the balancing head are left out (they belong to no class to balance).
    """
    present = [c for c in np.unique(labels) if c >= 0]
    keep = np.zeros(len(labels), dtype=bool)
    if not present:
        return keep
    quota = min(int((labels == c).sum()) for c in present)
    rng = np.random.default_rng(seed)
    for c in present:
        keep[rng.choice(np.flatnonzero(labels == c), quota, replace=False)] = True
    return keep


def undersample(data: tf.data.Dataset, keep: np.ndarray) -> tf.data.Dataset:
    """The items of `data` where `keep` is True (same order), e.g. from `undersample_mask`."""
    table = tf.constant(keep)
    return data.enumerate().filter(lambda i, _: tf.gather(table, i)).map(lambda _, item: item)


def resample_rates(counts: list[int] | np.ndarray) -> np.ndarray:
    """Expected copies per epoch of an item of each class so that classes come out uniform.

    With n labelled items over k non-empty classes, an item of class c is drawn n / (k * n_c) times on
    average: majority classes below once (random undersampling), minority classes more (oversampling);
    the epoch keeps about n items.
    """
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    rates = np.zeros_like(counts, dtype=np.float32)
    rates[present] = counts.sum() / (present.sum() * counts[present])
    return rates


def resample(ds: tf.data.Dataset, label_of, rates: np.ndarray, seed: int) -> tf.data.Dataset:
    """Repeats each item floor(r) or floor(r) + 1 times (r its class's rate, the extra copy with
    probability frac(r)), drawn anew every epoch; items without a label (label < 0) are not drawn.

    Put it after `cache()` and before `shuffle()`: the cache is then filled in one pass and copies of
    an item are spread by the shuffle.
    """
    rate_table = tf.constant(rates, dtype=tf.float32)
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def copies(item, draw):
        label = tf.cast(label_of(item), tf.int32)
        rate = tf.where(label >= 0, tf.gather(rate_table, tf.maximum(label, 0)), 0.0)
        uniform = tf.cast(draw % (1 << 24), tf.float32) / float(1 << 24)
        n = tf.floor(rate) + tf.cast(uniform < rate - tf.floor(rate), tf.float32)
        return tf.data.Dataset.from_tensors(item).repeat(tf.cast(n, tf.int64))

    return tf.data.Dataset.zip((ds, draws)).flat_map(copies)


def sample_classes(data: tf.data.Dataset, labels: np.ndarray, prepare, seed: int) -> tf.data.Dataset:
    """An epoch of `len(labelled items)` items drawn with equal probability from each class present.

    Args:
        data: the raw items, in the order of `labels`.
        labels: each item's class for the balancing head (< 0: no label; such items are not drawn).
        prepare: maps a dataset of raw items to what the pipeline streams (decode, resize, cache); applied
            per class, so each class's items are decoded and cached once.
        seed: seeds the per-class shuffles and the class draws, which change every epoch.
    """
    present = [int(c) for c in np.unique(labels) if c >= 0]
    table = tf.constant(labels.astype(np.int32))
    indexed = data.enumerate()
    streams = []
    for c in present:
        members = indexed.filter(lambda i, _, c=c: tf.equal(tf.gather(table, i), c)).map(lambda _, item: item)
        # buffer = the whole class: the first pass is read in full, so a cache inside `prepare` completes.
        size = int((labels == c).sum())
        streams.append(prepare(members).repeat().shuffle(size, seed=seed + c, reshuffle_each_iteration=True))
    if not streams:
        raise ValueError("no labelled item to balance")
    mixed = tf.data.Dataset.sample_from_datasets(streams, weights=[1.0 / len(streams)] * len(streams), seed=seed,
                                                 rerandomize_each_iteration=True)
    return mixed.take(int((labels >= 0).sum()))


def labelled_heads_groups(data: tf.data.Dataset, heads) -> np.ndarray:
    """Each item's group for `balance: sources`: which heads it has labels for, as a bit mask (bit i = head i
    known), -1 for an item labelled for none. Items of two collections that each label other heads (Louvre-4
    genre, WikiArt-7 style) fall into one group per collection."""
    def mask(_, labels):
        known = [labels[h.name] >= 0 if h.type == "softmax" else labels[h.name][0] >= 0 for h in heads]
        bits = tf.add_n([tf.cast(k, tf.int32) * (1 << i) for i, k in enumerate(known)])
        return tf.where(bits > 0, bits, -1)

    groups = data.map(mask, num_parallel_calls=tf.data.AUTOTUNE).batch(4096)
    return np.concatenate([np.asarray(b).reshape(-1) for b in groups.as_numpy_iterator()] or [np.zeros(0, np.int32)])


def balanced_epoch_size(counts: list[int], total: int, balance: str) -> int:
    """Items per training epoch after balancing (for learning-rate schedules): `total` when not balanced."""
    present = [c for c in counts if c > 0]
    if balance == "undersample" and present:
        return min(present) * len(present)
    if balance in ("resample", "sample"):
        return int(sum(counts))
    return total
