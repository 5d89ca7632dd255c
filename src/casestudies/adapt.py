"""Batch-norm domain adaptation: AdaBN, DSBN and DSON behind one registry, ``ADAPTERS``.

Domains are small integers; the project uses 0 = synthetic and 1 = real (``data.mixing``).

* ``adabn`` (Li et al. 2016): after training, every BatchNorm layer's running mean and variance are
  re-estimated on unlabelled target-domain images, without gradients.
* ``dsbn`` (Chang et al. 2019): every ``BatchNorm2d`` becomes one BatchNorm per domain (statistics and
  affine parameters); each batch comes from one domain, chosen with :func:`set_domain`.
* ``dson`` (Seo et al. 2020): as DSBN, but each domain normalises with a learned softmax mix of batch
  and instance statistics.

Converting an existing model is one call that swaps its layers in place and copies their weights and
running statistics into every domain branch:

>>> from casestudies.models import create_model
>>> model = convert_dsbn(create_model("face_segmentation", "deeplabv3plus"), num_domains=2)
>>> with use_domain(model, 1):  # the real domain's branch
...     logits = model.eval()(torch.zeros(1, 3, 64, 64))
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from casestudies.names import lookup

Forward = Callable[[nn.Module, Any], Any]

# ----------------------------------------------------------------------------------------------
# AdaBN


def _default_forward(model: nn.Module, batch: Any) -> Any:
    if isinstance(batch, Mapping):
        return model(batch["image"])
    if isinstance(batch, (tuple, list)):
        return model(batch[0])
    return model(batch)


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


class _PooledMoments:
    """Per-channel count, mean and summed squared deviation of a layer's inputs (Chan et al. merge)."""

    def __init__(self) -> None:
        self.n = 0
        self.mean: Tensor | None = None
        self.m2: Tensor | None = None

    def __call__(self, module: nn.Module, args: tuple[Tensor, ...]) -> None:
        x = args[0].detach().float()
        dims = [d for d in range(x.dim()) if d != 1]
        b = x.numel() // x.shape[1]
        var_b, mean_b = torch.var_mean(x, dim=dims, unbiased=False)
        mean_b, m2_b = mean_b.double(), var_b.double() * b
        if self.mean is None:
            self.n, self.mean, self.m2 = b, mean_b, m2_b
            return
        # merge two groups: delta of means, weighted by both counts
        delta, n = mean_b - self.mean, self.n + b
        self.mean = self.mean + delta * (b / n)
        self.m2 = self.m2 + m2_b + delta.square() * (self.n * b / n)
        self.n = n


