from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from casestudies.adapt import DomainOptimizedNorm2d, convert_dson, domain_layers, use_domain
from casestudies.models import create_model


def _layer(momentum: float | None = 0.1) -> DomainOptimizedNorm2d:
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(5, momentum=momentum)
    bn.weight.data.uniform_(0.5, 2.0)
    bn.bias.data.uniform_(-1.0, 1.0)
    bn.running_mean.uniform_(-1.0, 1.0)
    bn.running_var.uniform_(0.5, 2.0)
    layer = DomainOptimizedNorm2d(bn, num_domains=2)
    layer.domain = 1
    return layer


def _set_extreme(layer: DomainOptimizedNorm2d, batch: bool) -> None:
    logits = torch.tensor([50.0, -50.0] if batch else [-50.0, 50.0])
    for b in layer.branches:
        b.mean_logits.data.copy_(logits)
        b.var_logits.data.copy_(logits)


def test_mixing_weights_are_trainable_and_sum_to_one():
    layer = _layer().train()
    x = torch.randn(4, 5, 6, 6) * 3 + 1
    opt = torch.optim.SGD(layer.parameters(), lr=0.5)
    branch = layer.branches[1]
    before = (branch.mean_logits.detach().clone(), branch.var_logits.detach().clone())
    (layer(x) * torch.randn_like(x)).sum().backward()
    assert branch.mean_logits.requires_grad and branch.var_logits.requires_grad
    assert branch.mean_logits.grad.abs().sum() > 0 and branch.var_logits.grad.abs().sum() > 0
    assert layer.branches[0].mean_logits.grad is None  # the inactive domain is untouched
    opt.step()
    assert not torch.equal(branch.mean_logits, before[0]) and not torch.equal(branch.var_logits, before[1])
    for w in branch.mixing_weights():
        assert w.shape == (2,) and (w >= 0).all()
        torch.testing.assert_close(w.sum(), torch.tensor(1.0))


def test_reduces_to_batch_norm_at_one_extreme():
    layer = _layer()
    _set_extreme(layer, batch=True)
    b = layer.branches[1]
    x = torch.randn(4, 5, 6, 6) * 2 + 3
    layer.train()
    expected = F.batch_norm(x, None, None, b.weight, b.bias, training=True, eps=layer.eps)
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-5)
    layer.eval()
    expected = F.batch_norm(x, b.running_mean, b.running_var, b.weight, b.bias, training=False, eps=layer.eps)
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-5)


def test_reduces_to_instance_norm_at_the_other_extreme():
    layer = _layer()
    _set_extreme(layer, batch=False)
    b = layer.branches[1]
    x = torch.randn(4, 5, 6, 6) * 2 + 3
    expected = F.instance_norm(x, weight=b.weight, bias=b.bias, eps=layer.eps)
    for mode in (True, False):
        layer.train(mode)
        torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_running_statistics_are_tracked_per_domain(momentum):
    layer = _layer(momentum).train()
    start = layer.branches[0].running_mean.clone()
    x = torch.randn(8, 5, 6, 6) + 4.0
    for _ in range(3):
        layer(x)
    batch_mean = x.mean(dim=(0, 2, 3))
    b1 = layer.branches[1]
    assert torch.equal(layer.branches[0].running_mean, start)
    assert int(b1.num_batches_tracked) == 3
    if momentum is None:  # cumulative average of identical batches: the batch statistics
        torch.testing.assert_close(b1.running_mean, batch_mean)
        torch.testing.assert_close(b1.running_var, x.var(dim=(0, 2, 3), unbiased=True))
    else:
        assert ((b1.running_mean - batch_mean).abs() < (start - batch_mean).abs()).all()


def test_converts_models_copying_bn_state():
    torch.manual_seed(0)
    model = create_model("face_segmentation", "deeplabv3plus", classes=3)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.running_mean.uniform_(-1, 1)
    convert_dson(model, bn_weight=0.7)
    layers = domain_layers(model)
    assert len(layers) == len(bns) and not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    for bn, layer in zip(bns, layers):
        for b in layer.branches:
            assert torch.equal(b.running_mean, bn.running_mean) and torch.equal(b.weight, bn.weight)
            torch.testing.assert_close(b.mixing_weights()[0], torch.tensor([0.7, 0.3]))
    model.train()
    with use_domain(model, 0):
        out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 3, 64, 64) and torch.isfinite(out).all()
