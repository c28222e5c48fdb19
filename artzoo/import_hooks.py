"""Run code when another package finishes importing, without importing it now.

`import artzoo` must stay fast and import no TensorFlow, yet Keras must know artzoo's custom layers by the time
`keras.models.load_model` runs, and TFDS its builders by the time `tfds.builder("louvre_genre")` runs.
`after_import(name, callback)` runs `callback()` right after module `name` has executed: at once if it is
already imported, else through a finder on `sys.meta_path` that wraps that one module's loader. The finder
looks only at the hooked top-level names and removes itself once every hook has fired.

`around_import(name, context)` runs module `name`'s own import inside `context()` (used to silence
TensorFlow's start-up lines, `artzoo.quiet`).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import warnings
from contextlib import nullcontext
from typing import Callable, ContextManager

_after: dict[str, list[Callable[[], None]]] = {}
_around: dict[str, Callable[[], ContextManager]] = {}


def after_import(name: str, callback: Callable[[], None]) -> None:
    """Calls `callback()` once module `name` is imported: now, or right after its import finishes."""
    if name in sys.modules and not _importing(name):
        _run(name, [callback])
        return
    _after.setdefault(name, []).append(callback)
    _install()


def around_import(name: str, context: Callable[[], ContextManager]) -> bool:
    """Wraps the coming import of `name` in `context()`; False (nothing done) when it is already imported."""
    if name in sys.modules:
        return False
    _around[name] = context
    _install()
    return True


def pending() -> list[str]:
    """Module names with hooks still waiting for their import."""
    return sorted(set(_after) | set(_around))


def _importing(name: str) -> bool:
    """True while `name` is in sys.modules but still executing (a hook set from inside its own import)."""
    spec = getattr(sys.modules[name], "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _run(name: str, callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception as err:  # a failed registration must not break the user's own import
            warnings.warn(f"artzoo: registration after importing {name} failed: {err!r}", stacklevel=2)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self):
        self._busy: set[str] = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self._busy or (fullname not in _after and fullname not in _around):
            return None
        self._busy.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)  # the real finder's answer (this one is skipped)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        _wrap(spec.loader, fullname)
        return spec


def _wrap(loader, fullname: str) -> None:
    original = loader.exec_module

    def exec_module(module):
        context = _around.pop(fullname, None) or nullcontext
        with context():
            original(module)
        _run(fullname, _after.pop(fullname, []))
        _uninstall_when_done()

    loader.exec_module = exec_module  # this loader object serves this one module only


_FINDER = _Finder()


def _install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def _uninstall_when_done() -> None:
    if not _after and not _around and _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
