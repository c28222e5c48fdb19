"""Models: backbone registry, custom layers, heads, the multi-head coordinator."""
