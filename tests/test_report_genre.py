"""`artzoo report` and `artzoo compare` on a short real Louvre-4 genre run (with the self-attention module)."""

import base64
import csv
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli

SECTIONS = ("summary", "model-card", "data", "metrics", "confused-pairs", "curves", "mistakes", "gradcam", "attention",
            "signatures", "config")
GENRES = ["Genre", "Landscape", "Naturmort", "Portrait"]


class PageParts(HTMLParser):
    """Tables, images, section ids and every URL the page refers to."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self.ids, self.urls, self.scripts = 0, [], set(), [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tables += tag == "table"
        self.scripts += tag == "script"
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if key in attrs and not attrs[key].startswith(("data:", "#")):
                self.urls.append(attrs[key])


@pytest.fixture(scope="module")
def genre_run(louvre_small, tmp_path_factory):
    """MobileNet v1 alpha 0.25 (ImageNet), 96 px, self-attention, 3 frozen epochs; then `artzoo report`."""
    root = tmp_path_factory.mktemp("report_run")
    result = run_cli(
        "train", "--task", "genre", "--data-dir", str(louvre_small), "--backbone", "mobilenet_2_5",
        "--image-size", "96", "--batch-size", "16", "--epochs", "3", "--fine-tune-epochs", "0",
        "--run-dir", str(root / "run"), "--export-dir", str(root / "saved_models"), "--quiet",
        "--set", "model.attention=true", "--set", "train.learning_rate=3e-3", "--set", "train.schedule=constant",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = run_cli("report", str(root / "run"), "--samples", "4", "--mistakes", "6")
    assert report.returncode == 0, report.stderr[-3000:]
    assert report.stdout.strip() == f"report: {root / 'run' / 'report.html'}"
    return root / "run"


def test_report_is_one_self_contained_page_with_tables_and_images(genre_run):
    page = (genre_run / "report.html").read_text()
    parts = PageParts()
    parts.feed(page)
    assert set(SECTIONS) <= parts.ids
    assert parts.urls == [] and parts.scripts == 0  # no external asset, no script
    # summary, model card has none, data counts, 4 metric tables, signatures (2), config
    assert parts.tables >= 9
    # curves, confusion, F1 bars, mistakes, Grad-CAM, attention
    assert len(parts.images) >= 6
    for src in parts.images:
        assert src.startswith("data:image/png;base64,")
        image = np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L"))
        assert image.shape[0] > 100 and image.shape[1] > 100
        assert image.std() > 5  # not a blank canvas


def test_report_states_the_runs_facts(genre_run):
    page = (genre_run / "report.html").read_text()
    metrics = json.loads((genre_run / "metrics.json").read_text())["val"]["genre"]
    summary = json.loads((genre_run / "run.json").read_text())
    for genre in GENRES:
        assert f'<td class="k">{genre}</td>' in page
    assert f"<td>{metrics['accuracy']:.4f}</td>" in page
    assert f"<td>{summary['parameters']}</td>" in page
    assert "Quarantined images: 0." in page
    for signature in ("serving_default", "serving_images", "image_bytes", "genre_top_k_labels"):
        assert signature in page
    for heading in ("Intended use", "Limitations"):
        assert f"<h3>{heading}</h3>" in page
    assert "95% CI" in page
    for name in ("curves_genre.png", "f1_val_genre.png", "mistakes_val_genre.png", "gradcam_val_genre.png",
                 "gradcam_by_class_val_genre.png", "attention_val.png"):
        assert (genre_run / "plots" / name).is_file(), name
    from artzoo.reporting.confused_pairs import confused_pairs

    top = confused_pairs(metrics["confusion_matrix"], GENRES, 1)
    if top:  # the most confused pair is on the page with its count
        assert f"{top[0]['a']} ↔ {top[0]['b']}" in page


def test_grad_cam_and_attention_maps_have_the_image_size_and_vary(genre_run, louvre_small):
    import keras

    import artzoo.models.layers  # noqa: F401
    from artzoo.reporting.gradcam import attention_maps, grad_cam

    files = [sorted((louvre_small / "val" / g).glob("*.jpg"))[0] for g in GENRES]
    images = np.stack([np.asarray(Image.open(f).convert("RGB").resize((96, 96)), dtype=np.float32) for f in files])
    model = keras.models.load_model(genre_run / "model.keras", safe_mode=True)
    maps, chosen, scores = grad_cam(model, images, "genre")
    assert maps.shape == (4, 96, 96)
    assert maps.min() >= 0 and maps.max() <= 1
    assert all(m.std() > 0.01 for m in maps)  # not constant
    probs = model.predict(images, verbose=0)["genre"]
    assert list(chosen) == list(probs.argmax(axis=1))
    assert scores == pytest.approx(probs.max(axis=1), abs=1e-5)
    other = (chosen + 1) % 4
    other_maps, other_chosen, _ = grad_cam(model, images, "genre", class_index=other)
    assert list(other_chosen) == list(other)
    assert not np.allclose(other_maps, maps)
    attention = attention_maps(model, images)
    assert attention.shape == (4, 96, 96) and all(a.std() > 0.01 for a in attention)


def _baseline_run(root: Path) -> Path:
    """A run directory as a classical baseline writes it: run.json and metrics.json only."""
    root.mkdir()
    (root / "run.json").write_text(json.dumps({
        "task": "genre", "backbone": "bovw_sift_svm", "parameters": 12000, "train_seconds": 40.5,
        "total_seconds": 51.0, "headline": {"val": {"genre": 0.5}}}))
    (root / "metrics.json").write_text(json.dumps({"val": {"genre": {"accuracy": 0.5}}}))
    return root


def test_compare_prints_one_table_in_three_formats(genre_run, tmp_path):
    baseline = _baseline_run(tmp_path / "bovw")
    summary = json.loads((genre_run / "run.json").read_text())
    text = run_cli("compare", str(genre_run), str(baseline))
    assert text.returncode == 0, text.stderr[-2000:]
    lines = text.stdout.splitlines()
    assert lines[0].split()[:6] == ["run", "task", "backbone", "parameters", "train_seconds", "total_seconds"]
    assert "val genre accuracy" in lines[0]
    assert lines[1].split()[:4] == ["run", "genre", "mobilenet_2_5", str(summary["parameters"])]
    assert lines[2].split() == ["bovw", "genre", "bovw_sift_svm", "12000", "40.5", "51.0", "0.5000"]

    as_csv = run_cli("compare", str(genre_run), str(baseline), "--csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["run"] for r in rows] == ["run", "bovw"]
    assert float(rows[0]["val genre accuracy"]) == pytest.approx(summary["headline"]["val"]["genre"], abs=1e-4)

    markdown = run_cli("compare", str(genre_run), str(baseline), "--markdown").stdout.splitlines()
    assert markdown[0].startswith("| run | task |") and markdown[1].startswith("|---|---|---|---:|")
    assert len(markdown) == 4


def test_report_and_compare_reject_what_is_not_a_run(tmp_path):
    result = run_cli("report", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"artzoo: error: run directory {str(tmp_path)!r} has no metrics.json; is it a finished artzoo run?")
    result = run_cli("compare", str(tmp_path / "nope"))
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.large
@pytest.mark.skipif(_chromium() is None, reason="chromium not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(genre_run, tmp_path):
    flags = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--hide-scrollbars"]
    url = (genre_run / "report.html").resolve().as_uri()
    dom = subprocess.run(flags + [f"--user-data-dir={tmp_path / 'profile1'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parts = PageParts()
    parts.feed(dom.stdout)
    assert set(SECTIONS) <= parts.ids and parts.tables >= 9 and len(parts.images) >= 6

    shot = tmp_path / "report.png"
    result = subprocess.run(flags + [f"--user-data-dir={tmp_path / 'profile2'}", f"--screenshot={shot}",
                                     "--window-size=1200,9000", url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape[:2] == (9000, 1200)
    # Text and tables are grey; the paintings and heat maps are coloured: a rendered page has both.
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert (saturation > 60).mean() > 0.02
    assert (pixels.sum(axis=2) < 200).mean() > 0.001  # dark text / table borders are drawn
