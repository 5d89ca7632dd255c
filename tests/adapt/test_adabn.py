from __future__ import annotations

import copy

import torch
from torch import nn

from casestudies.adapt import adabn

STAT_KEYS = ("running_mean", "running_var", "num_batches_tracked")


def batches(images: torch.Tensor, size: int) -> list[dict[str, torch.Tensor]]:
    return [{"image": images[i : i + size]} for i in range(0, len(images), size)]


def _bn_layers(model: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]


def _inputs_seen(model: nn.Module, data: list[dict], bn_train: bool) -> list[torch.Tensor]:
    """Per-BN-layer inputs over all batches, with BN layers in train (batch stats) or eval mode."""
    model = copy.deepcopy(model).eval()
    layers = _bn_layers(model)
    for m in layers:
        m.train(bn_train)
    seen: dict[nn.Module, list[torch.Tensor]] = {m: [] for m in layers}
    hooks = [m.register_forward_pre_hook(lambda mod, a: seen[mod].append(a[0].detach())) for m in layers]
    with torch.no_grad():
        for b in data:
            model(b["image"])
    for h in hooks:
        h.remove()
    return [torch.cat(seen[m]) for m in layers]


def _channel_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.transpose(0, 1).flatten(1).double()
    return x.mean(1), x.var(1, unbiased=True)


def test_running_stats_equal_target_channel_stats(tiny_model, target_images):
    model = tiny_model.eval()  # an eval-mode model with a mix of momenta
    for i, m in enumerate(_bn_layers(model)):
        m.momentum = [0.1, 0.5, None, 0.01][i]
    data = batches(target_images, 8)
    reference = _inputs_seen(model, data, bn_train=True)  # what each layer sees during re-estimation

    adabn(model, data)

    assert not model.training and all(not m.training for m in model.modules())
    assert [m.momentum for m in _bn_layers(model)] == [0.1, 0.5, None, 0.01]
    for m, x in zip(_bn_layers(model), reference):
        mean, var = _channel_stats(x)
        torch.testing.assert_close(m.running_mean.double(), mean, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(m.running_var.double(), var, rtol=1e-5, atol=1e-5)
    # at inference on the target data the statistics hold too: exactly at the first layer, whose
    # input no BN precedes, and closely deeper down (upstream layers now use running statistics)
    seen_eval = _inputs_seen(model, data, bn_train=False)
    for k, (m, x) in enumerate(zip(_bn_layers(model), seen_eval)):
        mean, var = _channel_stats(x)
        tol = 1e-5 if k == 0 else 0.02
        assert ((m.running_mean.double() - mean).abs() / var.sqrt()).max() < tol
        assert ((m.running_var.double() / var) - 1).abs().max() < (1e-4 if k == 0 else 0.05)


def test_predictions_change_only_through_bn(tiny_model, target_images):
    model = tiny_model.eval()
    x = target_images[:4]
    before_state = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        before = model(x)

    adabn(model, batches(target_images, 8))

    after_state = model.state_dict()
    changed = {k for k in before_state if not torch.equal(before_state[k], after_state[k])}
    assert changed and all(k.endswith(STAT_KEYS) for k in changed)
    with torch.no_grad():
        assert not torch.allclose(model(x), before)
        model.load_state_dict({**after_state, **{k: before_state[k] for k in changed}})
        assert torch.equal(model(x), before)


def test_result_does_not_depend_on_momentum(tiny_model, target_images):
    a, b = copy.deepcopy(tiny_model), copy.deepcopy(tiny_model)
    for m in _bn_layers(b):
        m.momentum = 0.9
    data = batches(target_images, 6)
    adabn(a, data)
    adabn(b, data)
    for ma, mb in zip(_bn_layers(a), _bn_layers(b)):
        torch.testing.assert_close(ma.running_mean, mb.running_mean)
        torch.testing.assert_close(ma.running_var, mb.running_var)
