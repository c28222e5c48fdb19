"""`.keras` export: the Keras model file with the serving spec as an `artzoo.json` entry inside the zip.

It loads with `keras.models.load_model(path, safe_mode=True)` where artzoo's registered layers are importable
(`import artzoo.models.layers`); the SavedModel, TFLite and ONNX exports need no artzoo at all.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.export.parity import check_parity, keras_probabilities, parity_inputs
from artzoo.export.serving_spec import METADATA_FILE, ServingSpec, validate_spec

SUFFIX = ".keras"


def export_keras(model: keras.Model, spec: ServingSpec, out: str | Path) -> Path:
    """Saves `out` (a new file; never overwritten) after checking it reloads with safe_mode=True unchanged."""
    validate_spec(spec)
    out = Path(out)
    with atomic.new_file(out) as tmp:
        model.save(tmp)
        reloaded = keras.models.load_model(tmp, safe_mode=True)
        images = parity_inputs(spec.image_size)
        parity = check_parity("keras", keras_probabilities(model, images), keras_probabilities(reloaded, images),
                              len(images))
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(METADATA_FILE, json.dumps({**spec.to_json(), "parity": parity}, indent=2))
    return out


def read_keras_metadata(path: str | Path) -> ServingSpec:
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read(METADATA_FILE))
    except (zipfile.BadZipFile, KeyError):
        raise ArtzooError(
            f"{str(path)!r} is not a .keras file exported by artzoo (no {METADATA_FILE} inside)") from None
    return ServingSpec.from_json(data, source=str(path))


def load_keras(path: str | Path) -> keras.Model:
    return keras.models.load_model(path, safe_mode=True)
