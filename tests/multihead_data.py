"""Small real multi-head data for coordinator tests: CIFAR-10 images with labels derived from the class.

Heads: `class` (10-way softmax), `kind` (animal / vehicle softmax, 6:4 imbalanced) and `attributes`
(multi-label: flies, has_wheels, is_animal).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from artzoo.config import DataConfig, ExportConfig, HeadConfig, ModelConfig, RunConfig, TrainConfig
from artzoo.data.derived_heads import DerivedHead, with_derived_heads
from artzoo.data.sources import load_folder

ANIMALS = ("bird", "cat", "deer", "dog", "frog", "horse")
ATTRIBUTES = {"flies": ("airplane", "bird"), "has_wheels": ("automobile", "truck"), "is_animal": ANIMALS}


def copy_cifar_subset(cifar: Path, dst: Path, per_class: int) -> Path:
    """The first `per_class` images (sorted) of each CIFAR-10 class, without split folders (split 7:2:1)."""
    for class_dir in sorted(p for p in cifar.iterdir() if p.is_dir()):
        out = dst / class_dir.name
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(class_dir.iterdir())[:per_class]:
            shutil.copy(f, out / f.name)
    return dst


def derived_heads(classes: list[str]) -> list[DerivedHead]:
    kind = DerivedHead("kind", "softmax", {c: "animal" if c in ANIMALS else "vehicle" for c in classes})
    attributes = DerivedHead(
        "attributes", "sigmoid", {c: [a for a, members in ATTRIBUTES.items() if c in members] for c in classes}
    )
    return [kind, attributes]


def multihead_data(root: Path):
    base = load_folder(str(root), [HeadConfig("class")])
    return with_derived_heads(base, "class", derived_heads(base.classes["class"]))


HEADS = (
    HeadConfig("class", type="softmax", loss_weight=1.0, dropout=0.0),
    HeadConfig("kind", type="softmax", loss_weight=0.5, class_weight="balanced", dropout=0.0, top_k=1),
    HeadConfig("attributes", type="sigmoid", loss_weight=2.0, dropout=0.0),
)


def tiny_config(run_dir: Path, heads=HEADS, batch_size: int = 10, **train) -> RunConfig:
    """cnn3 from scratch at 32 px: 1 frozen-backbone epoch and 1 fine-tune epoch unless overridden."""
    train_cfg = dict(epochs=1, fine_tune_epochs=1, fine_tune_blocks=1, learning_rate=3e-3, mixed_precision="off")
    train_cfg.update(train)
    return RunConfig(
        task="cifar_heads",
        run_dir=str(run_dir / "run"),
        data=DataConfig(image_size=32, batch_size=batch_size, cache=True),
        model=ModelConfig(backbone="cnn3", weights="none", heads=tuple(heads)),
        train=TrainConfig(**train_cfg),
        export=ExportConfig(enabled=False, dir=str(run_dir / "saved_models")),
    )
