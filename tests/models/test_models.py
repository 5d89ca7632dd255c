"""Every model passes the shared checks of ``model_checks`` (shapes, batch-1 eval, determinism,
backward). A new model adds its :class:`ModelCase` to ``CASES``."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from casestudies.models import create_model
from tests.models.model_checks import CHECKS, ModelCase

CASES = [
    ModelCase(
        "tiny_segnet", lambda: create_model("face_segmentation", "tiny_segnet", classes=9, width=4),
        inputs=lambda n: (torch.randn(n, 3, 32, 32),), shapes=lambda n: (n, 9, 32, 32),
    ),
    ModelCase(
        "deeplabv3plus", lambda: create_model("face_segmentation", "deeplabv3plus", classes=9, encoder="resnet18"),
        inputs=lambda n: (torch.randn(n, 3, 64, 64),), shapes=lambda n: (n, 9, 64, 64),
    ),
    ModelCase(
        "hourglass", lambda: create_model("facial_landmarks", "hourglass", stacks=2, features=8, depth=3),
        inputs=lambda n: (torch.randn(n, 3, 32, 32),), shapes=lambda n: [(n, 51, 8, 8)] * 2,
    ),
    ModelCase(  # train mode refines 8 sampled patches per image, eval mode every patch
        "bgmv2_mobilenetv2", lambda: create_model("background_matting", "bgmv2_mobilenetv2", refine_patches=8),
        inputs=lambda n: (torch.rand(n, 3, 64, 64), torch.rand(n, 3, 64, 64)),
        shapes=lambda n: {"pha": (n, 1, 64, 64), "fgr": (n, 3, 64, 64), "pha_sm": (n, 1, 16, 16),
                          "fgr_sm": (n, 3, 16, 16), "err_sm": (n, 1, 16, 16), "ref_sm": (n, 1, 16, 16)},
    ),
]


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("case", CASES, ids=str)
def test_model(case: ModelCase, check: str) -> None:
    CHECKS[check](case)


class _Broken(nn.Module):
    """Ignores one of its layers and mixes the batch: the checks must catch both."""

    def __init__(self) -> None:
        super().__init__()
        self.used, self.unused = nn.Conv2d(3, 2, 1), nn.Conv2d(3, 2, 1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        y = self.used(x)
        return {"out": y - y.mean(0, keepdim=True), "aux": [y[:, :1]]}


BROKEN = ModelCase("broken", _Broken, inputs=lambda n: (torch.randn(n, 3, 8, 8),),
                   shapes=lambda n: {"out": (n, 2, 8, 8), "aux": [(n, 1, 8, 8)]})


def test_the_checks_can_fail() -> None:
    CHECKS["shapes"](BROKEN)  # nested outputs are compared shape by shape
    with pytest.raises(AssertionError, match="shapes"):
        CHECKS["shapes"](ModelCase("wrong", _Broken, BROKEN.inputs, lambda n: {"out": (n, 3, 8, 8), "aux": [(n, 1, 8, 8)]}))
    with pytest.raises(AssertionError, match="no gradient reaches"):
        CHECKS["backward"](BROKEN)
    with pytest.raises(AssertionError, match="batch-1 output differs"):
        CHECKS["batch_one_eval"](BROKEN)
    with pytest.raises(AssertionError, match="seed has no effect"):
        CHECKS["deterministic"](ModelCase("fixed", lambda: nn.Identity(), BROKEN.inputs, BROKEN.shapes))
