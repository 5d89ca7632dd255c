"""Models built from names: ``create_model(case, name, **kw)``.

One explicit table, ``MODELS[case][name]``, maps a case key and a model name to a builder. Later
case studies add their entries here (stacked hourglass); an unknown case or
name fails listing the valid ones.

>>> import torch
>>> model = create_model("face_segmentation", "tiny_segnet", classes=9)
>>> model(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 9, 32, 32])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from casestudies.models.hourglass import stacked_hourglass
from casestudies.models.matting import bgmv2_mobilenetv2
from casestudies.models.segmentation import deeplabv3plus
from casestudies.models.tiny import tiny_segnet
from casestudies.names import lookup

ModelBuilder = Callable[..., nn.Module]

MODELS: dict[str, dict[str, ModelBuilder]] = {
    "face_segmentation": {
        "deeplabv3plus": deeplabv3plus,
        "tiny_segnet": tiny_segnet,  # a 4-BN-layer test model: unit tests and loop benchmarks
    },
    "background_matting": {
        "bgmv2_mobilenetv2": bgmv2_mobilenetv2,  # BackgroundMattingV2 base + refiner (Lin et al. 2020)
    },
    "facial_landmarks": {
        "hourglass": stacked_hourglass,  # stacked hourglass (Newell et al. 2016), 51 heatmaps
    },
}


def create_model(case: str, name: str, **kwargs: Any) -> nn.Module:
    """Build the model ``name`` of case study ``case`` with builder keyword arguments ``kwargs``."""
    builders = lookup("case", case, MODELS)
    return lookup("model", name, builders, where=f"case {case!r}")(**kwargs)


@dataclass(frozen=True)
class ModelSpec:
    """A model by name, hashable into cache keys: ``ModelSpec(case, name, kwargs).build()``."""

    case: str
    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def build(self) -> nn.Module:
        return create_model(self.case, self.name, **dict(self.kwargs))

    def key(self) -> dict[str, Any]:
        """JSON-able identity (used by the fine-tune pretrain cache)."""
        return {"case": self.case, "name": self.name, "kwargs": dict(sorted(self.kwargs.items()))}


__all__ = ["MODELS", "ModelSpec", "create_model"]
