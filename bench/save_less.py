"""What saving less saves: an epoch's backup + best-model checkpoint of MobileNetV2 (224 px) with a frozen
backbone and a 7-class head, full (`save_weights` bytes + `model.save`) vs changing state only (`state_bytes`,
as `artzoo.train.backup` / `checkpoint` write while layers are frozen). Same process, same model.

    PYTHONPATH=. python bench/save_less.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    import keras

    from artzoo.train.backup import weights_h5_bytes
    from artzoo.train.changing_state import frozen_digest, state_bytes

    backbone = keras.applications.MobileNetV2(input_shape=(224, 224, 3), include_top=False, weights=None,
                                              pooling="avg")
    backbone.trainable = False
    model = keras.Sequential([keras.Input((224, 224, 3)), backbone, keras.layers.Dense(7, name="genre")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    digest = frozen_digest(model)
    out = Path(tempfile.mkdtemp(prefix="artzoo-save-less-"))
    full_s, less_s, full_b, less_b = [], [], 0, 0
    for _ in range(args.repeats):
        start = time.perf_counter()
        data = weights_h5_bytes(model)
        (out / "backup.weights.h5").write_bytes(data)
        model.save(out / "model.keras")
        full_s.append(time.perf_counter() - start)
        full_b = len(data) + (out / "model.keras").stat().st_size
        start = time.perf_counter()
        data = state_bytes(model, digest)
        (out / "backup.changing.npz").write_bytes(data)
        (out / "pending.npz").write_bytes(state_bytes(model, digest))
        less_s.append(time.perf_counter() - start)
        less_b = 2 * len(data)
    full, less = min(full_s), min(less_s)
    print(f"load {os.getloadavg()[0]:.1f}; full: {full:.3f} s, {full_b / 1e6:.2f} MB; "
          f"changing only: {less:.4f} s, {less_b / 1e6:.3f} MB (min of {args.repeats})")
    print(f"save-less / full: time {less / full:.3f}, bytes {less_b / full_b:.4f}")


if __name__ == "__main__":
    main()
