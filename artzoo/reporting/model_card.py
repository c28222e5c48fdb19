"""A model card (Mitchell et al.) for a run, written from what the run directory records.

Sections: intended use, data, metrics, limitations. Every statement is derived from the run's own files
(config, data counts, metrics), so the card cannot drift from the model. A `model_card.yaml` in the run
directory, with lists under `intended_use` and/or `limitations`, adds the author's own statements.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from scipy.stats import binomtest

USER_CARD = "model_card.yaml"


def accuracy_interval(accuracy: float, n: int) -> tuple[float, float]:
    """95% Wilson score interval of an accuracy measured on n items."""
    if n <= 0:
        return 0.0, 1.0
    ci = binomtest(int(round(accuracy * n)), n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _head_sentence(head, classes: list[str]) -> str:
    kind = "one of" if head["type"] == "softmax" else "any number of"
    return f"head `{head['name']}` ({head['type']}) predicts {kind} {len(classes)} labels: {', '.join(classes)}"


def intended_use(config: dict, classes: dict) -> list[str]:
    heads = config["model"]["heads"]
    sentences = "; ".join(_head_sentence(h, classes.get(h["name"], [])) for h in heads)
    lines = [f"Task `{config['task']}`: {sentences}."]
    lines.append("Meant for sorting and searching digitised collection images and as a first suggestion that a "
                 "curator checks; it returns probabilities, not facts about an object.")
    lines.append("Not meant for attribution, authentication, dating or valuation decisions, nor for images unlike "
                 "the training data (other media, photographs of rooms, heavily cropped details).")
    return lines


def data_section(config: dict, data: dict) -> list[str]:
    lines = [f"Source: {data.get('source', 'unknown')}."]
    for split, per_head in data.get("counts", {}).items():
        parts = [f"{head} {sum(counts)} labels" for head, counts in per_head.items()]
        lines.append(f"Split `{split}`: " + ", ".join(parts) + ".")
    rejected = _quarantined_count(data)
    lines.append(f"Quarantined (unusable or duplicate) images: {rejected}.")
    d = config.get("data", {})
    augment = d.get("augment") or {}
    used = ", ".join(f"{k} {v}" if not isinstance(v, bool) else k for k, v in augment.items() if v) or "none"
    lines.append(f"Images are resized to {d.get('image_size')} px ({d.get('resize')}); training augmentation: {used}.")
    return lines


def _quarantined_count(data: dict) -> int:
    quarantine = data.get("quarantine") or {}
    files = quarantine.get("files")
    if isinstance(files, list):
        return len(files)
    return int(sum(v.get("rejected", 0) for v in quarantine.values() if isinstance(v, dict)))


def metrics_section(metrics: dict) -> list[str]:
    lines = []
    for split, per_head in metrics.items():
        for head, m in per_head.items():
            if "accuracy" in m:
                low, high = accuracy_interval(m["accuracy"], m["n"])
                lines.append(f"`{split}` {head}: accuracy {m['accuracy']:.3f} "
                             f"(95% CI {low:.3f}-{high:.3f}, n={m['n']}), "
                             f"macro-F1 {m['macro']['f1']:.3f}, balanced accuracy {m['balanced_accuracy']:.3f}.")
            else:
                lines.append(f"`{split}` {head}: F2 micro {m['f2_micro']:.3f}, F1 micro {m['f1_micro']:.3f}, "
                             f"mAP {m['mAP']:.3f} at thresholds {_threshold_note(m)} (n={m['n']}).")
    return lines


def _threshold_note(m: dict) -> str:
    return "tuned on val" if m.get("thresholds_tuned") else "0.5"


def limitations(config: dict, data: dict, metrics: dict) -> list[str]:
    lines = []
    train_split = config.get("data", {}).get("train_split", "train")
    for head, counts in data.get("counts", {}).get(train_split, {}).items():
        positive = [c for c in counts if c > 0]
        if positive and max(positive) >= 2 * min(positive):
            lines.append(f"Head {head}: training classes are imbalanced ({max(positive)} vs {min(positive)} images).")
        if len(positive) < len(counts):
            lines.append(f"Head {head}: {len(counts) - len(positive)} classes have no training image.")
    for split, per_head in metrics.items():
        for head, m in per_head.items():
            per_class = m.get("per_class", {})
            if per_class:
                worst = min(per_class, key=lambda c: per_class[c]["f1"])
                lines.append(f"`{split}` {head}: weakest class is {worst} (F1 {per_class[worst]['f1']:.3f}).")
            if "accuracy" in m and m["n"]:
                low, high = accuracy_interval(m["accuracy"], m["n"])
                if high - low > 0.1:
                    lines.append(f"`{split}` {head}: only {m['n']} items, so accuracy is known to about "
                                 f"±{(high - low) / 2:.2f}.")
    if "test" not in metrics:
        lines.append("No test split: val chose the best epoch (and any tuned thresholds), "
                     "so val scores are optimistic.")
    if config.get("model", {}).get("weights") == "imagenet":
        lines.append("The backbone was pretrained on ImageNet photographs; "
                     "styles far from photographs may transfer worse.")
    return lines


def build_model_card(config: dict, classes: dict, data: dict, metrics: dict, run_root: Path | None = None) -> dict:
    """{"intended_use", "data", "metrics", "limitations"}: lists of sentences (markdown-style `code` marks)."""
    card = {
        "intended_use": intended_use(config, classes),
        "data": data_section(config, data),
        "metrics": metrics_section(metrics),
        "limitations": limitations(config, data, metrics),
    }
    user = Path(run_root) / USER_CARD if run_root else None
    if user and user.is_file():
        extra = yaml.safe_load(user.read_text()) or {}
        for key in ("intended_use", "limitations"):
            card[key] += [str(line) for line in extra.get(key, []) or []]
    return card
