"""Bag of visual words + SVM: the vocabulary and histograms, the detectors, and a real run on Louvre paintings
(with flat-colour images among them) through `artzoo baseline bow`."""

import json

import cv2
import joblib
import numpy as np
import pytest
from scipy.stats import binomtest

from artzoo.classical.bow import VisualVocabulary
from artzoo.classical.features import as_float_descriptors, create_detector, describe_images
from artzoo.errors import ArtzooError
from artzoo.run_dir import RunDir
from conftest import LOUVRE, copy_subset, requires_shared, run_cli

CLASSES = ["Genre", "Landscape", "Naturmort", "Portrait"]


def clustered_descriptors(rng, centres, per_image):
    """One descriptor array per image; image i draws per_image[i][c] points around centre c."""
    images = []
    for counts in per_image:
        parts = [centres[c] + rng.normal(0, 0.05, (n, centres.shape[1])) for c, n in enumerate(counts) if n]
        images.append(np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 8), np.float32))
    return images


def test_vocabulary_counts_recover_known_words_and_histograms_are_l2_normalised():
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8) * 4
    per_image = [[10, 0, 5], [0, 7, 0], [3, 3, 3], [0, 0, 0]]
    images = clustered_descriptors(rng, centres, per_image)
    vocabulary = VisualVocabulary(3, "sift", seed=0).fit(images)
    word_of_centre = vocabulary.kmeans.predict(centres.astype(np.float32))
    assert sorted(word_of_centre) == [0, 1, 2]
    counts = vocabulary.counts(images)
    np.testing.assert_array_equal(counts[:, word_of_centre], per_image)
    hist = vocabulary.histograms(images)
    np.testing.assert_allclose(np.linalg.norm(hist, axis=1), [1, 1, 1, 0], atol=1e-9)  # no keypoints: zero row


def test_tfidf_weights_words_by_rarity():
    rng = np.random.default_rng(1)
    centres = np.eye(2, 8) * 4
    # word 0 is in every image, word 1 in one image only: tf-idf must lift word 1 against plain frequencies.
    images = clustered_descriptors(rng, centres, [[5, 5], [5, 0], [5, 0], [5, 0]])
    plain = VisualVocabulary(2, "sift", seed=0).fit(images)
    tfidf = VisualVocabulary(2, "sift", tfidf=True, seed=0).fit(images)
    w0, w1 = plain.kmeans.predict(centres.astype(np.float32))
    h_plain, h_tfidf = plain.histograms(images[:1])[0], tfidf.histograms(images[:1])[0]
    assert h_plain[w1] == pytest.approx(h_plain[w0])
    assert h_tfidf[w1] > 1.2 * h_tfidf[w0]
    assert np.linalg.norm(h_tfidf) == pytest.approx(1.0)


def test_vocabulary_larger_than_the_descriptors_is_a_clear_error():
    images = [np.ones((3, 8), np.float32), np.zeros((0, 8), np.float32)]
    with pytest.raises(ArtzooError, match="only 3 descriptors in the training images for a vocabulary of 10 words"):
        VisualVocabulary(10, "sift").fit(images)


def test_binary_descriptors_are_unpacked_so_euclidean_is_hamming():
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 256, (2, 32), dtype=np.uint8)
    fa, fb = as_float_descriptors(np.stack([a, b]), "orb")
    assert fa.shape == (256,)
    assert np.sum((fa - fb) ** 2) == cv2.norm(a, b, cv2.NORM_HAMMING)


def test_describe_images_handles_flat_images_and_keeps_order():
    painting = cv2.imread(str(sorted((LOUVRE / "val" / "Portrait").glob("*.jpg"))[0])) if LOUVRE.exists() else \
        np.random.default_rng(3).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    flat = np.full((120, 160, 3), 200, np.uint8)
    encoded = [cv2.imencode(".png", im)[1].tobytes() for im in (flat, painting, flat)]
    for detector, width in (("sift", 128), ("orb", 32)):
        out = describe_images(encoded, detector, max_keypoints=300, jobs=2)
        assert [len(d) for d in out][0] == 0 and len(out[2]) == 0
        assert 50 < len(out[1]) <= 300 and out[1].shape[1] == width


