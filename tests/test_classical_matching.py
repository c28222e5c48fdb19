"""SIFT + FLANN + RANSAC matching: a painting against transformed copies of itself, against other paintings,
against a flat colour; the `artzoo match` command and its errors."""

import json

import cv2
import numpy as np
import pytest

from artzoo.classical.features import read_image
from artzoo.classical.matching import draw_matches, match_images, rotation_and_scale
from conftest import LOUVRE, requires_shared, run_cli

pytestmark = requires_shared(LOUVRE)

VAL = LOUVRE / "val"
# Different genres, different painters: nothing in common but the medium.
UNRELATED = [("Landscape/cl010061557.jpg", "Naturmort/cl010065506.jpg"),
             ("Landscape/cl010067384.jpg", "Portrait/cl010067116.jpg"),
             ("Landscape/cl010064259.jpg", "Naturmort/cl010061401.jpg"),
             ("Genre", "Portrait"), ("Naturmort", "Genre")]


def first_image(class_name: str) -> str:
    return str(sorted((VAL / class_name).glob("*.jpg"))[0])


def transformed_copy(image: np.ndarray, angle: float, scale: float, alpha: float, beta: float) -> np.ndarray:
    """`image` rotated (counter-clockwise, degrees) and scaled about its centre, then brightness/contrast changed."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    return cv2.convertScaleAbs(cv2.warpAffine(image, matrix, (w, h)), alpha=alpha, beta=beta)


@pytest.fixture(scope="module")
def painting():
    return read_image(first_image("Landscape"), color=True)


@pytest.mark.parametrize("angle,scale,alpha,beta", [(30, 0.8, 1.2, 25), (-45, 1.15, 0.7, 0), (90, 0.6, 1.0, -30)])
def test_a_transformed_copy_is_verified_and_the_transform_recovered(painting, angle, scale, alpha, beta):
    copy = transformed_copy(painting, angle, scale, alpha, beta)
    result, _ = match_images(painting, copy)
    assert result.verified, result.reason
    assert result.inlier_ratio > 0.8
    assert result.inliers > 100
    assert result.rotation_deg == pytest.approx(angle, abs=2.0)
    assert result.scale == pytest.approx(scale, rel=0.03)


def test_scale_refers_to_original_pixels_when_detection_runs_on_shrunk_copies(painting):
    # A is 500 px, B 300 px; with max_side 256 they are shrunk by different factors before SIFT runs.
    smaller = cv2.resize(painting, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    result, drawing = match_images(painting, smaller, max_side=256)
    assert max(drawing.image_a.shape[:2]) == 256 and max(drawing.image_b.shape[:2]) == 256
    assert result.verified, result.reason
    assert result.scale == pytest.approx(0.6, rel=0.03)
    assert result.rotation_deg == pytest.approx(0.0, abs=1.0)


def test_unrelated_paintings_give_few_inliers_and_no_verdict(painting):
    same, _ = match_images(painting, transformed_copy(painting, 30, 0.8, 1.2, 25))
    for a, b in UNRELATED:
        path_a = str(VAL / a) if a.endswith(".jpg") else first_image(a)
        path_b = str(VAL / b) if b.endswith(".jpg") else first_image(b)
        result, _ = match_images(read_image(path_a, True), read_image(path_b, True))
        assert not result.verified, (a, b, result)
        assert result.inliers < 25, (a, b, result)
        assert result.inliers * 10 < same.inliers


def test_a_flat_colour_has_no_keypoints_and_gives_a_clear_result(painting):
    flat = np.full((300, 400, 3), 128, np.uint8)
    result, drawing = match_images(painting, flat)
    assert (result.keypoints_b, result.good_matches, result.inliers, result.verified) == (0, 0, 0, False)
    assert result.keypoints_a > 100
    assert "image B has 0 keypoints" in result.reason
    picture = draw_matches(drawing)
    assert picture.shape[1] == painting.shape[1] + flat.shape[1]


def test_fundamental_matrix_option(painting):
    result, _ = match_images(painting, transformed_copy(painting, 20, 0.9, 1.1, 10), model="fundamental")
    assert result.verified and result.inlier_ratio > 0.8
    assert np.asarray(result.matrix).shape == (3, 3)
    assert result.rotation_deg is None  # only a homography gives a rotation


def test_rotation_and_scale_of_a_known_similarity():
    matrix = np.vstack([cv2.getRotationMatrix2D((100, 50), 37.0, 1.7), [0, 0, 1]])
    assert rotation_and_scale(matrix) == pytest.approx((37.0, 1.7), abs=1e-3)


def test_match_command_writes_the_picture_and_reports_the_transform(painting, tmp_path):
    cv2.imwrite(str(tmp_path / "a.jpg"), painting)
    cv2.imwrite(str(tmp_path / "b.jpg"), transformed_copy(painting, 30, 0.8, 1.2, 25))
    out = tmp_path / "matches.png"
    result = run_cli("match", str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["verified"] and report["rotation_deg"] == pytest.approx(30, abs=2)
    picture = cv2.imread(str(out))
    assert picture.shape == (500, 1000, 3)
    # Inlier lines are drawn in green (0, 200, 0): the picture is not just the two images side by side.
    assert np.count_nonzero(np.all(picture == (0, 200, 0), axis=2)) > 1000


def test_match_command_with_a_flat_image_succeeds_and_says_why(painting, tmp_path):
    cv2.imwrite(str(tmp_path / "a.jpg"), painting)
    cv2.imwrite(str(tmp_path / "flat.png"), np.full((200, 200, 3), 90, np.uint8))
    out = tmp_path / "m.jpg"
    result = run_cli("match", str(tmp_path / "a.jpg"), str(tmp_path / "flat.png"), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no homography: image B has 0 keypoints" in result.stdout
    assert cv2.imread(str(out)) is not None


@pytest.mark.parametrize("args,message", [
    (["missing.jpg", "{a}"], "cannot read image 'missing.jpg'"),
    (["{a}", "{text}"], "cannot be used: not an image"),
    (["{a}", "{a}", "--model", "affine"], "unknown geometric model 'affine'; expected one of: homography, fundamental"),
    (["{a}", "{a}", "--out", "m.gif"], "has an unknown picture type; expected one of: .png, .jpg, .jpeg"),
    (["{a}", "{a}", "--ratio", "1.5"], "ratio-test threshold 1.5 is out of range"),
])
def test_match_command_bad_input_is_one_line(tmp_path, args, message):
    (tmp_path / "notes.txt").write_text("not an image at all")
    paths = {"a": first_image("Portrait"), "text": str(tmp_path / "notes.txt")}
    result = run_cli("match", *[a.format(**paths) for a in args], cwd=None)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line, no traceback
    assert result.stderr.startswith("artzoo: error: ") and message in result.stderr
