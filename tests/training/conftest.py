"""Fixtures for the training tests: two toy domains at 16 px and a 4-BN-layer model."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from casestudies.models import ModelSpec
from casestudies.training import SegmentationTask, ToySegmentation, TrainConfig


@dataclass
class Toy:
    synthetic: ToySegmentation
    real: ToySegmentation
    val: ToySegmentation
    spec: ModelSpec
    task: SegmentationTask
    config: TrainConfig


@pytest.fixture
def toy() -> Toy:
    return Toy(
        synthetic=ToySegmentation(16, size=16, seed=0),
        real=ToySegmentation(20, size=16, shift=0.8, contrast=1.3, seed=1),
        val=ToySegmentation(8, size=16, shift=0.8, contrast=1.3, seed=2),
        spec=ModelSpec("face_segmentation", "tiny_segnet", {"classes": 3, "width": 4}),
        task=SegmentationTask(3, ("background", "a", "b")),
        config=TrainConfig(epochs=2, batch_size=4, lr=1e-2, progress=False),
    )


TIMING_KEYS = ("images_per_s", "seconds")


@pytest.fixture
def without_timing():
    """History records without the wall-clock fields (which differ between identical runs)."""
    return lambda history: [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in history]
