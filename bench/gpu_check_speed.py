"""GPU check sections that time things: train step per precision policy with XLA on, the same with XLA off,
embedding throughput, and the largest training batch that fits. Each takes the run context and returns a dict."""

from __future__ import annotations

import statistics
import time

import keras
import numpy as np

from bench import gpu_check_backend as gb
from bench.gpu_check_models import build_classifier, compile_classifier, param_counts, set_phase

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def build_fine_tune_model(ctx, policy: str, jit: bool, *, se: bool = False, attention: bool = False):
    """The genre classifier under `policy`, top blocks trainable (BN frozen), compiled with Adam 1e-4."""
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model, attention_map = build_classifier(ctx.weights, ctx.image_size, layer_classes=ctx.layer_classes,
                                                dropout=ctx.recipe["dropout"], se=se, attention=attention)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    set_phase(model, "fine_tune", ctx.recipe["fine_tune_blocks"])
    compile_classifier(model, ctx.recipe["fine_tune_learning_rate"], jit_compile=jit,
                       label_smoothing=ctx.recipe["label_smoothing"])
    return model, attention_map


def timed_steps(model, x, y, steps: int, budget, floor_s: float = 5.0) -> tuple[list[float], dict]:
    """`steps` timed `train_on_batch` calls (each returns host numbers, so each is synchronous)."""
    times, logs = [], {}
    for _ in range(steps):
        if budget.left() < floor_s:
            break
        start = time.perf_counter()
        logs = model.train_on_batch(x, y, return_dict=True)
        times.append(time.perf_counter() - start)
    return times, logs


def summarize(times: list[float], batch: int) -> dict:
    if not times:
        return {"steps_timed": 0}
    median = statistics.median(times)
    return {"steps_timed": len(times), "ms_per_step": round(1000 * median, 2),
            "ms_min": round(1000 * min(times), 2), "img_per_s": round(batch / median, 1)}


def _first_call(model, x, y) -> tuple[float, dict]:
    start = time.perf_counter()
    logs = model.train_on_batch(x, y, return_dict=True)
    return time.perf_counter() - start, logs


def train_step(ctx) -> dict:
    """Float32 vs mixed float16 vs mixed bfloat16, XLA on, same batch; two timing passes (second reversed)."""
    x, y = gb.random_batch(ctx.batch, ctx.image_size)
    out = {"batch": ctx.batch, "image_size": ctx.image_size, "jit_compile": True, "variants": {},
           "method": f"train_on_batch on one device-resident random batch; first call = trace + XLA compile + "
                     f"1 step; then {ctx.warmup} warm-up steps; {ctx.steps} timed steps per pass, 2 passes"}
    models, times = {}, {}
    for policy in POLICIES:
        if ctx.budget.left() < ctx.min_variant_s:
            out["variants"][policy] = {"skipped": f"budget: {ctx.budget.left():.0f} s left"}
            continue
        model, _ = build_fine_tune_model(ctx, policy, jit=True)
        first, logs = _first_call(model, x, y)
        timed_steps(model, x, y, ctx.warmup, ctx.budget)
        models[policy], times[policy] = model, timed_steps(model, x, y, ctx.steps, ctx.budget)[0]
        out["variants"][policy] = {"first_call_s": round(first, 2), "optimizer": type(model.optimizer).__name__,
                                   "first_loss": float(logs["loss"]), **param_counts(model)}
        ctx.checkpoint(out)
    for policy in reversed(list(models)):
        times[policy] += timed_steps(models[policy], x, y, ctx.steps, ctx.budget)[0]
    for policy, model in models.items():
        variant = out["variants"][policy]
        variant.update(summarize(times[policy], ctx.batch))
        if "ms_per_step" in variant:
            variant["compile_s"] = round(variant["first_call_s"] - variant["ms_per_step"] / 1000, 2)
        variant["last_loss"] = float(model.train_on_batch(x, y, return_dict=True)["loss"])
    out["ratios"] = _ratios(out["variants"], "float32")
    del models, model
    gb.release()
    return out


def _ratios(variants: dict, base: str) -> dict:
    """Speed of each variant relative to `base` (> 1 = faster)."""
    ref = variants.get(base, {}).get("ms_per_step")
    return {f"{name} / {base}": round(ref / v["ms_per_step"], 3)
            for name, v in variants.items() if name != base and ref and v.get("ms_per_step")}


def xla_off(ctx) -> dict:
    """The same train step with jit_compile=False (on JAX: op by op, no jax.jit), few steps; ratios against
    the XLA-on numbers of `train_step`."""
    x, y = gb.random_batch(ctx.batch, ctx.image_size)
    on = ctx.results.get("train_step", {}).get("variants", {})
    out = {"batch": ctx.batch, "jit_compile": False, "variants": {}, "ratios_xla_on_over_off": {},
           "method": f"first call, 1 warm-up step, then up to {ctx.off_steps} timed steps"}
    for policy in ("float32", "mixed_bfloat16", "mixed_float16"):
        if ctx.budget.left() < ctx.min_off_variant_s:  # op by op, the first call alone took ~110 s on a CPU
            out["variants"][policy] = {"skipped": f"budget: {ctx.budget.left():.0f} s left"}
            continue
        model, _ = build_fine_tune_model(ctx, policy, jit=False)
        first, _ = _first_call(model, x, y)
        variant = {"first_call_s": round(first, 2)}
        if first < ctx.budget.left() / 3:
            timed_steps(model, x, y, 1, ctx.budget)
            variant.update(summarize(timed_steps(model, x, y, ctx.off_steps, ctx.budget)[0], ctx.batch))
        else:
            variant["note"] = "first call too slow for more steps in the budget"
        out["variants"][policy] = variant
        if variant.get("ms_per_step") and on.get(policy, {}).get("ms_per_step"):
            out["ratios_xla_on_over_off"][policy] = round(variant["ms_per_step"] / on[policy]["ms_per_step"], 2)
        del model
        gb.release()
        ctx.checkpoint(out)
    return out


