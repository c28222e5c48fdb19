"""Models: backbone registry, custom layers, heads, the multi-head coordinator.

The custom layers (`layers`, `cascade`) and the optimizers a model.keras trained under a mixed policy or with
train.clipnorm holds (`artzoo.train.replica_optimizers`) are registered with Keras by `import artzoo`
(`artzoo.registration`).
"""
