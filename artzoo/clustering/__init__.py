"""Clustering of embeddings (scikit-learn): feature preparation, methods, k choice, scores, reports,
and the pseudo-label loop."""
