"""Finding and preparing a TFDS builder by name: artzoo's own builders, configs made on request
(art_folder's per-source configs, wikiart's `<task>_top<N>_balanced`), and datasets already prepared.

This is where artzoo calls its builders, so here a builder's `BuilderError` becomes an `ArtzooError` (same line).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator, Optional, Sequence

import tensorflow_datasets as tfds

from artzoo.errors import ArtzooError, choice_error
from tfds_builders.errors import BuilderError


def tfds_data_dir(tfds_dir: Optional[str] = None) -> str:
    return tfds_dir or os.environ.get("TFDS_DATA_DIR") or tfds.core.constants.DATA_DIR


def tfds_builder(
    name: str,
    tfds_dir: Optional[str] = None,
    config: Optional[str] = None,
    manual_dir: Optional[str] = None,
    label_columns: Optional[Sequence[str]] = None,
):
    """The builder `name` with `config` (artzoo's own builders are registered on first use).

    For builders whose configs are made from the request (art_folder: from the folder or CSV in
    `manual_dir`), a config name without a source is looked up among the prepared datasets in `tfds_dir`.
    """
    with builder_errors_as_user_errors():
        return _tfds_builder(name, tfds_dir, config, manual_dir, label_columns)


@contextlib.contextmanager
def builder_errors_as_user_errors() -> Iterator[None]:
    """A builder's `BuilderError` on the way leaves as an `ArtzooError` with the same one line."""
    try:
        yield
    except BuilderError as err:
        raise ArtzooError(str(err)) from err


def _tfds_builder(name, tfds_dir, config, manual_dir, label_columns):
    import tfds_builders

    tfds_builders.register_all()
    if name not in tfds_builders.BUILDERS and name not in tfds.list_builders(with_community_datasets=False):
        raise choice_error("dataset", name, tfds_builders.BUILDERS)
    data_dir = tfds_data_dir(tfds_dir)
    if name in tfds_builders.BUILDERS:
        module = tfds_builders.builder_module(name)
        resolve = getattr(module, "resolve_config", None)
        if resolve is not None:
            config = resolve(config, manual_dir, label_columns=label_columns)
        known = module.Builder.builder_configs
        if isinstance(config, str) and known and config not in known:
            found = prepared_dir(data_dir, name, config)
            if found is None:
                prepared = prepared_configs(data_dir, name)
                raise choice_error(f"config of dataset {name!r} (or pass --manual-dir to build one)", config,
                                   sorted(set(known) | set(prepared)))
            return tfds.builder_from_directory(found)
    kwargs = {"data_dir": data_dir}
    if config:
        kwargs["config"] = config
    return tfds.builder(name, **kwargs)


def prepared_configs(data_dir: str, name: str) -> list[str]:
    root = Path(data_dir) / name
    if not root.is_dir():
        return []
    return sorted(c.name for c in root.iterdir() if prepared_dir(data_dir, name, c.name))


def prepared_dir(data_dir: str, name: str, config: str) -> Optional[Path]:
    """`<data_dir>/<name>/<config>/<newest version>` when it holds a finished build."""
    root = Path(data_dir) / name / config
    if not root.is_dir():
        return None
    versions = [v for v in root.iterdir()
                if (v / "dataset_info.json").is_file() and not v.name.startswith("incomplete")]
    return max(versions, key=lambda v: tuple(int(x) for x in v.name.split(".") if x.isdigit()), default=None)


def manual_folder(manual_dir: Optional[str]) -> Optional[str]:
    """A manual dir given as a CSV file means the folder holding it."""
    if manual_dir and manual_dir.lower().endswith(".csv"):
        return str(Path(manual_dir).parent)
    return manual_dir


def prepare(builder, manual_dir: Optional[str] = None) -> None:
    """Builds the TFDS dataset once (validated, with quarantine manifest); later calls reuse it."""
    folder = manual_folder(manual_dir)
    if builder.is_prepared():
        _check_same_source(builder, folder)
        return
    if folder:
        check_manual_dir(manual_dir, folder)
    config = tfds.download.DownloadConfig(manual_dir=folder, try_download_gcs=False)
    with builder_errors_as_user_errors():
        builder.download_and_prepare(download_config=config)


def check_manual_dir(manual_dir: str, folder: str) -> None:
    """A --manual-dir that is missing, a file or empty is an error (an empty one must not start a download)."""
    if not os.path.exists(folder):
        raise ArtzooError(f"manual dir {manual_dir!r} does not exist")
    if not os.path.isdir(folder):
        raise ArtzooError(f"manual dir {manual_dir!r} is a file, not a folder (a CSV file must end in .csv)")
    if manual_dir != folder and not os.path.isfile(manual_dir):
        raise ArtzooError(f"manual dir {manual_dir!r}: no such CSV file")
    with os.scandir(folder) as entries:
        if not any(True for _ in entries):
            raise ArtzooError(f"manual dir {manual_dir!r} is empty; put the dataset's files there, or leave out "
                              "--manual-dir to download")


def _check_same_source(builder, folder: Optional[str]) -> None:
    """A per-source config (art_folder) reused for a different folder would silently give the old data."""
    source = (builder.info.metadata or {}).get("source")
    if folder and source and os.path.realpath(source) != os.path.realpath(folder):
        config = builder.info.config_name
        raise ArtzooError(
            f"{builder.info.full_name} in {builder.data_dir} was built from {source!r}, not {folder!r}; "
            f"pass --config NAME (not {config!r}) to build this source under another name"
        )
