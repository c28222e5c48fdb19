"""`artzoo export RUN_DIR [--format F] [--out PATH] [--version N]`: a run's best model as SavedModel (TF Serving
layout), .keras, TFLite or ONNX, each checked against the Keras model before it is written."""

from __future__ import annotations

FORMATS = ("saved_model", "keras", "tflite", "onnx")  # = exporter.FORMATS; not imported, so --help stays light


def register(sub) -> None:
    p = sub.add_parser("export", help="export a run's best model (SavedModel, .keras, TFLite, ONNX)")
    p.add_argument("run_dir")
    p.add_argument("--format", default="saved_model", choices=FORMATS)
    p.add_argument("--out", help="SavedModel: TF Serving model folder (versions inside); other formats: file path "
                                 "(suffix added). Default <export.dir>/<export.name> from the run's config")
    p.add_argument("--version", type=int, help="SavedModel version number (default: the next free one)")
    p.add_argument("--tta", choices=("none", "flip", "crops"),
                   help="test-time augmentation inside the export: average over the image and its mirror (flip) "
                        "or 12 crops and mirrors (crops); default the run's export.tta (none)")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.export.exporter import export_run_dir

    path = export_run_dir(args.run_dir, args.format, args.out, args.version, tta=args.tta)
    print(f"exported {args.format}: {path}")
    return 0
