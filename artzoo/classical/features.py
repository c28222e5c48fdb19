"""Local keypoints and descriptors from OpenCV: which detectors exist, and how an image becomes descriptors.

OpenCV 5 removed KAZE (and BOWKMeansTrainer) from the main modules; `kaze` is offered only where the installed
OpenCV still has it (4.x) and otherwise fails with a one-line error saying what to use instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artzoo.errors import ArtzooError, choice_error
from artzoo.extras import require
from tfds_builders.image_validation import DEFAULT_MAX_PIXELS, RejectedImage, clean_image

cv2 = require("classical", "cv2")  # the `classical` extra (OpenCV)

DETECTORS = ("sift", "orb", "kaze")
BINARY_DETECTORS = ("orb",)  # Hamming-distance descriptors: unpacked to 0/1 bits before K-means


@dataclass
class ImageFeatures:
    """Keypoints (cv2.KeyPoint) and descriptors (n x d; float32 or uint8) of one image; n may be 0."""

    keypoints: tuple
    descriptors: np.ndarray
    shape: tuple[int, int]

    def __len__(self) -> int:
        return len(self.keypoints)


def create_detector(name: str, max_keypoints: int = 500):
    """A fresh OpenCV Feature2D (detectors are not thread-safe: one per thread)."""
    if name not in DETECTORS:
        raise choice_error("detector", name, DETECTORS)
    if name == "sift":
        return cv2.SIFT_create(nfeatures=max_keypoints)
    if name == "orb":
        return cv2.ORB_create(nfeatures=max_keypoints)
    if not hasattr(cv2, "KAZE_create"):
        raise ArtzooError(
            f"detector 'kaze' is not in the installed OpenCV {cv2.__version__} (OpenCV 5 removed it); "
            "use sift or orb, or install opencv-python-headless<5"
        )
    return cv2.KAZE_create()


def decode_gray(data: bytes, max_side: int = 0) -> np.ndarray:
    """Encoded image bytes -> 8-bit grayscale, shrunk (INTER_AREA) so the longer side is at most `max_side`."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ArtzooError(f"cannot decode image bytes ({len(data)} bytes) with OpenCV")
    return shrink(image, max_side)


def read_image(path: str, color: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """An image file -> 8-bit BGR (or grayscale) array, validated like every dataset image (EXIF orientation,
    CMYK, alpha, decompression-bomb guard); a missing or unusable file is a one-line error naming it."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise ArtzooError(f"cannot read image {str(path)!r}: {err.strerror or err}") from None
    try:
        clean = clean_image(raw, max_pixels=max_pixels)
    except RejectedImage as err:
        raise ArtzooError(f"image {str(path)!r} cannot be used: {err}") from None
    flag = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
    return cv2.imdecode(np.frombuffer(clean.data, dtype=np.uint8), flag)


def shrink_factor(shape: tuple, max_side: int) -> float:
    """The factor `shrink` scales an image of this shape by (1.0 when it is small enough)."""
    longest = max(shape[:2])
    return 1.0 if max_side <= 0 or longest <= max_side else max_side / longest


def shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    factor = shrink_factor(image.shape, max_side)
    if factor == 1.0:
        return image
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def detect_and_describe(detector, gray: np.ndarray) -> ImageFeatures:
    """Keypoints and descriptors; an image without keypoints (a flat colour) gives an empty result, not None."""
    keypoints, descriptors = detector.detectAndCompute(gray, None)
    if descriptors is None or len(keypoints) == 0:
        width = detector.descriptorSize()
        dtype = np.uint8 if detector.descriptorType() == cv2.CV_8U else np.float32
        descriptors = np.zeros((0, width), dtype=dtype)
    return ImageFeatures(tuple(keypoints), descriptors, gray.shape[:2])


def as_float_descriptors(descriptors: np.ndarray, detector: str) -> np.ndarray:
    """Descriptors in a space where Euclidean K-means makes sense: binary ones unpacked to 0/1 bits
    (squared Euclidean distance between bit vectors is their Hamming distance)."""
    if detector in BINARY_DETECTORS:
        return np.unpackbits(descriptors, axis=1).astype(np.float32)
    return descriptors.astype(np.float32, copy=False)


def describe_images(images, detector: str, max_keypoints: int = 500, max_side: int = 0, jobs: int = 2) -> list:
    """Descriptors of many encoded images, `jobs` threads at a time (OpenCV releases the GIL while it works).

    Returns one (n_i x d) array per image, in order; n_i is 0 for an image without keypoints.
    """
    from joblib import Parallel, delayed

    create_detector(detector, max_keypoints)  # an unavailable detector fails here, once, not in every thread
    local = threading.local()

    def describe(data: bytes) -> np.ndarray:
        if not hasattr(local, "detector"):
            local.detector = create_detector(detector, max_keypoints)
        return detect_and_describe(local.detector, decode_gray(data, max_side)).descriptors

    return Parallel(n_jobs=max(1, jobs), prefer="threads")(delayed(describe)(data) for data in images)
