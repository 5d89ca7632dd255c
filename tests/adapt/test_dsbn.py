from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from casestudies.adapt import (
    ADAPTERS,
    DomainBatchNorm2d,
    convert_dsbn,
    domain_layers,
    get_adapter,
    set_domain,
    use_domain,
)
from casestudies.data.mixing import mix
from casestudies.models import create_model
from casestudies.names import UnknownNameError
from casestudies.training import SegmentationTask, ToySegmentation, TrainConfig, fit


def _randomise_bn(model: nn.Module) -> None:
    g = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=g))
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            m.weight.data.copy_(torch.randn(c, generator=g))
            m.bias.data.copy_(torch.randn(c, generator=g))


def test_conversion_swaps_in_place_and_keeps_weights(tiny_model):
    _randomise_bn(tiny_model)
    original = copy.deepcopy(tiny_model).eval()
    x = torch.randn(2, 3, 16, 16)
    model = convert_dsbn(tiny_model, num_domains=2).eval()
    assert model is tiny_model
    assert len(domain_layers(model)) == 4
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules() if m not in _branch_bns(model))
    with torch.no_grad():
        for d in (0, 1):
            with use_domain(model, d):
                assert torch.equal(model(x), original(x))


def _branch_bns(model: nn.Module) -> set[nn.Module]:
    return {bn for layer in domain_layers(model) for bn in layer.branches}


def test_converts_deeplabv3plus():
    torch.manual_seed(0)
    model = create_model("face_segmentation", "deeplabv3plus", classes=3)
    n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    original = copy.deepcopy(model).eval()
    convert_dsbn(model).eval()
    assert len(domain_layers(model)) == n_bn > 20
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad(), use_domain(model, 1):
        assert torch.equal(model(x), original(x))


def test_mixed_domain_batch_is_refused(tiny_model):
    model = convert_dsbn(tiny_model)
    with pytest.raises(ValueError, match="mixes domains"):
        set_domain(model, torch.tensor([0, 1, 1]))
    set_domain(model, torch.tensor([1, 1, 1]))
    assert {layer.domain for layer in domain_layers(model)} == {1}
    set_domain(model, None)
    with pytest.raises(RuntimeError, match="no active domain"):
        model(torch.randn(2, 3, 16, 16))
    with pytest.raises(ValueError, match="out of range"):
        set_domain(model, 2)


def test_training_loop_refuses_mixed_batches_for_dsbn(tiny_model):
    model = convert_dsbn(tiny_model)
    data = mix(ToySegmentation(8, size=16), ToySegmentation(8, size=16, seed=1), real_fraction=1.0)
    cfg = TrainConfig(epochs=1, batch_size=4, progress=False)
    with pytest.raises(ValueError, match="domain_batches"):
        fit(model, SegmentationTask(3), data, cfg, domain_batches=False)


def test_domain_statistics_differ_after_training_on_shifted_domains(tiny_model):
    synthetic = ToySegmentation(16, size=16, seed=0)
    real = ToySegmentation(16, size=16, shift=1.5, seed=1)
    model = convert_dsbn(tiny_model)
    cfg = TrainConfig(epochs=2, batch_size=4, lr=1e-2, progress=False)
    fit(model, SegmentationTask(3), mix(synthetic, real, real_fraction=1.0), cfg, domain_batches=True)
    first = domain_layers(model)[0]
    bn0, bn1 = first.branches
    # the first BN sees conv(image): a constant shift s moves channel c's mean by s * sum(w_c)
    w = model[0][0].weight.detach()
    expected = 1.5 * w.sum(dim=(1, 2, 3))
    assert (bn1.running_mean - bn0.running_mean).abs().max() > 0.1
    assert torch.corrcoef(torch.stack([bn1.running_mean - bn0.running_mean, expected]))[0, 1] > 0.9
    assert not torch.equal(bn0.weight, bn1.weight)  # affine parameters are per domain too


def test_registry_lists_valid_names():
    assert isinstance(get_adapter("dsbn").prepare(nn.Sequential(nn.BatchNorm2d(2)))[0], DomainBatchNorm2d)
    with pytest.raises(UnknownNameError, match="unknown adapter 'coral'; valid: 'adabn', 'dsbn', 'dson', 'none'"):
        get_adapter("coral")
    assert get_adapter(None) is None and get_adapter("none") is None
    assert set(ADAPTERS) == {"adabn", "dsbn", "dson"}
