"""Models: backbone registry, custom layers, heads, the multi-head coordinator."""

# Every registered layer must be imported before `keras.models.load_model`; importing anything from
# artzoo.models registers the cascade's layer too (the loaders import artzoo.models.layers), and the optimizers
# a model.keras trained in mixed_float16 or with train.clipnorm holds.
from artzoo.models import cascade as _cascade  # noqa: F401,E402
from artzoo.train import replica_optimizers as _replica_optimizers  # noqa: F401,E402
