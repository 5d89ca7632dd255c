"""Background matting as an engine task: BGMv2 losses, alpha predictions and the matting metrics.

Batches hold ``image`` and ``background`` (the model's inputs), ``alpha`` and ``foreground`` (targets),
and for evaluation sets the ``trimap`` (128 = unknown band). Losses follow Lin et al. 2020
(``train_refine.py``), each an L1 / MSE mean:

1. base, at its scale (targets resized bilinearly): L1 on alpha, L1 on the Sobel gradient magnitude
   of alpha, L1 on the foreground where the true alpha > 0, and MSE between the error map and the
   true absolute alpha error |pha_sm - alpha_sm| (upsampled to full size, as BGMv2);
2. refined, at full resolution: the same three L1 terms on the refined outputs.

Metrics (``casestudies.metrics.matting``, per image, then the mean over images): ``mse``, ``sad``,
``mae``, ``grad``, ``conn`` in the unknown band, ``iou`` of alpha > 0.5 over the whole image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from casestudies.metrics.matting import matting_metrics
from casestudies.training.tasks import Batch, Task

METRICS = ("mse", "sad", "mae", "grad", "conn", "iou")


def sobel_magnitude(x: Tensor, eps: float = 1e-6) -> Tensor:
    """Sobel gradient magnitude per channel (kernels normalised by 8, replicated borders), as kornia.sobel."""
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=x.device, dtype=x.dtype) / 8
    k = torch.stack([kx, kx.t()])[:, None]  # 2 x 1 x 3 x 3
    n, c, h, w = x.shape
    g = F.conv2d(F.pad(x.reshape(n * c, 1, h, w), (1, 1, 1, 1), mode="replicate"), k)
    return torch.sqrt(g.square().sum(1) + eps).reshape(n, c, h, w)


def _resize(x: Tensor, hw: tuple[int, ...]) -> Tensor:
    return x if tuple(x.shape[2:]) == tuple(hw) else F.interpolate(x, size=hw, mode="bilinear", align_corners=False)


def _terms(pha: Tensor, fgr: Tensor, true_pha: Tensor, true_fgr: Tensor) -> Tensor:
    mask = (true_pha > 0).to(fgr.dtype)
    return (
        F.l1_loss(pha, true_pha)
        + F.l1_loss(sobel_magnitude(pha), sobel_magnitude(true_pha))
        + F.l1_loss(fgr * mask, true_fgr * mask)
    )


def bgmv2_loss(outputs: dict[str, Tensor], alpha: Tensor, foreground: Tensor) -> Tensor:
    """BGMv2's refine-stage loss (see the module docstring); ``alpha`` ``N x 1``, ``foreground`` ``N x 3``."""
    out = {k: v.float() for k, v in outputs.items()}
    hw_sm = out["pha_sm"].shape[2:]
    pha_sm, fgr_sm = _resize(alpha, hw_sm), _resize(foreground, hw_sm)
    full = alpha.shape[2:]
    err_target = (_resize(out["pha_sm"], full) - alpha).abs()
    return (
        _terms(out["pha_sm"], out["fgr_sm"], pha_sm, fgr_sm)
        + F.mse_loss(_resize(out["err_sm"], full), err_target.detach())
        + _terms(out["pha"], out["fgr"], alpha, foreground)
    )


@dataclass
class MattingTask(Task):
    """BGMv2 matting (see the module docstring); the model is ``create_model("background_matting", ...)``."""

    input_keys: tuple[str, ...] = ("image", "background")

    def forward(self, model: nn.Module, batch: Batch) -> Any:
        return model(batch["image"], batch["background"])

    def loss(self, outputs: dict[str, Tensor], batch: Batch) -> Tensor:
        return bgmv2_loss(outputs, batch["alpha"].float(), batch["foreground"].float())

    def predict(self, outputs: dict[str, Tensor]) -> Tensor:
        return outputs["pha"]

    def metric_stats(self, preds: Tensor, batch: Batch) -> dict[str, Tensor]:
        pred = preds.detach().float().cpu().numpy()[:, 0]
        gt = batch["alpha"].detach().float().cpu().numpy()[:, 0]
        tri = batch["trimap"].cpu().numpy()[:, 0]
        rows = [matting_metrics(p, g, t) for p, g, t in zip(pred, gt, tri)]
        return {m: torch.tensor([r[m] for r in rows], dtype=torch.float64) for m in METRICS}

    def summarize(self, stats: dict[str, Tensor]) -> dict[str, float]:
        return {m: float(np.nanmean(stats[m].numpy())) for m in METRICS}


def background_difference_matte(image: np.ndarray, background: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """The trivial baseline: alpha = 1 where the image differs from the plate by more than ``threshold``
    (max over channels, [0, 1] units), else 0. ``image``, ``background``: ``3 x H x W`` floats."""
    return (np.abs(image - background).max(0) > threshold).astype(np.float32)


def evaluate_baseline(dataset: Any, threshold: float = 0.1) -> dict[str, float]:
    """Metrics of :func:`background_difference_matte` on an evaluation set (items with ``trimap``)."""
    rows = []
    for i in range(len(dataset)):
        item = dataset[i]
        pred = background_difference_matte(item["image"].numpy(), item["background"].numpy(), threshold)
        rows.append(matting_metrics(pred, item["alpha"].numpy()[0], item["trimap"].numpy()[0]))
    return {m: float(np.nanmean([r[m] for r in rows])) for m in METRICS}
