"""Cheap fine-tuning screen for WikiArt-7 style: MobileNetV2's frozen lower blocks run once per image (and its
mirror), their output is cached, and only the blocks above `--cut` (BatchNorm frozen, as artzoo's fine-tuning
does) plus a softmax head train on the cache. Each epoch costs the top blocks only, so recipes (how deep to
unfreeze, label smoothing, MixUp, flips, TTA) can be compared on a loaded 2-core CPU before a full run.

    PYTHONPATH=. python bench/style_finetune_cached.py --cut block_12_add --epochs 6 [--label-smoothing 0.1]
        [--mixup 0.2] [--view pad|trim] [--seed 0] [--cache /work/cache/issue19/cuts]

Differences from `artzoo train`: no zoom/rotation (a cache has one geometry per view); flips come from the
cached mirror; phase 1 (head only) and phase 2 (top blocks) as in the shipped recipe, cosine per phase.
Prints one line per epoch and a final markdown row: val accuracy, macro-F1, top-2 (plain and flip-TTA),
CPU seconds of training.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "wikiart_style7"


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def cached_cut(base, cut: str, view: str, cache: Path, paths: list[str]):
    """(N, h, w, c) float16 outputs of the layer `cut` for the images and their mirrors, cached on disk."""
    import keras
    import tensorflow as tf

    from bench.style_features import load_view

    out = {}
    bottom = None
    for flip in ("none", "h"):
        target = cache / f"{view}_{cut}_{flip}.npy"
        if not target.exists():
            if bottom is None:
                bottom = tf.function(keras.Model(base.input, base.get_layer(cut).output))
            started, parts = time.time(), []
            for images in load_view(paths, view):
                if flip == "h":
                    images = tf.image.flip_left_right(images)
                parts.append(np.asarray(bottom(images / 127.5 - 1.0)).astype(np.float16))
            tmp = target.with_suffix(".tmp.npy")
            np.save(tmp, np.concatenate(parts))
            os.replace(tmp, target)
            print(f"cached {target.name} in {time.time() - started:.0f} s", flush=True)
        out[flip] = np.load(target, mmap_mode="r")
    return out


def top_model(base, cut: str, n_classes: int, dropout: float, gram_dims: int = 0):
    """Top blocks -> GAP [+ the fixed Gram vector of the frozen layers, standardised by a BatchNormalization
    as `model.texture_layers` does] -> dropout -> softmax."""
    import keras
    from keras import layers

    top = keras.Model(base.get_layer(cut).output, base.output, name="top_blocks")
    for layer in top.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    inputs = keras.Input(top.inputs[0].shape[1:])
    x = layers.GlobalAveragePooling2D()(top(inputs, training=False))
    model_inputs = [inputs]
    if gram_dims:
        grams = keras.Input((gram_dims,))
        model_inputs.append(grams)
        x = layers.BatchNormalization()(layers.Concatenate()([x, grams]))
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(model_inputs, outputs), top


def gram_vectors(feats_dir: Path, view: str, layers_: list[str]) -> dict[str, np.ndarray]:
    """Signed-root Gram vectors of the frozen layers per flip, from bench/style_features.py's cache."""
    out = {}
    for flip in ("none", "h"):
        data = np.load(feats_dir / f"{view}_{flip}.npz")
        parts = [data[f"{name}/gram"].astype(np.float32) for name in layers_]
        x = np.concatenate(parts, axis=1)
        out[flip] = np.sign(x) * np.sqrt(np.abs(x))
    return out


def batches(feats, labels, idx, batch, rng, flip_train: bool, mixup: float, n_classes: int, grams=None):
    order = rng.permutation(idx)
    for start in range(0, len(order), batch):
        chosen = np.sort(order[start:start + batch])
        use_h = rng.random(len(chosen)) < 0.5 if flip_train else np.zeros(len(chosen), bool)
        x = np.where(use_h[:, None, None, None], feats["h"][chosen], feats["none"][chosen]).astype(np.float32)
        y = np.eye(n_classes, dtype=np.float32)[labels[chosen]]
        g = None if grams is None else np.where(use_h[:, None], grams["h"][chosen], grams["none"][chosen])
        if mixup > 0:
            lam = rng.beta(mixup, mixup, size=(len(chosen), 1)).astype(np.float32)
            perm = rng.permutation(len(chosen))
            x = lam[:, :, None, None] * x + (1 - lam[:, :, None, None]) * x[perm]
            y = lam * y + (1 - lam) * y[perm]
            g = None if g is None else lam * g + (1 - lam) * g[perm]
        yield (x if g is None else [x, g]), y


