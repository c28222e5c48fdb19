"""Normalisers that turn free-text museum metadata into labels (eras, material tags)."""
