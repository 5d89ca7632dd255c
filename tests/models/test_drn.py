"""DRN-D encoders: registry, output strides, channel counts, dilations, DeepLabV3+ on top."""

from __future__ import annotations

import functools

import pytest
import torch
from torch import nn

from casestudies.models import create_model
from casestudies.models.drn import ARCHS, DRNEncoder, level_geometry, register_drn_encoders

# expected channels per feature: input, levels 2, 3, 4, 5, 8
CHANNELS = {
    "drn_d_22": [3, 32, 64, 128, 256, 512],
    "drn_d_38": [3, 32, 64, 128, 256, 512],
    "drn_d_54": [3, 32, 256, 512, 1024, 512],
}
# parameters without the classifier, as in fyu/drn (22: 16.4 M, 38: 26.5 M, 54: 35.8 M with its fc)
PARAMS_M = {"drn_d_22": 15.88, "drn_d_38": 25.99, "drn_d_54": 35.30}


@functools.cache
def encoder(arch: str, output_stride: int = 32) -> DRNEncoder:
    return DRNEncoder(arch, output_stride=output_stride).eval()


# every stride on the small net; the paper's stride 8 on the big ones (each build takes seconds)
@pytest.mark.parametrize(("arch", "output_stride"), [
    ("drn_d_22", 8), ("drn_d_22", 16), ("drn_d_22", 32), ("drn_d_38", 16), ("drn_d_54", 8),
])
def test_feature_strides_and_channels(arch: str, output_stride: int) -> None:
    enc = encoder(arch, output_stride)
    with torch.no_grad():
        feats = enc(torch.zeros(1, 3, 32, 32))
    strides = [32 // f.shape[-1] for f in feats]
    assert strides == [min(s, output_stride) for s in (1, 2, 4, 8, 16, 32)]
    assert [f.shape[1] for f in feats] == CHANNELS[arch] == enc.out_channels
    assert enc.output_stride == output_stride


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_parameter_counts_match_the_reference_nets(arch: str) -> None:
    n = sum(p.numel() for p in encoder(arch, 16 if arch == 'drn_d_38' else 8).parameters()) / 1e6
    assert n == pytest.approx(PARAMS_M[arch], abs=0.01)


def test_native_drn_d_dilations_at_stride_8() -> None:
    enc = DRNEncoder("drn_d_22", output_stride=8)

    def dilations(level: nn.Module) -> set[int]:
        return {m.dilation[0] for m in level.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)}

    # the paper's DRN-D: levels 5 / 6 dilated 2 / 4 at stride 1, degridding levels 7 / 8 at 2 / 1
    assert [dilations(getattr(enc, f"layer{i}")) for i in (5, 6, 7, 8)] == [{2}, {4}, {2}, {1}]
    assert level_geometry(16) == {"layer5": (2, 1), "layer6": (1, 2), "layer7": (1, 1), "layer8": (1, 1)}
    with pytest.raises(ValueError, match="8, 16 or 32"):
        level_geometry(4)


def test_depth_and_errors() -> None:
    enc = DRNEncoder("drn_d_22", depth=3)
    assert len(enc(torch.zeros(1, 3, 32, 32))) == 4 and enc.out_channels == [3, 32, 64, 128]
    with pytest.raises(KeyError, match="valid"):
        DRNEncoder("drn_d_105")
    with pytest.raises(ValueError, match="built for output stride 8"):
        DRNEncoder("drn_d_22", output_stride=8).make_dilated(16)


def test_deeplabv3plus_on_drn_d_54_through_create_model() -> None:
    torch.manual_seed(0)
    model = create_model("face_segmentation", "deeplabv3plus", classes=9, encoder="drn_d_54", output_stride=8)
    assert type(model.encoder).__name__ == "DRNEncoder_drn_d_54" and model.encoder.output_stride == 8
    x, y = torch.randn(2, 3, 32, 32), torch.randint(0, 9, (2, 32, 32))
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert model.encoder.layer0[0].weight.grad.abs().sum() > 0  # gradients reach the stem
    with torch.no_grad():
        assert model.eval()(x).shape == (2, 9, 32, 32)


def test_deeplabv3plus_on_drn_d_22_at_stride_16() -> None:
    model = create_model("face_segmentation", "deeplabv3plus", classes=9, encoder="drn_d_22", output_stride=16)
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 3, 48, 48)).shape == (1, 9, 48, 48)


def test_registry_and_in_channels() -> None:
    import segmentation_models_pytorch as smp

    register_drn_encoders()
    register_drn_encoders()  # idempotent
    assert {"drn_d_22", "drn_d_38", "drn_d_54"} <= set(smp.encoders.get_encoder_names())
    enc = smp.encoders.get_encoder("drn_d_38", in_channels=4, output_stride=16)
    assert enc(torch.zeros(1, 4, 32, 32))[-1].shape == (1, 512, 2, 2) and enc.out_channels[0] == 4
    with pytest.raises(KeyError, match="pretrained"):
        smp.encoders.get_encoder("drn_d_22", weights="imagenet")
