"""Models: backbone registry, custom layers, heads, the multi-head coordinator.

The custom layers (`layers`, `cascade`, `gram_pooling`, `tta`) and the optimizers a model.keras trained under a
mixed policy or with train.clipnorm holds (`artzoo.train.replica_optimizers`) are registered with Keras by
`import artzoo` (`artzoo.registration`).

The backbone registry (`registry`) is filled here, in one place: importing `artzoo.models` (which any
`artzoo.models.*` import does first) imports the modules whose `@register_backbone` entries define the
architectures and their pretrained tags.
"""

from artzoo.models import backbones, vit  # noqa: F401  (register the keras.applications, baseline and ViT entries)
