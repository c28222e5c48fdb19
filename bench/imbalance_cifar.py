"""Imbalance remedies compared on a skewed split of real images (CIFAR-10 test set from ../shared).

    python bench/imbalance_cifar.py [--image-size 96] [--epochs 30] [--seeds 42 43 44] [--views 8] [--out DIR]

Split (tests/skewed_cifar.py): per class the files sorted by name, 700 train / 200 val / 100 test; then the train
part of every class but automobile and cat is cut to its first 35 (5 %): 1,680 train images, 83 % in two classes.
Val (2,000) and test (1,000) stay balanced.

Features: MobileNetV2 ImageNet (artzoo's build_classifier, squash resize to --image-size, average pooling), frozen;
the embeddings of every image are computed once (cached under --out) and only the heads are trained. Every variant
trains the same head (dropout 0.2, softmax, Adam 1e-3, batch 32) for the same number of optimizer steps
(--epochs x ceil(1680 / 32)) from the same seed, and is scored on its last step (no model selection on val).
Augmentation needs pixels: each training image gets --views embeddings of augmented copies made by artzoo's
pipeline (data.augment defaults on every item; for the rare-augment variants data.rare_augment's defaults instead
on the eight cut classes), and every time an item comes up one of its copies is drawn.

Prints, from one run: per variant macro-F1, balanced accuracy, accuracy and the lowest class recall on the
balanced val split (seed 42, and the mean / spread over --seeds; weighted F1 equals macro-F1 there, every class
having the same support), the same on test, accuracy and weighted F1 against macro-F1 on test cut like train (what
the usual scores hide), and the per-class recall of the plain run next to the best one.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
import conftest  # noqa: E402  (sets KERAS_HOME to the shared ImageNet weights, finds ../shared)
from skewed_cifar import CLASSES, KEEP_WHOLE, skewed_files  # noqa: E402

@dataclass(frozen=True)
class Variant:
    """One remedy (or combination): sampling of the stream, class weights, loss, augmentation, head."""

    what: str
    sampling: str = "none"  # none | undersample | resample | sample
    weights: str = "none"  # none | balanced | effective
    loss: str = "crossentropy"  # crossentropy | focal
    augment: str = "none"  # none | all (data.augment) | rare (data.augment, data.rare_augment on rare items)
    cascade: str = "none"  # none | soft | hard


VARIANTS = {
    "none": Variant("plain cross-entropy"),
    "weights_balanced": Variant("class weights n / (k n_c)", weights="balanced"),
    "weights_effective": Variant("class weights, effective number (beta 0.999)", weights="effective"),
    "undersample": Variant("undersampled to 35 per class", sampling="undersample"),
    "resample": Variant("data.balance resample (per-item repetition)", sampling="resample"),
    "sample": Variant("data.balance sample (sample_from_datasets)", sampling="sample"),
    "focal": Variant("focal loss, gamma 2", loss="focal"),
    "augment": Variant("augmentation (data.augment) for every item", augment="all"),
    "rare_augment": Variant("augment, stronger (data.rare_augment) on rare", augment="rare"),
    "cascade_soft": Variant("cascade, soft routing", cascade="soft"),
    "cascade_hard": Variant("cascade, hard routing (Met)", cascade="hard"),
    # combinations
    "resample_augment": Variant("resample + augment", sampling="resample", augment="all"),
    "resample_rare_augment": Variant("resample + augment, stronger on rare", sampling="resample", augment="rare"),
    "undersample_augment": Variant("undersample + augment", sampling="undersample", augment="all"),
    "focal_weights": Variant("focal loss + class weights", loss="focal", weights="balanced"),
    "cascade_soft_resample": Variant("cascade, soft + resample", cascade="soft", sampling="resample"),
}


def embed_split(extractor, paths, labels, image_size, augmenter=None, rare_augmenter=None, tables=None, seed=0):
    """Pooled features of the images, optionally augmented the way training batches are (`augmenter` on every
    item, `rare_augmenter` instead on the rare-class items marked in `tables`)."""
    import tensorflow as tf

    from artzoo.config import HeadConfig
    from artzoo.data.pipeline import make_dataset

    data = tf.data.Dataset.from_tensor_slices((paths, labels)).map(lambda f, y: (tf.io.read_file(f), {"label": y}))
    ds = make_dataset(data, [HeadConfig()], {"label": len(CLASSES)}, image_size, 64, cache=False,
                      training=augmenter is not None, shuffle_buffer=1, seed=seed, augmenter=augmenter,
                      rare_augmenter=rare_augmenter, rare_classes=tables)  # shuffle_buffer 1: order kept
    return np.concatenate([np.asarray(extractor.predict_on_batch(x), np.float32) for x, _, _ in ds])


def embeddings(out: Path, image_size: int, views: int) -> dict:
    """Embeddings of train / val / test, and `views` augmented copies of train: `train_views` with data.augment's
    defaults on every item, `train_views_rare` the same but data.rare_augment's on rare items; cached (.npz)."""
    cache = out / f"embeddings_{image_size}px_{views}views.npz"
    if cache.is_file():
        return dict(np.load(cache))
    import keras

    from artzoo.config import DataConfig, HeadConfig, ModelConfig
    from artzoo.data.augment import build_augmenter
    from artzoo.data.rare_augment import rare_class_table
    from artzoo.models.classifier import build_classifier

    model = build_classifier(ModelConfig(backbone="mobilenet_v2", weights="imagenet", heads=(HeadConfig(),)),
                             {"label": CLASSES}, image_size)
    extractor = keras.Model(model.input, model.get_layer("pool").output)
    files = skewed_files(conftest.CIFAR)
    arrays = {}
    started = time.time()
    for split, (paths, labels) in files.items():
        arrays[f"{split}_x"], arrays[f"{split}_y"] = embed_split(extractor, paths, labels, image_size), labels
    rare = [c for c in CLASSES if c not in KEEP_WHOLE]
    base = build_augmenter(DataConfig().augment, seed=42)
    strong = build_augmenter(DataConfig().rare_augment, seed=142)
    table = {"label": rare_class_table(CLASSES, rare)}
    paths, labels = files["train"]
    arrays["train_views"] = np.stack([embed_split(extractor, paths, labels, image_size, base, seed=v)
                                      for v in range(views)], axis=1)
    is_rare = table["label"][labels]
    rare_paths = [p for p, r in zip(paths, is_rare) if r]
    arrays["train_views_rare"] = arrays["train_views"].copy()
    arrays["train_views_rare"][is_rare] = np.stack(
        [embed_split(extractor, rare_paths, labels[is_rare], image_size, base, strong, table, seed=views + v)
         for v in range(views)], axis=1)
    arrays["seconds"] = np.array(time.time() - started)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **arrays)
    return arrays


