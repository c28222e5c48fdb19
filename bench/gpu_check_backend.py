"""What differs between the JAX and TensorFlow backends for the GPU check: device facts, memory counters, OOM
errors, tensors placed on the accelerator. TensorFlow is imported only on the TensorFlow backend."""

from __future__ import annotations

import os
import platform
import subprocess

import keras
import numpy as np

SMI_FIELDS = "name,memory.total,driver_version,compute_cap,clocks.max.sm,power.limit"


def backend() -> str:
    return keras.backend.backend()


def has_gpu() -> bool:
    if backend() == "jax":
        import jax

        return jax.default_backend() == "gpu"
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def setup_tensorflow() -> None:
    """Memory growth, so the largest-batch probe and peak memory mean something (call before any TF op)."""
    if backend() != "tensorflow":
        return
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised; TF_FORCE_GPU_ALLOW_GROWTH (set before import) covers it
            pass


def nvidia_smi() -> dict | str:
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={SMI_FIELDS}", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"not available ({type(err).__name__})"
    if out.returncode != 0:
        return f"not available (rc {out.returncode}: {out.stderr.strip()[:200]})"
    first = out.stdout.strip().splitlines()[0]
    return dict(zip(SMI_FIELDS.split(","), (v.strip() for v in first.split(","))))


def compute_capability() -> float | None:
    """Major.minor as a float (9.0 on an H200), or None without a GPU."""
    if not has_gpu():
        return None
    if backend() == "jax":
        import jax

        cc = getattr(jax.devices()[0], "compute_capability", None)
    else:
        import tensorflow as tf

        details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
        cc = details.get("compute_capability")
        cc = ".".join(str(v) for v in cc) if cc else None
    if cc is None:
        smi = nvidia_smi()
        cc = smi.get("compute_cap") if isinstance(smi, dict) else None
    try:
        return float(cc) if cc is not None else None
    except ValueError:
        return None


def device_facts() -> dict:
    facts = {"backend": backend(), "python": platform.python_version(), "keras": keras.__version__,
             "numpy": np.__version__, "gpu": has_gpu(), "cpu_count": os.cpu_count()}
    if backend() == "jax":
        import jax
        import jaxlib

        device = jax.devices()[0]
        facts.update(jax=jax.__version__, jaxlib=getattr(jaxlib, "__version__", None),
                     jax_backend=jax.default_backend(), device=device.device_kind, device_count=jax.device_count(),
                     xla_env={k: v for k, v in os.environ.items() if k.startswith(("XLA_", "JAX_"))})
    else:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        build = tf.sysconfig.get_build_info()
        facts.update(tensorflow=tf.__version__, device_count=len(gpus),
                     cuda_build={k: build.get(k) for k in ("cuda_version", "cudnn_version")},
                     device=(tf.config.experimental.get_device_details(gpus[0]).get("device_name") if gpus
                             else f"CPU ({platform.processor() or platform.machine()})"))
    facts["compute_capability"] = compute_capability()
    memory = memory_stats()
    facts["memory_limit_gib"] = gib(memory.get("limit"))
    facts["nvidia_smi"] = nvidia_smi() if facts["gpu"] else "no GPU seen by the backend"
    return facts


def memory_stats() -> dict:
    """{"peak", "in_use", "limit"} in bytes where the backend reports them (JAX's peak is since process start)."""
    try:
        if backend() == "jax":
            import jax

            stats = jax.devices()[0].memory_stats() or {}
            return {"peak": stats.get("peak_bytes_in_use"), "in_use": stats.get("bytes_in_use"),
                    "limit": stats.get("bytes_limit")}
        import tensorflow as tf

        if not tf.config.list_physical_devices("GPU"):
            return {}
        info = tf.config.experimental.get_memory_info("GPU:0")
        return {"peak": info.get("peak"), "in_use": info.get("current"), "limit": None}
    except Exception:  # noqa: BLE001 - memory counters are a bonus
        return {}


def reset_peak_memory() -> bool:
    """Resets the peak counter where the backend can (TensorFlow); False where it cannot (JAX)."""
    if backend() == "tensorflow" and has_gpu():
        import tensorflow as tf

        tf.config.experimental.reset_memory_stats("GPU:0")
        return True
    return False


def gib(value) -> float | None:
    return round(value / 2**30, 2) if value else None


def is_oom(err: BaseException) -> bool:
    text = f"{type(err).__name__} {err}".lower()
    return any(s in text for s in ("resource_exhausted", "resourceexhausted", "out of memory", "oom when"))


def on_device(array: np.ndarray):
    """The array as a tensor on the default accelerator (so timings leave out host-to-device copies)."""
    if backend() == "tensorflow":
        import tensorflow as tf

        with tf.device("/GPU:0" if has_gpu() else "/CPU:0"):
            return tf.identity(tf.convert_to_tensor(array))
    return keras.ops.convert_to_tensor(array)


def random_batch(batch: int, image_size: int, seed: int = 0):
    """(images 0..255 float32, one-hot labels over 4 classes), created on the device."""
    images = keras.random.uniform((batch, image_size, image_size, 3), 0.0, 255.0, seed=seed)
    labels = keras.ops.one_hot(keras.random.randint((batch,), 0, 4, seed=seed + 1), 4)
    return images, keras.ops.cast(labels, "float32")


def release() -> None:
    """Frees what dropped models held (device memory, compiled functions); drop the references first."""
    import gc

    keras.backend.clear_session()
    gc.collect()
    if backend() == "jax":
        import jax

        jax.clear_caches()
