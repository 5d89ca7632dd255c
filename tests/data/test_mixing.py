from __future__ import annotations

import numpy as np
import pytest
import torch

from casestudies.data.mixing import (
    REAL,
    REAL_FRACTIONS,
    SYNTHETIC,
    DomainBatchSampler,
    DomainDataset,
    RandomBatchSampler,
    mix,
    nested_subset,
    subset_size,
)


class Items(torch.utils.data.Dataset):
    """Items that name themselves: {"name": (tag, index), "image": tensor}."""

    def __init__(self, n: int, tag: str) -> None:
        self.n, self.tag = n, tag

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"name": (self.tag, i), "image": torch.full((1, 2, 2), float(i))}


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (200, [0, 10, 20, 50, 100, 200]),
        (7, [0, 1, 1, 2, 4, 7]),  # 0.35 -> 1 (at least one), 0.7 -> 1, 1.75 -> 2, 3.5 -> 4 (half up)
        (30, [0, 2, 3, 8, 15, 30]),  # 1.5 -> 2, 7.5 -> 8
    ],
)
def test_exact_counts(n, expected):
    assert [subset_size(n, r) for r in REAL_FRACTIONS] == expected
    for seed in (0, 1):
        assert [len(nested_subset(n, fraction=r, seed=seed)) for r in REAL_FRACTIONS] == expected


@pytest.mark.parametrize("seed", [0, 1, 17])
def test_subsets_nest_across_fractions_and_sizes(seed):
    n = 101
    subsets = [set(nested_subset(n, fraction=r, seed=seed).tolist()) for r in REAL_FRACTIONS]
    for small, large in zip(subsets, subsets[1:]):
        assert small < large
    assert subsets[-1] == set(range(n))
    by_size = [set(nested_subset(n, size=k, seed=seed).tolist()) for k in (3, 10, 40)]
    assert by_size[0] < by_size[1] < by_size[2]
    assert by_size[1] <= subsets[3] and subsets[1] <= by_size[1]  # 5 items, 10 items, 25 items
    other = set(nested_subset(n, fraction=0.1, seed=seed + 1).tolist())
    assert other != subsets[2]


def test_subset_arguments_are_checked():
    with pytest.raises(ValueError, match="exactly one"):
        nested_subset(10, fraction=0.1, size=2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        subset_size(10, 1.5)
    with pytest.raises(ValueError, match="subset size"):
        nested_subset(10, size=11)


@pytest.mark.parametrize("r", REAL_FRACTIONS)
def test_hybrid_set_counts_domains_and_fixed_synthetic_part(r):
    synthetic, real = Items(12, "syn"), Items(40, "real")
    hybrid = mix(synthetic, real, real_fraction=r, seed=3)
    k = subset_size(40, r)
    assert len(hybrid) == 12 + k
    assert hybrid.counts() == ({SYNTHETIC: 12, REAL: k} if k else {SYNTHETIC: 12})
    items = [hybrid[i] for i in range(len(hybrid))]
    assert [it["name"] for it in items if it["domain"] == SYNTHETIC] == [("syn", i) for i in range(12)]
    real_names = {it["name"][1] for it in items if it["domain"] == REAL}
    assert all(it["name"][0] == "real" for it in items if it["domain"] == REAL)
    assert real_names == set(nested_subset(40, fraction=r, seed=3).tolist())
    assert np.array_equal(hybrid.domains, [it["domain"] for it in items])


def test_domain_dataset_refuses_non_mapping_items():
    ds = DomainDataset([(torch.utils.data.TensorDataset(torch.zeros(3, 2)), None, SYNTHETIC)])
    with pytest.raises(TypeError, match="mappings"):
        ds[0]
    with pytest.raises(IndexError):
        mix(Items(2, "a"))[2]


def _domains(n_syn: int, n_real: int) -> np.ndarray:
    return np.array([SYNTHETIC] * n_syn + [REAL] * n_real)


def test_domain_batches_are_homogeneous_and_cover_every_item():
    domains = _domains(21, 7)  # 21 = 5 batches of 4 + 1 (dropped); 7 = 4 + 3
    sampler = DomainBatchSampler(domains, 4, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 7
    assert all(len({domains[i] for i in b}) == 1 for b in batches)
    flat = [i for b in batches for i in b]
    assert len(flat) == len(set(flat)) == 27  # every item once but one dropped singleton
    kinds = [domains[b[0]] for b in batches]
    assert kinds.count(REAL) == 2 and kinds != sorted(kinds)  # interleaved, not grouped


def test_alternate_policy_takes_turns_and_repeats_the_smaller_domain():
    domains = _domains(24, 8)
    sampler = DomainBatchSampler(domains, 4, seed=1, policy="alternate")
    batches = list(sampler)
    assert len(batches) == len(sampler) == 12
    assert [domains[b[0]] for b in batches] == [SYNTHETIC, REAL] * 6
    assert all(len({domains[i] for i in b}) == 1 for b in batches)
    assert sorted(i for b in batches[::2] for i in b) == list(range(24))
    with pytest.raises(ValueError, match="shuffle"):
        DomainBatchSampler(domains, 4, policy="round_robin")


def test_samplers_are_seeded_per_epoch():
    domains = _domains(20, 10)
    a, b = DomainBatchSampler(domains, 4, seed=5), DomainBatchSampler(domains, 4, seed=5)
    first = list(a)
    assert first == list(b) == list(a)  # iter does not advance the epoch
    a.set_epoch(1)
    assert list(a) != first
    a.set_epoch(0)
    assert list(a) == first
    assert list(DomainBatchSampler(domains, 4, seed=6)) != first


def test_random_batch_sampler_mixes_domains_and_drops_a_trailing_single_item():
    sampler = RandomBatchSampler(9, 4, seed=0)
    batches = list(sampler)
    assert [len(b) for b in batches] == [4, 4] and len(sampler) == 2
    assert [len(b) for b in RandomBatchSampler(10, 4, seed=0)] == [4, 4, 2]
    assert sorted(i for b in RandomBatchSampler(12, 4) for i in b) == list(range(12))
