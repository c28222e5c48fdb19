"""`artzoo evaluate RUN_DIR --data-dir DIR`: score a run's best model on a folder of class subfolders."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score a run's best model on a folder of class subfolders")
    p.add_argument("run_dir")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--out", help="metrics JSON path (default RUN_DIR/evaluations/<folder>.json)")
    p.add_argument("--json", action="store_true", help="print the report (metrics per split) as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.evaluate_folder import evaluate_folder

    report = evaluate_folder(args.run_dir, args.data_dir, args.out)
    if args.json:
        from artzoo.cli import print_json

        print_json(report)
        return 0
    for split, heads in report["metrics"].items():
        for head, m in heads.items():
            print(f"{split} {head}: accuracy {m['accuracy']:.4f}  macro-F1 {m['macro']['f1']:.4f}  n={m['n']}")
    if report["quarantined"]:
        print(f"quarantined: {len(report['quarantined'])} files (see {report['path']})")
    print(f"metrics: {report['path']}")
    return 0
