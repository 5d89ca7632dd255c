"""Test-split metrics of a trained model: the record's ``test_a`` / ``test_b`` entries.

Every number comes from one confusion matrix summed over the whole split
(:mod:`casestudies.metrics.segmentation`); classes absent from both target and prediction get
``None`` (JSON null) per class and are left out of ``miou``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from torch import nn
from torch.utils.data import Dataset

from casestudies.metrics import segmentation as sm
from casestudies.training import SegmentationTask, evaluation_stats


def _clean(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def metrics_from_confusion(conf: np.ndarray, class_names: tuple[str, ...]) -> dict[str, Any]:
    """``{"miou", "pixel_acc", "iou": {class: v}, "f1": {class: v}}`` (``None`` for an absent class)."""
    return {
        "miou": _clean(sm.mean_iou(conf)),
        "pixel_acc": _clean(sm.pixel_accuracy(conf)),
        "iou": {n: _clean(v) for n, v in zip(class_names, sm.iou_per_class(conf))},
        "f1": {n: _clean(v) for n, v in zip(class_names, sm.f1_per_class(conf))},
    }


def test_metrics(
    model: nn.Module, task: SegmentationTask, dataset: Dataset, *, batch_size: int = 32
) -> tuple[dict[str, Any], list[list[int]]]:
    """(metrics, confusion as nested lists, rows = target) of ``model`` on a test split."""
    conf = task.confusion(evaluation_stats(model, task, dataset, batch_size=batch_size))
    return metrics_from_confusion(conf, task.names()), conf.tolist()


def predict(model: nn.Module, task: SegmentationTask, dataset: Dataset, indices: list[int]) -> list[np.ndarray]:
    """Label maps (H x W uint8) of ``model`` for a few items (figures)."""
    import torch

    device = next(model.parameters()).device
    batch = torch.stack([dataset[i]["image"] for i in indices]).to(device)
    was = model.training
    model.eval()
    with torch.no_grad():
        out = task.predict(task.forward(model, {"image": batch}))
    model.train(was)
    return [p.cpu().numpy().astype(np.uint8) for p in out]
