"""`artzoo cluster FILE.npz --method ... --k N|auto --out DIR`: cluster embeddings, report, save the clusterer;
`artzoo cluster assign DIR IMAGE_OR_FOLDER...`: assign new works to saved clusters."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("cluster", help="cluster an embeddings file (K-means++, GMM, SCAN, ...) and report; "
                                       "`cluster assign DIR IMAGE...` assigns new works to saved clusters")
    p.add_argument("embeddings", nargs="+", metavar="EMB.npz | assign DIR IMAGE_OR_FOLDER",
                   help="an .npz written by `artzoo embed`; or `assign`, an output folder of `artzoo cluster` "
                        "and images or folders to assign")
    p.add_argument("--method", default="kmeans++",
                   help="kmeans++ | minibatch | gmm | dbscan | agglomerative | hdbscan | scan")
    p.add_argument("--k", help="number of clusters, or auto (elbow + silhouette + Davies-Bouldin + "
                               "Calinski-Harabasz); not for dbscan, hdbscan")
    p.add_argument("--k-range", default="2:12", help="candidate k for --k auto, MIN:MAX (default 2:12)")
    p.add_argument("--reduce", default="none", help="none | pca:0.95 | pca:N | kpca:N")
    p.add_argument("--normalize", default="none", help="none | l2 (cosine geometry) before --reduce")
    p.add_argument("--whiten", action="store_true", help="scale the PCA components of --reduce pca to unit variance")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-init", type=int, default=10, help="K-means restarts (best inertia kept)")
    p.add_argument("--max-iter", type=int, default=300)
    p.add_argument("--covariance", default="diag", help="GMM covariance: full | tied | diag | spherical")
    p.add_argument("--eps", type=float, help="DBSCAN radius (default: the knee of the k-distance curve)")
    p.add_argument("--min-samples", type=int, default=5, help="DBSCAN / HDBSCAN core-point neighbours")
    p.add_argument("--min-cluster-size", type=int, default=5, help="HDBSCAN smallest cluster")
    p.add_argument("--linkage", default="ward", help="agglomerative: ward | complete | average | single")
    p.add_argument("--map", default="pca", choices=["pca", "tsne"], help="2-D map projection")
    p.add_argument("--gallery-size", type=int, default=8, help="images per cluster in the gallery")
    add_scan_arguments(p)
    p.add_argument("--out", help="output folder (fit); a CSV of the assignments (assign)")
    p.add_argument("--json", action="store_true", help="assign: print the assignments as JSON")
    p.add_argument("--projector", action="store_true",
                   help="also write OUT/projector/ for TensorBoard's projector (vectors, metadata, sprite)")
    p.set_defaults(func=run)


def add_scan_arguments(p) -> None:
    from artzoo.clustering.scan_settings import ScanSettings

    d = ScanSettings()
    g = p.add_argument_group("SCAN (--method scan)")
    g.add_argument("--neighbours", type=int, default=d.neighbours,
                   help="neighbours mined per item (default: 1%% of the average cluster size, 5 to 20)")
    g.add_argument("--entropy-weight", type=float, default=d.entropy_weight)
    g.add_argument("--heads", type=int, default=d.heads, help="heads trained; the lowest SCAN loss is kept")
    g.add_argument("--scan-epochs", type=int, default=d.epochs)
    g.add_argument("--rounds", type=int, default=d.rounds, help="self-labelling rounds after SCAN")
    g.add_argument("--self-label-epochs", type=int, default=d.self_label_epochs)
    g.add_argument("--threshold", type=float, default=d.threshold, help="self-labelling confidence")
    g.add_argument("--views", default=None,
                   help="comma-separated .npz files of augmented views of the same images (`artzoo embed --flip`): "
                        "neighbours are mined on their average, and training draws one view per item")


def settings_from_args(args):
    from artzoo.clustering.methods import MethodSettings
    from artzoo.clustering.run import ClusterSettings, parse_k
    from artzoo.clustering.scan_settings import ScanSettings
    from artzoo.errors import ArtzooError

    low, sep, high = args.k_range.partition(":")
    if not sep or not low.isdigit() or not high.isdigit():
        raise ArtzooError(f"--k-range {args.k_range!r} must be MIN:MAX, e.g. 2:12")
    for name in ("n_init", "max_iter"):
        if getattr(args, name) < 1:
            raise ArtzooError(f"--{name.replace('_', '-')} {getattr(args, name)} must be at least 1")
    scan = ScanSettings(neighbours=args.neighbours, entropy_weight=args.entropy_weight, heads=args.heads,
                        epochs=args.scan_epochs, rounds=args.rounds, self_label_epochs=args.self_label_epochs,
                        threshold=args.threshold)
    method_settings = MethodSettings(n_init=args.n_init, max_iter=args.max_iter, covariance=args.covariance,
                                     eps=args.eps, min_samples=args.min_samples, linkage=args.linkage,
                                     min_cluster_size=args.min_cluster_size, scan=scan)
    return ClusterSettings(method=args.method, k=parse_k(args.k), k_min=int(low), k_max=int(high),
                           reduce=args.reduce, normalize=args.normalize, whiten=args.whiten, seed=args.seed,
                           method_settings=method_settings)


def run(args) -> int:
    import json
    from pathlib import Path

    from artzoo.api import cluster, settings_options
    from artzoo.errors import ArtzooError

    if args.embeddings[0] == "assign":
        return assign(args)
    if len(args.embeddings) != 1 or not args.out:
        raise ArtzooError("usage: artzoo cluster EMB.npz --out DIR [options], or artzoo cluster assign DIR IMAGE...")
    settings = settings_from_args(args)
    cluster(args.embeddings[0], settings.k, settings.method, out=args.out, map_method=args.map,
            gallery_size=args.gallery_size, views=args.views, projector=args.projector,
            **settings_options(settings))
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
    for stage in metrics.get("method_info", {}).get("stages", []):
        print("  " + " ".join(f"{k}={v}" for k, v in stage.items() if k not in ("train", "head_losses",
                                                                               "head_accuracy")))
    print(f"report: {args.out}/metrics.json, clusters.csv, clusters.html, plots/; clusterer: {args.out}/clusterer.json")
    return 0


def assign(args) -> int:
    from artzoo.api import assign_clusters
    from artzoo.clustering.assign import assignments_text
    from artzoo.errors import ArtzooError

    if len(args.embeddings) < 3:
        raise ArtzooError("usage: artzoo cluster assign DIR IMAGE_OR_FOLDER... (DIR: an output folder of "
                          "`artzoo cluster`)")
    result = assign_clusters(args.embeddings[1], args.embeddings[2:], out=args.out)
    print(assignments_text(result, args.out, args.json))
    return 0
