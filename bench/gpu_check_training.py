"""GPU check sections that train: 30 mixed-float16 steps with SE and self-attention (loss scaling watched), the
genre recipe on Louvre-4, and (TensorFlow backend only) artzoo's own model builder against the bench's copy."""

from __future__ import annotations

import time

import keras
import numpy as np

from bench import gpu_check_backend as gb
from bench.gpu_check_models import build_classifier, compile_classifier, one_hot, param_counts, set_phase
from bench.gpu_check_speed import build_fine_tune_model


def _training_batches(ctx, batch: int):
    """Yields (x, y) batches of real Louvre train images (random images without the bundle), cycling."""
    louvre = ctx.louvre()
    rng = np.random.default_rng(0)
    if louvre:
        images, labels = louvre["x_train"], louvre["y_train"]
    else:
        images = rng.integers(0, 256, (batch * 2, *ctx.shape), np.uint8)
        labels = rng.integers(0, 4, batch * 2)
    order = rng.permutation(len(images))
    position = 0
    while True:
        if position + batch > len(order):
            order, position = rng.permutation(len(images)), 0
        index = order[position:position + batch]
        position += batch
        yield images[index].astype("float32"), one_hot(labels[index])


def se_attention_float16(ctx) -> dict:
    """MobileNetV2 + SE + self-attention under mixed_float16, top blocks fine-tuned, `ctx.fp16_steps` steps:
    losses finite?, LossScaleOptimizer's scale after each step, skipped steps (steps - inner iterations)."""
    model, attention_map = build_fine_tune_model(ctx, "mixed_float16", jit=True, se=True, attention=True)
    optimizer = model.optimizer
    out = {"policy": "mixed_float16", "jit_compile": True, "batch": ctx.se_batch, "layers": ctx.layers_source,
           "optimizer": type(optimizer).__name__, **param_counts(model), "losses": [], "loss_scale": []}
    if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        out["note"] = "no LossScaleOptimizer: Keras did not wrap the optimizer under mixed_float16"
    batches = _training_batches(ctx, ctx.se_batch)
    start = time.perf_counter()
    for step in range(ctx.fp16_steps):
        if ctx.budget.left() < 5:
            out["stopped_by"] = f"budget after {step} steps"
            break
        x, y = next(batches)
        out["losses"].append(round(float(model.train_on_batch(x, y, return_dict=True)["loss"]), 5))
        if hasattr(optimizer, "dynamic_scale"):
            out["loss_scale"].append(float(keras.ops.convert_to_numpy(optimizer.dynamic_scale.value)))
    out["seconds"] = round(time.perf_counter() - start, 2)
    steps = len(out["losses"])
    applied = int(keras.ops.convert_to_numpy(optimizer.iterations))
    out.update(steps=steps, applied_steps=applied, skipped_steps=steps - applied,
               all_losses_finite=bool(np.isfinite(out["losses"]).all()) if steps else None,
               weights_finite=all(bool(np.isfinite(keras.ops.convert_to_numpy(w)).all())
                                  for w in model.trainable_weights))
    if out["loss_scale"]:
        out.update(loss_scale_first=out["loss_scale"][0], loss_scale_last=out["loss_scale"][-1],
                   loss_scale_min=min(out["loss_scale"]))
    out.update(_attention_check(model, attention_map, next(batches)[0][:8]))
    del model, optimizer
    gb.release()
    return out


def _attention_check(model, attention_map, images) -> dict:
    """The self-attention map (float32 output of artzoo's layer) on a few images: finite, sums to 1."""
    if attention_map is None:
        return {}
    probe = keras.Model(model.inputs, attention_map)
    maps = np.asarray(probe.predict_on_batch(images), dtype="float64")
    gamma = model.get_layer("self_attention").gamma
    return {"attention_map_finite": bool(np.isfinite(maps).all()),
            "attention_map_sum_max_error": round(float(np.abs(maps.sum(axis=(1, 2)) - 1).max()), 6),
            "attention_gamma": float(keras.ops.convert_to_numpy(gamma))}


class _EpochLog(keras.callbacks.Callback):
    """Epoch times, and a stop when the run's time budget is nearly spent."""

    def __init__(self, budget, reserve_s: float, phase: str, rows: list):
        super().__init__()
        self.budget, self.reserve_s, self.phase, self.rows = budget, reserve_s, phase, rows

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"phase": self.phase, "epoch": epoch + 1, "seconds": round(time.perf_counter() - self.start, 2)}
        row.update({k: round(float(v), 4) for k, v in (logs or {}).items() if k != "learning_rate"})
        self.rows.append(row)

    def on_train_batch_end(self, batch, logs=None):
        if self.budget.left() < self.reserve_s:
            self.model.stop_training = True


