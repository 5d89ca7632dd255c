"""Segmentation metrics from one confusion matrix (pure numpy; no torch needed).

Convention: ``conf[t, p]`` counts pixels of target class ``t`` predicted as class ``p`` (rows =
target, columns = prediction), summed over a whole evaluation split before any ratio is taken, so
every pixel weighs the same (not every image). Pixels whose target is ``ignore_index`` are left
out. A class absent from both target and prediction has no IoU or F1 (NaN), and :func:`mean_iou`
averages only over the classes present in the target or the prediction.

>>> import numpy as np
>>> conf = confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 3)
>>> iou_per_class(conf).round(3).tolist()
[0.5, 0.5, nan]
>>> round(mean_iou(conf), 3)
0.5
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def confusion_matrix(pred: ArrayLike, target: ArrayLike, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """``num_classes x num_classes`` int64 counts; rows = target class, columns = predicted class.

    ``pred`` and ``target`` are integer label arrays of one shape (any number of images). Target
    pixels equal to ``ignore_index`` are skipped; any other value outside ``[0, num_classes)`` in
    either array is an error.
    """
    p, t = np.asarray(pred), np.asarray(target)
    if p.shape != t.shape:
        raise ValueError(f"pred shape {p.shape} != target shape {t.shape}")
    # 1. drop ignored target pixels
    keep = t != ignore_index
    p, t = p[keep].astype(np.int64), t[keep].astype(np.int64)
    # 2. check labels, 3. count (t, p) pairs as one flat index t * C + p
    for name, a in (("target", t), ("pred", p)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"{name} holds labels outside [0, {num_classes}): {np.unique(a[(a < 0) | (a >= num_classes)])[:5]}")
    return np.bincount(t * num_classes + p, minlength=num_classes**2).reshape(num_classes, num_classes)


def _stats(conf: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = np.asarray(conf, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"confusion matrix must be square, got shape {c.shape}")
    tp = np.diag(c)
    return tp, c.sum(0) - tp, c.sum(1) - tp  # TP, FP (predicted c, target other), FN


def iou_per_class(conf: ArrayLike) -> np.ndarray:
    """IoU (Jaccard) per class: TP / (TP + FP + FN); NaN for a class absent from target and prediction."""
    tp, fp, fn = _stats(conf)
    union = tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def f1_per_class(conf: ArrayLike) -> np.ndarray:
    """F1 (Dice) per class: 2 TP / (2 TP + FP + FN); NaN for a class absent from target and prediction."""
    tp, fp, fn = _stats(conf)
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / denom, np.nan)


def mean_iou(conf: ArrayLike) -> float:
    """Mean IoU over the classes present in the target or the prediction (absent classes skipped);
    NaN when the matrix is empty."""
    iou = iou_per_class(conf)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def pixel_accuracy(conf: ArrayLike) -> float:
    """Share of counted (non-ignored) pixels predicted correctly; NaN when there are none."""
    c = np.asarray(conf, dtype=np.float64)
    total = c.sum()
    return float(np.trace(c) / total) if total else float("nan")


def normalize_rows(conf: ArrayLike) -> np.ndarray:
    """Row-normalised confusion (each target class's pixels sum to 1; a row without pixels is NaN)."""
    c = np.asarray(conf, dtype=np.float64)
    rows = c.sum(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, c / rows, np.nan)


__all__ = ["confusion_matrix", "f1_per_class", "iou_per_class", "mean_iou", "normalize_rows", "pixel_accuracy"]
