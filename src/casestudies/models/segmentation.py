"""Face-parsing models."""

from __future__ import annotations

from torch import nn


def deeplabv3plus(classes: int = 9, encoder: str = "resnet18", in_channels: int = 3) -> nn.Module:
    """DeepLabV3+ from segmentation-models-pytorch, randomly initialised (no download here).

    Input ``N x in_channels x H x W`` with H, W divisible by 16; output logits ``N x classes x H x W``.
    """
    import segmentation_models_pytorch as smp  # heavy import, kept local

    return smp.DeepLabV3Plus(
        encoder_name=encoder, encoder_weights=None, in_channels=in_channels, classes=classes
    )
