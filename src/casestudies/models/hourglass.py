"""Stacked hourglass network for landmark heatmaps (Newell, Yang and Deng 2016, "Stacked Hourglass
Networks for Human Pose Estimation").

Layout, as in the paper (sizes for an ``S`` px input):

1. Stem to 1/4 resolution: 7x7 conv stride 2 -> residual -> 2x2 max-pool -> residual -> residual
   (``features`` channels at ``S/4``).
2. ``stacks`` hourglass modules of ``depth`` levels, each level a residual block, a max-pool, the
   lower level, a residual block and a nearest 2x upsample added to a skip branch of residual blocks.
3. After each stack: residual -> 1x1 conv + BN + ReLU -> 1x1 conv to ``landmarks`` heatmaps
   (intermediate supervision: every stack's heatmaps are returned). Between stacks the features, a
   1x1 projection of them and a 1x1 projection of the heatmaps are summed into the next stack's input.

Residual blocks are the paper's pre-activation bottlenecks (BN-ReLU-conv 1x1 / 3x3 / 1x1, half the
output width inside). ``forward`` returns a list of ``stacks`` tensors ``N x landmarks x S/4 x S/4``
(the last is the prediction). ``S / 4`` must be divisible by ``2 ** depth``.

>>> import torch
>>> net = stacked_hourglass(stacks=2, features=16, landmarks=51, depth=4).eval()
>>> [o.shape for o in net(torch.zeros(1, 3, 64, 64))]
[torch.Size([1, 51, 16, 16]), torch.Size([1, 51, 16, 16])]
"""

from __future__ import annotations

from torch import Tensor, nn


class Residual(nn.Module):
    """Pre-activation bottleneck: BN-ReLU-conv1x1 (cout/2), BN-ReLU-conv3x3, BN-ReLU-conv1x1 (cout) + skip."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        mid = max(cout // 2, 1)
        self.body = nn.Sequential(
            nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, mid, 1, bias=False),
            nn.BatchNorm2d(mid), nn.ReLU(inplace=True), nn.Conv2d(mid, mid, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid), nn.ReLU(inplace=True), nn.Conv2d(mid, cout, 1),
        )
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x) + self.skip(x)


class Hourglass(nn.Module):
    """One hourglass of ``depth`` levels at constant width ``features`` (recursive, as in the paper)."""

    def __init__(self, depth: int, features: int) -> None:
        super().__init__()
        self.skip = Residual(features, features)
        self.down = Residual(features, features)
        self.inner: nn.Module = Hourglass(depth - 1, features) if depth > 1 else Residual(features, features)
        self.up = Residual(features, features)

    def forward(self, x: Tensor) -> Tensor:
        # 1. skip branch at this resolution; 2. pool, lower levels, residual; 3. upsample and add
        low = self.up(self.inner(self.down(nn.functional.max_pool2d(x, 2))))
        return self.skip(x) + nn.functional.interpolate(low, scale_factor=2.0, mode="nearest")


class StackedHourglass(nn.Module):
    """See the module docstring; returns one heatmap tensor per stack (intermediate supervision)."""

    def __init__(self, stacks: int = 2, features: int = 64, landmarks: int = 51, depth: int = 4,
                 in_channels: int = 3) -> None:
        super().__init__()
        if stacks < 1 or depth < 1 or features < 2 or landmarks < 1:
            raise ValueError(f"need stacks, depth, landmarks >= 1 and features >= 2; got {stacks}, {depth}, "
                             f"{landmarks}, {features}")
        self.stacks, self.depth, self.landmarks = stacks, depth, landmarks
        half = max(features // 2, 1)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, half, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
            Residual(half, features), nn.MaxPool2d(2), Residual(features, features), Residual(features, features),
        )
        self.hourglasses = nn.ModuleList(Hourglass(depth, features) for _ in range(stacks))
        self.features = nn.ModuleList(
            nn.Sequential(Residual(features, features), nn.Conv2d(features, features, 1, bias=False),
                          nn.BatchNorm2d(features), nn.ReLU(inplace=True))
            for _ in range(stacks)
        )
        self.heads = nn.ModuleList(nn.Conv2d(features, landmarks, 1) for _ in range(stacks))
        self.merge_features = nn.ModuleList(nn.Conv2d(features, features, 1) for _ in range(stacks - 1))
        self.merge_heatmaps = nn.ModuleList(nn.Conv2d(landmarks, features, 1) for _ in range(stacks - 1))

    def forward(self, x: Tensor) -> list[Tensor]:
        size = x.shape[-1] // 4
        if x.shape[-1] % 4 or x.shape[-2] % 4 or size % (2**self.depth) or (x.shape[-2] // 4) % (2**self.depth):
            raise ValueError(f"input {tuple(x.shape[-2:])}: H/4 and W/4 must be divisible by 2**depth = {2**self.depth}")
        x = self.stem(x)
        out: list[Tensor] = []
        for i in range(self.stacks):
            y = self.features[i](self.hourglasses[i](x))
            heat = self.heads[i](y)
            out.append(heat)
            if i < self.stacks - 1:
                x = x + self.merge_features[i](y) + self.merge_heatmaps[i](heat)
        return out


def stacked_hourglass(stacks: int = 2, features: int = 64, landmarks: int = 51, depth: int = 4,
                      in_channels: int = 3) -> nn.Module:
    """``create_model("facial_landmarks", "hourglass", stacks=..., features=...)``; PyTorch's default
    (random) initialisation, nothing downloaded."""
    return StackedHourglass(stacks, features, landmarks, depth, in_channels)
