"""Which frozen MobileNetV2 statistics see painting style? Logistic-regression probes on WikiArt-7 over the
features cached by bench/style_features.py.

    PYTHONPATH=. python bench/style_probe.py --feats /work/cache/issue19/feats [--seeds 0 1 2]

Each feature set concatenates blocks (avg-pooled top features, channel std, mid-level mean+std, Gram matrices
with signed square root), each block standardised on train and scaled by sqrt(1280 / its width) so that no block wins
by size alone (each block's total variance equals that of the 1280 avg-pooled features). C is chosen from a grid
on a held-out 20% of train (split by `seed`), the probe refitted on all of
train and scored on val (accuracy, macro-F1, top-2). `+flip` trains on both flips and averages both flips'
probabilities on val (flip TTA). Prints one markdown row per set and seed, then mean and sd over seeds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

MID_STATS = ("block_3_expand_relu", "block_6_expand_relu", "block_13_expand_relu", "block_16_project_BN")
GRAMS = ("block_2_add", "block_5_add", "block_9_add", "block_12_add")
SETS = {
    "gap": ["out_relu/mean"],
    "gap+std": ["out_relu/mean", "out_relu/std"],
    "gap+mid mean/std": ["out_relu/mean"] + [f"{n}/{s}" for n in MID_STATS for s in ("mean", "std")],
    "gap+mid gram": ["out_relu/mean"] + [f"{n}/gram" for n in GRAMS],
    "gap+top gram(pca64)": ["out_relu/mean", "out_relu/pca_gram"],
    "gap+std+mid mean/std+mid gram": ["out_relu/mean", "out_relu/std"]
    + [f"{n}/{s}" for n in MID_STATS for s in ("mean", "std")] + [f"{n}/gram" for n in GRAMS],
    **{f"gap+gram {n}": ["out_relu/mean", f"{n}/gram"] for n in GRAMS},
    "gap+gram block_5,9,12": ["out_relu/mean"] + [f"{n}/gram" for n in GRAMS[1:]],
    "mid gram only": [f"{n}/gram" for n in GRAMS],
}
C_GRID = (1e-4, 3e-4, 1e-3, 3e-3)
GAP_WIDTH = 1280  # blocks are scaled to the total variance of the 1280 avg-pooled top features


def load(feats: Path, view: str, flips=("none", "h")) -> dict:
    return {flip: dict(np.load(feats / f"{view}_{flip}.npz")) for flip in flips}


def block(arrays: dict, key: str) -> np.ndarray:
    x = arrays[key].astype(np.float32)
    if key.endswith("gram"):
        x = np.sign(x) * np.sqrt(np.abs(x))
    return x


def design(arrays: dict, keys: list[str], train: np.ndarray, stats=None):
    """Concatenated, per-block standardised features; `stats` from train reused for other flips."""
    parts, fitted = [], []
    for i, key in enumerate(keys):
        x = block(arrays, key)
        mean, sd = stats[i] if stats else (x[train].mean(0), x[train].std(0) + 1e-6)
        fitted.append((mean, sd))
        parts.append((x - mean) / sd * np.sqrt(GAP_WIDTH / x.shape[1]))
    return np.concatenate(parts, axis=1), fitted


def fit(x, y, c):
    return LogisticRegression(C=c, max_iter=3000, tol=1e-3).fit(x, y)


def scores(probs: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    pred = probs.argmax(1)
    top2 = np.argsort(-probs, axis=1)[:, :2]
    return ((pred == y).mean(), f1_score(y, pred, average="macro"), (top2 == y[:, None]).any(1).mean())


def probe(data: dict, keys: list[str], use_flip: bool, seed: int, c_grid=C_GRID) -> tuple[tuple, float]:
    base = data["none"]
    y, split = base["labels"], base["split"]
    train, val = split == "train", split == "val"
    x0, stats = design(base, keys, train)
    xs = [x0] + ([design(data["h"], keys, train, stats)[0]] if use_flip else [])
    rng = np.random.default_rng(seed)
    tr_idx = np.flatnonzero(train)
    hold = np.zeros(len(y), dtype=bool)
    hold[rng.choice(tr_idx, len(tr_idx) // 5, replace=False)] = True
    fit_idx = train & ~hold
    best = (-1.0, None)
    for c in c_grid:
        clf = fit(np.concatenate([x[fit_idx] for x in xs]), np.concatenate([y[fit_idx]] * len(xs)), c)
        acc = np.mean([clf.predict_proba(x[hold]) for x in xs], axis=0).argmax(1).__eq__(y[hold]).mean()
        if acc > best[0]:
            best = (acc, c)
    clf = fit(np.concatenate([x[train] for x in xs]), np.concatenate([y[train]] * len(xs)), best[1])
    probs = np.mean([clf.predict_proba(x[val]) for x in xs], axis=0)
    return scores(probs, y[val]), best[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--feats", required=True)
    p.add_argument("--views", nargs="*", default=["pad", "trim"])
    p.add_argument("--sets", nargs="*", default=list(SETS))
    p.add_argument("--seeds", nargs="*", type=int, default=[0])
    p.add_argument("--flip", choices=("both", "off", "on"), default="both")
    args = p.parse_args()
    feats = Path(args.feats)
    print("| view | features | flips | seed | C | val acc | macro-F1 | top-2 | fit s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for view in args.views:
        data = load(feats, view, ("none",) if args.flip == "off" else ("none", "h"))
        for name in args.sets:
            for use_flip in {"both": (False, True), "off": (False,), "on": (True,)}[args.flip]:
                rows = []
                for seed in args.seeds:
                    started = time.process_time()
                    (acc, f1, top2), c = probe(data, SETS[name], use_flip, seed)
                    rows.append((acc, f1, top2))
                    print(f"| {view} | {name} | {'train+TTA' if use_flip else 'no'} | {seed} | {c:g} | {acc:.3f} | "
                          f"{f1:.3f} | {top2:.3f} | {time.process_time() - started:.0f} |", flush=True)
                if len(rows) > 1:
                    m, s = np.mean(rows, 0), np.std(rows, 0, ddof=1)
                    print(f"| {view} | {name} | {'train+TTA' if use_flip else 'no'} | mean±sd | | "
                          f"{m[0]:.3f}±{s[0]:.3f} | {m[1]:.3f}±{s[1]:.3f} | {m[2]:.3f}±{s[2]:.3f} | |", flush=True)


if __name__ == "__main__":
    main()
