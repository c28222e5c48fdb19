"""`artzoo cluster FILE.npz --method ... --k N|auto --out DIR`: cluster embeddings and report."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("cluster", help="cluster an embeddings file (K-means++, GMM, DBSCAN, ...) and report")
    p.add_argument("embeddings", help="an .npz written by `artzoo embed`")
    p.add_argument("--method", default="kmeans++", help="kmeans++ | minibatch | gmm | dbscan | agglomerative")
    p.add_argument("--k", help="number of clusters, or auto (elbow + silhouette + Davies-Bouldin + "
                               "Calinski-Harabasz); not for dbscan")
    p.add_argument("--k-range", default="2:12", help="candidate k for --k auto, MIN:MAX (default 2:12)")
    p.add_argument("--reduce", default="none", help="none | pca:0.95 | pca:N | kpca:N")
    p.add_argument("--normalize", default="none", help="none | l2 (cosine geometry) before --reduce")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-init", type=int, default=10, help="K-means restarts (best inertia kept)")
    p.add_argument("--max-iter", type=int, default=300)
    p.add_argument("--covariance", default="diag", help="GMM covariance: full | tied | diag | spherical")
    p.add_argument("--eps", type=float, help="DBSCAN radius (default: the knee of the k-distance curve)")
    p.add_argument("--min-samples", type=int, default=5, help="DBSCAN core-point neighbours (self counted)")
    p.add_argument("--linkage", default="ward", help="agglomerative: ward | complete | average | single")
    p.add_argument("--map", default="pca", choices=["pca", "tsne"], help="2-D map projection")
    p.add_argument("--gallery-size", type=int, default=8, help="images per cluster in the gallery")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def settings_from_args(args):
    from artzoo.clustering.methods import MethodSettings
    from artzoo.clustering.run import ClusterSettings, parse_k
    from artzoo.errors import ArtzooError

    low, sep, high = args.k_range.partition(":")
    if not sep or not low.isdigit() or not high.isdigit():
        raise ArtzooError(f"--k-range {args.k_range!r} must be MIN:MAX, e.g. 2:12")
    for name in ("n_init", "max_iter"):
        if getattr(args, name) < 1:
            raise ArtzooError(f"--{name.replace('_', '-')} {getattr(args, name)} must be at least 1")
    method_settings = MethodSettings(n_init=args.n_init, max_iter=args.max_iter, covariance=args.covariance,
                                     eps=args.eps, min_samples=args.min_samples, linkage=args.linkage)
    return ClusterSettings(method=args.method, k=parse_k(args.k), k_min=int(low), k_max=int(high),
                           reduce=args.reduce, normalize=args.normalize, seed=args.seed,
                           method_settings=method_settings)


def run(args) -> int:
    import dataclasses
    import json
    from pathlib import Path

    from artzoo.api import cluster

    settings = settings_from_args(args)
    options = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
               if f.name not in ("method", "k", "method_settings")}
    options.update(dataclasses.asdict(settings.method_settings))
    cluster(args.embeddings, settings.k, settings.method, out=args.out, map_method=args.map,
            gallery_size=args.gallery_size, **options)
    metrics = json.loads((Path(args.out) / "metrics.json").read_text())
    print(f"{metrics['method']}: {metrics['k']} clusters over {metrics['n']} items "
          f"({metrics['features']['dims']} dims after {metrics['features']['reduce']})")
    if "k_choice" in metrics:
        print(f"k auto: {metrics['k_choice']['reason']}")
    internal = metrics["scores"]["internal"]
    if internal["silhouette"] is not None:
        print(f"silhouette {internal['silhouette']:.4f}  Davies-Bouldin {internal['davies_bouldin']:.4f}  "
              f"Calinski-Harabasz {internal['calinski_harabasz']:.1f}")
    external = metrics["scores"].get("external")
    if external:
        print(f"accuracy {external['accuracy']:.4f}  NMI {external['nmi']:.4f}  ARI {external['ari']:.4f}  "
              f"purity {external['purity']:.4f}  (n={external['n_labelled']})")
    if "method_info" in metrics and "eps" in metrics["method_info"]:
        info = metrics["method_info"]
        print(f"dbscan eps {info['eps']:.4g} (suggested {info['eps_suggested']:.4g}), noise {info['noise']}")
    print(f"report: {args.out}/metrics.json, clusters.csv, plots/")
    return 0
