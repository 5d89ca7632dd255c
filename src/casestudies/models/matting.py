"""BackgroundMattingV2-style matting model (Lin et al. 2020, "Real-Time High-Resolution Background Matting").

``MattingRefine`` takes an image and its clean background plate (``N x 3 x H x W`` each, floats in
[0, 1], H and W divisible by 4) and returns a dict:

* ``pha``, ``fgr``: full-resolution alpha (``N x 1``) and foreground (``N x 3``), both in [0, 1];
* ``pha_sm``, ``fgr_sm``, ``err_sm``: the base network's outputs at ``base_scale`` (alpha, foreground
  = image + predicted residual, error map), in [0, 1];
* ``ref_sm``: ``N x 1 x H/4 x W/4``, 1 where a 4 x 4 patch was refined.

The **base** (MobileNetV2 backbone from torchvision with 6 input channels and random init, output stride
16 via dilation; ASPP with rates 3, 6, 9; a 4-stage decoder with skip connections) predicts 1 alpha, 3
foreground-residual, 1 error and 32 hidden channels at ``base_scale`` of the input. The **refiner**
re-predicts alpha and foreground on 4 x 4 full-resolution patches: in ``sampling`` mode the
``refine_patches`` patches per image with the largest predicted error (only where the error is > 0), in
``full`` mode every patch (computed densely; equal to refining every patch). ``refine_mode`` applies in
training, ``refine_mode_eval`` in eval mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models import MobileNetV2

REFINE_MODES = ("sampling", "full")
HIDDEN = 32


class MobileNetV2Encoder(nn.Module):
    """torchvision MobileNetV2 features (no last 1x1 block, no classifier), output stride 16.

    Returns ``(x4, x3, x2, x1, x0)`` at strides 16, 8, 4, 2, 1 with 320, 32, 24, 16, ``in_channels``
    channels.
    """

    def __init__(self, in_channels: int = 6) -> None:
        super().__init__()
        features = MobileNetV2().features[:-1]  # random init; drop the 1280-channel 1x1 block
        if in_channels != 3:
            features[0][0] = nn.Conv2d(in_channels, 32, 3, 2, 1, bias=False)
        # dilate the last stages instead of striding (output stride 16, as BGMv2)
        features[14].conv[1][0].stride = (1, 1)
        for block in features[15:]:
            block.conv[1][0].dilation = (2, 2)
            block.conv[1][0].padding = (2, 2)
        self.features = features

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        x0 = x
        x1 = self.features[:2](x0)
        x2 = self.features[2:4](x1)
        x3 = self.features[4:7](x2)
        x4 = self.features[7:](x3)
        return x4, x3, x2, x1, x0


def _conv_bn_relu(cin: int, cout: int, kernel: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: a 1x1 branch, one 3x3 branch per rate, image pooling; 1x1 projection."""

    def __init__(self, in_channels: int, rates: tuple[int, ...] = (3, 6, 9), out_channels: int = 256) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            [_conv_bn_relu(in_channels, out_channels)]
            + [_conv_bn_relu(in_channels, out_channels, 3, r) for r in rates]
        )
        self.pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
        )
        self.project = nn.Sequential(
            _conv_bn_relu((len(rates) + 2) * out_channels, out_channels), nn.Dropout(0.1)
        )

    def forward(self, x: Tensor) -> Tensor:
        outs = [b(x) for b in self.branches]
        outs.append(F.interpolate(self.pool(x), size=x.shape[2:], mode="bilinear", align_corners=False))
        return self.project(torch.cat(outs, 1))


class Decoder(nn.Module):
    """Upsample and fuse with the encoder's skips (strides 8, 4, 2, 1); the last conv has no BN."""

    def __init__(self, channels: tuple[int, ...] = (256, 128, 64, 48, 37), skips: tuple[int, ...] = (32, 24, 16, 6)):
        super().__init__()
        self.conv1 = _conv_bn_relu(skips[0] + channels[0], channels[1], 3)
        self.conv2 = _conv_bn_relu(skips[1] + channels[1], channels[2], 3)
        self.conv3 = _conv_bn_relu(skips[2] + channels[2], channels[3], 3)
        self.conv4 = nn.Conv2d(skips[3] + channels[3], channels[4], 3, padding=1)

    def forward(self, x4: Tensor, x3: Tensor, x2: Tensor, x1: Tensor, x0: Tensor) -> Tensor:
        x = x4
        for conv, skip in ((self.conv1, x3), (self.conv2, x2), (self.conv3, x1), (self.conv4, x0)):
            x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
            x = conv(torch.cat([x, skip], 1))
        return x


