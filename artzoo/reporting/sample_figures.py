"""Figures that need the trained model and real images: most confident mistakes, Grad-CAM, attention maps."""

from __future__ import annotations

import keras
import numpy as np

from artzoo.config import RunConfig
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import load_labeled_data
from artzoo.models.float32_clone import float32_clone
from artzoo.reporting import figures as fig
from artzoo.reporting.class_gradcam import class_gradcam_figures
from artzoo.reporting.gradcam import attention_maps, grad_cam, has_attention
from artzoo.reporting.report_html import Figure
from artzoo.reporting.samples import SplitSamples, scan_split
from artzoo.run_dir import RunDir


def draw_model_figures(run: RunDir, cfg: RunConfig, split: str, n_samples: int, n_mistakes: int, result) -> None:
    """Appends Figures to `result.mistakes`, `.gradcam`, `.attention` (a `report.ModelFigures`)."""
    heads = list(cfg.model.heads)
    data = load_labeled_data(cfg.data, heads)
    classes = run.classes() if run.labels_path.is_file() else data.classes
    num_classes = {h.name: len(classes[h.name]) for h in heads}
    ds = make_dataset(data.split(split), heads, num_classes, cfg.data.image_size, cfg.data.batch_size,
                      resize=cfg.data.resize, decode=cfg.data.decode, cache=False)
    # float32 once for every map (Grad-CAM of a 16-bit feature map goes blank); scanning on CPU is faster too
    model = float32_clone(keras.models.load_model(run.model_path, safe_mode=True))
    samples = scan_split(model, ds, heads, n_mistakes=n_mistakes, n_samples=n_samples)
    result.mistakes += _mistake_figures(run, samples, classes, split)
    if not samples.images:
        result.notes.append(f"split {split!r} has no image to draw maps on.")
        return
    images = np.stack(samples.images).astype(np.float32)
    first_softmax = next((h.name for h in heads if h.type == "softmax"), None)
    truth = [classes[first_softmax][i] if first_softmax and i >= 0 else "?" for i in samples.labels]
    for head in heads:
        maps, chosen, scores = grad_cam(model, images, head.name)
        captions = [f"true {t}\n{head.name}: {classes[head.name][c]} {s:.2f}" for t, c, s in zip(truth, chosen, scores)]
        path = fig.overlay_grid(samples.images, maps, captions, run.plots / f"gradcam_{split}_{head.name}.png",
                                title=f"Grad-CAM for head {head.name}: evidence for its top class")
        result.gradcam.append(Figure(path, f"Grad-CAM of head {head.name} on {split} images (red: most evidence "
                                           "for the predicted class; gradients at the backbone's last feature map)"))
    result.gradcam += class_gradcam_figures(model, ds, heads, classes, split, run.plots)
    if has_attention(model):
        maps = attention_maps(model, images)
        path = fig.overlay_grid(samples.images, maps, [f"true {t}" for t in truth],
                                run.plots / f"attention_{split}.png",
                                title="self-attention: attention each position receives")
        result.attention.append(Figure(path, f"self-attention maps on {split} images (red: positions the others "
                                             "attend to most)"))


def _mistake_figures(run: RunDir, samples: SplitSamples, classes: dict, split: str) -> list[Figure]:
    out = []
    for head, mistakes in samples.mistakes.items():
        if not mistakes:
            continue
        names = classes[head]
        captions = [f"true {names[m.true]}\npredicted {names[m.predicted]} {m.confidence:.2f}" for m in mistakes]
        path = fig.image_grid([m.image for m in mistakes], captions, run.plots / f"mistakes_{split}_{head}.png",
                              title=f"{head}: most confident mistakes on {split}")
        out.append(Figure(path, f"head {head}: the {len(mistakes)} most confident mistakes on {split} "
                                f"(of {samples.n} images)"))
    return out
