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

import torch
import torch.nn.functional as F
from torch import Tensor, nn

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


def confusion_matrix(pred: Tensor, target: Tensor, num_classes: int, ignore_index: int = 255) -> Tensor:
    """``num_classes x num_classes`` int64 counts, rows = target class, columns = predicted class."""
    valid = target != ignore_index
    t = target[valid].long()
    p = pred[valid].long()
    return torch.bincount(t * num_classes + p, minlength=num_classes**2).view(num_classes, num_classes)


def iou_from_confusion(confusion: Tensor) -> Tensor:
    """Per-class IoU = TP / (TP + FP + FN); NaN for a class absent from both target and prediction."""
    c = confusion.double()
    tp = c.diagonal()
    union = c.sum(0) + c.sum(1) - tp
    return torch.where(union > 0, tp / union.clamp(min=1), torch.full_like(tp, float("nan")))


@dataclass
class SegmentationTask(Task):
    """Semantic segmentation: cross-entropy (ignore 255) on logits ``N x C x H x W``; mIoU.

    Targets are ``batch[target_key]``, ``N x H x W`` integer labels. Metrics: ``miou`` (mean IoU over
    classes present in target or prediction), ``pixel_acc`` and ``iou_<class>`` per class (NaN when
    absent), all from one confusion matrix summed over the evaluation set.
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
        conf = confusion_matrix(preds, batch[self.target_key], self.num_classes, self.ignore_index)
        return {"confusion": conf.unsqueeze(0)}

    def summarize(self, stats: dict[str, Tensor]) -> dict[str, float]:
        conf = stats["confusion"].sum(0)
        iou = iou_from_confusion(conf)
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        total = conf.sum().item()
        out = {
            "miou": float(iou.nanmean()),
            "pixel_acc": float(conf.diagonal().sum().item() / total) if total else float("nan"),
        }
        out.update({f"iou_{n}": float(v) for n, v in zip(names, iou)})
        return out
