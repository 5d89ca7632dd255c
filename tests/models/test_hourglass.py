"""Stacked hourglass: shapes, intermediate outputs, adapters, bad input (batch-1 eval, determinism and
backward: the shared checks in test_models.py)."""

from __future__ import annotations

import pytest
import torch

from casestudies.adapt import convert_dsbn, convert_dson
from casestudies.models import create_model


def small(**kw):
    torch.manual_seed(0)
    return create_model("facial_landmarks", "hourglass", **{"stacks": 2, "features": 8, "depth": 3, **kw})


def test_registered_and_one_heatmap_per_landmark_per_stack():
    model = small(stacks=3).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))
    assert len(out) == 3
    assert all(o.shape == (2, 51, 8, 8) for o in out)


def test_depth_4_at_64_px_reaches_1_px_and_back():
    model = small(depth=4).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64))[-1].shape == (1, 51, 16, 16)


def test_every_stack_gets_gradient_from_its_own_head():
    model = small()
    out = model(torch.randn(2, 3, 32, 32))
    out[0].sum().backward()  # the first (intermediate) stack's heatmaps only
    assert model.heads[0].weight.grad is not None and model.heads[0].weight.grad.abs().sum() > 0
    assert model.heads[1].weight.grad is None  # the last head is not on that path


@pytest.mark.parametrize("convert", [convert_dsbn, convert_dson])
def test_domain_adapters_convert_it(convert):
    from casestudies.adapt import set_domain

    model = convert(small(), num_domains=2)
    set_domain(model, 1)
    with torch.no_grad():
        assert model.eval()(torch.randn(2, 3, 32, 32))[-1].shape == (2, 51, 8, 8)


def test_bad_sizes_fail_clearly():
    with pytest.raises(ValueError, match="divisible by 2\\*\\*depth"):
        small(depth=4)(torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match="stacks"):
        small(stacks=0)
