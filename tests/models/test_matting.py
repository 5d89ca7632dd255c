"""BGMv2 base + refiner: shapes, sampling touches only the selected patches, full = every patch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from casestudies.models import create_model
from casestudies.models.matting import MattingRefine


def _model(**kw) -> MattingRefine:
    torch.manual_seed(0)
    return create_model("background_matting", "bgmv2_mobilenetv2", **kw)


@pytest.mark.parametrize(("hw", "scale"), [((64, 64), 0.25), ((64, 96), 0.5), ((32, 48), 1.0)])
def test_shapes(hw: tuple[int, int], scale: float) -> None:
    model = _model(base_scale=scale, refine_patches=8)
    src, bgr = torch.rand(2, 3, *hw), torch.rand(2, 3, *hw)
    out = model(src, bgr)
    h, w = hw
    hs, ws = round(h * scale), round(w * scale)
    assert out["pha"].shape == (2, 1, h, w) and out["fgr"].shape == (2, 3, h, w)
    assert out["pha_sm"].shape == (2, 1, hs, ws) and out["fgr_sm"].shape == (2, 3, hs, ws)
    assert out["err_sm"].shape == (2, 1, hs, ws) and out["ref_sm"].shape == (2, 1, h // 4, w // 4)
    for k in ("pha", "fgr", "pha_sm", "fgr_sm", "err_sm"):
        assert float(out[k].detach().min()) >= 0.0 and float(out[k].detach().max()) <= 1.0
    assert int(out["ref_sm"].sum()) <= 2 * 8


def test_eval_batch_of_one_and_input_checks() -> None:
    model = _model().eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64))
    assert out["pha"].shape == (1, 1, 64, 64) and bool((out["ref_sm"] == 1).all())  # full mode in eval
    with pytest.raises(ValueError, match="divisible by 4"):
        model(torch.rand(1, 3, 62, 64), torch.rand(1, 3, 62, 64))
    with pytest.raises(ValueError, match="shapes differ"):
        model(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 32, 64))
    with pytest.raises(ValueError, match="refine mode"):
        _model(refine_mode="thresholding")


def _coarse_upsampled(model: MattingRefine, src: torch.Tensor, bgr: torch.Tensor) -> torch.Tensor:
    sm = lambda x: F.interpolate(x, scale_factor=model.base_scale, mode="bilinear", align_corners=False)  # noqa: E731
    x = model.base(sm(src), sm(bgr))
    return F.interpolate(x[:, :1].clamp(0, 1), src.shape[2:], mode="bilinear", align_corners=False)


def test_sampling_refines_only_selected_patches() -> None:
    model = _model(refine_patches=5, refine_mode_eval="sampling", refine_prevent_oversampling=False).eval()
    src, bgr = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        out = model(src, bgr)
        coarse = _coarse_upsampled(model, src, bgr)
    ref = out["ref_sm"]
    assert ref.sum(dim=(1, 2, 3)).tolist() == [5.0, 5.0]  # the patch budget per image
    selected = F.interpolate(ref, scale_factor=4, mode="nearest").bool()
    same = torch.isclose(out["pha"], coarse, atol=1e-6)
    assert bool(same[~selected].all())  # untouched outside the selected 4x4 patches
    assert not bool(same[selected].all())  # re-predicted inside them


def test_full_equals_refining_every_patch() -> None:
    model = _model(refine_prevent_oversampling=False).eval()
    src, bgr = torch.rand(2, 3, 48, 64), torch.rand(2, 3, 48, 64)
    with torch.no_grad():
        full = model(src, bgr)
        model.refine_mode_eval = "sampling"
        model.refiner.patches = 48 * 64 // 16
        every = model(src, bgr)
    assert bool((every["ref_sm"] == 1).all())
    torch.testing.assert_close(full["pha"], every["pha"], atol=1e-5, rtol=0)
    torch.testing.assert_close(full["fgr"], every["fgr"], atol=1e-5, rtol=0)
