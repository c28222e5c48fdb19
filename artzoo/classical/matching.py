"""Two views of one work: SIFT keypoints, FLANN ratio-test matches, a RANSAC-fitted geometric model.

The model is a homography (a flat work, or a far-away one: a painting, a relief, a facade) or a fundamental
matrix (two views of a 3-D object, e.g. a sculpture). The inliers are the matches the model explains; with a
homography the rotation and scale from the first image to the second are read off it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from artzoo.classical.features import ImageFeatures, create_detector, detect_and_describe, shrink, shrink_factor
from artzoo.errors import ArtzooError, choice_error
from artzoo.extras import require

cv2 = require("classical", "cv2")  # the `classical` extra (OpenCV)

MODELS = ("homography", "fundamental")
MIN_POINTS = {"homography": 4, "fundamental": 8}  # what each RANSAC estimator needs at the least
MIN_INLIERS = 15  # unrelated Louvre paintings reach 4-13 inliers by chance (40 random val pairs)
SCALE_RANGE = (0.1, 10.0)  # a homography shrinking or growing a work beyond this is a degenerate fit


@dataclass
class MatchResult:
    """What matching two images found; `reason` says why no model was fitted (empty when one was)."""

    model: str
    keypoints_a: int
    keypoints_b: int
    good_matches: int  # passed the ratio test
    inliers: int  # consistent with the RANSAC model
    inlier_ratio: float  # inliers / good_matches (0 when there are none)
    matrix: list | None = None  # 3x3, from image A's pixels to image B's (original sizes)
    rotation_deg: float | None = None  # counter-clockwise as the picture is viewed (cv2.getRotationMatrix2D's sense)
    scale: float | None = None
    verified: bool = False  # enough inliers and, for a homography, a plausible one: the same view of one work
    reason: str = ""  # why no model was fitted, or why the fitted one is not trusted

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MatchDrawing:
    """What `draw_matches` needs: the shrunk images, their keypoints, the good matches and which are inliers."""

    image_a: np.ndarray
    image_b: np.ndarray
    features_a: ImageFeatures
    features_b: ImageFeatures
    matches: list = field(default_factory=list)
    inlier_mask: np.ndarray | None = None
    outline: np.ndarray | None = None  # image A's border mapped into image B (shrunk pixels), homography only


def match_images(image_a: np.ndarray, image_b: np.ndarray, model: str = "homography", ratio: float = 0.75,
                 ransac_threshold: float = 5.0, max_side: int = 1024,
                 min_inliers: int = MIN_INLIERS) -> tuple[MatchResult, MatchDrawing]:
    """Matches two images (BGR or grayscale arrays at their original size).

    Keypoints are found on copies shrunk to `max_side`, then mapped back, so the model (and the recovered
    scale) refer to the original pixels whatever each image's size.
    """
    if model not in MODELS:
        raise choice_error("geometric model", model, MODELS)
    if not 0.0 < ratio < 1.0:
        raise ArtzooError(f"ratio-test threshold {ratio} is out of range; expected a number between 0 and 1, e.g. 0.75")
    small_a, small_b = shrink(image_a, max_side), shrink(image_b, max_side)
    factors = (shrink_factor(image_a.shape, max_side), shrink_factor(image_b.shape, max_side))
    detector = create_detector("sift", max_keypoints=0)
    feats_a, feats_b = (detect_and_describe(detector, _gray(im)) for im in (small_a, small_b))
    drawing = MatchDrawing(small_a, small_b, feats_a, feats_b)
    result = MatchResult(model, len(feats_a), len(feats_b), 0, 0, 0.0)
    if len(feats_a) < 2 or len(feats_b) < 2:
        which = "A" if len(feats_a) < 2 else "B"
        result.reason = f"image {which} has {min(len(feats_a), len(feats_b))} keypoints (a flat or tiny image?)"
        return result, drawing
    drawing.matches = ratio_test_matches(feats_a.descriptors, feats_b.descriptors, ratio)
    result.good_matches = len(drawing.matches)
    if result.good_matches < MIN_POINTS[model]:
        result.reason = f"{result.good_matches} matches pass the ratio test; a {model} needs {MIN_POINTS[model]}"
        return result, drawing
    points_a = np.float32([feats_a.keypoints[m.queryIdx].pt for m in drawing.matches]) / factors[0]
    points_b = np.float32([feats_b.keypoints[m.trainIdx].pt for m in drawing.matches]) / factors[1]
    matrix, mask = _fit(model, points_a, points_b, ransac_threshold)
    if matrix is None or mask is None:
        result.reason = f"RANSAC found no {model} consistent with the matches"
        return result, drawing
    drawing.inlier_mask = mask.ravel().astype(bool)
    result.inliers = int(drawing.inlier_mask.sum())
    result.inlier_ratio = result.inliers / result.good_matches
    result.matrix = matrix.tolist()
    if model == "homography":
        result.rotation_deg, result.scale = rotation_and_scale(matrix)
        drawing.outline = _outline(matrix, image_a.shape, factors)
    result.reason = _distrust(result, matrix, image_a.shape, min_inliers)
    result.verified = not result.reason
    return result, drawing


def ratio_test_matches(descriptors_a: np.ndarray, descriptors_b: np.ndarray, ratio: float = 0.75) -> list:
    """Lowe's ratio test over FLANN (KD-tree) two-nearest-neighbour matches of float descriptors."""
    flann = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 5}, {"checks": 64})  # 1 = FLANN_INDEX_KDTREE
    pairs = flann.knnMatch(np.float32(descriptors_a), np.float32(descriptors_b), k=2)
    return [p[0] for p in pairs if len(p) == 2 and p[0].distance < ratio * p[1].distance]


