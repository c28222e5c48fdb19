"""`artzoo datasets list | build | info`: the TFDS builders, their preparation and what they hold."""

from __future__ import annotations

from typing import Optional

from artzoo.data.sources import prepare, tfds_builder


def list_datasets() -> list[str]:
    import tfds_builders

    return list(tfds_builders.BUILDERS)


def build_dataset(name: str, manual_dir: Optional[str], tfds_dir: Optional[str], config: Optional[str]) -> str:
    builder = tfds_builder(name, tfds_dir, config)
    already = builder.is_prepared()
    prepare(builder, manual_dir)
    verb = "already prepared" if already else "prepared"
    return f"{builder.info.full_name} {verb} in {builder.data_dir}\n" + _describe(builder)


def dataset_info(name: str, manual_dir: Optional[str], tfds_dir: Optional[str], config: Optional[str]) -> str:
    builder = tfds_builder(name, tfds_dir, config)
    prepare(builder, manual_dir)
    return f"{builder.info.full_name} in {builder.data_dir}\n" + _describe(builder)


def _describe(builder) -> str:
    import numpy as np
    import tensorflow_datasets as tfds

    lines = []
    features = builder.info.features
    class_features = [k for k, f in features.items() if isinstance(f, tfds.features.ClassLabel)]
    for split, info in builder.info.splits.items():
        lines.append(f"{split}: {info.num_examples} images")
        ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
        for key in class_features:
            names = features[key].names
            labels = np.array([int(x) for x in ds.map(lambda ex: ex[key]).as_numpy_iterator()])
            counts = np.bincount(labels[labels >= 0], minlength=len(names))
            lines.append(f"  {key}: " + ", ".join(f"{n} {c}" for n, c in zip(names, counts)))
    quarantine = (builder.info.metadata or {}).get("quarantine", {})
    for split, summary in quarantine.items():
        lines.append(f"quarantine {split}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return "\n".join(lines)
