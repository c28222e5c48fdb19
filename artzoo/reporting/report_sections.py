"""The sections of a run report, each from one of the run directory's files, as HTML fragments."""

from __future__ import annotations

from typing import Sequence

from artzoo.reporting.report_html import Figure, Section, bullet_list, figure, heading, paragraph, table


def flatten(value, prefix: str = "") -> list[tuple[str, object]]:
    """Nested dicts/lists to (dotted key, scalar) rows; list items of dicts with a `name` use that name."""
    rows: list[tuple[str, object]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            rows += flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, item in enumerate(value):
            label = item.get("name", i) if isinstance(item, dict) else i
            rows += flatten(item, f"{prefix}.{label}")
    else:
        rows.append((prefix, ", ".join(map(str, value)) if isinstance(value, list) else value))
    return rows


def summary_section(summary: dict, config: dict) -> Section:
    keys = ("task", "backbone", "parameters", "precision_policy", "train_images", "train_seconds", "total_seconds",
            "export")
    rows = [(k, f"{summary[k]:.1f}" if k.endswith("_seconds") else summary[k]) for k in keys if k in summary]
    rows += [(f"phase_seconds.{k}", f"{v:.1f}") for k, v in (summary.get("phase_seconds") or {}).items()]
    rows += [(f"headline.{split}.{head}", v) for split, heads in (summary.get("headline") or {}).items()
             for head, v in heads.items()]
    if not summary:
        rows = [("task", config.get("task", "?"))]
    blocks = [table(["field", "value"], rows)]
    if not summary:
        blocks.append(paragraph("run.json is missing: the run did not finish.", note=True))
    return Section("Summary", "summary", blocks)


def config_section(config: dict) -> Section:
    return Section("Configuration", "config", [table(["key", "value"], flatten(config))])


def data_counts_section(data: dict, classes: dict) -> Section:
    counts = data.get("counts", {})
    splits = list(counts)
    blocks = [paragraph(f"Source: `{data.get('source', 'unknown')}`")]
    heads = sorted({h for per_head in counts.values() for h in per_head})
    for head in heads:
        names = classes.get(head) or [str(i) for i in range(len(next(iter(counts.values()))[head]))]
        rows = []
        for i, name in enumerate(names):
            rows.append([name] + [counts[s].get(head, [0] * len(names))[i] for s in splits])
        rows.append(["total"] + [sum(counts[s].get(head, [])) for s in splits])
        blocks.append(table(["class"] + splits, rows, caption=f"head {head}: images per class and split"))
    blocks += _quarantine_blocks(data.get("quarantine") or {})
    return Section("Data", "data", blocks)


def _quarantine_blocks(quarantine: dict, limit: int = 50) -> list[str]:
    files = quarantine.get("files") if isinstance(quarantine.get("files"), list) else []
    per_split = {k: v for k, v in quarantine.items() if isinstance(v, dict)}
    blocks = []
    if per_split:
        keys = sorted({key for v in per_split.values() for key in v})
        blocks.append(table(["split"] + keys, [[s] + [v.get(k, "") for k in keys] for s, v in per_split.items()],
                            caption="quarantined images"))
    count = len(files) if files else sum(v.get("rejected", 0) for v in per_split.values())
    blocks.append(paragraph(f"Quarantined images: {count}."))
    if files:
        rows = [[f.get("file", ""), f.get("reason", "")] for f in files[:limit]]
        blocks.append(table(["file", "reason"], rows, caption=f"quarantined files (first {min(limit, len(files))})"))
    return blocks


def _softmax_tables(m: dict) -> list[str]:
    overall = [("n", m["n"]), ("accuracy", m["accuracy"]), ("balanced accuracy", m["balanced_accuracy"])]
    overall += [(k.replace("_", " "), v) for k, v in m.items() if k.startswith("top") and k.endswith("_accuracy")]
    averages = [[avg] + [m[avg][s] for s in ("precision", "recall", "f1")] for avg in ("macro", "micro", "weighted")]
    per_class = [[c] + [v[s] for s in ("precision", "recall", "f1", "support")] for c, v in m["per_class"].items()]
    names = m["class_names"]
    confusion = [[names[i]] + row for i, row in enumerate(m["confusion_matrix"])]
    return [
        table(["metric", "value"], overall),
        table(["average", "precision", "recall", "F1"], averages),
        table(["class", "precision", "recall", "F1", "support"], per_class, caption="per class"),
        table(["true \\ predicted"] + list(names), confusion, caption="confusion matrix (counts)"),
    ]


def _multilabel_tables(m: dict) -> list[str]:
    rows = [("n", m["n"])] + [(k.replace("_", " "), m[k]) for k in (
        "f1_micro", "f1_macro", "f1_samples", "f2_micro", "f2_macro", "f2_samples", "mAP") if k in m]
    blocks = [table(["metric", "value"], rows,
                    caption="at tuned thresholds" if m.get("thresholds_tuned") else "at 0.5 thresholds")]
    if m.get("at_0.5"):
        blocks.append(table(["metric at 0.5", "value"], list(m["at_0.5"].items())))
    thresholds = m.get("thresholds") or [0.5] * len(m["class_names"])
    per_label = [[c, thresholds[i]] + [m["per_class"][c][s] for s in ("precision", "recall", "f1", "support")]
                 for i, c in enumerate(m["class_names"])]
    blocks.append(table(["label", "threshold", "precision", "recall", "F1", "support"], per_label, caption="per label"))
    tuning = m.get("threshold_tuning")
    if tuning:
        blocks.append(paragraph(f"Threshold tuning on val: {tuning['verdict']}."))
    return blocks


def metrics_section(metrics: dict, figures: dict[tuple[str, str], list[Figure]]) -> Section:
    """Tables per split and head, each followed by that head's figures (confusion matrix, F1 bars, ...)."""
    blocks = []
    for split, per_head in metrics.items():
        for head, m in per_head.items():
            blocks.append(heading(3, f"{split} - {head}"))
            blocks += _softmax_tables(m) if "accuracy" in m else _multilabel_tables(m)
            blocks += [figure(f) for f in figures.get((split, head), [])]
    if not blocks:
        blocks.append(paragraph("metrics.json holds no split.", note=True))
    return Section("Metrics", "metrics", blocks)


def figures_section(title: str, anchor: str, figures: Sequence[Figure], notes: Sequence[str] = ()) -> Section:
    blocks = [paragraph(n, note=True) for n in notes] + [figure(f) for f in figures]
    if not blocks:
        blocks.append(paragraph("nothing to show", note=True))
    return Section(title, anchor, blocks)


def signatures_section(signatures: dict | None, export_dir, metadata: dict, note: str = "") -> Section:
    if not signatures:
        return Section("Export signatures", "signatures",
                       [paragraph(note or "This run has no SavedModel export.", True)])
    blocks = [paragraph(f"SavedModel `{export_dir}`, read back with `tf.saved_model.load`.")]
    for name, sig in signatures.items():
        rows = [["input", k, v["dtype"], v["shape"]] for k, v in sig["inputs"].items()]
        rows += [["output", k, v["dtype"], v["shape"]] for k, v in sig["outputs"].items()]
        blocks.append(table(["", "tensor", "dtype", "shape (-1: any)"], rows, caption=f"signature {name}",
                            key_columns=2))
    for head in metadata.get("heads", []):
        if head.get("thresholds"):
            blocks.append(paragraph(f"Head `{head['name']}` decisions use the tuned thresholds: "
                                    + ", ".join(f"{c} {t:.3f}" for c, t in zip(head["classes"], head["thresholds"]))))
    return Section("Export signatures", "signatures", blocks)


def model_card_section(card: dict) -> Section:
    titles = {"intended_use": "Intended use", "data": "Data", "metrics": "Metrics", "limitations": "Limitations"}
    blocks = []
    for key, title in titles.items():
        blocks.append(heading(3, title))
        blocks.append(bullet_list(card.get(key) or ["(nothing recorded)"]))
    return Section("Model card", "model-card", blocks)
