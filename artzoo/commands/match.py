"""`artzoo match IMAGE_A IMAGE_B --out matches.png`: SIFT matching of two views, RANSAC model, picture."""

from __future__ import annotations

import json
from pathlib import Path

from artzoo.errors import ArtzooError

PICTURE_TYPES = (".png", ".jpg", ".jpeg")


def register(sub) -> None:
    p = sub.add_parser("match", help="match two images with SIFT + RANSAC and draw the matches")
    p.add_argument("image_a")
    p.add_argument("image_b")
    p.add_argument("--out", help="picture of the matches (.png or .jpg)")
    p.add_argument("--model", default="homography", help="homography (default) | fundamental")
    p.add_argument("--ratio", type=float, default=0.75, help="Lowe's ratio-test threshold (default 0.75)")
    p.add_argument("--ransac-threshold", type=float, default=5.0, help="RANSAC inlier distance in pixels")
    p.add_argument("--max-side", type=int, default=1024, help="detect on copies shrunk to this longer side")
    p.add_argument("--min-inliers", type=int, default=15, help="inliers needed to call it the same view (default 15)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.out and Path(args.out).suffix.lower() not in PICTURE_TYPES:
        allowed = ", ".join(PICTURE_TYPES)
        raise ArtzooError(f"--out {args.out!r} has an unknown picture type; expected one of: {allowed}")
    from artzoo import atomic
    from artzoo.extras import require

    cv2 = require("classical", "cv2")
    from artzoo.classical.features import read_image
    from artzoo.classical.matching import draw_matches, match_images

    image_a, image_b = read_image(args.image_a, color=True), read_image(args.image_b, color=True)
    result, drawing = match_images(image_a, image_b, args.model, args.ratio, args.ransac_threshold,
                                   args.max_side, args.min_inliers)
    if args.out:
        ok, encoded = cv2.imencode(Path(args.out).suffix.lower(), draw_matches(drawing))
        if not ok:
            raise ArtzooError(f"OpenCV could not encode the picture for {args.out!r}")
        atomic.write_bytes(args.out, encoded.tobytes())
    if args.json:
        print(json.dumps({**result.to_dict(), "picture": args.out}))
        return 0
    print(f"keypoints: A {result.keypoints_a}, B {result.keypoints_b}; ratio-test matches: {result.good_matches}")
    if result.matrix is None:
        print(f"no {result.model}: {result.reason}; inliers 0")
    else:
        print(f"{result.model} inliers: {result.inliers} of {result.good_matches} ({result.inlier_ratio:.1%})")
    if result.verified:
        print("verdict: the same view (verified)" + ("" if result.rotation_deg is None else
              f"; B is A rotated {result.rotation_deg:.1f} deg counter-clockwise and scaled by {result.scale:.3f}"))
    elif result.matrix is not None:
        print(f"verdict: not verified: {result.reason}")
    if args.out:
        print(f"picture: {args.out}")
    return 0