def test_kaze_is_available_exactly_when_opencv_has_it(tmp_path):
    if hasattr(cv2, "KAZE_create"):  # OpenCV 4.x
        detector = create_detector("kaze")
        assert detector.descriptorSize() == 64
        return
    # OpenCV 5 removed KAZE: a one-line error, from the library and from the command before any data is read.
    with pytest.raises(ArtzooError, match=r"'kaze' is not in the installed OpenCV 5.*use sift or orb"):
        create_detector("kaze")
    result = run_cli("baseline", "bow", "--data-dir", str(tmp_path / "nowhere"), "--detector", "kaze")
    assert result.returncode == 2 and "install opencv-python-headless<5" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def bow_run(tmp_path_factory):
    """SIFT + 32 words on 10 real paintings per class (+ 15 val each), with flat-colour images in train and val."""
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    root = tmp_path_factory.mktemp("bow")
    data = copy_subset(LOUVRE, root / "data", {"train": 10, "val": 15})
    for split, cls, grey in (("train", "Genre", 40), ("train", "Landscape", 160), ("val", "Portrait", 220)):
        cv2.imwrite(str(data / split / cls / f"flat_{grey}.png"), np.full((240, 320, 3), grey, np.uint8))
    result = run_cli("baseline", "bow", "--data-dir", str(data), "--detector", "sift", "--vocab", "32",
                     "--run-dir", str(root / "run"))
    assert result.returncode == 0, result.stderr[-3000:]
    return root, result.stdout


@requires_shared(LOUVRE)
def test_bow_run_writes_a_deep_run_layout(bow_run):
    root, _ = bow_run
    run = RunDir.open(root / "run")
    for name in ("config.yaml", "labels.json", "data.json", "metrics.json", "run.json", "bow_model.joblib",
                 "plots/confusion_val_genre.png"):
        assert (run.root / name).is_file(), name
    cfg = run.config()  # loads like a deep run's config
    assert cfg.bow.detector == "sift" and cfg.bow.vocab == 32 and cfg.model.backbone == "bow_sift_32"
    assert cfg.train.epochs == 0 and not cfg.export.enabled
    assert run.classes() == {"genre": CLASSES}
    summary = json.loads(run.summary_path.read_text())
    metrics = json.loads(run.metrics_path.read_text())
    assert summary["task"] == "genre" and summary["backbone"] == "bow_sift_32"
    assert summary["headline"] == {"val": {"genre": metrics["val"]["genre"]["accuracy"]}}
    assert summary["parameters"] > 32 * 128  # the vocabulary alone is 32 words x 128 SIFT dimensions
    assert 0 < summary["train_seconds"] <= summary["total_seconds"] and summary["cpu_seconds"] > 0
    assert summary["grid_search"]["folds"] == 5 and summary["grid_search"]["candidates"] > 10