def train_stream(variant: Variant, x, y, views, seed: int, batch: int):
    """An endless tf.data stream of (features, {label: one-hot}, {label: weight}) batches for the variant;
    `views` are the augmented copies (items x views x features) used when it augments."""
    import tensorflow as tf

    from artzoo.data.balance import (
        class_weights, resample, resample_rates, sample_classes, undersample, undersample_mask,
    )

    counts = np.bincount(y, minlength=len(CLASSES))
    weights = tf.constant(class_weights(counts, variant.weights))
    augment = variant.augment != "none"
    source = views if augment else x
    ds = tf.data.Dataset.from_tensor_slices((source, {"label": y}))
    if variant.sampling == "undersample":
        ds = undersample(ds, undersample_mask(y, seed))
    if variant.sampling == "resample":
        ds = resample(ds.cache(), lambda item: item[1]["label"], resample_rates(counts), seed)
    if variant.sampling == "sample":
        ds = sample_classes(ds, y, lambda d: d.cache(), seed)
    else:
        ds = ds.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
    if augment:  # one of the item's views, drawn anew every time it comes up
        draws = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, draws)).map(lambda item, r: (item[0][r % views.shape[1]], item[1]))
    ds = ds.repeat().batch(batch)
    return ds.map(lambda f, t: (f, {"label": tf.one_hot(t["label"], len(CLASSES))},
                                {"label": tf.gather(weights, t["label"])})).prefetch(4)


def head_model(variant: Variant, dim: int):
    """Dropout + the variant's head on pooled features, compiled with artzoo's head_loss."""
    import keras

    from artzoo.config import HeadConfig
    from artzoo.models.cascade import attach_cascade_head
    from artzoo.models.heads import attach_head, head_loss

    head = HeadConfig(dropout=0.2, loss=variant.loss)
    features = keras.Input((dim,), name="features")
    if variant.cascade != "none":
        rare = tuple(c for c in CLASSES if c not in KEEP_WHOLE)
        head = replace(head, cascade=variant.cascade, rare_classes=rare)
        output = attach_cascade_head(features, head, CLASSES)
    else:
        output = attach_head(features, head, len(CLASSES))
    model = keras.Model(features, {"label": output})
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss={"label": head_loss(head)})
    return model


def run_variant(variant: Variant, emb: dict, seed: int, epochs: int, batch: int = 32) -> dict:
    import keras

    from artzoo.metrics import softmax_metrics

    keras.utils.set_random_seed(seed)
    x, y = emb["train_x"], emb["train_y"]
    model = head_model(variant, x.shape[1])
    steps = math.ceil(len(y) / batch)
    started = time.time()
    views = emb["train_views_rare"] if variant.augment == "rare" else emb["train_views"]
    model.fit(train_stream(variant, x, y, views, seed, batch), epochs=epochs, steps_per_epoch=steps, verbose=0)
    scores = {}
    for split in ("val", "test"):
        probs = np.asarray(model(emb[f"{split}_x"], training=False)["label"])  # hard routing applies here
        scores[split] = softmax_metrics(emb[f"{split}_y"], probs, CLASSES)
        if split == "test":  # the test split cut like train: what accuracy and weighted F1 show on skewed data
            keep = skewed_subset(emb["test_y"])
            scores["test_skewed"] = softmax_metrics(emb["test_y"][keep], probs[keep], CLASSES)
    scores["seconds"] = time.time() - started
    return scores


