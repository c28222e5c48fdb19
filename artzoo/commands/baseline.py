"""`artzoo baseline bow`: the classical bag-of-visual-words + SVM baseline, written like a deep run."""

from __future__ import annotations

from artzoo.errors import ArtzooError, choice_error

METHODS = ("bow",)


def register(sub) -> None:
    p = sub.add_parser("baseline", help="classical baselines (bag of visual words + SVM) beside the deep models")
    p.add_argument("method", help="bow: OpenCV keypoints, K-means vocabulary, grid-searched SVM")
    p.add_argument("--task", default="genre", help="config in configs/ giving the data and head (default: genre)")
    p.add_argument("--config", help="a config YAML file instead of configs/<task>.yaml")
    p.add_argument("--dataset", help="TFDS dataset name (data.dataset)")
    p.add_argument("--manual-dir", help="folder holding the dataset's raw files (data.manual_dir)")
    p.add_argument("--data-dir", help="plain folder of class (or split/class) subfolders instead of TFDS")
    p.add_argument("--tfds-dir", help="where prepared TFDS data lives")
    p.add_argument("--head", help="which softmax head of the task to predict (default: the first)")
    p.add_argument("--detector", default="sift", help="sift | orb | kaze (kaze needs OpenCV < 5; default sift)")
    p.add_argument("--vocab", type=int, default=100, help="visual words (default 100)")
    p.add_argument("--tfidf", action="store_true", help="tf-idf weighting of the word histograms")
    p.add_argument("--max-side", type=int, default=512, help="shrink images to this longer side (default 512)")
    p.add_argument("--max-keypoints", type=int, default=500, help="strongest keypoints kept per image (sift, orb)")
    p.add_argument("--cv-folds", type=int, default=5)
    p.add_argument("--jobs", type=int, default=2, help="parallel threads/processes (default 2)")
    p.add_argument("--seed", type=int)
    p.add_argument("--run-dir", help="where the run's files go (default runs/<task>-<time>)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a data config key")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.method not in METHODS:
        raise choice_error("baseline method", args.method, METHODS)
    cfg, head = _config(args)
    from artzoo.classical.bow_run import run_bow

    run_dir = run_bow(cfg, head)
    summary = run_dir.read_json(run_dir.summary_path)
    metrics = run_dir.read_json(run_dir.metrics_path)
    print(f"run directory: {run_dir.root}")
    for split, per_head in metrics.items():
        for name, m in per_head.items():
            print(f"{split} {name}: accuracy {m['accuracy']:.4f}  macro-F1 {m['macro']['f1']:.4f}  n={m['n']}")
    for split, k in summary["keypoints"].items():
        if k["no_keypoints"]:
            print(f"{split}: {k['no_keypoints']} of {k['images']} images had no keypoints (empty histograms)")
    search = summary["grid_search"]
    print(f"best SVM ({search['scoring']} {search['best_cv_score']:.4f}, {search['folds']}-fold CV over "
          f"{search['candidates']} candidates): {search['best_params']}")
    print(f"train time: {summary['train_seconds']} s; total: {summary['total_seconds']} s")
    return 0


def _config(args):
    from artzoo.config import BowConfig, load_config_file, load_task_config, parse_overrides

    flags = {"data.dataset": args.dataset, "data.manual_dir": args.manual_dir, "data.data_dir": args.data_dir,
             "data.tfds_dir": args.tfds_dir, "train.seed": args.seed, "run_dir": args.run_dir}
    overrides = {k: v for k, v in flags.items() if v is not None}
    overrides.update(parse_overrides(args.set))
    cfg = load_config_file(args.config, overrides) if args.config else load_task_config(args.task, overrides)
    softmax = [h for h in cfg.model.heads if h.type == "softmax"]
    if args.head:
        head = next((h for h in softmax if h.name == args.head), None)
        if head is None:
            raise choice_error("softmax head", args.head, [h.name for h in softmax])
    elif softmax:
        head = softmax[0]
    else:
        raise ArtzooError(f"task {cfg.task!r} has no softmax head for the BoW + SVM baseline")
    for name in ("vocab", "max_keypoints", "cv_folds", "jobs"):
        if getattr(args, name) < 1:
            raise ArtzooError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    bow = BowConfig(detector=_detector(args.detector), vocab=args.vocab, tfidf=args.tfidf, max_side=args.max_side,
                    max_keypoints=args.max_keypoints, cv_folds=args.cv_folds, jobs=args.jobs)
    from dataclasses import replace

    return replace(cfg, bow=bow), head


def _detector(name: str) -> str:
    from artzoo.classical.features import DETECTORS, create_detector

    if name not in DETECTORS:
        raise choice_error("detector", name, DETECTORS)
    create_detector(name)  # kaze without OpenCV support: the one-line error now, before any data is read
    return name
