"""make_loader's augmentations repeat under a fixed seed, also without workers."""

from __future__ import annotations

import numpy as np
import torch

from casestudies.data.loading import make_loader


def _noisy(sample: dict, rng: np.random.Generator) -> dict:
    noise = rng.integers(0, 50, sample["image"].shape, dtype=np.uint8)
    return {**sample, "image": sample["image"] // 2 + noise}


def _batches(seed: int, global_seed: int) -> list[torch.Tensor]:
    torch.manual_seed(global_seed)  # must not matter
    samples = [{"image": np.full((8, 8, 3), 100, np.uint8), "meta": {"source_id": str(i)}} for i in range(4)]
    loader = make_loader(samples, batch_size=2, transform=_noisy, shuffle=True, num_workers=0, seed=seed)
    return [b["image"] for b in loader]


def test_in_process_augmentation_repeats_under_a_seed() -> None:
    a, b = _batches(0, global_seed=0), _batches(0, global_seed=123)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    c = _batches(1, global_seed=0)
    assert not all(torch.equal(x, y) for x, y in zip(a, c))
