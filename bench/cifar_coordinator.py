"""A 3-head coordinator on real CIFAR-10 images against a linear probe on the same frozen embeddings.

    python bench/cifar_coordinator.py [--image-size 96] [--epochs 4] [--fine-tune-epochs 4] [--out DIR]

Data: ../shared/data/cifar10_test (10,000 images), split 7:2:1 per class, deterministic (artzoo's folder
split). Heads: `class` (10-way softmax), `kind` (animal / vehicle softmax) and `attributes` (multi-label
sigmoid, derived from the class: has_wheels, flies, on_water, is_animal, four_legged).
Coordinator: MobileNetV2 with ImageNet weights, two-phase fine-tuning through `artzoo.train.runner.train`.
Probe: scikit-learn logistic regression (C picked on val) on the frozen ImageNet MobileNetV2's average-pooled
features of the same images at the same size; one multinomial model per softmax head, one binary model per
attribute. Both are scored by artzoo.metrics on val and test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.shared_weights import SHARED, use_shared_weights  # noqa: E402

use_shared_weights()

import numpy as np  # noqa: E402

CIFAR = SHARED / "data" / "cifar10_test"
ANIMALS = ("bird", "cat", "deer", "dog", "frog", "horse")
ATTRIBUTES = {
    "has_wheels": ("automobile", "truck"),
    "flies": ("airplane", "bird"),
    "on_water": ("ship",),
    "is_animal": ANIMALS,
    "four_legged": ("cat", "deer", "dog", "frog", "horse"),
}


def cifar_heads(root: Path = CIFAR):
    from artzoo.config import HeadConfig
    from artzoo.data.derived_heads import DerivedHead

    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    kind = DerivedHead("kind", "softmax", {c: "animal" if c in ANIMALS else "vehicle" for c in classes})
    attributes = DerivedHead(
        "attributes", "sigmoid", {c: [a for a, members in ATTRIBUTES.items() if c in members] for c in classes}
    )
    heads = (
        HeadConfig("class", type="softmax", dropout=0.2, top_k=3),
        HeadConfig("kind", type="softmax", dropout=0.2, top_k=1),
        HeadConfig("attributes", type="sigmoid", dropout=0.2, top_k=2),
    )
    return heads, [kind, attributes]


def load_data(root: Path = CIFAR):
    from artzoo.data.derived_heads import with_derived_heads
    from artzoo.data.sources import load_folder

    heads, derived = cifar_heads(root)
    data = with_derived_heads(load_folder(str(root), [heads[0]]), "class", derived)
    return heads, data


def run_config(args, heads):
    from artzoo.config import AugmentConfig, DataConfig, ExportConfig, ModelConfig, RunConfig, TrainConfig

    # "light": flips and 10% zoom only; "default": the project default (also 18 degree turns and contrast).
    augment = AugmentConfig(rotation=0.0, contrast=0.0) if args.augment == "light" else AugmentConfig()
    return RunConfig(
        task="cifar_coordinator",
        run_dir=str(Path(args.out)
                    / f"run-{args.augment}-{args.epochs}+{args.fine_tune_epochs}x{args.fine_tune_blocks}"),
        data=DataConfig(image_size=args.image_size, batch_size=64, cache=True, test_split="test", augment=augment),
        model=ModelConfig(backbone="mobilenet_v2", weights="imagenet", pooling="avg", heads=heads),
        train=TrainConfig(seed=args.seed, epochs=args.epochs, learning_rate=1e-3,
                          fine_tune_epochs=args.fine_tune_epochs, fine_tune_blocks=args.fine_tune_blocks,
                          fine_tune_learning_rate=1e-4, monitor="val_loss", mixed_precision="off"),
        export=ExportConfig(enabled=False),
    )


def embedding_model(size: int):
    """The frozen ImageNet MobileNetV2 with its preprocessing and average pooling: image -> 1280 features."""
    import keras

    from artzoo.models.layers import ImagePreprocessing
    from artzoo.models.registry import create_backbone

    backbone = create_backbone("mobilenet_v2", weights="imagenet", input_shape=(size, size, 3))
    inputs = keras.Input((size, size, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(backbone(ImagePreprocessing("tf")(inputs)))
    return keras.Model(inputs, pooled)


def embeddings(cfg, data, model, split):
    """Features (float32, for scikit-learn) and per-head labels of one split, images as the coordinator sees them."""
    from artzoo.data.pipeline import make_dataset

    heads = cfg.model.heads
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    ds = make_dataset(data.split(split), heads, num_classes, cfg.data.image_size, 128,
                      resize=cfg.data.resize, decode=cfg.data.decode, cache=False)
    features, labels = [], {h.name: [] for h in heads}
    for images, targets, _ in ds:
        features.append(np.asarray(model.predict_on_batch(images), dtype=np.float32))
        for h in heads:
            y = targets[h.name].numpy()
            labels[h.name].append(y.argmax(axis=1) if h.type == "softmax" else y.astype(int))
    return np.concatenate(features), {k: np.concatenate(v) for k, v in labels.items()}


def cached_embeddings(cfg, data, cache_file: Path):
    """Embeddings of every split, computed once and kept in `cache_file` (.npz) for re-runs of the probe."""
    splits = ("train", "val", "test")
    if cache_file.is_file():
        stored = np.load(cache_file)
        feats = {s: stored[f"{s}/features"] for s in splits}
        labels = {s: {h.name: stored[f"{s}/{h.name}"] for h in cfg.model.heads} for s in splits}
        return feats, labels
    model = embedding_model(cfg.data.image_size)
    feats, labels = {}, {}
    for split in splits:
        feats[split], labels[split] = embeddings(cfg, data, model, split)
    arrays = {f"{s}/features": feats[s] for s in splits}
    arrays.update({f"{s}/{h}": labels[s][h] for s in splits for h in labels[s]})
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache_file, **arrays)
    return feats, labels


def linear_probe(cfg, data, cache_file: Path) -> dict:
    """Logistic regression per head on frozen features; C chosen by the val score; scored on val and test."""
    from sklearn.preprocessing import StandardScaler

    from artzoo.evaluate import score_heads

    feats, labels = cached_embeddings(cfg, data, cache_file)
    scaler = StandardScaler().fit(feats["train"])
    feats = {k: scaler.transform(v) for k, v in feats.items()}
    probs = {split: {} for split in ("val", "test")}
    chosen = {}
    for h in cfg.model.heads:
        best = None
        for c in PROBE_C:
            fitted = _fit_head(h, feats["train"], labels["train"][h.name], c)
            val_probs = _predict_head(h, fitted, feats["val"])
            score = score_heads({h.name: val_probs}, {h.name: labels["val"][h.name]}, [h], data.classes)[h.name]
            key = score["accuracy"] if h.type == "softmax" else score["f1_micro"]
            if best is None or key > best[0]:
                best = (key, c, fitted)
        chosen[h.name] = best[1]
        for split in ("val", "test"):
            probs[split][h.name] = _predict_head(h, best[2], feats[split])
    scores = {split: score_heads(probs[split], labels[split], cfg.model.heads, data.classes) for split in probs}
    return {"C": chosen, "metrics": scores, "feature_dim": int(feats["train"].shape[1])}


def _fit_head(head, x, y, c):
    from sklearn.linear_model import LogisticRegression

    if head.type == "softmax":
        return LogisticRegression(C=c, max_iter=3000).fit(x, y)
    return [LogisticRegression(C=c, max_iter=3000).fit(x, y[:, j]) for j in range(y.shape[1])]


def _predict_head(head, fitted, x):
    if head.type == "softmax":
        return fitted.predict_proba(x)
    return np.stack([m.predict_proba(x)[:, 1] for m in fitted], axis=1)


PROBE_C = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1.0)  # inverse regularisation strengths tried on val
SUMMARY = (("class", "accuracy"), ("class", "macro_f1"), ("kind", "accuracy"), ("kind", "macro_f1"),
           ("attributes", "f1_micro"), ("attributes", "f1_macro"), ("attributes", "mAP"))


def summarise(metrics: dict) -> dict:
    out = {}
    for head, name in SUMMARY:
        m = metrics[head]
        out[f"{head} {name}"] = m["macro"]["f1"] if name == "macro_f1" else m[name]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--fine-tune-epochs", type=int, default=4)
    parser.add_argument("--fine-tune-blocks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--augment", choices=["default", "light"], default="default")
    parser.add_argument("--out", default="/tmp/artzoo-bench/cifar_coordinator")
    parser.add_argument("--data", default=str(CIFAR), help="class folders of CIFAR-10 images")
    parser.add_argument("--probe-only", action="store_true", help="only the linear probe (embeddings cached)")
    args = parser.parse_args(argv)

    from artzoo.train.runner import train

    started = time.time()
    heads, data = load_data(Path(args.data))
    cfg = run_config(args, heads)
    print(f"data: {data.source}; images per split: "
          + ", ".join(f"{s} {sum(c['class'])}" for s, c in data.counts.items())
          + f"; quarantined {len(data.quarantine.get('files', []))}", flush=True)
    t = time.time()
    probe = linear_probe(cfg, data, Path(args.out) / f"embeddings_{args.image_size}px.npz")
    probe_seconds = time.time() - t
    print(f"linear probe done in {probe_seconds:.0f} s (C per head: {probe['C']})", flush=True)
    if args.probe_only:
        for split in ("val", "test"):
            print(split, json.dumps({k: round(v, 4) for k, v in summarise(probe["metrics"][split]).items()}))
        return 0
    t = time.time()
    run = train(cfg, verbose=2, data=data)
    coord_seconds = time.time() - t
    coordinator = json.loads(run.metrics_path.read_text())

    rows = {split: (summarise(coordinator[split]), summarise(probe["metrics"][split])) for split in ("val", "test")}
    print(f"\nCIFAR-10 test images, split 7:2:1; MobileNetV2 ImageNet at {args.image_size} px; "
          f"coordinator {args.epochs} frozen + {args.fine_tune_epochs} fine-tune epochs (top "
          f"{args.fine_tune_blocks} blocks), {args.augment} augmentation, seed {args.seed}")
    for split, (coord, lin) in rows.items():
        print(f"\n{split:5} {'metric':26} {'coordinator':>12} {'linear probe':>13} {'difference':>11}")
        for key in coord:
            print(f"{'':5} {key:26} {coord[key]:12.4f} {lin[key]:13.4f} {coord[key] - lin[key]:+11.4f}")
    wins = {k: rows['test'][0][k] > rows['test'][1][k] for k in rows['test'][0]}
    print(f"\ncoordinator beats the probe on test: {sum(wins.values())}/{len(wins)} metrics"
          + ("" if all(wins.values()) else f" (not on: {', '.join(k for k, w in wins.items() if not w)})"))
    print(f"time: probe {probe_seconds:.0f} s, coordinator {coord_seconds:.0f} s, total {time.time() - started:.0f} s")
    out = Path(args.out) / "results.json"
    out.write_text(json.dumps({"args": vars(args), "coordinator": {s: r[0] for s, r in rows.items()},
                               "probe": {s: r[1] for s, r in rows.items()}, "probe_C": probe["C"]}, indent=2))
    print(f"results: {out}; run directory: {run.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