def skewed_subset(labels: np.ndarray, rare_per_class: int = 5) -> np.ndarray:
    """Every test item of the classes kept whole and the first `rare_per_class` of each other class."""
    keep = np.isin(labels, [CLASSES.index(c) for c in KEEP_WHOLE])
    for c in set(range(len(CLASSES))) - {CLASSES.index(c) for c in KEEP_WHOLE}:
        keep[np.flatnonzero(labels == c)[:rare_per_class]] = True
    return keep


def row(m: dict) -> list[float]:
    recall = [c["recall"] for c in m["per_class"].values()]
    return [m["macro"]["f1"], m["balanced_accuracy"], m["accuracy"], min(recall)]


def print_table(title: str, results: dict, split: str, seeds: list[int]) -> None:
    print(f"\n{title}")
    print(f"{'variant':24} {'macro-F1':>9} {'bal.acc':>8} {'acc':>7} {'min rec':>8}"
          f"   {'macro-F1 mean+-sd':>18} {'bal.acc mean+-sd':>17}")
    for variant, per_seed in results.items():
        first = row(per_seed[seeds[0]][split])
        rows = np.array([row(per_seed[s][split]) for s in seeds])
        mean, sd = rows.mean(0), rows.std(0)
        print(f"{variant:24} {first[0]:9.3f} {first[1]:8.3f} {first[2]:7.3f} {first[3]:8.3f}"
              f"   {mean[0]:10.3f} +- {sd[0]:.3f} {mean[1]:9.3f} +- {sd[1]:.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--views", type=int, default=8, help="augmented copies of each rare training image")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", default="/tmp/artzoo-bench/imbalance_cifar")
    args = parser.parse_args(argv)

    started = time.time()
    emb = embeddings(Path(args.out), args.image_size, args.views)
    counts = np.bincount(emb["train_y"], minlength=len(CLASSES))
    print(f"skewed CIFAR-10: train {dict(zip(CLASSES, counts.tolist()))} ({len(emb['train_y'])} images, "
          f"{counts.max() * 2 / counts.sum():.0%} in {' and '.join(KEEP_WHOLE)}); val {len(emb['val_y'])}, "
          f"test {len(emb['test_y'])} (balanced)")
    print(f"MobileNetV2 ImageNet frozen, {args.image_size} px, embeddings {float(emb['seconds']):.0f} s (cached "
          f"after the first run); heads: {args.epochs} x {math.ceil(len(emb['train_y']) / 32)} steps of 32, "
          f"seeds {args.seeds}")
    results = {}
    for variant in args.variants:
        results[variant] = {seed: run_variant(VARIANTS[variant], emb, seed, args.epochs) for seed in args.seeds}
        seconds = np.mean([r["seconds"] for r in results[variant].values()])
        print(f"  {variant:24} {VARIANTS[variant].what:48} {seconds:5.1f} s per seed", flush=True)
    seeds = args.seeds
    print_table(f"val (200 per class), seed {seeds[0]} | mean and sd over {len(seeds)} seeds", results, "val", seeds)
    print_table(f"test (100 per class), seed {seeds[0]} | mean and sd over {len(seeds)} seeds", results, "test",
                seeds)
    print(f"\ntest cut like train (100 automobile, 100 cat, 5 of each other class), seed {seeds[0]}: accuracy and "
          "weighted F1 hide what macro-F1 and balanced accuracy show")
    print(f"{'variant':24} {'acc':>7} {'w-F1':>7} {'macro-F1':>9} {'bal.acc':>8}")
    for variant, per_seed in results.items():
        m = per_seed[seeds[0]]["test_skewed"]
        print(f"{variant:24} {m['accuracy']:7.3f} {m['weighted']['f1']:7.3f} {m['macro']['f1']:9.3f} "
              f"{m['balanced_accuracy']:8.3f}")
    mean_macro = {v: np.mean([row(r[s]["val"])[0] for s in seeds]) for v, r in results.items()}
    best = max(mean_macro, key=mean_macro.get)
    print(f"\nbest by mean val macro-F1: {best} ({mean_macro[best]:.3f}); "
          f"none: {mean_macro.get('none', float('nan')):.3f}")
    print(f"\nper-class recall on val, seed {seeds[0]}:")
    shown = [v for v in ("none", best) if v in results]
    print(f"{'class':12} {'train':>6} " + " ".join(f"{v:>22}" for v in shown))
    for i, name in enumerate(CLASSES):
        recalls = " ".join(f"{results[v][seeds[0]]['val']['per_class'][name]['recall']:22.3f}" for v in shown)
        print(f"{name:12} {counts[i]:6d} {recalls}")
    plain = results.get("none", {}).get(seeds[0])
    if plain:
        predicted = np.asarray(plain["val"]["confusion_matrix"]).sum(axis=0)
        share = predicted[[CLASSES.index(c) for c in KEEP_WHOLE]].sum() / predicted.sum()
        print(f"\nplain run: {share:.0%} of val predictions are {' or '.join(KEEP_WHOLE)} (true share 20%)")
    print(f"\ntotal {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
