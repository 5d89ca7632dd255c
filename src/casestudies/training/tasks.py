"""The per-task interface of the training loop, and face segmentation as its first user.

A case study adds only what is its own: how the model is called, the loss, how outputs become
predictions, and the metric statistics of a batch. Batches are dicts of tensors (collated items)
already on the model's device.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from casestudies.metrics import segmentation as seg_metrics

Batch = dict[str, Any]


class Task(ABC):
    """What a case study plugs into :func:`casestudies.training.fit`.

    ``metric_stats`` returns tensors whose dim 0 indexes batch entries (per image, or one row per
    batch for additive counts); the loop concatenates them along dim 0 over the evaluation set and
    hands them to ``summarize``, which returns flat ``{name: float}`` metrics.
    Subclasses should be dataclasses: ``key()`` (their repr) enters cache keys.
    """

    #: batch keys the model reads (AdaBN re-estimation sees only these: no labels)
    input_keys: tuple[str, ...] = ("image",)

    def forward(self, model: nn.Module, batch: Batch) -> Any:
        """Model outputs for a batch; default ``model(batch["image"])``."""
        return model(batch[self.input_keys[0]])

    @abstractmethod
    def loss(self, outputs: Any, batch: Batch) -> Tensor:
        """Scalar training loss."""

    @abstractmethod
    def predict(self, outputs: Any) -> Any:
        """Predictions from outputs (e.g. a label map)."""

    @abstractmethod
    def metric_stats(self, preds: Any, batch: Batch) -> dict[str, Tensor]:
        """Statistics of one batch, concatenated along dim 0 across batches."""

    @abstractmethod
    def summarize(self, stats: dict[str, Tensor]) -> dict[str, float]:
        """Flat metrics from the concatenated statistics."""

    def key(self) -> str:
        return repr(self)


def _batch_confusion(pred: Tensor, target: Tensor, num_classes: int, ignore_index: int) -> Tensor:
    """Per-batch counts on the device (one ``bincount``), rows = target; the formulas built on the
    summed matrix live in :mod:`casestudies.metrics.segmentation`, which defines the convention."""
    valid = target != ignore_index
    flat = target[valid].long() * num_classes + pred[valid].long()
    return torch.bincount(flat, minlength=num_classes**2).view(num_classes, num_classes)


@dataclass
class SegmentationTask(Task):
    """Semantic segmentation: cross-entropy (ignore 255) on logits ``N x C x H x W``; mIoU.

    Targets are ``batch[target_key]``, ``N x H x W`` integer labels. Metrics: ``miou`` (mean IoU over
    classes present in target or prediction), ``pixel_acc`` and ``iou_<class>`` per class (NaN when
    absent), all from one confusion matrix summed over the evaluation set, with the formulas of
    :mod:`casestudies.metrics.segmentation`.
    """

    num_classes: int
    class_names: Sequence[str] | None = None
    target_key: str = "seg"
    ignore_index: int = 255

    def __post_init__(self) -> None:
        if self.class_names is not None and len(self.class_names) != self.num_classes:
            raise ValueError(f"{len(self.class_names)} class names for {self.num_classes} classes")
        if self.class_names is not None:
            self.class_names = tuple(self.class_names)

    def loss(self, outputs: Tensor, batch: Batch) -> Tensor:
        return F.cross_entropy(outputs.float(), batch[self.target_key].long(), ignore_index=self.ignore_index)

    def predict(self, outputs: Tensor) -> Tensor:
        return outputs.argmax(1)

    def metric_stats(self, preds: Tensor, batch: Batch) -> dict[str, Tensor]:
        conf = _batch_confusion(preds, batch[self.target_key], self.num_classes, self.ignore_index)
        return {"confusion": conf.unsqueeze(0)}

    def confusion(self, stats: dict[str, Tensor]) -> np.ndarray:
        """The evaluation set's confusion matrix (int64, rows = target) from concatenated stats."""
        return stats["confusion"].sum(0).cpu().numpy().astype(np.int64)

    def names(self) -> tuple[str, ...]:
        return tuple(self.class_names or [str(i) for i in range(self.num_classes)])

    def summarize(self, stats: dict[str, Tensor]) -> dict[str, float]:
        conf = self.confusion(stats)
        out = {"miou": seg_metrics.mean_iou(conf), "pixel_acc": seg_metrics.pixel_accuracy(conf)}
        out.update({f"iou_{n}": float(v) for n, v in zip(self.names(), seg_metrics.iou_per_class(conf))})
        return out