@requires_shared(LOUVRE)
def test_bow_beats_chance_and_its_metrics_are_consistent(bow_run):
    root, _ = bow_run
    m = json.loads((root / "run" / "metrics.json").read_text())["val"]["genre"]
    confusion = np.array(m["confusion_matrix"])
    assert confusion.sum() == m["n"] == 61  # 60 paintings + 1 flat image
    assert m["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
    assert set(m["per_class"]) == set(CLASSES) and "top3_accuracy" in m
    # 4 balanced classes: chance is 1/4. One-sided binomial test at 5%.
    assert binomtest(int(np.trace(confusion)), m["n"], 0.25, alternative="greater").pvalue < 0.05


@requires_shared(LOUVRE)
def test_flat_images_are_counted_not_fatal(bow_run):
    root, stdout = bow_run
    keypoints = json.loads((root / "run" / "run.json").read_text())["keypoints"]
    assert keypoints["train"]["images"] == 42 and keypoints["train"]["no_keypoints"] == 2
    assert keypoints["val"]["images"] == 61 and keypoints["val"]["no_keypoints"] == 1
    assert 200 < keypoints["val"]["mean_keypoints"] <= 500
    assert "train: 2 of 42 images had no keypoints" in stdout
    assert "val: 1 of 61 images had no keypoints" in stdout


@requires_shared(LOUVRE)
def test_saved_model_reproduces_the_val_predictions(bow_run):
    root, _ = bow_run
    saved = joblib.load(root / "run" / "bow_model.joblib")
    metrics = json.loads((root / "run" / "metrics.json").read_text())["val"]["genre"]
    paths = sorted((root / "data" / "val").glob("*/*"))
    # The run read val through the same folder scan: clean JPEGs as they are, the PNG re-encoded.
    encoded = [p.read_bytes() for p in paths]
    labels = np.array([CLASSES.index(p.parent.name) for p in paths])
    descriptors = describe_images(encoded, "sift", max_keypoints=500, max_side=512)
    predicted = saved["classifier"].predict(saved["vocabulary"].histograms(descriptors))
    assert saved["classes"] == CLASSES
    assert np.mean(predicted == labels) == pytest.approx(metrics["accuracy"])


@pytest.mark.parametrize("args,message", [
    (["--detector", "surf"], "unknown detector 'surf'; expected one of: sift, orb, kaze"),
    (["--vocab", "0"], "--vocab must be at least 1, got 0"),
    (["--head", "style"], "unknown softmax head 'style'; expected one of: genre"),
])
def test_baseline_bad_input_is_one_line(tmp_path, args, message):
    result = run_cli("baseline", "bow", "--data-dir", str(tmp_path), *args)
    assert result.returncode == 2
    assert result.stderr.startswith("artzoo: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_baseline_method_is_one_line(tmp_path):
    result = run_cli("baseline", "hog", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "unknown baseline method 'hog'; expected one of: bow" in result.stderr


@pytest.mark.parametrize("kernel", ["linear", "rbf", "chi2"])
def test_svm_scores_agree_with_predictions_and_parameters_are_counted(kernel):
    from sklearn.metrics.pairwise import chi2_kernel

    from artzoo.classical.svm import class_scores, describe_search, fit_svm, parameter_count

    rng = np.random.default_rng(4)
    y = np.repeat([0, 1, 2], 12)
    x = np.abs(rng.normal(0, 0.3, (36, 6))) + np.eye(3, 6)[y]  # non-negative, one dominant word per class
    grid = [{"scale": ["passthrough"], "svm__kernel": [chi2_kernel if kernel == "chi2" else kernel],
             "svm__C": [0.1, 1.0]}]
    search = fit_svm(x, y, folds=3, jobs=1, grid=grid)
    scores = class_scores(search.best_estimator_, x, num_classes=4)  # a 4th class absent from training
    assert scores.shape == (36, 4) and np.allclose(scores.sum(axis=1), 1) and np.all(scores[:, 3] == 0)
    np.testing.assert_array_equal(scores.argmax(axis=1), search.predict(x))
    svm = search.best_estimator_.named_steps["svm"]
    assert parameter_count(search, 6) == len(svm.support_) * 6 + svm.dual_coef_.size + 3
    summary = describe_search(search)
    json.dumps(summary)  # JSON-able, kernel functions included
    assert summary["folds"] == 3 and summary["candidates"] == 2
    assert summary["best_params"]["svm__kernel"] == ("chi2_kernel" if kernel == "chi2" else kernel)


def test_svm_needs_two_images_per_class_for_cross_validation():
    from artzoo.classical.svm import fit_svm

    x, y = np.eye(5), np.array([0, 0, 1, 1, 2])
    with pytest.raises(ArtzooError, match="a class has 1 training image"):
        fit_svm(x, y)


@requires_shared(LOUVRE)
def test_bow_reads_a_tfds_dataset_like_the_deep_runs(tmp_path):
    manual = copy_subset(LOUVRE, tmp_path / "manual", {"train": 4, "val": 2})
    result = run_cli("baseline", "bow", "--dataset", "louvre_genre", "--manual-dir", str(manual),
                     "--tfds-dir", str(tmp_path / "tfds"), "--detector", "orb", "--vocab", "16", "--tfidf",
                     "--cv-folds", "2", "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "run" / "data.json").read_text())
    assert data["source"].startswith("tfds:louvre_genre")
    assert data["counts"]["train"] == {"genre": [4, 4, 4, 4]}
    assert data["keypoints"]["train"]["images"] == 16 and data["keypoints"]["val"]["images"] == 8
    summary = json.loads((tmp_path / "run" / "run.json").read_text())
    assert summary["backbone"] == "bow_orb_16_tfidf" and summary["grid_search"]["folds"] == 2
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["val"]["genre"]["n"] == 8