class MattingBase(nn.Module):
    """The base network on an (image, background) pair: ``N x (1 + 3 + 1 + 32)`` raw outputs at input size."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = MobileNetV2Encoder(6)
        self.aspp = ASPP(320, (3, 6, 9))
        self.decoder = Decoder((256, 128, 64, 48, 1 + 3 + 1 + HIDDEN), (32, 24, 16, 6))

    def forward(self, src: Tensor, bgr: Tensor) -> Tensor:
        x4, *skips = self.backbone(torch.cat([src, bgr], 1))
        return self.decoder(self.aspp(x4), *skips)


class Refiner(nn.Module):
    """BGMv2's refiner: two 3x3 convs at half resolution on 8x8 crops, two at full resolution on 8x8 crops,
    producing one 4x4 patch of (alpha, foreground residual) per selected quarter-resolution location."""

    def __init__(self, mode: str = "sampling", patches: int = 64, prevent_oversampling: bool = True) -> None:
        super().__init__()
        if mode not in REFINE_MODES:
            raise ValueError(f"unknown refine mode {mode!r}; valid: {list(REFINE_MODES)}")
        if patches < 1:
            raise ValueError(f"refine_patches must be >= 1, got {patches}")
        self.mode, self.patches, self.prevent_oversampling = mode, patches, prevent_oversampling
        ch = (HIDDEN, 24, 16, 12, 4)
        self.conv1 = nn.Conv2d(ch[0] + 6 + 4, ch[1], 3, bias=False)
        self.bn1 = nn.BatchNorm2d(ch[1])
        self.conv2 = nn.Conv2d(ch[1], ch[2], 3, bias=False)
        self.bn2 = nn.BatchNorm2d(ch[2])
        self.conv3 = nn.Conv2d(ch[2] + 6, ch[3], 3, bias=False)
        self.bn3 = nn.BatchNorm2d(ch[3])
        self.conv4 = nn.Conv2d(ch[3], ch[4], 3, bias=True)

    def select(self, err: Tensor) -> Tensor:
        """``N x 1 x h x w`` 0/1 map of the ``patches`` largest errors per image (only where err > 0)."""
        n, _, h, w = err.shape
        flat = err.reshape(n, -1)
        k = min(self.patches, flat.shape[1])
        ref = torch.zeros_like(flat).scatter_(1, flat.topk(k, dim=1, sorted=False).indices, 1.0)
        if self.prevent_oversampling:
            ref = ref * (flat > 0).to(ref.dtype)
        return ref.view(n, 1, h, w)

    @staticmethod
    def _crop(x: Tensor, idx: tuple[Tensor, Tensor, Tensor], size: int, padding: int) -> Tensor:
        """Patches of ``size + 2 padding`` around grid cell ``idx`` (cells of ``size`` px), ``P x C x s x s``."""
        x = F.pad(x, (padding,) * 4)
        k = size + 2 * padding
        tiles = x.permute(0, 2, 3, 1).unfold(1, k, size).unfold(2, k, size)
        return tiles[idx[0], idx[1], idx[2]]

    @staticmethod
    def _replace(x: Tensor, y: Tensor, idx: tuple[Tensor, Tensor, Tensor]) -> Tensor:
        """Write 4x4 patches ``y`` (``P x C x 4 x 4``) into ``x`` at quarter-resolution cells ``idx``."""
        n, c, h, w = x.shape
        x = x.reshape(n, c, h // 4, 4, w // 4, 4).permute(0, 2, 4, 1, 3, 5).clone()
        x[idx[0], idx[1], idx[2]] = y
        return x.permute(0, 3, 1, 4, 2, 5).reshape(n, c, h, w)

    def _head(self, x: Tensor, y_half: Tensor, y_full_fn) -> Tensor:
        x = F.relu(self.bn1(self.conv1(torch.cat([x, y_half], 1))))
        x = F.relu(self.bn2(self.conv2(x)))
        x, y = y_full_fn(x)
        x = F.relu(self.bn3(self.conv3(torch.cat([x, y], 1))))
        return self.conv4(x)

    def forward(
        self, src: Tensor, bgr: Tensor, pha: Tensor, fgr: Tensor, err: Tensor, hid: Tensor, mode: str
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Refined full-resolution (alpha, foreground residual, refined-patch map); inputs at base scale."""
        h, w = src.shape[2:]
        src_bgr = torch.cat([src, bgr], 1)
        coarse = torch.cat([hid, pha, fgr], 1)
        x_half = F.interpolate(coarse, (h // 2, w // 2), mode="bilinear", align_corners=False)
        y_half = F.interpolate(src_bgr, (h // 2, w // 2), mode="bilinear", align_corners=False)
        if mode == "full":
            # every patch at once: the same convolutions on the padded whole image
            def full_res(x: Tensor) -> tuple[Tensor, Tensor]:
                return F.interpolate(x, (h + 4, w + 4), mode="nearest"), F.pad(src_bgr, (2, 2, 2, 2))

            out = self._head(F.pad(x_half, (3, 3, 3, 3)), F.pad(y_half, (3, 3, 3, 3)), full_res)
            ref = torch.ones((src.shape[0], 1, h // 4, w // 4), device=src.device, dtype=src.dtype)
            return out[:, :1], out[:, 1:], ref
        # sampling: 1. choose patches by the error map at quarter resolution
        ref = self.select(F.interpolate(err, (h // 4, w // 4), mode="bilinear", align_corners=False))
        up = F.interpolate(torch.cat([pha, fgr], 1), (h, w), mode="bilinear", align_corners=False)
        nz = torch.nonzero(ref.squeeze(1))
        if nz.shape[0] == 0:
            return up[:, :1], up[:, 1:], ref
        idx = (nz[:, 0], nz[:, 1], nz[:, 2])
        # 2. 8x8 crops at half resolution -> two valid convs -> 4x4, upsampled to 8x8 beside the full-res crop

        def full_res(x: Tensor) -> tuple[Tensor, Tensor]:
            return F.interpolate(x, (8, 8), mode="nearest"), self._crop(src_bgr, idx, 4, 2)

        patches = self._head(self._crop(x_half, idx, 2, 3), self._crop(y_half, idx, 2, 3), full_res)
        # 3. write the refined 4x4 patches into the upsampled coarse outputs
        out = self._replace(up, patches, idx)
        return out[:, :1], out[:, 1:], ref


class MattingRefine(nn.Module):
    """Base + refiner (see the module docstring)."""

    def __init__(
        self,
        base_scale: float = 0.25,
        refine_mode: str = "sampling",
        refine_mode_eval: str = "full",
        refine_patches: int = 64,
        refine_prevent_oversampling: bool = True,
    ) -> None:
        super().__init__()
        if not 0 < base_scale <= 1:
            raise ValueError(f"base_scale must lie in (0, 1], got {base_scale}")
        for m in (refine_mode, refine_mode_eval):
            if m not in REFINE_MODES:
                raise ValueError(f"unknown refine mode {m!r}; valid: {list(REFINE_MODES)}")
        self.base_scale = base_scale
        self.refine_mode, self.refine_mode_eval = refine_mode, refine_mode_eval
        self.base = MattingBase()
        self.refiner = Refiner(refine_mode, refine_patches, refine_prevent_oversampling)

    def forward(self, src: Tensor, bgr: Tensor) -> dict[str, Tensor]:
        if src.shape != bgr.shape:
            raise ValueError(f"image and background shapes differ: {tuple(src.shape)} vs {tuple(bgr.shape)}")
        h, w = src.shape[2:]
        if h % 4 or w % 4:
            raise ValueError(f"input height and width must be divisible by 4, got {h} x {w}")
        hs, ws = max(round(h * self.base_scale), 1), max(round(w * self.base_scale), 1)
        src_sm = F.interpolate(src, (hs, ws), mode="bilinear", align_corners=False) if (hs, ws) != (h, w) else src
        bgr_sm = F.interpolate(bgr, (hs, ws), mode="bilinear", align_corners=False) if (hs, ws) != (h, w) else bgr
        x = self.base(src_sm, bgr_sm)
        pha_sm = x[:, 0:1].clamp(0.0, 1.0)
        fgr_res_sm = x[:, 1:4]
        err_sm = x[:, 4:5].clamp(0.0, 1.0)
        hid_sm = x[:, 5:].relu()
        mode = self.refine_mode if self.training else self.refine_mode_eval
        pha, fgr_res, ref_sm = self.refiner(src, bgr, pha_sm, fgr_res_sm, err_sm, hid_sm, mode)
        return {
            "pha": pha.clamp(0.0, 1.0),
            "fgr": (fgr_res + src).clamp(0.0, 1.0),
            "pha_sm": pha_sm,
            "fgr_sm": (fgr_res_sm + src_sm).clamp(0.0, 1.0),
            "err_sm": err_sm,
            "ref_sm": ref_sm,
        }


def bgmv2_mobilenetv2(
    base_scale: float = 0.25,
    refine_mode: str = "sampling",
    refine_mode_eval: str = "full",
    refine_patches: int = 64,
    refine_prevent_oversampling: bool = True,
) -> MattingRefine:
    """BGMv2 base + refiner with a randomly initialised MobileNetV2 backbone (see the module docstring)."""
    return MattingRefine(base_scale, refine_mode, refine_mode_eval, refine_patches, refine_prevent_oversampling)
