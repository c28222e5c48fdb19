"""Frozen MobileNetV2 (ImageNet) texture statistics of WikiArt-7, cached once for cheap style probes.

    PYTHONPATH=. python bench/style_features.py --out /work/cache/issue19/feats [--data ../shared/data/wikiart_style7]

For every image of train/ and val/, in each view (`pad`: the 224 px padded square as stored; `trim`: the black
border cut off and the painting squashed back to 224 px, as `data.resize: trim` does) and each flip (none /
horizontal), it stores per chosen layer the channel mean and standard deviation over positions, and for the
low-channel layers the uncentred Gram matrix (upper triangle, F^T F / positions: style transfer's texture
statistic). The 7x7 top layers get the Gram of their first 64 principal channel directions (PCA fitted on the
spatial positions of 256 train images first), the probe's stand-in for a learned 1x1 channel reduction.
One `<view>_<flip>.npz` per view and flip, with `labels`, `split`, `files` and one array per statistic.
bench/style_probe.py reads these files.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STATS_LAYERS = ("block_2_add", "block_3_expand_relu", "block_5_add", "block_6_expand_relu", "block_9_add",
                "block_12_add", "block_13_expand_relu", "block_16_project_BN", "out_relu")
GRAM_LAYERS = ("block_2_add", "block_5_add", "block_9_add", "block_12_add")  # 24, 32, 64, 96 channels
PCA_GRAM_LAYERS = ("block_16_project_BN", "out_relu")  # 320, 1280 channels -> 64
PCA_DIM = 64


def list_images(root: Path):
    classes = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
    rows = []
    for split in ("train", "val"):
        for label, name in enumerate(classes):
            for path in sorted((root / split / name).iterdir()):
                rows.append((str(path), label, split))
    return classes, rows


def load_view(paths, view: str):
    import tensorflow as tf

    from artzoo.data.resize import decode_rgb, resize_image

    def load(path):
        image = decode_rgb(tf.io.read_file(path))
        if view == "trim":
            from artzoo.data.border_trim import trim_border

            image = trim_border(image)
        return resize_image(image, 224, "squash")

    return tf.data.Dataset.from_tensor_slices(list(paths)).map(load, num_parallel_calls=2).batch(32).prefetch(2)


def feature_model():
    import keras

    base = keras.applications.MobileNetV2(include_top=False, weights="imagenet", input_shape=(224, 224, 3))
    outputs = {name: base.get_layer(name).output for name in STATS_LAYERS}
    return keras.Model(base.input, outputs)


def upper(gram: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(gram.shape[-1])
    return gram[:, i, j]


def fit_pca(model, paths, preprocess) -> dict[str, np.ndarray]:
    """Top PCA_DIM channel directions (and the channel mean) of each PCA_GRAM_LAYERS layer's positions."""
    acc = {name: [] for name in PCA_GRAM_LAYERS}
    for images in load_view(paths, "pad"):
        maps = model(preprocess(images), training=False)
        for name in PCA_GRAM_LAYERS:
            x = np.asarray(maps[name]).reshape(-1, maps[name].shape[-1])
            acc[name].append(x)
    out = {}
    for name, xs in acc.items():
        x = np.concatenate(xs).astype(np.float64)
        mean = x.mean(0)
        _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
        out[name] = (mean.astype(np.float32), vt[:PCA_DIM].T.astype(np.float32))
    return out


def statistics(maps, pcas) -> dict[str, np.ndarray]:
    out = {}
    for name in STATS_LAYERS:
        x = np.asarray(maps[name], dtype=np.float32)
        n, h, w, c = x.shape
        flat = x.reshape(n, h * w, c)
        out[f"{name}/mean"] = flat.mean(1)
        out[f"{name}/std"] = flat.std(1)
        if name in GRAM_LAYERS:
            out[f"{name}/gram"] = upper(np.einsum("npc,npd->ncd", flat, flat) / (h * w)).astype(np.float16)
        if name in PCA_GRAM_LAYERS:
            mean, basis = pcas[name]
            z = (flat - mean) @ basis
            out[f"{name}/pca_gram"] = upper(np.einsum("npc,npd->ncd", z, z) / (h * w)).astype(np.float16)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared/data/wikiart_style7"))
    p.add_argument("--out", required=True)
    p.add_argument("--views", nargs="*", default=["pad", "trim"])
    p.add_argument("--limit", type=int, default=0, help="images per split and class (0: all)")
    args = p.parse_args()
    import keras
    import tensorflow as tf

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    classes, rows = list_images(Path(args.data))
    if args.limit:
        kept, seen = [], {}
        for row in rows:
            key = (row[1], row[2])
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= args.limit:
                kept.append(row)
        rows = kept
    paths = [r[0] for r in rows]
    model = tf.function(feature_model(), reduce_retracing=True)
    preprocess = keras.applications.mobilenet_v2.preprocess_input
    train_paths = [r[0] for r in rows if r[2] == "train"]
    pca_sample = [train_paths[i] for i in np.random.default_rng(0).permutation(len(train_paths))[:256]]
    pcas = fit_pca(model, pca_sample, preprocess)
    for flip in ("none", "h"):  # unflipped views first: they answer most questions
        for view in args.views:
            target = out / f"{view}_{flip}.npz"
            if target.exists():
                continue
            started, parts = time.time(), []
            for images in load_view(paths, view):
                if flip == "h":
                    images = tf.image.flip_left_right(images)
                parts.append(statistics(model(preprocess(images), training=False), pcas))
            arrays = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
            tmp = out / f".{view}_{flip}.tmp.npz"
            np.savez(tmp, labels=np.array([r[1] for r in rows]), split=np.array([r[2] for r in rows]),
                     files=np.array(paths), classes=np.array(classes), **arrays)
            os.replace(tmp, target)
            print(f"{target.name}: {len(paths)} images in {time.time() - started:.0f} s "
                  f"({os.times().user + os.times().system:.0f} CPU s so far)", flush=True)


if __name__ == "__main__":
    main()
