"""Tiny test models: a few conv + BatchNorm layers, for unit tests and loop benchmarks."""

from __future__ import annotations

from torch import nn


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def tiny_segnet(classes: int = 9, width: int = 8, in_channels: int = 3) -> nn.Module:
    """Encoder-decoder with 4 BatchNorm2d layers; logits ``N x classes x H x W`` (H, W even)."""
    return nn.Sequential(
        _block(in_channels, width),
        _block(width, 2 * width, stride=2),
        _block(2 * width, 2 * width),
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        _block(2 * width, width),
        nn.Conv2d(width, classes, 1),
    )
