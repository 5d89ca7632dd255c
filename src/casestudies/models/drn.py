"""DRN-D encoders (Yu, Koltun and Funkhouser 2017, "Dilated Residual Networks") for smp.

The whitepaper's segmentation model was DeepLabV3+ on a DRN backbone; segmentation-models-pytorch
has none, so :func:`register_drn_encoders` adds ``drn_d_22``, ``drn_d_38`` and ``drn_d_54`` to its
encoder registry (``segmentation_models_pytorch.encoders.encoders``), after which
``smp.DeepLabV3Plus(encoder_name="drn_d_54", encoder_weights=None)`` builds one. No pretrained
weights are offered (nothing is downloaded here).

DRN-D (the paper's Fig. 5 / Table 1, "D" variant): a 7x7 stem and two plain conv levels instead of
max pooling, residual levels 3-6 (basic blocks for 22/38, bottlenecks for 54), and two plain
"degridding" conv levels 7-8 without residuals. At the native output stride 8, levels 5 and 6 keep
stride 1 with dilation 2 and 4, level 7 dilation 2, level 8 dilation 1.

smp's feature contract: ``forward(x)`` returns ``depth + 1`` maps ``[x, s2, s4, s8, s16, s32]`` with
nominal strides 1..32; ``output_stride`` (8, 16 or 32) caps the real stride, the capped levels
trading stride for dilation as in the paper (at 8 the maps after level 4 stay at 1/8).

>>> import torch
>>> register_drn_encoders()
>>> enc = DRNEncoder("drn_d_22", output_stride=8)
>>> [tuple(f.shape[1:]) for f in enc(torch.zeros(1, 3, 64, 64))][-3:]
[(128, 8, 8), (256, 8, 8), (512, 8, 8)]
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

CHANNELS = (16, 32, 64, 128, 256, 512, 512, 512)  # levels 1-8 (the paper's Table 1)
ARCHS: dict[str, tuple[str, tuple[int, ...]]] = {  # name -> (block, blocks per level 1-8)
    "drn_d_22": ("basic", (1, 1, 2, 2, 2, 2, 1, 1)),
    "drn_d_38": ("basic", (1, 1, 3, 4, 6, 3, 1, 1)),
    "drn_d_54": ("bottleneck", (1, 1, 3, 4, 6, 3, 1, 1)),
}


def _conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1) -> list[nn.Module]:
    pad = (k // 2) * dilation
    return [nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True)]


class BasicBlock(nn.Module):
    """Two 3x3 convs with a residual; ``dilation`` = (first conv, second conv)."""

    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int, dilation: tuple[int, int]) -> None:
        super().__init__()
        d1, d2 = dilation
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, d1, dilation=d1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, d2, dilation=d2, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, planes, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride, dilation) -> 1x1 (x4 channels) with a residual."""

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int, dilation: tuple[int, int]) -> None:
        super().__init__()
        d = dilation[1]
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, d, dilation=d, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, planes * 4, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def _shortcut(cin: int, cout: int, stride: int) -> nn.Module | None:
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


def _residual_level(block: type[nn.Module], cin: int, planes: int, n: int, stride: int, dilation: int) -> nn.Sequential:
    # the paper's levels 5-6 start at the full dilation (fyu/drn ``new_level=False``)
    layers = [block(cin, planes, stride, (dilation, dilation))]
    layers += [block(planes * block.expansion, planes, 1, (dilation, dilation)) for _ in range(n - 1)]
    return nn.Sequential(*layers)


