"""`--k auto`: fit the method for each k in a range and let four criteria vote.

- elbow: the knee of the within-cluster sum of squares curve (farthest point from its chord);
- silhouette: highest; Davies-Bouldin: lowest; Calinski-Harabasz: highest.

The k with most votes wins; a tie goes to the tied k with the best mean rank over the three scores. The
table, the votes and a one-line reason go into metrics.json.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artzoo.clustering.methods import MethodSettings, fit_clusters, knee_index
from artzoo.clustering.scores import internal_scores, within_cluster_ss
from artzoo.errors import ArtzooError

CRITERIA = ("elbow", "silhouette", "davies_bouldin", "calinski_harabasz")


@dataclass
class KChoice:
    k: int
    table: list[dict]  # one row per k: k, wcss, silhouette, davies_bouldin, calinski_harabasz
    votes: dict[str, int]  # criterion -> the k it prefers
    reason: str

    def as_dict(self) -> dict:
        return {"k": self.k, "votes": self.votes, "reason": self.reason, "table": self.table}


def choose_k(x: np.ndarray, method: str, k_values: range | list[int], seed: int = 0,
             settings: MethodSettings = MethodSettings(), sample_size: int = 5000) -> KChoice:
    k_values = [k for k in k_values if 2 <= k < len(x)]
    if len(k_values) < 3:
        raise ArtzooError(f"--k auto needs at least 3 candidate k between 2 and {len(x) - 1}; got {k_values}")
    if method == "dbscan":
        raise ArtzooError("--k auto does not apply to dbscan (it finds the number of clusters itself)")
    table = []
    for k in k_values:
        result = fit_clusters(x, method, k, seed, settings)
        row = {"k": k, "wcss": within_cluster_ss(x, result.labels)}
        row.update(internal_scores(x, result.labels, seed, sample_size))
        table.append(row)
    votes = _votes(table)
    k, tied = _winner(votes, table)
    backing = [c for c in CRITERIA if votes[c] == k]
    detail = ", ".join(f"{c} {votes[c]}" for c in CRITERIA)
    reason = f"k={k}: preferred by {len(backing)} of {len(CRITERIA)} criteria ({detail})"
    if len(tied) > 1:
        others = ", ".join(f"k={t}" for t in tied if t != k)
        reason += f"; tied with {others}, broken by the mean rank of silhouette, Davies-Bouldin, Calinski-Harabasz"
    elif len(backing) <= len(CRITERIA) // 2:
        reason += "; most votes but no majority: the criteria disagree, so treat this k with caution"
    return KChoice(k, table, votes, reason)


def _votes(table: list[dict]) -> dict[str, int]:
    ks = [r["k"] for r in table]

    def pick(key, best):
        values = [r[key] if r[key] is not None else (-np.inf if best is max else np.inf) for r in table]
        return ks[int(np.argmax(values) if best is max else np.argmin(values))]

    return {
        "elbow": ks[knee_index(np.array([r["wcss"] for r in table]))],
        "silhouette": pick("silhouette", max),
        "davies_bouldin": pick("davies_bouldin", min),
        "calinski_harabasz": pick("calinski_harabasz", max),
    }


def _winner(votes: dict[str, int], table: list[dict]) -> tuple[int, list[int]]:
    """The k with most votes (a tie goes to the best mean rank), and the k values that tied for most."""
    counts: dict[int, int] = {}
    for k in votes.values():
        counts[k] = counts.get(k, 0) + 1
    top = max(counts.values())
    tied = sorted(k for k, c in counts.items() if c == top)
    if len(tied) == 1:
        return tied[0], tied
    ranks = _mean_ranks(table)
    return min(tied, key=lambda k: (ranks[k], k)), tied


def _mean_ranks(table: list[dict]) -> dict[int, float]:
    """Mean rank (0 = best) of each k over silhouette (high), Davies-Bouldin (low), Calinski-Harabasz (high)."""
    ks = np.array([r["k"] for r in table])
    total = np.zeros(len(ks))
    for key, sign in (("silhouette", -1), ("davies_bouldin", 1), ("calinski_harabasz", -1)):
        values = np.array([sign * (r[key] if r[key] is not None else -sign * np.inf) for r in table], dtype=float)
        total += values.argsort().argsort()
    return {int(k): float(t / 3) for k, t in zip(ks, total)}
