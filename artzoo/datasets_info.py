"""`artzoo datasets list | build | info`: the TFDS builders, their preparation and what they hold."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from artzoo.data.imbalance import head_imbalance, summary_text
from artzoo.data.tfds_lookup import prepare, prepared_configs, tfds_builder, tfds_data_dir

MAX_CLASSES_SHOWN = 30


def list_datasets(tfds_dir: Optional[str] = None) -> list[str]:
    """One line per builder: name, first docstring line, configs, and configs prepared in `tfds_dir`."""
    import tfds_builders

    tfds_builders.register_all()
    data_dir = tfds_data_dir(tfds_dir)
    lines = []
    for name in tfds_builders.BUILDERS:
        cls = tfds_builders.builder_module(name).Builder
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        configs = ", ".join(cls.builder_configs) or "-"
        prepared = ", ".join(prepared_configs(data_dir, name))
        prepared = prepared or ("-" if cls.builder_configs else _flat(data_dir, name))
        lines.append(f"{name:<13} {doc}\n{'':<13} configs: {configs}; prepared: {prepared}")
    return lines


def _flat(data_dir: str, name: str) -> str:
    """A builder without configs is prepared when `<data_dir>/<name>/<version>/dataset_info.json` exists."""
    root = Path(data_dir) / name
    found = root.is_dir() and any((v / "dataset_info.json").is_file() for v in root.iterdir())
    return "yes" if found else "-"


def build_dataset(
    name: str,
    manual_dir: Optional[str],
    tfds_dir: Optional[str],
    config: Optional[str],
    label_columns: Optional[Sequence[str]] = None,
    imbalance_warning: float = 0.5,
) -> str:
    builder = tfds_builder(name, tfds_dir, config, manual_dir=manual_dir, label_columns=label_columns)
    already = builder.is_prepared()
    prepare(builder, manual_dir)
    verb = "already prepared" if already else "prepared"
    return f"{builder.info.full_name} {verb} in {builder.data_dir}\n" + describe(builder, imbalance_warning)


def dataset_info(name: str, manual_dir: Optional[str], tfds_dir: Optional[str], config: Optional[str],
                 imbalance_warning: float = 0.5) -> str:
    """What a prepared dataset holds; for one not yet prepared, how to prepare it (nothing is built)."""
    builder = tfds_builder(name, tfds_dir, config, manual_dir=manual_dir)
    if not builder.is_prepared():
        instructions = getattr(builder, "MANUAL_DOWNLOAD_INSTRUCTIONS", "") or ""
        return (f"{builder.info.full_name} is not prepared in {tfds_data_dir(tfds_dir)}; build it with "
                f"`artzoo datasets build {name} --manual-dir DIR`\n{instructions.rstrip()}")
    text = f"{builder.info.full_name} in {builder.data_dir}\n" + describe(builder, imbalance_warning)
    mappings = mapping_lines((builder.info.metadata or {}).get("label_mappings", {}))
    return text + ("\n" + "\n".join(mappings) if mappings else "")


def mapping_lines(mappings: dict) -> list[str]:
    """The raw value -> label table of every normalised column (builder metadata `label_mappings`), then
    per label how many distinct raw values and CSV rows map to it; "-" is no label (missing, masked)."""
    lines = []
    for feature, mapping in mappings.items():
        rows = mapping["rows"]
        lines.append(f"label mapping {feature} (column {mapping['column']!r}, normaliser {mapping['normaliser']}): "
                     f"{len(rows)} distinct values")
        width = min(max((len(raw) for raw, _, _ in rows), default=0), 60)
        lines.append(f"  {'rows':>5}  {'raw value':<{width}}  label")
        for raw, label, n in rows:
            shown = " ".join(raw.split()) or "(blank)"
            shown = shown if len(shown) <= width else shown[: width - 1] + "…"
            lines.append(f"  {n:>5}  {shown:<{width}}  {label or '-'}")
        per_label: dict[str, list[int]] = {}
        for _, label, n in rows:
            for tag in label.split(", ") if label else ["-"]:  # a multi-label value counts for each of its tags
                entry = per_label.setdefault(tag, [0, 0])
                entry[0] += 1
                entry[1] += n
        summary = ", ".join(f"{label} {values}/{items}" for label, (values, items) in
                            sorted(per_label.items(), key=lambda kv: -kv[1][1]))
        lines.append(f"  {feature} per label (distinct values/rows of the CSV): {summary}")
    return lines


def label_features(features) -> dict[str, tuple[list[str], bool]]:
    """Label feature -> (class names, multi-label?) for ClassLabel and Sequence(ClassLabel) features."""
    import tensorflow_datasets as tfds

    found = {}
    for key, feature in features.items():
        if isinstance(feature, tfds.features.ClassLabel):
            found[key] = (list(feature.names), False)
        elif isinstance(feature, tfds.features.Sequence) and isinstance(feature.feature, tfds.features.ClassLabel):
            found[key] = (list(feature.feature.names), True)
    return found


def class_counts(builder, split: str) -> dict[str, tuple[np.ndarray, int]]:
    """Per label feature: images per class and images without a label (-1, or no tag)."""
    import tensorflow_datasets as tfds

    labels = label_features(builder.info.features)
    counts = {key: (np.zeros(len(names), dtype=np.int64), 0) for key, (names, _) in labels.items()}
    ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()}, shuffle_files=False)
    ds = ds.map(lambda ex: {key: ex[key] for key in labels})
    missing = dict.fromkeys(labels, 0)
    for example in ds.as_numpy_iterator():
        for key, (names, multi) in labels.items():
            values = np.atleast_1d(example[key])
            values = np.unique(values[values >= 0]) if multi else values[values >= 0]
            if values.size:
                counts[key][0][values] += 1
            else:
                missing[key] += 1
    return {key: (counts[key][0], missing[key]) for key in labels}


def describe(builder, imbalance_warning: float = 0.5) -> str:
    """Counts per split and class for every label feature with its imbalance (and a warning when one class
    holds more than `imbalance_warning` of a single-label feature), then the quarantine summary."""
    labels = label_features(builder.info.features)
    lines = []
    for split, info in builder.info.splits.items():
        lines.append(f"{split}: {info.num_examples} images")
        for key, (per_class, missing) in class_counts(builder, split).items():
            names, multi = labels[key]
            lines.append(f"  {key}{' (multi-label)' if multi else ''}: " + _class_line(names, per_class, missing))
            imbalance = head_imbalance(per_class, names, imbalance_warning, multi_label=multi)
            lines.append(f"    imbalance: {summary_text(imbalance)}")
            if imbalance["warning"]:
                lines.append(f"    warning: {imbalance['warning']}")
    quarantine = (builder.info.metadata or {}).get("quarantine", {})
    for split, summary in quarantine.items():
        lines.append(f"quarantine {split}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    if quarantine:
        lines.append(f"quarantined files and reasons: {builder.data_dir}/quarantine_<split>.json")
    return "\n".join(lines)


def _class_line(names: list[str], per_class: np.ndarray, missing: int) -> str:
    order = range(len(names)) if len(names) <= MAX_CLASSES_SHOWN else np.argsort(-per_class, kind="stable")
    shown = [f"{names[i]} {int(per_class[i])}" for i in list(order)[:MAX_CLASSES_SHOWN]]
    more = len(names) - len(shown)
    text = ", ".join(shown) + (f", ... {more} more classes" if more > 0 else "")
    return text + (f"; no label {missing}" if missing else "")


# --- the same, as data (`--json`) ------------------------------------------------------------------------------
def dataset_records(tfds_dir: Optional[str] = None) -> list[dict]:
    """Per builder: name, description (first docstring line), configs, configs prepared in `tfds_dir`."""
    import tfds_builders

    tfds_builders.register_all()
    data_dir = tfds_data_dir(tfds_dir)
    records = []
    for name in tfds_builders.BUILDERS:
        cls = tfds_builders.builder_module(name).Builder
        prepared = prepared_configs(data_dir, name)
        if not cls.builder_configs and _flat(data_dir, name) == "yes":
            prepared = [""]
        records.append({"name": name, "description": (cls.__doc__ or "").strip().splitlines()[0],
                        "configs": list(cls.builder_configs), "prepared": prepared})
    return records


def dataset_record(name: str, manual_dir: Optional[str], tfds_dir: Optional[str], config: Optional[str],
                   imbalance_warning: float = 0.5) -> dict:
    """`dataset_info` as data: splits with images, class counts and imbalance per label feature, quarantine."""
    builder = tfds_builder(name, tfds_dir, config, manual_dir=manual_dir)
    record = {"name": name, "full_name": builder.info.full_name, "prepared": builder.is_prepared(),
              "data_dir": str(builder.data_dir)}
    if not record["prepared"]:
        return record
    labels = label_features(builder.info.features)
    splits = {}
    for split, info in builder.info.splits.items():
        features = {}
        for key, (per_class, missing) in class_counts(builder, split).items():
            names, multi = labels[key]
            features[key] = {"multi_label": multi, "classes": dict(zip(names, per_class.tolist())), "missing": missing,
                             "imbalance": head_imbalance(per_class, names, imbalance_warning, multi_label=multi)}
        splits[split] = {"images": info.num_examples, "labels": features}
    metadata = builder.info.metadata or {}
    return {**record, "splits": splits, "quarantine": metadata.get("quarantine", {}),
            "label_mappings": metadata.get("label_mappings", {})}
