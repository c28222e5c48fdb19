"""An SVM (scikit-learn SVC) on word histograms, its hyper-parameters chosen by GridSearchCV.

The grid covers the kernels that suit L2-normalised histograms: linear, RBF and the chi-squared kernel (the
classic one for bags of words), with and without standardisation (for linear and RBF; chi-squared needs the
non-negative histograms as they are). Classes are weighted "balanced" because museum collections rarely are.
"""

from __future__ import annotations

import numpy as np
from joblib import parallel_config
from scipy.special import softmax
from sklearn.metrics.pairwise import chi2_kernel
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from artzoo.errors import ArtzooError

C_VALUES = (0.1, 1.0, 10.0, 100.0)


def param_grid() -> list[dict]:
    scalers = ["passthrough", StandardScaler()]
    return [
        {"scale": scalers, "svm__kernel": ["linear"], "svm__C": [0.01, *C_VALUES[:3]]},
        {"scale": scalers, "svm__kernel": ["rbf"], "svm__C": list(C_VALUES), "svm__gamma": ["scale", 0.1, 1.0, 10.0]},
        {"scale": ["passthrough"], "svm__kernel": [chi2_kernel], "svm__C": list(C_VALUES)},
    ]


def fit_svm(x: np.ndarray, y: np.ndarray, folds: int = 5, scoring: str = "f1_macro", jobs: int = 2,
            seed: int = 42, grid: list[dict] | None = None) -> GridSearchCV:
    """Grid-searches the SVC pipeline with stratified K-fold cross-validation and refits the best on all of x.

    Args:
        grid: GridSearchCV parameter grid over the `scale` and `svm` steps (default `param_grid()`).
    """
    present = np.unique(y)
    if len(present) < 2:
        raise ArtzooError(f"the training split has {len(present)} class(es) with labels; an SVM needs at least 2")
    smallest = int(np.bincount(y)[present].min())
    folds = min(folds, smallest)
    if folds < 2:
        raise ArtzooError(f"a class has {smallest} training image(s); cross-validation needs at least 2 per class")
    # break_ties: predict == argmax of the one-vs-rest decision values, which the metrics score.
    pipeline = Pipeline([("scale", "passthrough"),
                         ("svm", SVC(class_weight="balanced", break_ties=True, decision_function_shape="ovr"))])
    search = GridSearchCV(pipeline, grid or param_grid(), scoring=scoring, n_jobs=jobs, refit=True,
                          cv=StratifiedKFold(folds, shuffle=True, random_state=seed), error_score="raise")
    # Threads, not processes: libsvm releases the GIL, workers need no copy of x, and the run's CPU time
    # (run.json cpu_seconds, from time.process_time) then includes the search.
    with parallel_config(backend="threading"):
        search.fit(x, y)
    return search


def class_scores(model, x: np.ndarray, num_classes: int) -> np.ndarray:
    """Softmax of the one-vs-rest decision values, in the full class order (for top-k and the metrics).

    These are scores, not calibrated probabilities; their argmax is the SVM's prediction.
    """
    decision = np.asarray(model.decision_function(x), dtype=np.float64)
    if decision.ndim == 1:  # two classes: one signed margin for the second class
        decision = np.stack([-decision, decision], axis=1)
    full = np.full((len(x), num_classes), -np.inf)
    full[:, model.classes_] = decision
    return softmax(full, axis=1)


def describe_search(search: GridSearchCV) -> dict:
    """JSON-able summary: the best parameters, their cross-validated score and the grid's size."""
    best = {k: _jsonable(v) for k, v in search.best_params_.items()}
    return {"best_params": best, "best_cv_score": float(search.best_score_), "scoring": search.scoring,
            "folds": search.cv.get_n_splits(), "candidates": len(search.cv_results_["params"])}


def parameter_count(search: GridSearchCV, n_features: int) -> int:
    """Learned numbers of the refitted pipeline: support vectors, dual coefficients, intercepts, scaler."""
    svm = search.best_estimator_.named_steps["svm"]
    # A callable kernel (chi2) keeps its support vectors outside support_vectors_ (and has no n_features_in_):
    # count them from support_ and the histogram width.
    count = len(svm.support_) * n_features + svm.dual_coef_.size + svm.intercept_.size
    scale = search.best_estimator_.named_steps["scale"]
    if isinstance(scale, StandardScaler):
        count += scale.mean_.size + scale.scale_.size
    return int(count)


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "fit"):
        return type(value).__name__
    return getattr(value, "__name__", str(value))
