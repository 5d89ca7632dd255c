"""The notebook's figures: label overlays, training curves, predictions beside ground truth, per-class IoU.

Functions return matplotlib figures (the notebook displays them). Colours: one fixed RGB per
``paper9`` class (:data:`COLORS`); ignore (255) is drawn black.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from casestudies.data.taxonomy import PAPER9

COLORS = np.array([
    [0, 0, 0], [230, 190, 150], [40, 120, 255], [255, 60, 200], [250, 240, 60],
    [230, 40, 40], [120, 0, 40], [255, 140, 0], [110, 60, 20],
], np.uint8)  # background, skin, left_eye, right_eye, nose, upper_lip, inner_mouth, lower_lip, hair


def show(fig: Any) -> None:
    """Display a figure once (the inline backend would show it again at the cell's end) and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)


def colorize(seg: np.ndarray) -> np.ndarray:
    """H x W labels -> H x W x 3 uint8 colours (255 and unknown ids black)."""
    lut = np.zeros((256, 3), np.uint8)
    lut[: len(COLORS)] = COLORS
    return lut[seg]


def overlay(image: np.ndarray, seg: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Labels blended over the image (background pixels left as they are)."""
    out = image.astype(np.float32)
    fg = (seg > 0) & (seg != 255)
    out[fg] = (1 - alpha) * out[fg] + alpha * colorize(seg)[fg]
    return out.clip(0, 255).astype(np.uint8)


def _axes(rows: int, cols: int, scale: float = 1.3):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(cols * scale, rows * scale + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig, axes


def domain_samples(domains: Mapping[str, Sequence[Mapping[str, Any]]], n: int = 4):
    """One row per domain: ``n`` images with their labels overlaid; row titles are the keys."""
    fig, axes = _axes(len(domains), n)
    for r, (name, samples) in enumerate(domains.items()):
        for c, s in enumerate(list(samples)[:n]):
            axes[r, c].imshow(overlay(s["image"], s["seg"]))
        axes[r, 0].set_title(name, fontsize=7, loc="left")
    fig.tight_layout()
    return fig


def curves(history: Sequence[Mapping[str, Any]], metric: str = "val_miou"):
    """Training loss and validation ``metric`` against global optimizer step, stages marked."""
    import matplotlib.pyplot as plt

    rows = [r for r in history if r.get("stage") != "final" and "step" in r]
    fig, (a, b) = plt.subplots(1, 2, figsize=(7, 2.6))
    for stage in dict.fromkeys(r["stage"] for r in rows):
        part = [r for r in rows if r["stage"] == stage]
        a.plot([r["step"] for r in part], [r.get("train_loss", np.nan) for r in part], marker=".", label=stage)
        val = [r for r in part if metric in r]
        b.plot([r["step"] for r in val], [r[metric] for r in val], marker="o", label=stage)
    a.set(xlabel="optimizer step", ylabel="train loss (per image)")
    b.set(xlabel="optimizer step", ylabel=f"{metric} (VAL split)")
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def predictions(rows: Mapping[str, tuple[Sequence[np.ndarray], Sequence[np.ndarray], Sequence[np.ndarray]]]):
    """Per test set (key): images, ground truth and predictions as three rows."""
    n = max(len(v[0]) for v in rows.values())
    fig, axes = _axes(3 * len(rows), n, scale=1.1)
    for k, (name, (images, truth, pred)) in enumerate(rows.items()):
        for c in range(len(images)):
            axes[3 * k, c].imshow(images[c])
            axes[3 * k + 1, c].imshow(colorize(truth[c]))
            axes[3 * k + 2, c].imshow(colorize(pred[c]))
        for j, what in enumerate(("image", "ground truth", "prediction")):
            axes[3 * k + j, 0].set_title(f"{name}: {what}", fontsize=7, loc="left")
    fig.tight_layout()
    return fig


def per_class_iou(metrics: Mapping[str, Mapping[str, Any]], classes: Sequence[str] = PAPER9.classes):
    """Grouped bars: per-class IoU on each test set (``metrics[test]["iou"][class]``)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.6))
    width = 0.8 / max(len(metrics), 1)
    x = np.arange(len(classes))
    for i, (name, m) in enumerate(metrics.items()):
        vals = [np.nan if m["iou"].get(c) is None else m["iou"][c] for c in classes]
        ax.bar(x + i * width, vals, width, label=f"{name} (mIoU {m['miou']:.3f})")
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, classes, rotation=30, fontsize=7)
    ax.set(ylabel="IoU", ylim=(0, 1))
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
