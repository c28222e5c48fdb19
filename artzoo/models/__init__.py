"""Models: backbone registry, custom layers, heads, the multi-head coordinator."""

# Every registered layer must be imported before `keras.models.load_model`; importing anything from
# artzoo.models registers the cascade's layer too (the loaders import artzoo.models.layers).
from artzoo.models import cascade as _cascade  # noqa: F401,E402
from artzoo.models import gram_pooling as _gram_pooling  # noqa: F401,E402
from artzoo.models import tta as _tta  # noqa: F401,E402