def embedding(ctx) -> dict:
    """Pooled-feature throughput (`predict_on_batch`, XLA) per policy at a large batch of real images, and how
    close each policy's embeddings are to float32's (cosine similarity per image)."""
    louvre = ctx.louvre()
    source = louvre["x_val"] if louvre else np.random.default_rng(0).integers(0, 256, (64, *ctx.shape), np.uint8)
    images = np.resize(source, (ctx.embed_batch, *source.shape[1:])).astype("float32")
    x = gb.on_device(images)
    out = {"batch": ctx.embed_batch, "image_size": ctx.image_size, "variants": {},
           "method": f"predict_on_batch on a device-resident batch ({'Louvre val' if louvre else 'random'} "
                     f"images, tiled); 2 warm-up calls, {ctx.embed_steps} timed"}
    reference = None
    for policy in POLICIES:
        if ctx.budget.left() < ctx.min_variant_s:
            out["variants"][policy] = {"skipped": f"budget: {ctx.budget.left():.0f} s left"}
            continue
        keras.mixed_precision.set_global_policy(policy)
        try:
            model, _ = build_classifier(ctx.weights, ctx.image_size, layer_classes=ctx.layer_classes,
                                        pooled_only=True)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        model.compile(jit_compile=True)
        start = time.perf_counter()
        features = np.asarray(model.predict_on_batch(x), dtype="float32")
        first = time.perf_counter() - start
        for _ in range(2):
            model.predict_on_batch(x)
        times = []
        for _ in range(ctx.embed_steps):
            start = time.perf_counter()
            model.predict_on_batch(x)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        variant = {"first_call_s": round(first, 2), "ms_per_batch": round(1000 * median, 2),
                   "img_per_s": round(ctx.embed_batch / median, 1), "finite": bool(np.isfinite(features).all())}
        if reference is None:
            reference = features
        else:
            variant["cosine_vs_float32_min"] = round(float(_cosine(features, reference).min()), 5)
        out["variants"][policy] = variant
        del model
        gb.release()
    out["ratios"] = {k: v for k, v in ((f"{p} / float32", _speed(out["variants"], p)) for p in POLICIES[1:]) if v}
    return out


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


def _speed(variants: dict, policy: str) -> float | None:
    a, b = variants.get(policy, {}).get("ms_per_batch"), variants.get("float32", {}).get("ms_per_batch")
    return round(b / a, 3) if a and b else None


def max_batch(ctx) -> dict:
    """Doubles the training batch (the `auto` policy, XLA on, fine-tune phase) until OOM, the cap, or the
    section's time box; each size: first call, then 2 timed steps."""
    policy = ctx.auto_policy
    model, _ = build_fine_tune_model(ctx, policy, jit=True)
    out = {"policy": policy, "cap": ctx.max_batch_cap, "tried": [], "largest_fit": None, "stopped_by": None,
           "peak_memory_note": "JAX's peak counter cannot be reset: each peak is the process's peak so far"
           if gb.backend() == "jax" else "peak reset before each size"}
    deadline = time.perf_counter() + min(ctx.max_batch_s, ctx.budget.left() - 5)
    batch, last_cost = ctx.batch * 2, 0.0
    while True:
        if batch > ctx.max_batch_cap:
            out["stopped_by"] = f"cap {ctx.max_batch_cap} reached without running out of memory"
            break
        if time.perf_counter() + 2 * last_cost > deadline or ctx.budget.left() < 10:
            out["stopped_by"] = (f"time box: {max(0.0, deadline - time.perf_counter()):.0f} s left in it, batch "
                                 f"{batch} would likely need ~{max(2 * last_cost, 10):.0f} s")
            break
        row, start = {"batch": batch}, time.perf_counter()
        gb.reset_peak_memory()
        try:
            x, y = gb.random_batch(batch, ctx.image_size, seed=batch)
            row["first_call_s"] = round(_first_call(model, x, y)[0], 2)
            row.update(summarize(timed_steps(model, x, y, 2, ctx.budget)[0], batch))
            row["fits"] = True
            out["largest_fit"] = batch
        except Exception as err:  # noqa: BLE001 - an OOM is the answer; anything else is reported and ends
            row.update(fits=False, error=f"{type(err).__name__}: {str(err)[:300]}", oom=gb.is_oom(err))
            out["stopped_by"] = "out of memory" if row["oom"] else "error (not an OOM)"
        row["peak_gib"] = gb.gib(gb.memory_stats().get("peak"))
        x = y = None
        last_cost = time.perf_counter() - start
        out["tried"].append(row)
        ctx.checkpoint(out)
        if not row["fits"]:
            break
        batch *= 2
    out["memory_limit_gib"] = gb.gib(gb.memory_stats().get("limit"))
    del model
    gb.release()
    return out
