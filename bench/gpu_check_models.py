"""Backend-neutral pieces of the GPU check: artzoo's genre model rebuilt from Keras core layers, the genre recipe,
and the bundled Louvre-4 data. Nothing here imports TensorFlow or artzoo (the device has neither).

The model is artzoo's `build_classifier` for the genre config: image (0..255) -> ImagePreprocessing("tf") ->
MobileNetV2 (no top) -> [SqueezeExcitation] -> [SpatialSelfAttention] -> GlobalAveragePooling2D -> Dropout ->
Dense(4, softmax, float32). ImagePreprocessing, SqueezeExcitation and SpatialSelfAttention are artzoo's own
classes, loaded from artzoo/models/layers.py by file path (that file imports only keras); if that load fails,
equivalent blocks below stand in and the report says so. Fine-tuning unfreezes the top K blocks as
`artzoo.train.finetune.unfreeze_top_blocks` does (MobileNetV2 blocks are `block_<n>_*`, layers after the last
block join it) with every BatchNormalization frozen.
"""

from __future__ import annotations

import importlib.util
import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

REPO = Path(__file__).resolve().parent.parent
BLOCK_PATTERN = r"^block_(\d+)_"  # artzoo's registry entry for mobilenet_v2
WEIGHTS_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
DEFAULT_RECIPE = {  # configs/genre.yaml as of this script; read from the file when PyYAML is there
    "batch_size": 32, "flip": True, "rotation": 0.05, "zoom": 0.1, "contrast": 0.1, "dropout": 0.3,
    "label_smoothing": 0.1, "seed": 42, "epochs": 6, "learning_rate": 1e-3, "fine_tune_epochs": 8,
    "fine_tune_blocks": 4, "fine_tune_learning_rate": 1e-4, "schedule": "cosine", "monitor": "val_loss",
}


