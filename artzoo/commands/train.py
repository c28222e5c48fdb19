"""`artzoo train`: train a task's model, evaluate it and export it."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("train", help="train a task's model and export it")
    p.add_argument("--task", default="genre", help="config name in configs/ (default: genre)")
    p.add_argument("--config", help="a config YAML file instead of configs/<task>.yaml")
    p.add_argument("--dataset", help="TFDS dataset name (data.dataset)")
    p.add_argument("--manual-dir", help="folder holding the dataset's raw files (data.manual_dir)")
    p.add_argument("--data-dir", help="plain folder of class (or split/class) subfolders instead of TFDS")
    p.add_argument("--tfds-dir",
                   help="where prepared TFDS data lives (default $TFDS_DATA_DIR or ~/tensorflow_datasets)")
    p.add_argument("--backbone", help="registry name, see `artzoo models list`")
    p.add_argument("--weights", help="imagenet | none | path to a weights file")
    p.add_argument("--epochs", type=int, help="epochs with the backbone frozen (train.epochs)")
    p.add_argument("--fine-tune-epochs", type=int, help="epochs with the top blocks unfrozen")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--image-size", type=int)
    p.add_argument("--mixed-precision", choices=["auto", "off", "float16", "bfloat16"])
    p.add_argument("--seed", type=int)
    p.add_argument("--strategy", choices=["auto", "none", "mirrored", "multiworker", "tpu"],
                   help="tf.distribute strategy (train.strategy; default auto: multiworker when TF_CONFIG is set, "
                        "mirrored on a multi-GPU machine, else one device)")
    p.add_argument("--scale-lr", choices=["none", "linear", "sqrt"],
                   help="learning-rate multiplier for the global batch (train.scale_lr): 1, replicas, sqrt(replicas)")
    p.add_argument("--deterministic", action="store_true",
                   help="op determinism on top of the seeds: reruns give bit-identical weights (slower)")
    p.add_argument("--run-dir", help="where the run's files go (default runs/<task>-<time>); naming an interrupted "
                                     "run's directory continues it")
    p.add_argument("--export-dir", help="SavedModel base folder (default saved_models)")
    p.add_argument("--no-export", action="store_true", help="skip the SavedModel export")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override any config key")
    p.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation on train + val pooled (stratified, "
                                                        "no export): fold runs and cv.json under --run-dir")
    p.add_argument("--cv-tta", nargs="*", default=["flip"], choices=["flip", "crops"],
                   help="test-time augmentations also scored on each fold's held-out images (default: flip)")
    p.set_defaults(func=run)


def overrides_from_args(args) -> dict:
    from artzoo.config import parse_overrides

    flags = {
        "data.dataset": args.dataset, "data.manual_dir": args.manual_dir, "data.data_dir": args.data_dir,
        "data.tfds_dir": args.tfds_dir, "model.backbone": args.backbone, "model.weights": args.weights,
        "train.epochs": args.epochs, "train.fine_tune_epochs": args.fine_tune_epochs,
        "data.batch_size": args.batch_size, "data.image_size": args.image_size,
        "train.mixed_precision": args.mixed_precision, "train.seed": args.seed, "run_dir": args.run_dir,
        "train.strategy": args.strategy, "train.scale_lr": args.scale_lr,
        "train.deterministic": True if args.deterministic else None,
        "export.dir": args.export_dir, "export.enabled": False if args.no_export else None,
    }
    overrides = {k: v for k, v in flags.items() if v is not None}
    overrides.update(parse_overrides(args.set))
    return overrides


def run(args) -> int:
    from artzoo.api import load_config, train

    from pathlib import Path

    cfg = load_config(Path(args.config) if args.config else args.task, **overrides_from_args(args))
    if args.cv:
        from artzoo.config_checks import check_run_config
        from artzoo.train.cross_validation import summary_lines, train_cv

        check_run_config(cfg)  # unknown backbone, bad head settings...: fail before loading any data
        result = train_cv(cfg, args.cv, args.cv_tta, verbose=0 if args.quiet else "auto")
        print("\n".join(summary_lines(result)))
        return 0
    run_ = train(cfg, progress=not args.quiet)  # checks the config (backbone, heads...) before loading any data
    if run_.outcome == "worker":
        print(f"worker done; the chief writes the run directory {run_.path}")
        return 0
    summary = run_.summary
    note = {"already_finished": " (finished before; nothing retrained)", "resumed": " (resumed)"}
    print(f"run directory: {run_.path}{note.get(run_.outcome, '')}")
    for split, heads in summary["headline"].items():
        print(f"{split}: " + ", ".join(f"{h} {v:.4f}" for h, v in heads.items()))
    for split, heads in summary.get("imbalance", {}).items():
        for h, m in heads.items():
            print(f"{split} {h}: macro-F1 {m['macro_f1']:.4f}, weighted-F1 {m['weighted_f1']:.4f}, balanced "
                  f"accuracy {m['balanced_accuracy']:.4f}, lowest recall {m['worst_class']} "
                  f"{m['per_class_recall'][m['worst_class']]:.4f}")
    print(f"train time: {summary['train_seconds']} s; export: {summary['export']}")
    return 0
