"""artzoo's cluster step against scikit-learn called directly, same data and settings, measured in one run.

    python bench/cluster_bench.py [--n 100000] [--dims 256] [--k 20] [--method kmeans++] [--repeats 3]

Data: `make_blobs` float32 (n x dims, k centres). artzoo side: `cluster_features` (what `artzoo cluster`
runs: feature preparation with --normalize none --reduce none, then the method). scikit-learn side: the same
estimator constructed by hand on the same array. Runs alternate (artzoo, sklearn, artzoo, ...) so machine
noise hits both; medians are compared. The scoring step (sampled silhouette, Davies-Bouldin,
Calinski-Harabasz) is timed the same way. Goal: ratio <= 1.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn import metrics as skm  # noqa: E402
from sklearn.cluster import KMeans, MiniBatchKMeans  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402

from artzoo.clustering.methods import MethodSettings  # noqa: E402
from artzoo.clustering.run import ClusterSettings, cluster_features  # noqa: E402
from artzoo.clustering.scores import internal_scores  # noqa: E402


def sklearn_direct(x, method, k, seed, ms: MethodSettings):
    if method == "kmeans++":
        est = KMeans(n_clusters=k, init="k-means++", n_init=ms.n_init, max_iter=ms.max_iter, random_state=seed)
    else:
        est = MiniBatchKMeans(n_clusters=k, init="k-means++", n_init=ms.n_init, max_iter=ms.max_iter,
                              batch_size=ms.minibatch_size, random_state=seed)
    return est.fit(x).labels_


def sklearn_scores(x, labels, seed, sample):
    return (skm.silhouette_score(x, labels, sample_size=sample, random_state=seed),
            skm.davies_bouldin_score(x, labels), skm.calinski_harabasz_score(x, labels))


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--dims", type=int, default=256)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--method", default="kmeans++", choices=["kmeans++", "minibatch"])
    p.add_argument("--n-init", type=int, default=3)
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    x, _ = make_blobs(n_samples=args.n, n_features=args.dims, centers=args.k, cluster_std=4.0, random_state=0)
    x = x.astype(np.float32)
    ms = MethodSettings(n_init=args.n_init, max_iter=args.max_iter)
    settings = ClusterSettings(method=args.method, k=args.k, seed=0, method_settings=ms)
    print(f"data {x.shape} {x.dtype}; {args.method} k={args.k} n_init={args.n_init} max_iter={args.max_iter}; "
          f"{args.repeats} alternating repeats")
    fit_a, fit_s, score_a, score_s = [], [], [], []
    for _ in range(args.repeats):
        t, (xa, _, _, result) = timed(lambda: cluster_features(x, settings))
        fit_a.append(t)
        t, labels = timed(lambda: sklearn_direct(x, args.method, args.k, 0, ms))
        fit_s.append(t)
        assert np.array_equal(result.labels, labels), "artzoo and scikit-learn disagree on the clusters"
        score_a.append(timed(lambda: internal_scores(xa, result.labels, 0, settings.silhouette_sample))[0])
        score_s.append(timed(lambda: sklearn_scores(x, labels, 0, settings.silhouette_sample))[0])
    for name, a, s in (("cluster", fit_a, fit_s), ("scores", score_a, score_s)):
        ma, msk = statistics.median(a), statistics.median(s)
        print(f"{name:8s} artzoo {ma:8.2f} s   scikit-learn {msk:8.2f} s   ratio {ma / msk:.3f}   "
              f"(runs artzoo {[round(v, 2) for v in a]}, sklearn {[round(v, 2) for v in s]})")
    total = (statistics.median(fit_a) + statistics.median(score_a)) / (statistics.median(fit_s) +
                                                                       statistics.median(score_s))
    print(f"cluster step (fit + scores) ratio {total:.3f}  (goal <= 1.1); identical labels in every repeat")


if __name__ == "__main__":
    main()
