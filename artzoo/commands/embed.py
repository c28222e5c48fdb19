"""`artzoo embed`: embeddings of a folder or TFDS dataset, cached in an .npz."""

from __future__ import annotations


def add_data_arguments(p) -> None:
    """The data and embedder options shared by `embed` and `pseudolabel`."""
    p.add_argument("--data-dir", help="folder of class (or split/class) subfolders, or a flat folder of images")
    p.add_argument("--dataset", help="TFDS dataset name (see `artzoo datasets list`)")
    p.add_argument("--manual-dir", help="raw files of the TFDS dataset")
    p.add_argument("--tfds-dir", help="where prepared TFDS data lives")
    p.add_argument("--config", dest="builder_config", help="TFDS builder config")
    p.add_argument("--label", default="label", help="TFDS feature holding the label (default: label)")
    p.add_argument("--backbone", default="mobilenet_v2", help="registry name, see `artzoo models list`")
    p.add_argument("--weights", default="imagenet", help="imagenet | none | path to a weights file")
    p.add_argument("--image-size", type=int, help="input side in pixels (default: the backbone's)")
    p.add_argument("--resize", default="squash", help="squash | crop | pad")
    p.add_argument("--decode", default="scaled",
                   help="scaled (large JPEGs decoded at 1/2-1/8 scale straight from the DCT, default) | full")
    p.add_argument("--attention", action="store_true",
                   help="self-attention after the backbone (the identity until trained, e.g. by pseudolabel)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)


def source_and_settings(args, model_path=None):
    from artzoo.embeddings.embed import DataSource
    from artzoo.embeddings.extractor import EmbedderSettings

    source = DataSource(data_dir=args.data_dir, dataset=args.dataset, manual_dir=args.manual_dir,
                        tfds_dir=args.tfds_dir, builder_config=args.builder_config, label=args.label)
    settings = EmbedderSettings(backbone=args.backbone, weights=args.weights, image_size=args.image_size,
                                resize=args.resize, decode=args.decode, attention=args.attention, model_path=model_path,
                                seed=args.seed, batch_size=args.batch_size, flip=getattr(args, "flip", False))
    return source, settings


def register(sub) -> None:
    p = sub.add_parser("embed", help="embed images with a backbone or a trained model (cached .npz)")
    add_data_arguments(p)
    p.add_argument("--model", help="a trained artzoo RUN_DIR/model.keras: embed with its pooled features")
    p.add_argument("--out", required=True, help="the .npz file to write (reused when inputs are unchanged)")
    p.add_argument("--force", action="store_true", help="recompute even when the cache matches")
    p.add_argument("--flip", action="store_true",
                   help="embed the mirror images: an augmented view for `artzoo cluster --method scan --views`")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.embeddings.embed import embed

    source, settings = source_and_settings(args, model_path=args.model)
    result = embed(source, settings, args.out, force=args.force, log=print)
    meta = result.embeddings.meta
    state = "reused" if result.reused else "computed"
    print(f"{state}: {len(result.embeddings)} x {meta['dims']} ({meta['backbone']}, {meta['image_size']} px, "
          f"{meta['preprocessing']} preprocessing) -> {result.path}")
    return 0
