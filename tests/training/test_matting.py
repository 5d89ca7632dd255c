"""MattingTask: the BGMv2 loss, metrics through the engine's evaluate, and the trivial baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from casestudies.data.composites import MattingComposites
from casestudies.models import create_model
from casestudies.training.engine import TrainConfig, evaluate, fit
from casestudies.training.matting import (
    MattingTask,
    background_difference_matte,
    bgmv2_loss,
    evaluate_baseline,
    sobel_magnitude,
)


def test_sobel_magnitude_of_a_ramp() -> None:
    ramp = torch.arange(8.0).repeat(8, 1)[None, None] * 0.1
    mag = sobel_magnitude(ramp)
    # interior: (1 + 2 + 1) * 2 * 0.1 / 8 = 0.1
    torch.testing.assert_close(mag[0, 0, 2:-2, 2:-2], torch.full((4, 4), 0.1), atol=1e-4, rtol=0)


def _outputs(alpha: torch.Tensor, fg: torch.Tensor) -> dict[str, torch.Tensor]:
    sm = torch.nn.functional.interpolate
    pha_sm = sm(alpha, scale_factor=0.5, mode="bilinear", align_corners=False)
    return {"pha": alpha, "fgr": fg, "pha_sm": pha_sm,
            "fgr_sm": sm(fg, scale_factor=0.5, mode="bilinear", align_corners=False),
            "err_sm": torch.zeros_like(pha_sm)}


def test_loss_terms() -> None:
    torch.manual_seed(0)
    alpha = (torch.rand(2, 1, 16, 16) > 0.5).float()
    fg = torch.rand(2, 3, 16, 16)
    perfect = bgmv2_loss(_outputs(alpha, fg), alpha, fg)
    # perfect alpha and foreground: only the error-map term remains (the base's upsampling error)
    out = _outputs(alpha, fg)
    up = torch.nn.functional.interpolate(out["pha_sm"], (16, 16), mode="bilinear", align_corners=False)
    assert float(perfect) == pytest.approx(float(((up - alpha).abs() ** 2).mean()), rel=1e-5)
    # the foreground only counts where alpha > 0
    other = fg.clone()
    other[alpha.expand_as(fg) == 0] = 0.0
    masked = {**_outputs(alpha, fg), "fgr": other}
    assert float(bgmv2_loss(masked, alpha, fg)) == pytest.approx(float(perfect), rel=1e-5)
    assert float(bgmv2_loss(_outputs(1 - alpha, fg), alpha, fg)) > float(perfect) + 1.0


def _sets(n: int = 6, size: int = 32):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    alphas = [np.clip(1.5 - np.hypot(xx - size / 2 + i, yy - size / 2) / 6, 0, 1).astype(np.float32) for i in range(n)]
    fgs = [rng.integers(100, 255, (size, size, 3), dtype=np.uint8) for _ in range(n)]
    return (MattingComposites(fgs, alphas, "bg_train", seed=0),
            MattingComposites(fgs, alphas, "bg_photo", seed=1, train=False))


def test_training_reduces_the_loss_and_evaluates() -> None:
    train, test = _sets()
    torch.manual_seed(0)
    model = create_model("background_matting", "bgmv2_mobilenetv2", base_scale=0.5, refine_patches=8)
    history = fit(model, MattingTask(), train, TrainConfig(steps=8, batch_size=3, lr=2e-3, log_every=4, progress=False))
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    metrics = evaluate(model, MattingTask(), test, batch_size=3)
    assert set(metrics) == {"mse", "sad", "mae", "grad", "conn", "iou"}
    assert all(np.isfinite(v) for v in metrics.values())


def test_baseline() -> None:
    img = np.zeros((3, 4, 4), np.float32)
    bg = img.copy()
    img[:, 1:3, 1:3] = 0.5
    np.testing.assert_array_equal(background_difference_matte(img, bg, 0.1)[1:3, 1:3], np.ones((2, 2)))
    assert background_difference_matte(img, bg, 0.1).sum() == 4
    _, test = _sets(3)
    out = evaluate_baseline(test, 0.1)
    assert 0 <= out["mse"] <= 1 and 0 <= out["iou"] <= 1
