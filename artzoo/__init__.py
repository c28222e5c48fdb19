"""artzoo: a multi-task model zoo on Keras 3 / TensorFlow for artwork images."""

from artzoo.errors import ArtzooError

__version__ = "0.1.0"
__all__ = ["ArtzooError", "__version__"]
