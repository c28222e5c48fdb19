"""`artzoo report RUN_DIR`: every figure a run can explain itself with, and one static `report.html` beside it.

From the run's files alone: configuration, data counts and quarantine, metrics tables, per-head training
curves, confusion matrices, per-class F1 bars, tuned thresholds, the export's signatures and a model card.
When the run has a Keras model and its data can still be read: the most confident mistakes, Grad-CAM
overlays for every head and the self-attention module's maps on sample images. What cannot be shown is
said on the page, not left out silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.plots import confusion_matrix
from artzoo.reporting import figures as fig
from artzoo.reporting import report_sections as sections
from artzoo.reporting.confused_pairs import confused_pairs_section
from artzoo.reporting.model_card import build_model_card
from artzoo.reporting.report_html import Figure, render_page
from artzoo.reporting.signatures import export_metadata, find_export, read_signatures
from artzoo.run_dir import RunDir

REPORT_FILE = "report.html"


@dataclass
class ModelFigures:
    mistakes: list[Figure] = field(default_factory=list)
    gradcam: list[Figure] = field(default_factory=list)
    attention: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read_optional(run: RunDir, path: Path) -> dict:
    return run.read_json(path) if path.is_file() else {}


def head_curves(run: RunDir, heads: list[str]) -> list[Figure]:
    if not run.history_path.is_file():
        return []
    out = []
    for head in heads:
        path = fig.head_training_curves(run.history_path, head, len(heads) == 1, run.plots / f"curves_{head}.png")
        if path:
            out.append(Figure(path, f"training curves of head {head} "
                                    "(train solid, val dashed; dotted line: phase change)"))
    return out


def metric_figures(run: RunDir, metrics: dict) -> dict[tuple[str, str], list[Figure]]:
    """Confusion matrix (normalised), per-class F1 bars and tuned thresholds per split and head."""
    out: dict[tuple[str, str], list[Figure]] = {}
    for split, per_head in metrics.items():
        for head, m in per_head.items():
            shown = out.setdefault((split, head), [])
            if "confusion_matrix" in m:
                path = run.plots / f"confusion_{split}_{head}.png"
                if not path.is_file():
                    confusion_matrix(m["confusion_matrix"], m["class_names"], path,
                                     title=f"{head} - {split} (accuracy {m['accuracy']:.3f})")
                shown.append(Figure(path, f"{head} on {split}: confusion matrix, rows normalised to recall"))
            if m.get("per_class"):
                path = fig.per_class_f1_bars(m["per_class"], run.plots / f"f1_{split}_{head}.png",
                                             title=f"{head} - {split}: F1 per class")
                shown.append(Figure(path, f"{head} on {split}: F1 per class"))
            if m.get("thresholds_tuned"):
                thresholds = dict(zip(m["class_names"], m["thresholds"]))
                path = fig.threshold_bars(thresholds, run.plots / f"thresholds_{head}.png", title=f"{head}: thresholds")
                shown.append(Figure(path, f"{head}: per-label thresholds tuned on val for F2"))
    return out


def model_figures(run: RunDir, split: Optional[str], n_samples: int, n_mistakes: int) -> ModelFigures:
    """Mistakes, Grad-CAM and attention maps; notes instead where the model or data cannot be read."""
    result = ModelFigures()
    if not run.model_path.is_file():
        result.notes.append("This run has no model.keras, so there are no mistakes, Grad-CAM or attention maps.")
        return result
    try:
        cfg = run.config()
    except ArtzooError as err:
        result.notes.append(f"config.yaml is not an artzoo training config ({err}); sample images skipped.")
        return result
    from artzoo.reporting.sample_figures import draw_model_figures

    try:
        draw_model_figures(run, cfg, split or cfg.data.val_split, n_samples, n_mistakes, result)
    except ArtzooError as err:
        result.notes.append(f"Sample images unavailable: {err}")
    return result


def build_report(run_dir: str | Path, split: Optional[str] = None, n_samples: int = 8, n_mistakes: int = 12,
                 with_model: bool = True) -> Path:
    """Draws the run's figures into `plots/` and writes `report.html` (self-contained) in the run directory.

    Args:
        run_dir: an artzoo run directory (or a baseline run with the same metrics.json / run.json).
        split: the split whose images feed mistakes, Grad-CAM and attention (default: the config's val split).
        n_samples: sample images for Grad-CAM and attention maps.
        n_mistakes: most confident mistakes shown per softmax head.
        with_model: False skips everything that needs the Keras model (faster).

    Returns:
        The path of report.html.
    """
    run = RunDir(run_dir)
    if not run.metrics_path.is_file():
        raise ArtzooError(f"run directory {str(run_dir)!r} has no metrics.json; is it a finished artzoo run?")
    run.plots.mkdir(exist_ok=True)
    config = yaml.safe_load(run.config_path.read_text()) or {} if run.config_path.is_file() else {}
    metrics = run.read_json(run.metrics_path)
    summary = _read_optional(run, run.summary_path)
    data = _read_optional(run, run.data_path)
    classes = _read_optional(run, run.labels_path)
    heads = list(next(iter(metrics.values()), {}).keys())

    curves = head_curves(run, heads)
    by_head = metric_figures(run, metrics)
    model = model_figures(run, split, n_samples, n_mistakes) if with_model else ModelFigures(
        notes=["Model figures were not drawn (report --no-model)."])
    signatures, export_dir, export_note = _signatures(summary)
    metadata = export_metadata(export_dir) if export_dir else {}
    card = build_model_card(config, classes, data, metrics, run.root)

    page = render_page(
        f"artzoo run report: {config.get('task', run.root.name)}",
        f"{run.root.resolve()} - written {dt.datetime.now().isoformat(timespec='seconds')}",
        [
            sections.summary_section(summary, config),
            sections.model_card_section(card),
            sections.data_counts_section(data, classes),
            sections.metrics_section(metrics, by_head),
            confused_pairs_section(metrics),
            sections.figures_section("Training curves", "curves", curves,
                                     [] if curves else ["history.csv is missing: no training curves."]),
            sections.figures_section("Most confident mistakes", "mistakes", model.mistakes, model.notes),
            sections.figures_section("Grad-CAM", "gradcam", model.gradcam),
            sections.figures_section("Self-attention maps", "attention", model.attention,
                                     [] if model.attention else ["The model has no self-attention module."]),
            sections.signatures_section(signatures, export_dir, metadata, export_note),
            sections.config_section(config),
        ],
    )
    out = run.root / REPORT_FILE
    atomic.write_text(out, page)
    out.chmod(0o644)  # a page meant to be shared (the atomic temporary file is created 0600)
    return out


def _signatures(summary: dict):
    export_dir = find_export(summary)
    if export_dir is None:
        note = (f"The export {summary['export']!r} recorded in run.json no longer exists."
                if summary.get("export") else "")
        return None, None, note
    return read_signatures(export_dir), export_dir, ""
