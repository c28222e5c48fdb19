"""`embed`: a collection's embeddings, cached in an .npz keyed by the images' bytes and the embedder settings.

A re-run whose data and settings give the same content key returns the file as it is, without validating,
decoding or running a model.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from artzoo.embeddings.extractor import EmbedderSettings, build_embedder, embed_collection
from artzoo.embeddings.images import ImageCollection, folder_collection, folder_data_key, tfds_collection, tfds_data_key
from artzoo.embeddings.store import EmbeddingSet, load_embeddings, read_content_key, save_embeddings
from artzoo.errors import ArtzooError
from artzoo.models.registry import get_backbone_spec


@dataclass(frozen=True)
class DataSource:
    """Where the images are: a plain folder (`data_dir`) or a TFDS dataset (`dataset`, with its options)."""

    data_dir: Optional[str] = None
    dataset: Optional[str] = None
    manual_dir: Optional[str] = None
    tfds_dir: Optional[str] = None
    builder_config: Optional[str] = None
    label: str = "label"

    def __post_init__(self):
        if bool(self.data_dir) == bool(self.dataset):
            raise ArtzooError("give exactly one of --data-dir DIR or --dataset NAME")

    def data_key(self) -> str:
        if self.data_dir:
            return folder_data_key(self.data_dir)
        return tfds_data_key(self._builder())

    def collection(self) -> ImageCollection:
        if self.data_dir:
            return folder_collection(self.data_dir)
        return tfds_collection(self._builder(), self.label)

    def _builder(self):
        from artzoo.data.sources import prepare, tfds_builder

        builder = tfds_builder(self.dataset, self.tfds_dir, self.builder_config)
        prepare(builder, self.manual_dir)
        return builder


@dataclass
class EmbedResult:
    embeddings: EmbeddingSet
    path: Path
    reused: bool
    seconds: float


def content_key(source: DataSource, settings: EmbedderSettings) -> str:
    text = f"{source.data_key()}|{source.label if source.dataset else ''}|{settings.key()}"
    return hashlib.sha256(text.encode()).hexdigest()


def embed(source: DataSource, settings: EmbedderSettings, out: str | Path, force: bool = False,
          log: Callable[[str], None] = lambda _: None) -> EmbedResult:
    """Embeds every image of `source` into `out` (.npz), or reuses `out` when its content key matches."""
    started = time.time()
    out = Path(out)
    if not settings.model_path:
        get_backbone_spec(settings.backbone)  # an unknown name fails before any file is read
    key = content_key(source, settings)
    if not force and read_content_key(out) == key:
        log(f"reusing {out} (same images and settings, content key {key[:12]})")
        return EmbedResult(load_embeddings(out), out, True, time.time() - started)
    collection = source.collection()
    log(f"{len(collection)} images from {collection.source} ({len(collection.quarantined)} quarantined)")
    model, description = build_embedder(settings)
    vectors = embed_collection(model, collection, description["image_size"], settings.resize, settings.batch_size,
                               flip=settings.flip, decode=settings.decode)
    meta = {
        **description,
        "source": collection.source,
        "content_key": key,
        "count": len(collection),
        "quarantined": collection.quarantined,
        "embed_seconds": round(time.time() - started, 1),
    }
    emb = EmbeddingSet(vectors, collection.ids, collection.paths, collection.labels, collection.splits,
                       collection.class_names, meta)
    save_embeddings(emb, out)
    log(f"wrote {out}: {vectors.shape[0]} x {vectors.shape[1]} float32 in {meta['embed_seconds']} s")
    return EmbedResult(emb, out, False, time.time() - started)