def genre_run(ctx) -> dict:
    """The genre recipe on Louvre-4 under the `auto` policy: frozen phase, then the top blocks fine-tuned (BN
    frozen); cosine per phase, label smoothing, augmentation inside the model; val every epoch."""
    louvre = ctx.louvre()
    if not louvre:
        return {"skipped": f"no Louvre-4 bundle under {ctx.data_dir} (run bench/gpu_check_bundle.py)"}
    r = ctx.recipe
    policy = ctx.genre_policy
    x_train, y_train = louvre["x_train"], one_hot(louvre["y_train"])
    x_val, y_val = louvre["x_val"], one_hot(louvre["y_val"])
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(r["seed"])
        model, _ = build_classifier(ctx.weights, ctx.image_size, layer_classes=ctx.layer_classes,
                                    dropout=r["dropout"], augment=r)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    xla = _allow_xla_with_augmentation(model)
    epochs = {"frozen": ctx.genre_epochs or r["epochs"], "fine_tune": ctx.genre_fine_tune_epochs or
              r["fine_tune_epochs"]}
    out = {"policy": policy, "train_images": len(x_train), "val_images": len(x_val), "image_size": ctx.image_size,
           "batch": r["batch_size"], "epochs": epochs, "recipe_source": ctx.recipe_source, "history": [],
           "phase_seconds": {}, **xla}
    steps = int(np.ceil(len(x_train) / r["batch_size"]))
    batches = _full_batches(x_train, y_train, r["batch_size"], r["seed"])
    for phase, lr in (("frozen", r["learning_rate"]), ("fine_tune", r["fine_tune_learning_rate"])):
        if ctx.budget.left() < 15:
            out["stopped_by"] = f"budget before phase {phase}"
            break
        set_phase(model, phase, r["fine_tune_blocks"])
        schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, epochs[phase]) * steps)
        compile_classifier(model, schedule if r["schedule"] == "cosine" else lr, jit_compile="auto",
                           label_smoothing=r["label_smoothing"])
        start = time.perf_counter()
        model.fit(batches, steps_per_epoch=steps, epochs=epochs[phase], shuffle=False,  # batches are shuffled
                  validation_data=(x_val, y_val), validation_batch_size=min(len(x_val), 256), verbose=0,
                  callbacks=[_EpochLog(ctx.budget, 10, phase, out["history"])])
        out["phase_seconds"][phase] = round(time.perf_counter() - start, 2)
        out[f"jit_compile_{phase}"] = bool(model.jit_compile)
        ctx.checkpoint(out)
    out.update(_genre_scores(model, x_val, y_val, out["history"], len(x_train)))
    out["train_seconds"] = round(sum(out["phase_seconds"].values()), 2)
    del model
    gb.release()
    return out


def _full_batches(images, labels, batch: int, seed: int):
    """Endless shuffled full batches (float32): each epoch's last batch is filled from the next permutation, so
    every step has one shape and XLA compiles the train step once (issue 22's drop_remainder, without dropping)."""
    rng = np.random.default_rng(seed)
    order = np.empty(0, dtype=int)
    while True:
        while len(order) < batch:
            order = np.concatenate([order, rng.permutation(len(images))])
        index, order = order[:batch], order[batch:]
        yield images[index].astype("float32"), labels[index]


def _allow_xla_with_augmentation(model) -> dict:
    """Keras marks RandomRotation and RandomZoom `supports_jit = False` (their TensorFlow kernel has no XLA
    version), which turns XLA off for any model holding them, also with `jit_compile=True`. On JAX they are
    built from jax ops and compile, so there the flag is lifted; on TensorFlow it stays (graph mode, no XLA)."""
    from keras.src.trainers.trainer import model_supports_jit

    before = bool(model_supports_jit(model))
    if gb.backend() == "jax":
        for layer in model.get_layer("augment").layers:
            layer.supports_jit = True
    return {"xla_possible_with_keras_flags": before, "xla_possible_as_run": bool(model_supports_jit(model))}


def _genre_scores(model, x_val, y_val, history: list, n_train: int) -> dict:
    scores = model.evaluate(x_val, y_val, batch_size=min(len(x_val), 256), verbose=0, return_dict=True)
    out = {"val_accuracy_final": round(float(scores["accuracy"]), 4),
           "val_loss_final": round(float(scores["loss"]), 4)}
    rows = [row for row in history if "val_loss" in row]
    if rows:
        best = min(rows, key=lambda row: row["val_loss"])
        out["best_epoch"] = f"{best['phase']} {best['epoch']}"
        out["val_accuracy_at_best_val_loss"] = best.get("val_accuracy")
    later = [row["seconds"] for row in history if row["epoch"] > 1]
    if later:
        out["steady_epoch_s_median"] = round(float(np.median(later)), 2)
        out["steady_train_img_per_s_incl_val"] = round(n_train / float(np.median(later)), 1)
    return out


def artzoo_parity(ctx) -> dict:
    """TensorFlow backend only: artzoo's own `build_classifier` + `set_phase_trainable` for configs/genre.yaml
    against the bench's model (parameter counts, trainable counts), and what artzoo's `auto` policy picks."""
    if gb.backend() != "tensorflow":
        return {"skipped": "artzoo imports TensorFlow; runs only on the TensorFlow backend"}
    from artzoo.config import load_config_file  # lazily: artzoo imports TensorFlow
    from artzoo.models.classifier import build_classifier as artzoo_build
    from artzoo.train.finetune import set_phase_trainable
    from artzoo.train.precision import resolve_policy

    cfg = load_config_file(ctx.repo / "configs" / "genre.yaml", {"model.weights": str(ctx.weights)})
    theirs = artzoo_build(cfg.model, {"genre": ["Genre", "Landscape", "Naturmort", "Portrait"]}, ctx.image_size)
    ours, _ = build_classifier(ctx.weights, ctx.image_size, layer_classes=ctx.layer_classes,
                               dropout=ctx.recipe["dropout"])
    out = {"artzoo_auto_policy": resolve_policy("auto")}
    for phase in ("frozen", "fine_tune"):
        set_phase_trainable(theirs, cfg.model.backbone, cfg.model.weights, phase, cfg.train.fine_tune_blocks)
        set_phase(ours, phase, ctx.recipe["fine_tune_blocks"])
        out[phase] = {"artzoo": param_counts(theirs), "bench": param_counts(ours)}
        out[phase]["same"] = out[phase]["artzoo"] == out[phase]["bench"]
    del theirs, ours
    gb.release()
    return out
