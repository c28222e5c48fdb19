"""`artzoo report RUN_DIR`: figures and a static, self-contained report.html beside the run."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("report", help="write RUN_DIR/report.html: metrics, plots, Grad-CAM, signatures, model card")
    p.add_argument("run_dir")
    p.add_argument("--split", help="split whose images feed mistakes, Grad-CAM and attention maps (default: val)")
    p.add_argument("--samples", type=int, default=8, help="sample images for Grad-CAM and attention (default 8)")
    p.add_argument("--mistakes", type=int, default=12, help="most confident mistakes per head (default 12)")
    p.add_argument("--no-model", action="store_true", help="skip what needs the Keras model (faster)")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.errors import ArtzooError
    from artzoo.reporting.report import build_report

    for name in ("samples", "mistakes"):
        if getattr(args, name) < 0:
            raise ArtzooError(f"--{name} must be 0 or more, got {getattr(args, name)}")
    path = build_report(args.run_dir, split=args.split, n_samples=args.samples, n_mistakes=args.mistakes,
                        with_model=not args.no_model)
    print(f"report: {path}")
    return 0
