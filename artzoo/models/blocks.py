"""Splitting a backbone into the blocks fine-tuning unfreezes, by the patterns of its registry entry."""

from __future__ import annotations

import re
from typing import Optional

import keras

from artzoo.models.registry import get_backbone_spec


def block_groups(
    backbone: keras.Model,
    block_pattern: Optional[str] = None,
    *,
    end_pattern: Optional[str] = None,
    layer_sequence: Optional[list] = None,
) -> list[list[keras.layers.Layer]]:
    """Splits a backbone's layers, in order, into blocks (for unfreezing the top K blocks).

    With `block_pattern`, a new block starts whenever the block id named by its first group changes; layers
    whose names do not match stay with the block before them. With `end_pattern`, a matching layer closes
    the current block (layers after the last one join the last block). Without either, each layer that has
    weights is a block.

    Args:
        backbone: the feature extractor.
        layer_sequence: the layers to split (default `backbone.layers`), e.g. a nested encoder's blocks.
    """
    groups: list[list] = []
    current_id = object()
    regex = re.compile(block_pattern) if block_pattern else None
    end_regex = re.compile(end_pattern) if end_pattern else None
    closed = True
    for layer in layer_sequence if layer_sequence is not None else backbone.layers:
        if end_regex is not None:
            if closed:
                groups.append([])
            groups[-1].append(layer)
            closed = bool(end_regex.search(layer.name))
            continue
        if regex is not None:
            match = regex.search(layer.name)
            block_id = match.group(1) if match else current_id
        else:
            block_id = layer.name if layer.weights else current_id
        if block_id != current_id or not groups:
            groups.append([])
            current_id = block_id
        groups[-1].append(layer)
    if end_regex is not None and not closed and len(groups) > 1:
        groups[-2].extend(groups.pop())  # layers after the last block's end (a final activation) join it
    return groups


def backbone_blocks(backbone: keras.Model, name: str) -> list[list[keras.layers.Layer]]:
    """The blocks of backbone `name` as its registry entry defines them (see `block_groups`)."""
    spec = get_backbone_spec(name)
    sequence = spec.block_layers(backbone) if spec.block_layers else None
    return block_groups(backbone, spec.block_pattern, end_pattern=spec.block_end_pattern, layer_sequence=sequence)
