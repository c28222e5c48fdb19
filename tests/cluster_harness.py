"""`cluster_file`: the clustering tests' way into `artzoo.cluster` from a `ClusterSettings` (the settings object
the library's clustering code takes), kept here so that library code never calls up into `artzoo.api`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from artzoo.api import cluster, settings_options
from artzoo.clustering.run import ClusterSettings


def cluster_file(embeddings_path: str | Path, settings: ClusterSettings, out_dir: str | Path,
                 map_method: str = "pca", gallery_size: int = 8, views: Optional[str] = None,
                 projector: bool = False) -> dict:
    """`artzoo.cluster(embeddings_path, ..., out=out_dir)`; returns metrics.json's content.

    `views`: comma-separated embeddings files of augmented copies of the same images (same ids), for SCAN."""
    cluster(embeddings_path, settings.k, settings.method, out=out_dir, map_method=map_method,
            gallery_size=gallery_size, views=views, projector=projector, **settings_options(settings))
    return json.loads((Path(out_dir) / "metrics.json").read_text())
