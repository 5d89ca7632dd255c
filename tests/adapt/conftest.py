"""Fixtures for the adaptation tests: a tiny BN model and two toy domains with shifted means."""

from __future__ import annotations

import pytest
import torch

from casestudies.models import create_model
from casestudies.training.toy import ToySegmentation


@pytest.fixture
def tiny_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("face_segmentation", "tiny_segnet", classes=3, width=4)


@pytest.fixture
def target_images() -> torch.Tensor:
    """24 target-domain images, 3 x 16 x 16, channel means shifted by +2."""
    data = ToySegmentation(24, size=16, shift=2.0, contrast=1.5, seed=7)
    return torch.stack([data[i]["image"] for i in range(len(data))])
