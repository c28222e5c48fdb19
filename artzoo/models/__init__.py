"""Models: backbone registry, custom layers, heads, the multi-head coordinator.

The custom layers (`layers`, `cascade`) are registered with Keras by `import artzoo` (`artzoo.registration`).
"""