# --- artzoo's layers, or stand-ins -------------------------------------------------------------------------
class _SqueezeExcitation(layers.Layer):
    """Stand-in for artzoo's SqueezeExcitation (same maths), used only if artzoo/models/layers.py cannot load."""

    def __init__(self, ratio: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.ratio = ratio

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.squeeze = layers.Dense(max(1, channels // self.ratio), activation="relu", dtype=self.dtype_policy)
        self.excite = layers.Dense(channels, activation="sigmoid", dtype=self.dtype_policy)
        self.squeeze.build((input_shape[0], channels))
        self.excite.build((input_shape[0], max(1, channels // self.ratio)))

    def call(self, features):
        gates = ops.cast(self.excite(self.squeeze(ops.mean(features, axis=(1, 2)))), features.dtype)
        return features * gates[:, None, None, :]


def load_layers() -> tuple[dict, str]:
    """artzoo's layer classes loaded from their file without importing artzoo; (classes, where they came from)."""
    path = REPO / "artzoo" / "models" / "layers.py"
    try:
        spec = importlib.util.spec_from_file_location("artzoo_layers_for_gpu_check", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names = ("ImagePreprocessing", "SqueezeExcitation", "SpatialSelfAttention")
        return {n: getattr(module, n) for n in names}, "artzoo/models/layers.py (artzoo's own classes)"
    except Exception as err:  # noqa: BLE001 - the check still runs, and says which code it ran
        fallback = {"ImagePreprocessing": None, "SqueezeExcitation": _SqueezeExcitation,
                    "SpatialSelfAttention": None}
        return fallback, f"bench stand-ins (layers.py failed: {type(err).__name__}: {err})"


def _scale_tf(x):
    return ops.cast(x, keras.mixed_precision.global_policy().compute_dtype) / 127.5 - 1.0


# --- the genre model ---------------------------------------------------------------------------------------
def build_backbone(weights: str | None, image_size: int) -> keras.Model:
    backbone = keras.applications.MobileNetV2(include_top=False, weights=weights,
                                              input_shape=(image_size, image_size, 3))
    backbone.name = "backbone"
    return backbone


def build_augmenter(recipe: dict, seed: int) -> keras.Sequential:
    """The genre recipe's augmentation (artzoo.data.augment), inside the model so it runs on the device;
    pinned to float32 (issue 22: augmentation must not compute in float16)."""
    aug = [layers.RandomFlip("horizontal", seed=seed, dtype="float32")] if recipe["flip"] else []
    if recipe["rotation"]:
        aug.append(layers.RandomRotation(recipe["rotation"], fill_mode="reflect", seed=seed + 1, dtype="float32"))
    if recipe["zoom"]:
        aug.append(layers.RandomZoom(recipe["zoom"], fill_mode="reflect", seed=seed + 2, dtype="float32"))
    if recipe["contrast"]:
        aug.append(layers.RandomContrast(recipe["contrast"], value_range=(0, 255), seed=seed + 3, dtype="float32"))
    return keras.Sequential(aug, name="augment")


def build_classifier(weights, image_size: int, *, layer_classes: dict, dropout: float = 0.3, classes: int = 4,
                     se: bool = False, attention: bool = False, augment: dict | None = None,
                     pooled_only: bool = False):
    """The genre classifier under the current global dtype policy; returns (model, attention map or None).

    `pooled_only` stops at the pooled features (the embedder `artzoo embed` uses).
    """
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = build_augmenter(augment, augment["seed"])(inputs) if augment else inputs
    preprocessing = layer_classes["ImagePreprocessing"]
    x = preprocessing("tf", name="preprocessing")(x) if preprocessing else layers.Lambda(_scale_tf)(x)
    x = build_backbone(weights, image_size)(x)
    attention_map = None
    if se:
        x = layer_classes["SqueezeExcitation"](name="squeeze_excitation")(x)
    if attention:
        if layer_classes["SpatialSelfAttention"] is None:
            raise RuntimeError("artzoo's SpatialSelfAttention could not be loaded; no stand-in for it")
        x, attention_map = layer_classes["SpatialSelfAttention"](name="self_attention")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    if pooled_only:
        return keras.Model(inputs, x, name="embedder"), None
    if dropout:
        x = layers.Dropout(dropout, name="genre_dropout")(x)
    outputs = layers.Dense(classes, activation="softmax", dtype="float32", name="genre")(x)
    return keras.Model(inputs, outputs, name="genre_classifier"), attention_map


def block_groups(backbone: keras.Model) -> list[list]:
    """artzoo.models.blocks.block_groups with MobileNetV2's pattern: a new block when `block_<n>` changes."""
    groups, current, regex = [], object(), re.compile(BLOCK_PATTERN)
    for layer in backbone.layers:
        match = regex.search(layer.name)
        block_id = match.group(1) if match else current
        if block_id != current or not groups:
            groups.append([])
            current = block_id
        groups[-1].append(layer)
    return groups


def set_phase(model: keras.Model, phase: str, blocks: int = 4) -> None:
    """"frozen": backbone frozen; "fine_tune": its top `blocks` blocks trainable, every BatchNorm frozen."""
    backbone = model.get_layer("backbone")
    if phase == "frozen":
        backbone.trainable = False
        return
    groups = block_groups(backbone)
    top = {id(layer) for group in groups[-blocks:] for layer in group} if blocks > 0 else set()
    backbone.trainable = True
    for layer in backbone.layers:
        layer.trainable = id(layer) in top and not isinstance(layer, layers.BatchNormalization)


def param_counts(model: keras.Model) -> dict:
    count = lambda ws: int(sum(int(np.prod(w.shape)) for w in ws))  # noqa: E731
    return {"total": count(model.weights), "trainable": count(model.trainable_weights)}


def compile_classifier(model, learning_rate, *, jit_compile, label_smoothing: float = 0.1) -> None:
    """Adam as artzoo's make_optimizer (beta 0.9/0.999, eps 1e-8); Keras wraps it in LossScaleOptimizer under
    mixed_float16."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        jit_compile=jit_compile,
    )


# --- recipe and data ---------------------------------------------------------------------------------------
def load_recipe() -> tuple[dict, str]:
    """The genre recipe from configs/genre.yaml (flattened to the keys of DEFAULT_RECIPE)."""
    path = REPO / "configs" / "genre.yaml"
    try:
        import yaml

        raw = yaml.safe_load(path.read_text())
        aug = raw["data"]["augment"]
        head = raw["model"]["heads"][0]
        recipe = {**DEFAULT_RECIPE, "batch_size": raw["data"]["batch_size"],
                  **{k: aug.get(k, DEFAULT_RECIPE[k]) for k in ("flip", "rotation", "zoom", "contrast")},
                  "dropout": head.get("dropout", 0.2), "label_smoothing": head.get("label_smoothing", 0.0),
                  **{k: raw["train"].get(k, DEFAULT_RECIPE[k]) for k in (
                      "seed", "epochs", "learning_rate", "fine_tune_epochs", "fine_tune_blocks",
                      "fine_tune_learning_rate", "schedule", "monitor")}}
        return recipe, str(path.relative_to(REPO))
    except Exception as err:  # noqa: BLE001
        return dict(DEFAULT_RECIPE), f"built-in copy of configs/genre.yaml ({type(err).__name__}: {err})"


def find_bundle(data_dir: Path) -> Path | None:
    found = sorted(Path(data_dir).glob("louvre4_*.npz")) if data_dir else []
    return found[-1] if found else None


def load_louvre(bundle: Path, image_size: int, per_class: dict | None = None) -> dict:
    """Decodes the bundled JPEGs (threads) to uint8 arrays at `image_size`; `per_class` = {"train": n, "val": m}
    keeps the first n / m images of each class (smoke runs)."""
    from PIL import Image

    z = np.load(bundle)
    blob, offsets, labels, split = z["blob"], z["offsets"], z["labels"].astype(int), z["split"]
    keep = np.ones(len(labels), bool)
    if per_class:
        keep[:] = False
        for s, name in enumerate(("train", "val")):
            for c in np.unique(labels):
                idx = np.flatnonzero((split == s) & (labels == c))[: per_class[name]]
                keep[idx] = True
    chosen = np.flatnonzero(keep)

    def decode(i):
        with Image.open(io.BytesIO(blob[offsets[i]:offsets[i + 1]].tobytes())) as im:
            im = im.convert("RGB")
            if im.size != (image_size, image_size):
                im = im.resize((image_size, image_size), Image.BILINEAR)
            return np.asarray(im, dtype=np.uint8)

    with ThreadPoolExecutor(8) as pool:
        images = np.stack(list(pool.map(decode, chosen)))
    out = {"classes": [str(c) for c in z["classes"]]}
    for s, name in enumerate(("train", "val")):
        mask = split[chosen] == s
        out[f"x_{name}"], out[f"y_{name}"] = images[mask], labels[chosen][mask]
    return out


def one_hot(labels, classes: int = 4) -> np.ndarray:
    return np.eye(classes, dtype="float32")[np.asarray(labels)]
