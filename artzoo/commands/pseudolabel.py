"""`artzoo pseudolabel`: the sculpture study's loop (cluster -> pseudo-labels -> fine-tune -> re-embed), R rounds."""

from __future__ import annotations

from artzoo.commands.embed import add_data_arguments, source_and_settings


def register(sub) -> None:
    p = sub.add_parser("pseudolabel", help="cluster, fine-tune on the pseudo-labels, re-embed, re-cluster (R rounds)")
    add_data_arguments(p)
    p.add_argument("--k", type=int, required=True, help="number of clusters (pseudo-classes)")
    p.add_argument("--rounds", type=int, default=3, help="fine-tune + re-cluster rounds after round 0")
    p.add_argument("--keep", type=float, default=0.5, help="share of each cluster (most confident) trained on")
    p.add_argument("--normalize", default="l2", help="none | l2 before K-means++ (default l2: cosine geometry)")
    p.add_argument("--reduce", default="none", help="none | pca:0.95 | pca:N | kpca:N")
    p.add_argument("--head-epochs", type=int, default=2, help="epochs per round with the backbone frozen")
    p.add_argument("--fine-tune-epochs", type=int, default=3, help="epochs per round with the top blocks unfrozen")
    p.add_argument("--fine-tune-blocks", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate with the backbone frozen")
    p.add_argument("--fine-tune-lr", type=float, default=1e-4)
    p.add_argument("--train-batch-size", type=int, default=32)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.clustering.pseudo_train import FineTuneSettings
    from artzoo.clustering.pseudolabel import PseudoLabelSettings, pseudo_label_loop

    source, embedder = source_and_settings(args)
    fine_tune = FineTuneSettings(head_epochs=args.head_epochs, fine_tune_epochs=args.fine_tune_epochs,
                                 fine_tune_blocks=args.fine_tune_blocks, learning_rate=args.lr,
                                 fine_tune_learning_rate=args.fine_tune_lr, batch_size=args.train_batch_size,
                                 augment=not args.no_augment)
    settings = PseudoLabelSettings(k=args.k, rounds=args.rounds, keep_fraction=args.keep, normalize=args.normalize,
                                   reduce=args.reduce, seed=args.seed, fine_tune=fine_tune)
    summary = pseudo_label_loop(source, embedder, settings, args.out, log=print)
    columns = [c for c in ("round", "accuracy", "nmi", "ari", "purity", "classifier_accuracy",
                           "kept_label_precision", "train_items", "seconds") if c in summary["rounds"][-1]]
    print("\n" + " | ".join(columns))
    for row in summary["rounds"]:
        print(" | ".join(str(row.get(c, "")) for c in columns))
    print(f"\nreport: {args.out}/rounds.csv, metrics.json, model.keras, final/")
    return 0
