"""Embedding models: the pooled features of an artzoo classifier, and batched tf.data inference with them.

An embedder is the classifier's graph cut at its `pool` layer:

    image (0..255 RGB) -> ImagePreprocessing -> backbone -> [self-attention] -> pooling -> vector

built either fresh (`build_classifier` with ImageNet / no / file weights) or from a trained `model.keras`,
so embeddings of a fine-tuned model and of its untrained starting point come from the same graph.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from artzoo.config import HeadConfig, ModelConfig
from artzoo.data.resize import DECODES, RESIZE_MODES, decode_for_size, resize_image
from artzoo.embeddings.images import ImageCollection
from artzoo.errors import ArtzooError, choice_error
from artzoo.models.classifier import ATTENTION_LAYER, build_classifier
from artzoo.models.registry import get_backbone_spec
from artzoo.progress_bars import track

POOL_LAYER = "pool"


@dataclass(frozen=True)
class EmbedderSettings:
    """How images become vectors.

    Attributes:
        backbone: registry name (ignored when `model_path` is given: the model names its own).
        weights: "imagenet", "none" or a weights file path.
        image_size: square input side; None: the backbone's default size (or the trained model's).
        resize: "squash", "crop" or "pad" (see `artzoo.data.resize`).
        decode: "scaled" (large JPEGs decoded at a DCT scale that still covers the input) or "full".
        attention: add the self-attention module after the backbone. Fresh, its gamma is 0, so it is the
            identity until trained (e.g. by `artzoo pseudolabel --attention`).
        model_path: a trained artzoo `model.keras`; its `pool` layer's output is the embedding.
        seed: seeds random initialisation (weights "none").
        batch_size: images per inference batch.
        flip: embed the mirror image (left-right) instead: an augmented view of the same collection, e.g. for
            `artzoo cluster --method scan --views`.
    """

    backbone: str = "mobilenet_v2"
    weights: str = "imagenet"
    image_size: Optional[int] = None
    resize: str = "squash"
    decode: str = "scaled"
    attention: bool = False
    model_path: Optional[str] = None
    seed: int = 0
    batch_size: int = 64
    flip: bool = False

    def __post_init__(self):
        if self.resize not in RESIZE_MODES:
            raise choice_error("resize mode", self.resize, RESIZE_MODES)
        if self.decode not in DECODES:
            raise choice_error("decode", self.decode, DECODES)
        if self.batch_size < 1:
            raise ArtzooError(f"--batch-size {self.batch_size} must be at least 1")
        if self.image_size is not None and self.image_size < 1:
            raise ArtzooError(f"--image-size {self.image_size} must be a positive number of pixels")

    def key(self) -> str:
        """What decides the vectors (not the batch size): settings plus the bytes of any weights/model file."""
        fields = asdict(self)
        fields.pop("batch_size")
        if not fields["flip"]:
            fields.pop("flip")  # keys of plain embeddings stay as they were before views existed
        for name in ("weights", "model_path"):
            value = fields[name]
            if value and value not in ("imagenet", "none") and Path(value).is_file():
                fields[name] = "sha256:" + hashlib.sha256(Path(value).read_bytes()).hexdigest()
        return repr(sorted(fields.items()))


def pooled_model(model: keras.Model) -> keras.Model:
    """The sub-graph of an artzoo classifier from its image input to its pooled features."""
    try:
        pool = model.get_layer(POOL_LAYER)
    except ValueError:
        raise ArtzooError(f"model {model.name!r} has no {POOL_LAYER!r} layer; is it an artzoo classifier?") from None
    return keras.Model(model.inputs, pool.output, name=f"{model.name}_embedder")


def build_embedder(settings: EmbedderSettings) -> tuple[keras.Model, dict]:
    """The embedding model and a description of it (backbone, preprocessing, image size, ...)."""
    if settings.model_path:
        return _trained_embedder(settings)
    spec = get_backbone_spec(settings.backbone)
    size = settings.image_size or spec.default_size
    keras.utils.set_random_seed(settings.seed)
    cfg = ModelConfig(backbone=settings.backbone, weights=settings.weights, attention=settings.attention,
                      heads=(HeadConfig(name="embedding"),))
    classifier = build_classifier(cfg, {"embedding": ["unused"]}, size)
    model = pooled_model(classifier)
    return model, _describe(model, settings.backbone, spec.preprocessing, size, settings)


def _trained_embedder(settings: EmbedderSettings) -> tuple[keras.Model, dict]:
    path = Path(settings.model_path)
    if not path.is_file() or path.suffix != ".keras":
        raise ArtzooError(f"model {str(path)!r} is not a .keras file; expected RUN_DIR/model.keras")
    classifier = keras.models.load_model(path, safe_mode=True, compile=False)
    size = int(classifier.input_shape[1])
    if settings.image_size and settings.image_size != size:
        raise ArtzooError(f"image size {settings.image_size} does not match the model's input size {size}")
    backbone = classifier.name.removeprefix("artzoo_")
    try:
        preprocessing = classifier.get_layer("preprocessing").mode
    except ValueError:
        preprocessing = "unknown"
    model = pooled_model(classifier)
    return model, _describe(model, backbone, preprocessing, size, settings)


def _describe(model: keras.Model, backbone: str, preprocessing: str, size: int, settings: EmbedderSettings) -> dict:
    has_attention = any(layer.name == ATTENTION_LAYER for layer in model.layers)
    return {
        "backbone": backbone,
        "weights": "trained model" if settings.model_path else settings.weights,
        "model": str(Path(settings.model_path).resolve()) if settings.model_path else None,
        "preprocessing": preprocessing,
        "image_size": size,
        "resize": settings.resize,
        "decode": settings.decode,
        "attention": has_attention,
        "pooling": type(model.get_layer(POOL_LAYER)).__name__,
        "dims": int(model.output_shape[-1]),
        "seed": settings.seed,
        "flip": settings.flip,
    }


def embed_collection(model: keras.Model, images: ImageCollection | tf.data.Dataset, image_size: int,
                     resize: str = "squash", batch_size: int = 64, flip: bool = False,
                     what: str = "embed", decode: str = "scaled") -> np.ndarray:
    """Runs `model` over the images (parallel decode + resize, batched, prefetched, each batch through a compiled
    `model(x)` while the next is decoded); (n, d) float32. `flip`: the mirror images. A progress bar named `what`
    counts the images (`artzoo.progress_bars`)."""
    ds = embed_pipeline(images, image_size, resize, batch_size, flip, decode)
    infer = inference_function(model)
    total = len(images) if isinstance(images, ImageCollection) else None
    batches = [np.asarray(infer(images), dtype=np.float32)
               for images in track(ds, total, what, unit="image", size=lambda batch: int(batch.shape[0]))]
    if not batches:
        return np.zeros((0, int(model.output_shape[-1])), dtype=np.float32)
    return np.concatenate(batches)


def embed_pipeline(images: ImageCollection | tf.data.Dataset, image_size: int, resize: str = "squash",
                   batch_size: int = 64, flip: bool = False, decode: str = "scaled") -> tf.data.Dataset:
    """Batches of float32 pixels: files read, decoded and resized in parallel, in order, prefetched.

    Pixels are whole numbers after resizing (`resize_image` rounds), exactly as the training pipeline caches them.
    """
    encoded = images.encoded() if isinstance(images, ImageCollection) else images

    def prepare(image_bytes):
        image = decode_for_size(image_bytes, image_size, resize, decode)
        return resize_image(tf.image.flip_left_right(image) if flip else image, image_size, resize)

    ds = encoded.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


_INFERENCE: "weakref.WeakKeyDictionary[keras.Model, tf.types.experimental.PolymorphicFunction]" = (
    weakref.WeakKeyDictionary())


def inference_function(model: keras.Model):
    """`model(images, training=False)` as a tf.function, one per model (traced once per batch shape).

    Called batch by batch over the tf.data pipeline instead of `model.predict`: on the 2-core CPU predict's
    per-step machinery cost ~30% of MobileNetV2's inference time (bench/embed_throughput.py).
    """
    fn = _INFERENCE.get(model)
    if fn is None:
        ref = weakref.ref(model)  # the cache must not keep the model alive
        fn = tf.function(lambda images: ref()(images, training=False), reduce_retracing=True)
        _INFERENCE[model] = fn
    return fn
