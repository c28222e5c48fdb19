"""Everything a lent GPU should answer for artzoo, in one command under 8 minutes: JSON + Markdown table.

    KERAS_BACKEND=jax python bench/gpu_check.py --data .gpudata --out $OUT [--budget-s 420] [--smoke]

Sections, in this order, each in its own try/except (an error is recorded and the next section runs), the JSON
and the table rewritten after each one (and within the long ones), so a timeout still leaves results:
  a. device        GPU, memory, compute capability, backend and versions, what `auto` precision means here
  b. train_step    MobileNetV2 + genre head (GAP -> Dropout -> Dense(4, softmax, float32)), top 4 blocks
                   trainable with BatchNorm frozen, one batch: float32 vs mixed_float16 (LossScaleOptimizer) vs
                   mixed_bfloat16, XLA on: compile seconds, ms/step, img/s, ratios
  f. genre_run     the genre recipe (configs/genre.yaml) on Louvre-4 under `auto` precision: val accuracy, time
  e. se_attention_fp16   SE + self-attention (artzoo's layer classes), 30 mixed-float16 steps: finite losses,
                   loss-scale trajectory, skipped steps
  c. embedding     pooled-feature throughput float32 vs bf16 vs fp16 at a large batch, and their agreement
  d. max_batch     the largest training batch that fits (doubling until OOM, a cap or a time box), peak memory
  b. xla_off       the train step with XLA off (last: op by op on JAX, slow), ratios against XLA on
  artzoo_parity    TensorFlow backend only: artzoo's own builder vs the bench's model
  g. summary       the last line printed: the headline ratios
The backend is Keras's (`KERAS_BACKEND`; the device run sets jax because the GPU machine has no TensorFlow).
The model is artzoo's genre classifier rebuilt from Keras core layers plus artzoo's own layer classes
(bench/gpu_check_models.py), so the check runs without TensorFlow. `python bench/gpu_check_bundle.py` first
prepares .gpudata (Louvre-4 JPEGs, weights) and .whl (keras wheels for the device).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import sys
import time
import traceback
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Before Keras (and JAX / TensorFlow) start: allocate on demand so peak memory and the largest batch mean
# something, and let JAX take up to 90 % of the card.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
os.environ.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.90")
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SMOKE = {"image_size": 64, "batch": 8, "steps": 3, "warmup": 1, "embed_batch": 16, "embed_steps": 2, "se_batch": 8,
         "fp16_steps": 4, "max_batch_cap": 32, "max_batch_s": 60, "off_steps": 1, "min_off_variant_s": 2,
         "genre_epochs": 1, "genre_fine_tune_epochs": 1, "min_variant_s": 2, "subset": {"train": 6, "val": 4}}
NORMAL = {"image_size": 224, "batch": 128, "steps": 20, "warmup": 2, "embed_batch": 512, "embed_steps": 10,
          "se_batch": 64, "fp16_steps": 30, "max_batch_cap": 8192, "max_batch_s": 100, "off_steps": 3,
          "min_off_variant_s": 60, "genre_epochs": 0, "genre_fine_tune_epochs": 0, "min_variant_s": 15,
          "subset": None}
# (section, seconds it needs left to start in a normal run)
# The genre run comes early: its val accuracy is the one number no CPU run can stand in for.
ORDER = (("device", 0), ("artzoo_parity", 10), ("train_step", 40), ("genre_run", 45), ("se_attention_fp16", 25),
         ("embedding", 25), ("max_batch", 30), ("xla_off", 60))


def shim_jax_splash_attention() -> str | None:
    """Keras 3.15's JAX backend imports jax.experimental.pallas.ops.tpu.splash_attention at import time (TPU
    flash attention only). If this JAX lacks it, empty stand-in modules let Keras import; returns a note."""
    if os.environ.get("KERAS_BACKEND") != "jax":
        return None
    base = "jax.experimental.pallas.ops.tpu.splash_attention"
    try:
        __import__(f"{base}.splash_attention_kernel")
        __import__(f"{base}.splash_attention_mask")
        return None
    except Exception as err:  # noqa: BLE001
        for name in (base, f"{base}.splash_attention_kernel", f"{base}.splash_attention_mask"):
            sys.modules.setdefault(name, types.ModuleType(name))
        sys.modules[base].splash_attention_kernel = sys.modules[f"{base}.splash_attention_kernel"]
        sys.modules[base].splash_attention_mask = sys.modules[f"{base}.splash_attention_mask"]
        return f"stubbed {base} for Keras's import ({type(err).__name__}: {err}); TPU-only, unused here"


class Budget:
    def __init__(self, seconds: float):
        self.seconds, self.start = seconds, time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self) -> float:
        return self.seconds - self.elapsed()


class Context:
    """Settings, budget, model pieces and the lazily decoded data shared by the sections."""

    def __init__(self, args, results: dict, writer):
        from bench.gpu_check_models import find_bundle, load_layers, load_recipe

        sizes = dict(SMOKE if args.smoke else NORMAL)
        for key in ("image_size", "batch", "max_batch_cap"):
            if getattr(args, key) is not None:
                sizes[key] = getattr(args, key)
        if args.subset:
            sizes["subset"] = dict(zip(("train", "val"), map(int, args.subset.split(","))))
        if args.genre_epochs:
            sizes["genre_epochs"], sizes["genre_fine_tune_epochs"] = map(int, args.genre_epochs.split(","))
        self.__dict__.update(sizes)
        self.smoke, self.require_gpu = args.smoke, args.require_gpu
        self.only = set(args.sections.split(",")) if args.sections else set()
        self.shape = (self.image_size, self.image_size, 3)
        self.repo, self.data_dir, self.results, self._writer = REPO, args.data, results["sections"], writer
        self.budget = Budget(args.budget_s)
        self.weights = resolve_weights(args)
        self.layer_classes, self.layers_source = load_layers()
        self.recipe, self.recipe_source = load_recipe()
        self.bundle = find_bundle(args.data)
        self.current, self._louvre, self.genre_policy_arg = None, False, args.genre_policy
        self.auto_policy = self.genre_policy = "float32"

    def set_auto_policy(self, gpu: bool, cc: float | None) -> None:
        """What `train.mixed_precision: auto` means per issue 22: bf16 from compute capability 8.0, else fp16
        on a GPU, float32 on a CPU."""
        self.auto_policy = ("mixed_bfloat16" if (cc or 0) >= 8.0 else "mixed_float16") if gpu else "float32"
        self.genre_policy = self.auto_policy if self.genre_policy_arg == "auto" else self.genre_policy_arg

    def louvre(self) -> dict | None:
        if self._louvre is False:
            from bench.gpu_check_models import load_louvre

            self._louvre = load_louvre(self.bundle, self.image_size, self.subset) if self.bundle else None
        return self._louvre

    def checkpoint(self, partial: dict | None = None) -> None:
        if partial is not None and self.current:
            self.results[self.current] = {**partial, "partial": True}
        self._writer()


def resolve_weights(args) -> str | None:
    from bench.gpu_check_models import WEIGHTS_FILE
    from bench.shared_weights import SHARED

    if args.weights:
        return str(args.weights)
    for candidate in (Path(args.data) / WEIGHTS_FILE, SHARED / "weights" / WEIGHTS_FILE):
        if candidate.is_file():
            return str(candidate)
    return None


def device_section(ctx) -> dict:
    from bench import gpu_check_backend as gb

    facts = gb.device_facts()
    ctx.set_auto_policy(facts["gpu"], facts["compute_capability"])
    facts.update(auto_policy=ctx.auto_policy, genre_policy=ctx.genre_policy, layers=ctx.layers_source,
                 recipe=ctx.recipe_source, weights=ctx.weights or "none found: random weights",
                 data_bundle=str(ctx.bundle) if ctx.bundle else "none found: random images, no genre run")
    return facts


def section_functions(ctx, gpu: bool) -> dict:
    from bench import gpu_check_speed as speed
    from bench import gpu_check_training as training

    def max_batch(c):
        if not gpu and not c.smoke:
            return {"skipped": "no GPU: the largest batch is measured on an accelerator only"}
        return speed.max_batch(c)

    return {"device": device_section, "artzoo_parity": training.artzoo_parity, "train_step": speed.train_step,
            "embedding": speed.embedding, "se_attention_fp16": training.se_attention_float16,
            "genre_run": training.genre_run, "max_batch": max_batch, "xla_off": speed.xla_off}


def run_sections(ctx, results: dict, write) -> None:
    """Runs ORDER; a SIGTERM/SIGINT (e.g. from `timeout`) ends the current section as interrupted and skips
    the rest, so the summary is still written."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run_all(ctx, results, write)
    except KeyboardInterrupt:
        name = ctx.current
        results["sections"][name] = {**results["sections"].get(name, {}), "error": "interrupted (signal)"}
        for later, _ in ORDER:
            results["sections"].setdefault(later, {"skipped": "run interrupted"})
        print(f"[gpu_check] interrupted during {name}", flush=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _run_all(ctx, results: dict, write) -> None:
    functions = None
    for name, needs_s in ORDER:
        ctx.current, start = name, time.perf_counter()
        needed = 0 if ctx.smoke else needs_s
        if ctx.only and name not in ctx.only and name != "device":
            section = {"skipped": "not selected (--sections)"}
        elif ctx.require_gpu and name != "device" and not results["sections"].get("device", {}).get("gpu"):
            section = {"skipped": "no GPU seen by the backend (--require-gpu); the log has the backend's reason"}
        elif ctx.budget.left() < max(needed, 1):
            section = {"skipped": f"budget: {ctx.budget.left():.0f} s of {ctx.budget.seconds:.0f} s left, "
                                  f"section needs ~{needed} s to start"}
        else:
            try:
                functions = functions or section_functions(ctx, results["sections"].get("device", {}).get("gpu"))
                section = functions[name](ctx)
            except Exception as err:  # noqa: BLE001 - record it and go on with the next section
                section = {**results["sections"].get(name, {}), "error": f"{type(err).__name__}: {err}"[:2000],
                           "traceback_tail": traceback.format_exc()[-1500:]}
                section.pop("partial", None)
        section["section_seconds"] = round(time.perf_counter() - start, 2)
        results["sections"][name] = section
        if name == "device" and "device" in section:
            results["meta"]["device"] = section["device"]
        write()
        print(f"[gpu_check] {name}: {_one_line(section)} ({section['section_seconds']} s, "
              f"{ctx.budget.left():.0f} s left)", flush=True)


def _one_line(section: dict) -> str:
    for key in ("error", "skipped"):
        if key in section:
            return f"{key}: {str(section[key])[:200]}"
    return "done"


def make_writer(out: Path, results: dict, budget_start: float):
    from bench.gpu_check_report import render

    def write() -> None:
        results["meta"]["elapsed_s"] = round(time.perf_counter() - budget_start, 1)
        for name, text in (("gpu_check.json", json.dumps(results, indent=1, default=_plain)),
                           ("gpu_check.md", render(results))):
            tmp = out / f".{name}.tmp"
            tmp.write_text(text)
            os.replace(tmp, out / name)

    return write


def _plain(value):
    try:
        return value.item()  # numpy scalars
    except AttributeError:
        return str(value)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=REPO / ".gpudata", help="folder from bench/gpu_check_bundle.py")
    p.add_argument("--weights", type=Path, help="MobileNetV2 no-top .h5 (default: in --data, else ../shared)")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or REPO / "runs" / "gpu_check"))
    p.add_argument("--budget-s", type=float, default=420.0, help="sections that would start later are skipped")
    p.add_argument("--smoke", action="store_true", help="tiny sizes (64 px, batch 8, 40 images) for a CPU run")
    p.add_argument("--image-size", type=int)
    p.add_argument("--batch", type=int, help="train-step batch (default 128; smoke 8)")
    p.add_argument("--max-batch-cap", type=int)
    p.add_argument("--require-gpu", action="store_true", help="skip every section after `device` without a GPU")
    p.add_argument("--subset", help="TRAIN,VAL images per class for the genre run (default: all; smoke 6,4)")
    p.add_argument("--genre-epochs", help="FROZEN,FINE_TUNE epochs (default: configs/genre.yaml's; smoke 1,1)")
    p.add_argument("--sections", help=f"comma list of sections to run (device always runs): "
                                      f"{','.join(n for n, _ in ORDER)}")
    p.add_argument("--genre-policy", default="auto", choices=("auto", "float32", "mixed_float16", "mixed_bfloat16"))
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shim_note = shim_jax_splash_attention()
    import keras

    from bench import gpu_check_backend as gb
    from bench.gpu_check_report import summary_line

    gb.setup_tensorflow()
    results = {"meta": {"command": " ".join([Path(sys.argv[0]).name if argv is None else "gpu_check.py",
                                             *(sys.argv[1:] if argv is None else argv)]),
                        "backend": keras.backend.backend(), "smoke": args.smoke, "budget_s": args.budget_s,
                        "started": datetime.datetime.now().isoformat(timespec="seconds"), "shim": shim_note},
               "sections": {}}
    writer_holder = {}
    ctx = Context(args, results, lambda: writer_holder["write"]())
    write = writer_holder["write"] = make_writer(args.out, results, ctx.budget.start)
    run_sections(ctx, results, write)
    results["meta"]["elapsed_s"] = round(ctx.budget.elapsed(), 1)
    results["summary"] = summary_line(results)
    write()
    print(results["summary"], flush=True)
    return results


if __name__ == "__main__":
    main()
