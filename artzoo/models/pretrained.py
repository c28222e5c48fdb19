"""Pretrained-weight tags, apart from the architectures they fit (timm's `_pretrained.py` split).

A tag names one set of weights for one architecture, `<architecture>.<tag>` (e.g. `mobilenet_v2.imagenet`),
and carries what travels with those weights: the weights file, how raw pixels are scaled for them and the input
side they were trained at. An architecture may have several tags (or none: random init or a weights file only);
its first tag is its default, which gives the architecture its default size and preprocessing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

PREPROCESSING_MODES = ("tf", "torch", "caffe", "unit", "none")


def check_preprocessing(mode: str) -> str:
    if mode not in PREPROCESSING_MODES:
        raise ValueError(f"unknown preprocessing {mode!r}; one of {', '.join(PREPROCESSING_MODES)}")
    return mode


@dataclass(frozen=True)
class PretrainedWeights:
    """One pretrained-weight tag.

    Attributes:
        tag: the tag, e.g. "imagenet" (also what `weights:` in a config names).
        file: the weights file name in Keras's cache (`keras_cache_dir()`), no-top weights.
        preprocessing: how raw 0..255 RGB pixels are scaled for these weights (see `ImagePreprocessing`).
        size: the input side the weights were trained at.
        architecture: the architecture they fit; set when registered with it.
    """

    tag: str
    file: str
    preprocessing: str
    size: int = 224
    architecture: str = ""

    def __post_init__(self):
        check_preprocessing(self.preprocessing)

    @property
    def name(self) -> str:
        return f"{self.architecture}.{self.tag}"

    def cached_file(self) -> Optional[Path]:
        """The weights file if it is already in the local Keras cache."""
        path = keras_cache_dir() / self.file
        return path if path.is_file() else None


def imagenet(file: str, preprocessing: str, size: int = 224) -> PretrainedWeights:
    """The `imagenet` tag: keras.applications' ImageNet no-top weights, fetched through Keras's cache."""
    return PretrainedWeights("imagenet", file, preprocessing, size)


def keras_cache_dir() -> Path:
    """Keras's own download cache for model weights ($KERAS_HOME/models, else ~/.keras/models)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"