def _conv_level(cin: int, cout: int, n: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(n):
        layers += _conv_bn_relu(cin if i == 0 else cout, cout, 3, stride if i == 0 else 1, dilation)
    return nn.Sequential(*layers)


def level_geometry(output_stride: int) -> dict[str, tuple[int, int]]:
    """(stride, dilation) of levels 5-8 for an output stride of 8 (the paper's DRN-D), 16 or 32.

    1. level 5 halves the resolution only if the output stride allows 16, else dilates by 16 / os;
    2. level 6 likewise for 32 (dilation 32 / os); 3. degridding: level 7 at half of level 6's
    dilation, level 8 at 1.
    """
    if output_stride not in (8, 16, 32):
        raise ValueError(f"DRN-D output stride must be 8, 16 or 32, got {output_stride}")
    d5, d6 = max(1, 16 // output_stride), max(1, 32 // output_stride)
    return {
        "layer5": (2 if output_stride >= 16 else 1, d5),
        "layer6": (2 if output_stride >= 32 else 1, d6),
        "layer7": (1, max(1, d6 // 2)),
        "layer8": (1, 1),
    }


class DRNEncoder(nn.Module):
    """A DRN-D network as an smp encoder (``EncoderMixin`` interface: ``out_channels``,
    ``output_stride``, ``set_in_channels``, ``make_dilated``, ``get_stages``)."""

    _is_torch_scriptable = True
    _is_torch_exportable = True
    _is_torch_compilable = True

    def __init__(self, arch: str, depth: int = 5, output_stride: int = 32, in_channels: int = 3) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise KeyError(f"unknown DRN-D variant {arch!r}; valid: {sorted(ARCHS)}")
        if not 1 <= depth <= 5:
            raise ValueError(f"DRN-D encoder depth must lie in [1, 5], got {depth}")
        kind, n = ARCHS[arch]
        block: type[nn.Module] = BasicBlock if kind == "basic" else Bottleneck
        e = block.expansion
        geo = level_geometry(output_stride)
        self.arch, self._depth, self._in_channels, self._output_stride = arch, depth, in_channels, output_stride
        c = CHANNELS
        self.layer0 = nn.Sequential(*_conv_bn_relu(in_channels, c[0], 7))
        self.layer1 = _conv_level(c[0], c[0], n[0])
        self.layer2 = _conv_level(c[0], c[1], n[1], stride=2)
        self.layer3 = _residual_level(block, c[1], c[2], n[2], 2, 1)
        self.layer4 = _residual_level(block, c[2] * e, c[3], n[3], 2, 1)
        self.layer5 = _residual_level(block, c[3] * e, c[4], n[4], *geo["layer5"])
        self.layer6 = _residual_level(block, c[4] * e, c[5], n[5], *geo["layer6"])
        self.layer7 = _conv_level(c[5] * e, c[6], n[6], dilation=geo["layer7"][1])
        self.layer8 = _conv_level(c[6], c[7], n[7], dilation=geo["layer8"][1])
        self._out_channels = [in_channels, c[1], c[2] * e, c[3] * e, c[4] * e, c[7]]
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @property
    def out_channels(self) -> list[int]:
        return self._out_channels[: self._depth + 1]

    @property
    def output_stride(self) -> int:
        return min(self._output_stride, 2**self._depth)

    def get_stages(self) -> dict[int, list[nn.Module]]:
        return {16: [self.layer5], 32: [self.layer6, self.layer7, self.layer8]}

    def make_dilated(self, output_stride: int) -> None:
        """smp calls this after construction; DRN-D builds its dilations in ``__init__`` (exact per level)."""
        if output_stride != self._output_stride:
            raise ValueError(
                f"{self.arch} was built for output stride {self._output_stride}; build a new encoder for {output_stride}"
            )

    def set_in_channels(self, in_channels: int, pretrained: bool = False) -> None:
        if in_channels == self._in_channels:
            return
        old = self.layer0[0]
        self.layer0[0] = nn.Conv2d(in_channels, old.out_channels, 7, 1, 3, bias=False)
        nn.init.kaiming_normal_(self.layer0[0].weight, mode="fan_out", nonlinearity="relu")
        self._in_channels = in_channels
        self._out_channels[0] = in_channels

    def forward(self, x: Tensor) -> list[Tensor]:
        features = [x]
        x = self.layer1(self.layer0(x))
        for i, stage in enumerate((self.layer2, self.layer3, self.layer4, self.layer5), start=1):
            if i > self._depth:
                return features
            x = stage(x)
            features.append(x)
        if self._depth == 5:
            features.append(self.layer8(self.layer7(self.layer6(x))))
        return features


def _make(arch: str) -> type[DRNEncoder]:
    def init(self: DRNEncoder, out_channels: Any = None, depth: int = 5, output_stride: int = 32, **kw: Any) -> None:
        DRNEncoder.__init__(self, arch, depth=depth, output_stride=output_stride, **kw)

    return type(f"DRNEncoder_{arch}", (DRNEncoder,), {"__init__": init})


DRN_ENCODERS: dict[str, dict[str, Any]] = {
    name: {"encoder": _make(name), "params": {}, "pretrained_settings": {}} for name in ARCHS
}


def register_drn_encoders() -> None:
    """Add the DRN-D encoders to smp's encoder registry (idempotent)."""
    from segmentation_models_pytorch import encoders as smp_encoders

    smp_encoders.encoders.update(DRN_ENCODERS)


__all__ = ["ARCHS", "DRN_ENCODERS", "DRNEncoder", "level_geometry", "register_drn_encoders"]
