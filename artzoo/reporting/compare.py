"""Side-by-side comparison of runs (trained or classical baselines) from their run.json and metrics.json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Sequence

from artzoo.errors import ArtzooError

FIXED_COLUMNS = ("run", "task", "backbone", "parameters", "train_seconds", "total_seconds")
STYLES = ("text", "markdown", "csv")


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ArtzooError(f"{str(path)!r} is not valid JSON ({err.msg})") from None


def _headline_kind(metrics: dict, split: str, head: str) -> str:
    m = metrics.get(split, {}).get(head, {})
    if "accuracy" in m:
        return "accuracy"
    if "f1_micro" in m:
        return "f1_micro"
    return "headline"


def run_row(run_dir: str | Path) -> dict:
    """One run's fixed fields and `<split> <head> <metric>` headline values."""
    root = Path(run_dir)
    summary_path, metrics_path = root / "run.json", root / "metrics.json"
    if not root.is_dir():
        raise ArtzooError(f"run directory {str(run_dir)!r} does not exist")
    if not summary_path.is_file():
        raise ArtzooError(f"run directory {str(run_dir)!r} has no run.json; is it a finished artzoo run?")
    summary = _read(summary_path)
    metrics = _read(metrics_path) if metrics_path.is_file() else {}
    row = {"run": root.name, **{k: summary.get(k) for k in FIXED_COLUMNS[1:]}}
    headline = summary.get("headline") or {
        split: {h: m.get("accuracy", m.get("f1_micro")) for h, m in per_head.items()}
        for split, per_head in metrics.items()
    }
    for split, per_head in headline.items():
        for head, value in per_head.items():
            row[f"{split} {head} {_headline_kind(metrics, split, head)}"] = value
    return row


def compare_runs(run_dirs: Sequence[str | Path]) -> tuple[list[str], list[list]]:
    """Header and rows: fixed columns, then every headline column any run has (blank where a run lacks it)."""
    rows = [run_row(d) for d in run_dirs]
    extra = []
    for row in rows:
        extra += [k for k in row if k not in FIXED_COLUMNS and k not in extra]
    header = list(FIXED_COLUMNS) + extra
    return header, [[row.get(k) for k in header] for row in rows]


def _cell(value, column: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}" if column.endswith("_seconds") else f"{value:.4f}"
    return str(value)


def format_table(header: Sequence[str], rows: Sequence[Sequence], style: str = "text") -> str:
    """The table as aligned text, a Markdown table or CSV (metrics to 4 decimals, seconds to 1)."""
    if style not in STYLES:
        raise ArtzooError(f"table style {style!r} is not one of {', '.join(STYLES)}")
    cells = [[_cell(v, h) for v, h in zip(row, header)] for row in rows]
    if style == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(cells)
        return buffer.getvalue()
    if style == "markdown":
        numeric = [all(_is_number(r[i]) for r in rows if r[i] is not None) and any(r[i] is not None for r in rows)
                   for i in range(len(header))]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines) + "\n"
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines) + "\n"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
