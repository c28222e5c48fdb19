"""Feature preparation before clustering: optional L2 normalisation, then PCA or KernelPCA (scikit-learn).

`--reduce` takes "none", "pca:F" (keep the fewest components explaining a fraction F of the variance, e.g.
0.95, as ArtyLyze did), "pca:N" (N components) or "kpca:N" (N components of an RBF KernelPCA). `--whiten`
scales each PCA component to unit variance.

`fit_preparation` also returns the fitted transform as plain arrays (`state`), which `apply_preparation`
replays on new vectors: a saved clusterer assigns new works in the same feature space.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA, KernelPCA
from sklearn.preprocessing import normalize as sk_normalize

from artzoo.errors import ArtzooError, choice_error

NORMALIZE_MODES = ("none", "l2")
KPCA_MAX_ITEMS = 20_000  # the kernel matrix is n x n float64


def parse_reduce(spec: str) -> tuple[str, float]:
    """("none", 0) | ("pca", fraction or count) | ("kpca", count); a bad spec is an ArtzooError naming it."""
    expected = "none, pca:0.95 (variance fraction), pca:N or kpca:N (components)"
    text = (spec or "none").strip().lower()
    if text == "none":
        return "none", 0.0
    kind, _, value = text.partition(":")
    try:
        number = float(value)
    except ValueError:
        raise ArtzooError(f"unknown --reduce {spec!r}; expected {expected}") from None
    if kind == "pca" and (0 < number < 1 or (number >= 1 and number.is_integer())):
        return "pca", number
    if kind == "kpca" and number >= 1 and number.is_integer():
        return "kpca", number
    raise ArtzooError(f"unknown --reduce {spec!r}; expected {expected}")


def prepare_features(embeddings: np.ndarray, normalize: str = "none", reduce: str = "none",
                     seed: int = 0, whiten: bool = False) -> tuple[np.ndarray, dict]:
    """float32 features ready for clustering, and what was done (components kept, variance explained)."""
    x, info, _ = fit_preparation(embeddings, normalize, reduce, seed, whiten)
    return x, info


def fit_preparation(embeddings: np.ndarray, normalize: str = "none", reduce: str = "none", seed: int = 0,
                    whiten: bool = False) -> tuple[np.ndarray, dict, dict]:
    """Prepared features, what was done, and the fitted transform as arrays (see `apply_preparation`)."""
    if normalize not in NORMALIZE_MODES:
        raise choice_error("--normalize", normalize, NORMALIZE_MODES)
    x = np.asarray(embeddings, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise ArtzooError(f"embeddings must be a non-empty (items, dims) matrix, got shape {x.shape}")
    if normalize == "l2":
        x = sk_normalize(x, norm="l2", copy=True)
    kind, value = parse_reduce(reduce)
    if whiten and kind != "pca":
        raise ArtzooError(f"--whiten needs --reduce pca:F or pca:N, not {reduce!r}")
    info: dict = {"normalize": normalize, "reduce": reduce, "input_dims": int(x.shape[1])}
    state: dict = {"normalize": np.array(normalize), "reduce": np.array(kind)}
    if kind == "pca":
        n = value if value < 1 else min(int(value), *x.shape)
        pca = PCA(n_components=n, svd_solver="full", whiten=whiten, random_state=seed)
        x = pca.fit_transform(x)
        info["explained_variance"] = float(pca.explained_variance_ratio_.sum())
        info["whiten"] = whiten
        scale = np.sqrt(pca.explained_variance_) if whiten else np.ones(pca.n_components_)
        state.update(mean=pca.mean_, components=pca.components_, scale=scale)
    elif kind == "kpca":
        if len(x) > KPCA_MAX_ITEMS:
            raise ArtzooError(f"kpca on {len(x)} items needs an {len(x)}x{len(x)} kernel matrix; use at most "
                              f"{KPCA_MAX_ITEMS} items or --reduce pca:0.95")
        kpca = KernelPCA(n_components=min(int(value), len(x)), kernel="rbf", random_state=seed,
                         eigen_solver="randomized" if len(x) > 2000 else "auto")
        x = kpca.fit_transform(x)
        alphas = np.zeros_like(kpca.eigenvectors_)
        nonzero = np.flatnonzero(kpca.eigenvalues_)
        alphas[:, nonzero] = kpca.eigenvectors_[:, nonzero] / np.sqrt(kpca.eigenvalues_[nonzero])
        state.update(fit_vectors=kpca.X_fit_, gamma=np.array(kpca.gamma_), alphas=alphas,
                     kernel_rows=kpca._centerer.K_fit_rows_, kernel_all=np.array(kpca._centerer.K_fit_all_))
    x = np.ascontiguousarray(x, dtype=np.float32)
    info["dims"] = int(x.shape[1])
    return x, info, state


def apply_preparation(embeddings: np.ndarray, state: dict) -> np.ndarray:
    """The transform `fit_preparation` fitted, applied to new vectors (float32)."""
    from sklearn.metrics.pairwise import rbf_kernel

    x = np.asarray(embeddings, dtype=np.float64)
    if str(state["normalize"]) == "l2":
        x = sk_normalize(x, norm="l2")
    kind = str(state["reduce"])
    if kind == "pca":
        x = (x - state["mean"]) @ state["components"].T / state["scale"]
    elif kind == "kpca":
        kernel = rbf_kernel(x, state["fit_vectors"], gamma=float(state["gamma"]))
        kernel = kernel - state["kernel_rows"] - kernel.mean(axis=1, keepdims=True) + float(state["kernel_all"])
        x = kernel @ state["alphas"]
    return np.ascontiguousarray(x, dtype=np.float32)
