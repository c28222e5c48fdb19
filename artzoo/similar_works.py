"""Similar-work search: embed a query image with the index's own embedder, rank the index by cosine similarity."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from artzoo.embeddings.extractor import EmbedderSettings, build_embedder, embed_collection
from artzoo.embeddings.images import files_collection
from artzoo.embeddings.store import EmbeddingSet, load_embeddings
from artzoo.errors import ArtzooError


def embedder_of(index: EmbeddingSet) -> EmbedderSettings:
    """The settings that rebuild the embedder an index was made with (recorded in its meta)."""
    return embedder_from_meta(index.meta)


def embedder_from_meta(meta: dict) -> EmbedderSettings:
    """The settings that rebuild an embedder from the meta its embeddings recorded."""
    if "backbone" not in meta or "image_size" not in meta:
        raise ArtzooError("the index does not record its backbone and image size; re-create it with `artzoo embed`")
    if meta.get("model"):
        if not Path(meta["model"]).is_file():
            raise ArtzooError(f"the index was embedded with model {meta['model']!r}, which no longer exists")
        return EmbedderSettings(model_path=meta["model"], resize=meta.get("resize", "squash"),
                                decode=meta.get("decode", "full"))
    weights = meta.get("weights", "imagenet")
    if weights not in ("imagenet", "none") and not Path(str(weights)).is_file():
        raise ArtzooError(f"the index was embedded with weights {weights!r}, which cannot be rebuilt here")
    return EmbedderSettings(backbone=meta["backbone"], weights=weights, image_size=meta["image_size"],
                            resize=meta.get("resize", "squash"), decode=meta.get("decode", "full"),
                            attention=bool(meta.get("attention")),
                            seed=int(meta.get("seed", 0)))


def cosine_top_k(query: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of the `k` rows of `vectors` closest to `query`, best first."""
    q = query.astype(np.float64) / max(np.linalg.norm(query), 1e-12)
    v = vectors.astype(np.float64)
    scores = (v @ q) / np.maximum(np.linalg.norm(v, axis=1), 1e-12)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]  # best first, ties by index
    return top, scores[top]


def find_similar(image: str, index_path: str | Path, k: int = 8, gallery: Optional[str | Path] = None) -> dict:
    """The `k` works of the index most similar to `image`, with scores; draws a gallery PNG when asked."""
    if k < 1:
        raise ArtzooError(f"--k {k} must be at least 1")
    index = load_embeddings(index_path)
    if len(index) == 0:
        raise ArtzooError(f"index {str(index_path)!r} holds no embeddings")
    query = files_collection([image])
    model, description = build_embedder(embedder_of(index))
    if description["dims"] != index.embeddings.shape[1]:
        raise ArtzooError(f"the rebuilt embedder gives {description['dims']} dims but the index holds "
                          f"{index.embeddings.shape[1]}")
    vector = embed_collection(model, query, description["image_size"], description["resize"], 1,
                              decode=description.get("decode", "full"))[0]
    top, scores = cosine_top_k(vector, index.embeddings, k)
    hits = [{"rank": rank, "id": index.ids[i], "path": index.paths[i], "score": round(float(s), 6),
             "label": index.class_names[index.labels[i]] if index.labels[i] >= 0 and index.class_names else ""}
            for rank, (i, s) in enumerate(zip(top, scores), start=1)]
    result = {"query": str(Path(image).resolve()), "index": str(Path(index_path).resolve()), "hits": hits}
    if gallery:
        from artzoo.clustering.plots import similar_gallery

        result["gallery"] = str(similar_gallery(image, hits, Path(gallery)))
    return result
