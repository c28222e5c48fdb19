"""Exports a trained model in one of four formats: `export_run_dir` (from a run directory, for `artzoo export`)
and `export_trained` (right after training) both end in `export_model`.

Layouts: `saved_model` -> `OUT/<version>/` (TF Serving; OUT defaults to `<export.dir>/<export.name>`);
`keras`, `tflite`, `onnx` -> the single file `OUT.<suffix>` (OUT defaults to the same name). Nothing existing is
ever overwritten. Exports of a run also get a model card (`artzoo.export.model_card_file`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Optional

import keras

from artzoo.config import RunConfig
from artzoo.errors import ArtzooError, choice_error, storage_errors_as_user_errors
from artzoo.export.model_card_file import write_model_card
from artzoo.export.parity import check_precision, keras_probabilities, parity_inputs
from artzoo.export.serving_spec import HeadSpec, ServingSpec
from artzoo.models.float32_clone import float32_clone, training_precision
from artzoo.run_dir import RunDir

FORMATS = ("saved_model", "keras", "tflite", "onnx")
FILE_SUFFIXES = {"keras": ".keras", "tflite": ".tflite", "onnx": ".onnx"}


@storage_errors_as_user_errors
def export_model(model: keras.Model, spec: ServingSpec, fmt: str, out: str | Path,
                 version: Optional[int] = None) -> Path:
    """Writes `model` as `fmt` under `out` after a parity check; returns the version directory or file.

    A model trained under a mixed policy is exported as its float32 rebuild (`float32_clone`), checked first
    against the trained model within its precision's tolerance (recorded as `precision` in the metadata).
    """
    if fmt not in FORMATS:
        raise choice_error("export format", fmt, FORMATS)
    model, spec = in_float32(model, spec)
    if fmt == "saved_model":
        from artzoo.export.saved_model import export_saved_model

        return export_saved_model(model, spec, out, version)
    if version is not None:
        raise ArtzooError(f"--version applies to --format saved_model only, not {fmt} "
                          "(files are never overwritten; choose another --out)")
    path = file_path(out, fmt)
    if path.exists():
        raise ArtzooError(f"{path} already exists; exports are never overwritten (choose another --out)")
    if fmt == "keras":
        from artzoo.export.keras_format import export_keras as write
    elif fmt == "tflite":
        from artzoo.export.tflite_format import export_tflite as write
    else:
        from artzoo.export.onnx_format import export_onnx as write
    return write(model, spec, path)


def in_float32(model: keras.Model, spec: ServingSpec) -> tuple[keras.Model, ServingSpec]:
    """The float32 model to export and the spec recording how it relates to the trained one."""
    trained = training_precision(model)
    if trained == "float32":
        return model, spec
    exported = float32_clone(model)
    images = parity_inputs(spec.image_size)
    record = check_precision(trained, keras_probabilities(model, images), keras_probabilities(exported, images),
                             len(images))
    return exported, replace(spec, extra={**spec.extra, "precision": record})


def file_path(out: str | Path, fmt: str) -> Path:
    """`out` with the format's suffix; `out` must name a file, not a folder (`.`, `..`, `/`, an existing one)."""
    out = Path(out)
    suffix = FILE_SUFFIXES[fmt]
    if out.is_dir() or out.name in ("", ".", ".."):
        raise ArtzooError(f"--out {str(out)!r} is a folder; --format {fmt} writes one file: give a file path "
                          f"(the {suffix} suffix is added when missing)")
    return out if out.suffix == suffix else out.with_name(out.name + suffix)


def export_run_dir(run_dir: str | Path, fmt: str = "saved_model", out: Optional[str | Path] = None,
                   version: Optional[int] = None) -> Path:
    """Exports a run's best model (`model.keras`) with its labels and tuned thresholds."""
    if fmt not in FORMATS:
        raise choice_error("export format", fmt, FORMATS)
    run = RunDir.open(run_dir)
    cfg = run.config()
    if not run.model_path.is_file():
        raise ArtzooError(f"run directory {str(run_dir)!r} has no model.keras; did training finish?")
    model = keras.models.load_model(run.model_path, safe_mode=True)
    spec = spec_for_run(cfg, run.classes(), tuned_thresholds(run))
    path = export_model(model, spec, fmt, out or default_out(cfg), version)
    _model_card(path, fmt, cfg, run)
    return path


def export_trained(cfg: RunConfig, model: keras.Model, classes: dict[str, list[str]],
                   version: Optional[int] = None, token: Optional[str] = None) -> Path:
    """The SavedModel export at the end of training: `version` (default: the next) under
    `<export.dir>/<export.name>`; `token` is stored in its metadata as `export_token`."""
    thresholds = tuned_thresholds(RunDir(cfg.run_dir)) if cfg.run_dir else {}
    spec = spec_for_run(cfg, classes, thresholds)
    spec.extra.update({"export_token": token} if token else {})
    path = export_model(model, spec, "saved_model", default_out(cfg), version)
    if cfg.run_dir:
        _model_card(path, "saved_model", cfg, RunDir(cfg.run_dir))
    return path


def _model_card(path: Path, fmt: str, cfg: RunConfig, run: RunDir) -> None:
    """The card beside the export; a run whose files lack something the card reads gets a warning, and the
    export (already complete) stands."""
    try:
        write_model_card(path, fmt, cfg, run)
    except (KeyError, TypeError, ValueError) as err:
        import warnings

        warnings.warn(f"no model card beside {path}: the run's files lack {err}", stacklevel=2)


def default_out(cfg: RunConfig) -> Path:
    return Path(cfg.export.dir) / cfg.export_name


def spec_for_run(cfg: RunConfig, classes: dict[str, list[str]],
                 thresholds: Optional[dict[str, list[float]]] = None) -> ServingSpec:
    thresholds = thresholds or {}
    heads = [HeadSpec(h.name, list(classes[h.name]), h.type, h.top_k,
                      thresholds.get(h.name) if h.type == "sigmoid" else None)
             for h in cfg.model.heads]
    return ServingSpec(
        heads=heads,
        image_size=cfg.data.image_size,
        resize=cfg.data.resize,
        max_image_bytes=cfg.export.max_image_bytes,
        max_pixels=cfg.export.max_pixels,
        max_batch=cfg.export.max_batch,
        max_request_pixels=cfg.export.max_request_pixels,
        extra={"task": cfg.task, "backbone": cfg.model.backbone, "run_dir": cfg.run_dir},
    )


def tuned_thresholds(run: RunDir) -> dict[str, list[float]]:
    """Per-label decision thresholds of sigmoid heads as scored on val (`metrics.json`), where present."""
    if not run.metrics_path.is_file():
        return {}
    val = json.loads(run.metrics_path.read_text()).get("val", {})
    return {head: m["thresholds"] for head, m in val.items() if isinstance(m, dict) and "thresholds" in m}
