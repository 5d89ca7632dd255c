"""A shared model tester: what every model of ``casestudies.models`` must do, checked the same way.

A model plugs in with one :class:`ModelCase` (how to build it, example inputs for a batch size and
the output shapes it must give); ``tests/models/test_models.py`` runs every check on every case
(segmentation, stacked hourglass, BGMv2 base + refiner). A new model adds its case to ``CASES`` there::

    ModelCase(
        "hourglass", lambda: create_model("facial_landmarks", "hourglass", stacks=1, points=51),
        inputs=lambda n: (torch.randn(n, 3, 64, 64),),
        shapes=lambda n: [(n, 51, 16, 16)],   # a list/tuple/dict of outputs: one shape each
    )

Checks: the output shapes for the given inputs (train and eval mode), batch-1 evaluation, the same
weights and outputs from the same seed, and a backward pass that reaches every trainable parameter
with finite gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

Shape = tuple[int, ...]


@dataclass(frozen=True)
class ModelCase:
    """One model under test. ``inputs(n)``: positional forward arguments for batch size ``n``;
    ``shapes(n)``: the output's shape, or a list / tuple / dict of shapes shaped like the output."""

    name: str
    build: Callable[[], nn.Module]
    inputs: Callable[[int], tuple[Tensor, ...]]
    shapes: Callable[[int], Any]
    batch: int = 2  # batch size of the shape, determinism and backward checks

    def __str__(self) -> str:  # pytest ids
        return self.name


def _tensors(out: Any) -> list[Tensor]:
    """The output's tensors in a fixed order (a tensor, a sequence or a mapping of tensors)."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, Mapping):
        return [t for k in sorted(out) for t in _tensors(out[k])]
    if isinstance(out, Sequence):
        return [t for o in out for t in _tensors(o)]
    raise TypeError(f"model output must be tensors (in a sequence or mapping), got {type(out).__name__}")


def _shapes(expected: Any) -> list[Shape]:
    if isinstance(expected, Mapping):
        return [s for k in sorted(expected) for s in _shapes(expected[k])]
    if isinstance(expected, Sequence) and expected and not isinstance(expected[0], int):
        return [s for e in expected for s in _shapes(e)]
    return [tuple(expected)]


def _seeded(case: ModelCase, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return case.build()


def _inputs(case: ModelCase, n: int, seed: int = 1) -> tuple[Tensor, ...]:
    torch.manual_seed(seed)
    return case.inputs(n)


def check_shapes(case: ModelCase) -> None:
    """Train- and eval-mode outputs have the declared shapes and are finite."""
    model = _seeded(case)
    for train in (True, False):
        model.train(train)
        with torch.no_grad():
            out = _tensors(model(*_inputs(case, case.batch)))
        got = [tuple(t.shape) for t in out]
        assert got == _shapes(case.shapes(case.batch)), f"{case}: {'train' if train else 'eval'} shapes {got}"
        assert all(torch.isfinite(t).all() for t in out), f"{case}: non-finite output"


def check_batch_one_eval(case: ModelCase) -> None:
    """One image at a time in eval mode (inference, AdaBN-free evaluation), equal to its row in a batch."""
    model = _seeded(case).eval()
    inputs = _inputs(case, case.batch)
    with torch.no_grad():
        one = _tensors(model(*(x[:1] for x in inputs)))
        full = _tensors(model(*inputs))
    assert [tuple(t.shape) for t in one] == _shapes(case.shapes(1)), f"{case}: batch-1 shapes"
    for a, b in zip(one, full):
        torch.testing.assert_close(a, b[:1], rtol=1e-4, atol=1e-5, msg=f"{case}: batch-1 output differs from its row")


def check_deterministic(case: ModelCase) -> None:
    """The same seed builds the same weights, and they give the same outputs; another seed differs."""
    a, b, c = _seeded(case, 0), _seeded(case, 0), _seeded(case, 1)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa), f"{case}: weights differ under one seed"
    assert any(not torch.equal(sa[k], sc[k]) for k in sa if sa[k].is_floating_point()), f"{case}: seed has no effect"
    inputs = _inputs(case, case.batch)
    with torch.no_grad():
        for x, y in zip(_tensors(a.eval()(*inputs)), _tensors(b.eval()(*inputs))):
            assert torch.equal(x, y), f"{case}: outputs differ under one seed"


def check_backward(case: ModelCase) -> None:
    """A loss on every output reaches every trainable parameter with a finite gradient."""
    model = _seeded(case).train()
    loss = sum(t.float().square().mean() for t in _tensors(model(*_inputs(case, case.batch))))
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"{case}: no gradient reaches {missing[:5]}{' ...' if len(missing) > 5 else ''}"
    bad = [n for n, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
    assert not bad, f"{case}: non-finite gradients in {bad[:5]}"


CHECKS: dict[str, Callable[[ModelCase], None]] = {
    "shapes": check_shapes,
    "batch_one_eval": check_batch_one_eval,
    "deterministic": check_deterministic,
    "backward": check_backward,
}
