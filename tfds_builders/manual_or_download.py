"""Where a builder's raw files come from: `--manual-dir`, else the public archive when there is one."""

from __future__ import annotations

from typing import Mapping, Optional, Union

from etils import epath

from tfds_builders.errors import BuilderError


def manual_root(dl_manager) -> Optional[epath.Path]:
    """The manual dir when one was given, else None (then a builder may download).

    A manual dir that was given but is missing or empty is an error, not a reason to download: offline, the
    download would only fail minutes later.
    """
    given = getattr(dl_manager, "_manual_dir", None)
    download_dir = getattr(dl_manager, "_download_dir", None)
    if given and download_dir and epath.Path(given) == epath.Path(download_dir) / "manual":
        given = None  # TFDS's default when no manual dir was passed
    try:
        return epath.Path(dl_manager.manual_dir)
    except AssertionError:  # manual_dir not given, missing or empty
        if given:
            raise BuilderError(f"manual dir {str(given)!r} does not exist or is empty; put the dataset's files "
                              "there, or leave out --manual-dir to download") from None
        return None


def require_manual_root(dl_manager, dataset: str, needs: str) -> epath.Path:
    root = manual_root(dl_manager)
    if root is None:
        raise BuilderError(f"{dataset} has no public download; pass --manual-dir holding {needs}")
    return root


def download_or_explain(
    dl_manager, urls: Union[str, Mapping[str, str]], dataset: str, needs: str
) -> Union[epath.Path, dict[str, epath.Path]]:
    """Downloads and extracts `urls`; any failure becomes one line telling the user to use --manual-dir."""
    try:
        result = dl_manager.download_and_extract(urls)
    except Exception as err:  # noqa: BLE001 - any network failure means: use manual_dir
        first = urls if isinstance(urls, str) else next(iter(urls.values()))
        raise BuilderError(
            f"{dataset}: could not download {first} ({type(err).__name__}); pass --manual-dir holding {needs}"
        ) from None
    if isinstance(result, Mapping):
        return {k: epath.Path(v) for k, v in result.items()}
    return epath.Path(result)


def missing_files_error(dataset: str, root: epath.Path, missing: list[str], instructions: str) -> BuilderError:
    """One line listing every required path that is absent."""
    first_line = " ".join(instructions.split())
    return BuilderError(f"{dataset}: {root} lacks {', '.join(missing)}; {first_line}")
