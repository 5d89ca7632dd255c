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


def test_batch_sampler_and_torch_datasets_pass_through() -> None:
    from casestudies.data.mixing import RandomBatchSampler
    from casestudies.training.toy import ToySegmentation

    data = ToySegmentation(6, size=8, seed=0)
    sampler = RandomBatchSampler(len(data), 4, seed=3)
    a = [b["image"] for b in make_loader(data, batch_sampler=sampler, num_workers=0, seed=3)]
    b = [b["image"] for b in make_loader(data, batch_sampler=sampler, num_workers=0, seed=3)]
    assert [x.shape[0] for x in a] == [len(i) for i in sampler] and all(torch.equal(x, y) for x, y in zip(a, b))


def test_make_loader_refuses_ambiguous_batching() -> None:
    import pytest

    from casestudies.data.mixing import RandomBatchSampler
    from casestudies.training.toy import ToySegmentation

    data = ToySegmentation(4, size=8)
    with pytest.raises(ValueError, match="batch_size or batch_sampler"):
        make_loader(data, 2, batch_sampler=RandomBatchSampler(4, 2), num_workers=0)
    with pytest.raises(ValueError, match="batch_size or batch_sampler"):
        make_loader(data, num_workers=0)
    with pytest.raises(TypeError, match="already yields tensors"):
        make_loader(data, 2, transform=_noisy, num_workers=0)
