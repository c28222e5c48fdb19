"""Parameter counts of the registered backbones at their default input size, without a classification top:
derived by building the entry with random weights, never tabled.

Building all entries takes about a minute on a 2-core CPU, so each count is kept, once made, in a small cache
beside Keras's weights cache (`$KERAS_HOME/artzoo/parameter_counts.json`), keyed by the Keras version (a new
Keras may build an architecture differently). `artzoo models list` counts what the cache lacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

from artzoo import atomic
from artzoo.models.pretrained import keras_cache_dir
from artzoo.models.registry import create_backbone, get_backbone_spec


def cache_path() -> Path:
    return keras_cache_dir().parent / "artzoo" / "parameter_counts.json"


def count_parameters(name: str) -> int:
    """Builds backbone `name` with random weights at its default input size and counts its parameters."""
    spec = get_backbone_spec(name)
    model = create_backbone(name, weights=None, input_shape=(spec.default_size, spec.default_size, 3))
    count = int(model.count_params())
    del model
    keras.backend.clear_session()
    return count


def parameter_count(name: str, recount: bool = False) -> int:
    """The backbone's parameter count: from the cache, else (or with `recount`) counted and cached."""
    get_backbone_spec(name)  # unknown name: the registry's error
    key = f"{name}@keras-{keras.__version__}"
    counts = _read_cache()
    if recount or key not in counts:
        counts = {**_read_cache(), key: count_parameters(name)}  # reread: another process may have added some
        try:
            atomic.write_json(cache_path(), counts)
        except OSError:
            pass  # a read-only cache only costs the recount next time
    return counts[key]


def _read_cache() -> dict[str, int]:
    try:
        counts = json.loads(cache_path().read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in counts.items() if isinstance(v, int)} if isinstance(counts, dict) else {}
