"""Training: run directory, two-phase fine-tuning, optimisers and schedules, precision, the training run.

This package is also the public function `artzoo.train` (`artzoo.api.train`): calling it trains. Python sets
an imported subpackage as an attribute of its parent, over any function of the same name, so `artzoo.train`
is this package, made callable, whether or not one of its modules was imported first.
"""

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from artzoo.api import train

        return train(*args, **kwargs)


def __getattr__(name: str):
    if name == "__signature__":  # inspect.signature(artzoo.train) gives the function's
        import inspect

        from artzoo.api import train

        return inspect.signature(train)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _CallablePackage