def evaluate(model, feats, labels, idx, batch=128, grams=None):
    from sklearn.metrics import f1_score

    def inputs(flip, rows):
        x = np.asarray(feats[flip][rows], np.float32)
        return x if grams is None else [x, grams[flip][rows]]

    probs = {}
    for flip in ("none", "h"):
        probs[flip] = np.concatenate([model.predict_on_batch(inputs(flip, idx[s:s + batch]))
                                      for s in range(0, len(idx), batch)])
    out = {}
    for name, p in (("plain", probs["none"]), ("flip_tta", (probs["none"] + probs["h"]) / 2)):
        y = labels[idx]
        pred = p.argmax(1)
        top2 = (np.argsort(-p, 1)[:, :2] == y[:, None]).any(1).mean()
        out[name] = (float((pred == y).mean()), float(f1_score(y, pred, average="macro")), float(top2))
    return out, probs


def run_phase(model, loss, optimizer_lr, epochs, steps, feats, labels, train_idx, val_idx, args, rng, name):
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(optimizer_lr, max(epochs * steps, 1))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)
    result = None
    for epoch in range(epochs):
        started, c0 = time.time(), cpu()
        losses = [model.train_on_batch(x, y) for x, y in
                  batches(feats, labels, train_idx, args.batch, rng, not args.no_flip, args.mixup, 7, args.gram_data)]
        result, _ = evaluate(model, feats, labels, val_idx, grams=args.gram_data)
        print(f"{name} epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f} val acc {result['plain'][0]:.4f} "
              f"flip-TTA {result['flip_tta'][0]:.4f} ({time.time() - started:.0f} s, {cpu() - c0:.0f} CPU s)",
              flush=True)
    return result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cut", default="block_12_add")
    p.add_argument("--view", default="pad", choices=("pad", "trim"))
    p.add_argument("--epochs", type=int, default=2, help="phase 1: head only")
    p.add_argument("--fine-tune-epochs", type=int, default=6)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--fine-tune-lr", type=float, default=1e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--mixup", type=float, default=0.0)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--no-flip", action="store_true", help="train on unflipped images only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=str(SHARED))
    p.add_argument("--cache", default="/work/cache/issue19/cuts")
    p.add_argument("--grams", nargs="*", default=[], help="frozen layers whose Gram vectors join the head input")
    p.add_argument("--feats", default="/work/cache/issue19/feats", help="bench/style_features.py output")
    args = p.parse_args()
    import keras

    from bench.style_features import list_images

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    classes, rows = list_images(Path(args.data))
    labels = np.array([r[1] for r in rows])
    split = np.array([r[2] for r in rows])
    train_idx, val_idx = np.flatnonzero(split == "train"), np.flatnonzero(split == "val")
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    base = keras.applications.MobileNetV2(include_top=False, weights="imagenet", input_shape=(224, 224, 3))
    feats = cached_cut(base, args.cut, args.view, cache, [r[0] for r in rows])
    feats = {k: np.asarray(v) for k, v in feats.items()}  # into memory: batches gather rows at random
    args.gram_data = gram_vectors(Path(args.feats), args.view, args.grams) if args.grams else None
    gram_dims = args.gram_data["none"].shape[1] if args.grams else 0
    model, top = top_model(base, args.cut, len(classes), args.dropout, gram_dims)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing)
    steps = -(-len(train_idx) // args.batch)
    c0 = cpu()
    top.trainable = False
    run_phase(model, loss, args.lr, args.epochs, steps, feats, labels, train_idx, val_idx, args, rng, "head")
    top.trainable = True
    for layer in top.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    result = run_phase(model, loss, args.fine_tune_lr, args.fine_tune_epochs, steps, feats, labels, train_idx,
                       val_idx, args, rng, "fine-tune")
    cpu_s = cpu() - c0
    (a, f, t2), (ta, tf_, tt2) = result["plain"], result["flip_tta"]
    print(f"| {args.view} | {args.cut} | {args.epochs}+{args.fine_tune_epochs} | ls {args.label_smoothing} | "
          f"mixup {args.mixup} | grams {len(args.grams)} | flips {'off' if args.no_flip else 'on'} | {args.seed} | "
          f"{a:.3f} | {f:.3f} | {t2:.3f} | "
          f"{ta:.3f} | {tf_:.3f} | {tt2:.3f} | {cpu_s:.0f} |", flush=True)


if __name__ == "__main__":
    main()