@torch.no_grad()
def adabn(model: nn.Module, batches: Iterable[Any], forward: Forward | None = None) -> nn.Module:
    """AdaBN (Li et al. 2016): set every BN layer's running statistics to the target data's, in place.

    ``batches`` yields unlabelled target batches (a tensor, a tuple whose first item is the input, or
    a dict read by ``forward(model, batch)``; default ``model(batch["image"])``). They are moved to the
    model's device.

    1. BN layers go to train mode (they normalise with batch statistics, as in training); every other
       module to eval mode (no dropout). Modes, momentum and parameters are restored afterwards.
    2. A pre-hook on each BN layer pools its inputs' per-channel mean and variance over all target
       batches (exact pooled moments, so the result depends neither on ``momentum`` nor on batching).
    3. Each layer's ``running_mean`` becomes the pooled mean and ``running_var`` the pooled unbiased
       variance; layers that saw no input (e.g. an inactive DSBN branch) keep theirs.
    """
    forward = forward or _default_forward
    layers = [
        m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    if not layers:
        raise ValueError("adabn: the model has no BatchNorm layer to adapt")
    device = next(model.parameters()).device
    modes = {m: m.training for m in model.modules()}
    moments = {m: _PooledMoments() for m in layers}
    hooks = [m.register_forward_pre_hook(moments[m]) for m in layers]
    saved = {m: (m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()) for m in layers}
    try:
        model.eval()
        for m in layers:
            m.train()
        n_batches = 0
        for batch in batches:
            forward(model, _to_device(batch, device))
            n_batches += 1
        if n_batches == 0:
            raise ValueError("adabn: no target batches")
    finally:
        for h in hooks:
            h.remove()
        for m, flag in modes.items():
            m.train(flag)
    for m in layers:
        mean0, var0, tracked0 = saved[m]
        st = moments[m]
        if st.mean is None:  # never called: keep what it had (the forward pass updated nothing)
            m.running_mean.copy_(mean0), m.running_var.copy_(var0), m.num_batches_tracked.copy_(tracked0)
            continue
        m.running_mean.copy_(st.mean.to(m.running_mean.dtype))
        m.running_var.copy_((st.m2 / max(st.n - 1, 1)).to(m.running_var.dtype))
        m.num_batches_tracked.copy_(tracked0 + n_batches)
    return model


# ----------------------------------------------------------------------------------------------
# Domain-specific layers: the active domain


class DomainNorm(nn.Module):
    """Base of the domain-specific normalisation layers; ``domain`` selects the active branch."""

    def __init__(self, num_domains: int) -> None:
        super().__init__()
        if num_domains < 1:
            raise ValueError(f"num_domains must be >= 1, got {num_domains}")
        self.num_domains = num_domains
        self.domain: int | None = None

    def active(self) -> int:
        if self.domain is None:
            raise RuntimeError(
                f"{type(self).__name__}: no active domain; call set_domain(model, d) or use use_domain(model, d)"
            )
        return self.domain

    def extra_repr(self) -> str:
        return f"num_domains={self.num_domains}, domain={self.domain}"


def domain_layers(model: nn.Module) -> list[DomainNorm]:
    """Every domain-specific layer of ``model`` (empty for a plain model)."""
    return [m for m in model.modules() if isinstance(m, DomainNorm)]


def single_domain(domain: int | Tensor | Iterable[int]) -> int:
    """The one domain of a batch's domain ids; a batch that mixes domains is refused (ValueError)."""
    if isinstance(domain, int):
        return domain
    d = torch.as_tensor(domain if isinstance(domain, Tensor) else list(domain)).flatten()
    if d.numel() == 0:
        raise ValueError("empty domain list")
    first = d[0]
    if not bool((d == first).all()):
        raise ValueError(
            f"batch mixes domains {sorted(set(d.tolist()))}; DSBN/DSON need each batch from one domain "
            "(use data.mixing.DomainBatchSampler)"
        )
    return int(first)


def set_domain(
    model: nn.Module | list[DomainNorm], domain: int | Tensor | Iterable[int] | None
) -> int | None:
    """Make ``domain`` active in every domain-specific layer (``None`` clears it); returns it.

    ``domain`` may be a batch's per-sample domain ids: a batch with mixed domains is refused.
    """
    layers = model if isinstance(model, list) else domain_layers(model)
    d = None if domain is None else single_domain(domain)
    for layer in layers:
        if d is not None and not 0 <= d < layer.num_domains:
            raise ValueError(f"domain {d} out of range for a layer with {layer.num_domains} domains")
        layer.domain = d
    return d


@contextmanager
def use_domain(model: nn.Module, domain: int) -> Iterator[nn.Module]:
    """Context in which ``domain`` is active; the previous domains are restored on exit."""
    layers = domain_layers(model)
    before = [layer.domain for layer in layers]
    set_domain(layers, domain)
    try:
        yield model
    finally:
        for layer, d in zip(layers, before):
            layer.domain = d


def _swap_batchnorm(model: nn.Module, make: Callable[[nn.BatchNorm2d], nn.Module]) -> nn.Module:
    """Replace every ``BatchNorm2d`` under ``model`` (in place) by ``make(bn)``; returns the model."""
    if isinstance(model, nn.BatchNorm2d):
        return make(model)
    if domain_layers(model):
        raise ValueError("model already has domain-specific layers; convert a plain model")
    count = 0

    def visit(module: nn.Module) -> None:
        nonlocal count
        for name, child in module.named_children():
            if isinstance(child, nn.BatchNorm2d):
                setattr(module, name, make(child))
                count += 1
            else:
                visit(child)

    visit(model)
    if count == 0:
        raise ValueError("model has no BatchNorm2d layer to convert")
    return model


# ----------------------------------------------------------------------------------------------
# DSBN


class DomainBatchNorm2d(DomainNorm):
    """DSBN (Chang et al. 2019): one ``BatchNorm2d`` (statistics and affine) per domain.

    Every branch starts as a copy of ``bn`` (weights, running statistics, eps, momentum).
    """

    def __init__(self, bn: nn.BatchNorm2d, num_domains: int = 2) -> None:
        super().__init__(num_domains)
        self.num_features = bn.num_features
        self.branches = nn.ModuleList(copy.deepcopy(bn) for _ in range(num_domains))

    def forward(self, x: Tensor) -> Tensor:
        return self.branches[self.active()](x)


def convert_dsbn(model: nn.Module, num_domains: int = 2) -> nn.Module:
    """Swap every ``BatchNorm2d`` of ``model`` for a :class:`DomainBatchNorm2d`, in place."""
    return _swap_batchnorm(model, lambda bn: DomainBatchNorm2d(bn, num_domains))


# ----------------------------------------------------------------------------------------------
# DSON


class _DSONBranch(nn.Module):
    """One domain's parameters and batch statistics in a DSON layer."""

    def __init__(self, bn: nn.BatchNorm2d, bn_weight: float) -> None:
        super().__init__()
        c = bn.num_features
        if bn.affine:
            self.weight = nn.Parameter(bn.weight.detach().clone())
            self.bias = nn.Parameter(bn.bias.detach().clone())
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        # logits of the (batch, instance) softmax, one pair for means and one for variances
        logits = torch.tensor([math.log(bn_weight), math.log1p(-bn_weight)], dtype=torch.float32)
        self.mean_logits = nn.Parameter(logits.clone())
        self.var_logits = nn.Parameter(logits.clone())
        tracked = bn.track_running_stats and bn.running_mean is not None
        mean = bn.running_mean.detach().clone() if tracked else torch.zeros(c)
        var = bn.running_var.detach().clone() if tracked else torch.ones(c)
        self.register_buffer("running_mean", mean.float())
        self.register_buffer("running_var", var.float())
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def mixing_weights(self) -> tuple[Tensor, Tensor]:
        """Softmax weights ``(w_mean, w_var)``, each ``[batch, instance]`` and summing to one."""
        return torch.softmax(self.mean_logits, 0), torch.softmax(self.var_logits, 0)


class DomainOptimizedNorm2d(DomainNorm):
    """DSON (Seo et al. 2020): per domain, normalise with a learned mix of batch and instance statistics.

    For the active domain d, with softmax weights ``w = softmax(logits_d)`` (index 0 batch, 1 instance):
    ``mu = w_mean[0] mu_BN + w_mean[1] mu_IN``, ``var = w_var[0] var_BN + w_var[1] var_IN``,
    ``y = gamma_d (x - mu) / sqrt(var + eps) + beta_d``. Weights are per layer and per domain; batch
    statistics are tracked per domain (running averages with ``bn``'s momentum, used in eval mode);
    instance statistics always come from the input. ``bn_weight`` is the initial batch-norm weight
    (0.5: the paper's equal start). At weights (1, 0) the layer is BatchNorm, at (0, 1) InstanceNorm.
    Statistics are computed in float32 (also under autocast).
    """

    def __init__(self, bn: nn.BatchNorm2d, num_domains: int = 2, bn_weight: float = 0.5) -> None:
        super().__init__(num_domains)
        if not 0.0 < bn_weight < 1.0:
            raise ValueError(f"bn_weight must lie in (0, 1), got {bn_weight}")
        self.num_features = bn.num_features
        self.eps = bn.eps
        self.momentum = bn.momentum
        self.branches = nn.ModuleList(_DSONBranch(bn, bn_weight) for _ in range(num_domains))

    @torch.no_grad()
    def _track(self, b: _DSONBranch, mean: Tensor, var: Tensor, n: int) -> None:
        b.num_batches_tracked += 1
        f = 1.0 / float(b.num_batches_tracked) if self.momentum is None else self.momentum
        b.running_mean.lerp_(mean.flatten(), f)
        b.running_var.lerp_(var.flatten() * (n / max(n - 1, 1)), f)

    def forward(self, x: Tensor) -> Tensor:
        b = self.branches[self.active()]
        xf = x.float()
        # 1. instance statistics: per sample and channel, over H x W
        var_in, mu_in = torch.var_mean(xf, dim=(2, 3), unbiased=False, keepdim=True)
        # 2. batch statistics: over N x H x W in training (tracked per domain), running ones in eval
        if self.training:
            var_bn, mu_bn = torch.var_mean(xf, dim=(0, 2, 3), unbiased=False, keepdim=True)
            self._track(b, mu_bn, var_bn, xf.numel() // xf.shape[1])
        else:
            mu_bn = b.running_mean.view(1, -1, 1, 1)
            var_bn = b.running_var.view(1, -1, 1, 1)
        # 3. mix them with the domain's softmax weights
        w_mean, w_var = b.mixing_weights()
        mu = w_mean[0] * mu_bn + w_mean[1] * mu_in
        var = w_var[0] * var_bn + w_var[1] * var_in
        # 4. normalise, then the domain's affine transform
        y = (xf - mu) * torch.rsqrt(var + self.eps)
        if b.weight is not None:
            y = y * b.weight.view(1, -1, 1, 1) + b.bias.view(1, -1, 1, 1)
        return y.to(x.dtype)


def convert_dson(model: nn.Module, num_domains: int = 2, bn_weight: float = 0.5) -> nn.Module:
    """Swap every ``BatchNorm2d`` of ``model`` for a :class:`DomainOptimizedNorm2d`, in place."""
    return _swap_batchnorm(model, lambda bn: DomainOptimizedNorm2d(bn, num_domains, bn_weight))


# ----------------------------------------------------------------------------------------------
# Registry


def _unchanged(model: nn.Module, num_domains: int = 2) -> nn.Module:
    return model


@dataclass(frozen=True)
class Adapter:
    """How an adaptation method enters training.

    ``prepare(model, num_domains)`` converts the model before training; ``domain_batches`` says the
    sampler must draw each batch from one domain; ``finalize(model, target_batches, forward)`` runs
    after training on unlabelled target-domain batches (None: nothing to do).
    """

    name: str
    prepare: Callable[..., nn.Module]
    domain_batches: bool
    finalize: Callable[..., nn.Module] | None


ADAPTERS: dict[str, Adapter] = {
    "adabn": Adapter("adabn", prepare=_unchanged, domain_batches=False, finalize=adabn),
    "dsbn": Adapter("dsbn", prepare=convert_dsbn, domain_batches=True, finalize=None),
    "dson": Adapter("dson", prepare=convert_dson, domain_batches=True, finalize=None),
}


NO_ADAPTER = "none"  # the ``adapter`` grid axis' word for "no adaptation"


def get_adapter(name: str | None) -> Adapter | None:
    """The adapter called ``name``; None for None or ``"none"`` (``NO_ADAPTER``). An unknown name
    raises :class:`~casestudies.names.UnknownNameError` listing the valid ones (``"none"`` too)."""
    if name is None or name == NO_ADAPTER:
        return None
    return lookup("adapter", name, {NO_ADAPTER: None, **ADAPTERS})
