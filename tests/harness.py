"""One round trip for every artzoo layer, backbone, head and cascade test (keras-hub's
`keras_hub/src/tests/test_case.py:run_vision_backbone_test` pattern): build -> call -> save `.keras` -> load with
`safe_mode=True` -> the same outputs, with tiny init kwargs so it runs in the default test run.

"Loadable after only `import artzoo`": every non-Keras class the saved model holds must be registered under the
package name `artzoo` by a module `import artzoo` registers (`artzoo.registration.KERAS_MODULES`); the load itself
passes no `custom_objects`. (`tests/test_package.py` checks the registration hook itself in a fresh process.)
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from artzoo.registration import KERAS_MODULES


def run_layer_test(layer_cls, init_kwargs: dict, input_data, expected_output_shape, tmp_path: Path, *,
                   training: bool = False, atol: float = 1e-6, rtol: float = 1e-5):
    """Builds `layer_cls(**init_kwargs)`, calls it, checks its output shape and config round trip, then saves a
    model holding it and loads it back (`run_model_saving_test`). Returns the layer's outputs."""
    layer = layer_cls(**init_kwargs)
    outputs = layer(input_data, training=training)
    shapes = keras.tree.map_structure(lambda t: tuple(t.shape), outputs)
    assert shapes == expected_output_shape, f"{layer_cls.__name__}: output shape {shapes}, not {expected_output_shape}"
    config = layer.get_config()
    assert layer_cls.from_config(config).get_config() == config, f"{layer_cls.__name__}: config does not round-trip"
    inputs = keras.tree.map_structure(lambda x: keras.Input(np.shape(x)[1:], dtype=str(np.asarray(x).dtype)),
                                      input_data)
    model = keras.Model(inputs, layer(inputs, training=training), name=f"{layer_cls.__name__.lower()}_model")
    run_model_saving_test(model, input_data, tmp_path, training=training, atol=atol, rtol=rtol)
    return outputs


def run_model_saving_test(model: keras.Model, input_data, tmp_path: Path, *, training: bool = False,
                          atol: float = 1e-6, rtol: float = 1e-5) -> keras.Model:
    """Saves `model` as `.keras`, loads it with safe_mode=True and no custom objects, and checks the loaded model
    gives the same outputs on `input_data`. Returns the loaded model."""
    assert_loadable_after_import_artzoo(model)
    expected = model(input_data, training=training)
    path = Path(tmp_path) / f"{model.name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert_same_outputs(loaded(input_data, training=training), expected, atol=atol, rtol=rtol)
    return loaded


def assert_same_outputs(actual, expected, *, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Equal structure (dict keys, list lengths) and values within tolerance."""
    actual_flat, expected_flat = keras.tree.flatten(actual), keras.tree.flatten(expected)
    if isinstance(expected, dict):
        assert set(actual) == set(expected), f"outputs {sorted(actual)} != {sorted(expected)}"
    assert len(actual_flat) == len(expected_flat)
    for got, want in zip(actual_flat, expected_flat):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want),
                                   atol=atol, rtol=rtol)


def assert_loadable_after_import_artzoo(model: keras.Model) -> None:
    """Every layer class of `model` (nested ones too) is Keras's own or registered by `import artzoo`."""
    for layer in model._flatten_layers(include_self=True, recursive=True):  # nested models' layers too
        cls = type(layer)
        if cls.__module__.startswith(("keras.", "keras_hub.")):
            continue
        name = keras.saving.get_registered_name(cls)
        assert name.startswith("artzoo>") and keras.saving.get_registered_object(name) is cls, (
            f"layer {layer.name!r}: class {cls.__qualname__} is not registered under 'artzoo'")
        assert cls.__module__ in KERAS_MODULES, (
            f"layer {layer.name!r}: {cls.__module__} is not among the modules `import artzoo` registers")
