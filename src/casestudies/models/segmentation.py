"""Face-parsing models."""

from __future__ import annotations

from torch import nn

from casestudies.models.drn import register_drn_encoders


def deeplabv3plus(
    classes: int = 9,
    encoder: str = "resnet18",
    in_channels: int = 3,
    decoder_channels: int = 256,
    output_stride: int = 16,
) -> nn.Module:
    """DeepLabV3+ from segmentation-models-pytorch, randomly initialised (no download here).

    ``encoder``: any smp encoder name (``resnet18``, ``tu-mobilenetv3_small_100``, ...) or a DRN-D
    (``drn_d_22``, ``drn_d_38``, ``drn_d_54``; :mod:`casestudies.models.drn`). ``decoder_channels``:
    width of the ASPP and decoder convs (256 in the DeepLabV3+ paper). ``output_stride``: the
    encoder's, 8 or 16. Input ``N x in_channels x H x W`` with H, W divisible by 16; output logits
    ``N x classes x H x W``.
    """
    import segmentation_models_pytorch as smp  # heavy import, kept local

    register_drn_encoders()
    return smp.DeepLabV3Plus(
        encoder_name=encoder, encoder_weights=None, in_channels=in_channels, classes=classes,
        decoder_channels=decoder_channels, encoder_output_stride=output_stride,
    )