def rotation_and_scale(matrix: np.ndarray) -> tuple[float, float]:
    """The similarity closest to a homography's linear part: rotation (degrees, counter-clockwise as viewed,
    i.e. the angle cv2.getRotationMatrix2D takes) and scale (square root of the area change)."""
    h = np.asarray(matrix, dtype=np.float64)
    a = h[:2, :2] / h[2, 2]
    rotation = math.degrees(math.atan2(a[0, 1] - a[1, 0], a[0, 0] + a[1, 1]))
    return round(rotation, 3), round(math.sqrt(abs(float(np.linalg.det(a)))), 4)


def _distrust(result: MatchResult, matrix: np.ndarray, shape_a: tuple, min_inliers: int) -> str:
    """Why a fitted model should not be believed ('' when it should)."""
    if result.inliers < min_inliers:
        return f"only {result.inliers} inliers (fewer than {min_inliers}): likely a chance fit"
    if result.model == "homography":
        if not SCALE_RANGE[0] <= result.scale <= SCALE_RANGE[1]:
            return f"the homography scales by {result.scale:g}, outside {SCALE_RANGE}: degenerate"
        if not _maps_to_convex(matrix, shape_a):
            return "the homography folds or flips image A's outline: degenerate"
    return ""


def _maps_to_convex(matrix: np.ndarray, shape_a: tuple) -> bool:
    h, w = shape_a[:2]
    corners = np.float64([[0, 0, 1], [w - 1, 0, 1], [w - 1, h - 1, 1], [0, h - 1, 1]])
    mapped = corners @ np.asarray(matrix, dtype=np.float64).T
    if np.any(mapped[:, 2] <= 0):  # a corner sent behind the camera
        return False
    quad = (mapped[:, :2] / mapped[:, 2:]).astype(np.float32).reshape(-1, 1, 2)
    return bool(cv2.isContourConvex(quad))


def _fit(model: str, points_a: np.ndarray, points_b: np.ndarray, threshold: float):
    if model == "homography":
        return cv2.findHomography(points_a, points_b, cv2.RANSAC, threshold)
    matrix, mask = cv2.findFundamentalMat(points_a, points_b, cv2.FM_RANSAC, threshold, 0.99)
    if matrix is not None and matrix.shape != (3, 3):  # several solutions stacked: keep the first
        matrix = matrix[:3]
    return matrix, mask


def _outline(matrix: np.ndarray, shape_a: tuple, factors: tuple[float, float]) -> np.ndarray:
    h, w = shape_a[:2]
    corners = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(corners, np.asarray(matrix, dtype=np.float64)) * factors[1]


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def draw_matches(drawing: MatchDrawing) -> np.ndarray:
    """Side-by-side picture: inliers green, rejected ratio-test matches red, A's outline in B in yellow."""
    a, b = (cv2.cvtColor(im, cv2.COLOR_GRAY2BGR) if im.ndim == 2 else im for im in (drawing.image_a, drawing.image_b))
    if drawing.outline is not None:
        b = cv2.polylines(b.copy(), [np.int32(drawing.outline)], True, (0, 220, 255), 2, cv2.LINE_AA)
    mask = drawing.inlier_mask if drawing.inlier_mask is not None else np.zeros(len(drawing.matches), bool)
    kp_a, kp_b = drawing.features_a.keypoints, drawing.features_b.keypoints
    flags = cv2.DrawMatchesFlags_NOT_DRAW_SINGLE_POINTS
    out = cv2.drawMatches(a, kp_a, b, kp_b, drawing.matches, None, matchColor=(0, 0, 255),
                          matchesMask=(~mask).astype(np.uint8).tolist(), flags=flags)
    over = flags | cv2.DrawMatchesFlags_DRAW_OVER_OUTIMG
    return cv2.drawMatches(a, kp_a, b, kp_b, drawing.matches, out, matchColor=(0, 200, 0),
                           matchesMask=mask.astype(np.uint8).tolist(), flags=over)
