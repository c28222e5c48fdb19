"""Embeddings: image collections, embedding models (pooled classifier features), the cached .npz file."""
