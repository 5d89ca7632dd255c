"""Hybrid training sets: a fixed synthetic set plus a nested real subset, and domain-aware samplers.

Semantics (what the schedules and the whitepaper rely on):

* **Domain ids**: ``SYNTHETIC = 0``, ``REAL = 1``. Every item of a :class:`DomainDataset` is the
  underlying item (a mapping) with ``"domain"`` set to its part's id (any existing value is replaced).
* **Real fraction r**: the hybrid set holds *all* of the synthetic set and ``subset_size(n_real, r)``
  real items, where ``n_real`` is the size of the real *training* set. r = 0 gives synthetic only.
* **Nesting**: the real subset is a prefix of one permutation of ``range(n_real)`` drawn from
  ``seed``; so for a seed the 5 % subset lies inside the 10 % subset, and a subset of a given size
  inside every larger one (fractions and sizes share the permutation).
* **Batches**: :class:`RandomBatchSampler` shuffles across domains; :class:`DomainBatchSampler` makes
  each batch from one domain (DSBN, DSON). Both are seeded by ``(seed, epoch)`` (``set_epoch``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from torch.utils.data import Dataset, Sampler

SYNTHETIC = 0
REAL = 1
DOMAIN_NAMES = {SYNTHETIC: "synthetic", REAL: "real"}
REAL_FRACTIONS = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0)  # the whitepaper's sweep


def subset_size(n: int, fraction: float) -> int:
    """Items in the ``fraction`` subset of ``n``: ``fraction * n`` rounded half up, at least 1 if > 0."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"real fraction must lie in [0, 1], got {fraction}")
    if fraction == 0.0 or n == 0:
        return 0
    # the 1e-9 absorbs binary float error (0.29 * 100 = 28.999999999999996)
    return min(n, max(1, math.floor(fraction * n + 0.5 + 1e-9)))


def nested_subset(
    n: int, *, fraction: float | None = None, size: int | None = None, seed: int = 0
) -> np.ndarray:
    """Sorted indices of the real subset: the first k items of a ``seed``-permuted ``range(n)``.

    Give exactly one of ``fraction`` (k = :func:`subset_size`) or ``size`` (k = size).
    """
    if (fraction is None) == (size is None):
        raise ValueError("give exactly one of fraction or size")
    if size is not None and not 0 <= size <= n:
        raise ValueError(f"subset size must lie in [0, {n}], got {size}")
    k = subset_size(n, fraction) if fraction is not None else int(size)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[:k])


class DomainDataset(Dataset):
    """Concatenated parts ``(dataset, indices or None for all, domain id)`` with a domain per item."""

    def __init__(self, parts: Sequence[tuple[Dataset, Sequence[int] | None, int]]) -> None:
        self.parts: list[tuple[Dataset, Sequence[int], int]] = []
        for ds, idx, domain in parts:
            index = range(len(ds)) if idx is None else np.asarray(idx, dtype=np.int64).tolist()
            self.parts.append((ds, index, int(domain)))
        sizes = [len(index) for _, index, _ in self.parts]
        self._ends = np.cumsum(sizes).tolist()  # python ints: bisect is cheaper than numpy per item
        self.domains = np.concatenate(
            [np.full(s, d, dtype=np.int64) for s, (_, _, d) in zip(sizes, self.parts)]
            or [np.zeros(0, dtype=np.int64)]
        )

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def counts(self) -> dict[int, int]:
        """Items per domain id."""
        ids, n = np.unique(self.domains, return_counts=True)
        return {int(i): int(c) for i, c in zip(ids, n)}

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        p = bisect.bisect_right(self._ends, i)
        ds, index, domain = self.parts[p]
        item = ds[index[i - (self._ends[p - 1] if p else 0)]]
        if not isinstance(item, Mapping):
            raise TypeError(f"items must be mappings (dicts), got {type(item).__name__}")
        out = dict(item)
        out["domain"] = domain
        return out


def mix(
    synthetic: Dataset | None = None,
    real: Dataset | None = None,
    *,
    real_fraction: float | None = None,
    real_size: int | None = None,
    seed: int = 0,
) -> DomainDataset:
    """All of ``synthetic`` (domain 0) plus the nested real subset (domain 1) of ``real``.

    The real subset is given by ``real_fraction`` of ``len(real)`` or by ``real_size`` items
    (see :func:`nested_subset`); with ``real`` None there is no real part.

    >>> from casestudies.training.toy import ToySegmentation
    >>> hybrid = mix(ToySegmentation(10), ToySegmentation(40, seed=1), real_fraction=0.1, seed=0)
    >>> hybrid.counts(), hybrid[10]["domain"]
    ({0: 10, 1: 4}, 1)
    """
    parts: list[tuple[Dataset, Sequence[int] | None, int]] = []
    if synthetic is not None:
        parts.append((synthetic, None, SYNTHETIC))
    if real is not None:
        if real_fraction is None and real_size is None:
            raise ValueError("a real set needs real_fraction or real_size")
        index = nested_subset(len(real), fraction=real_fraction, size=real_size, seed=seed)
        if len(index):
            parts.append((real, index, REAL))
    if not parts:
        raise ValueError("mix needs a synthetic set, a real set, or both")
    return DomainDataset(parts)


def _chunks(order: np.ndarray, batch_size: int, min_batch: int) -> list[list[int]]:
    """Cut ``order`` into batches; a trailing batch smaller than ``min_batch`` is dropped."""
    out = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    if out and len(out[-1]) < min_batch:
        out.pop()
    return out


class _EpochSampler(Sampler[list[int]]):
    """Seeded by ``(seed, epoch)``; call ``set_epoch(e)`` before each epoch (``fit`` does).

    The epoch is not advanced by ``iter``: a loader may call ``iter`` more than once per epoch.
    """

    def __init__(self, batch_size: int, seed: int, min_batch: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.seed = seed
        self.min_batch = min(min_batch, batch_size)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches(np.random.default_rng([self.seed, self.epoch])))

    def __len__(self) -> int:
        return len(self._batches(np.random.default_rng(0)))

    def _batches(self, rng: np.random.Generator) -> list[list[int]]:
        raise NotImplementedError


class RandomBatchSampler(_EpochSampler):
    """Every index once per epoch in a seeded random order, cut into batches of ``batch_size``.

    A trailing batch with fewer than ``min_batch`` (default 2: BatchNorm needs two values per
    channel) items is dropped; a larger remainder is kept.
    """

    def __init__(self, n: int, batch_size: int, *, seed: int = 0, min_batch: int = 2) -> None:
        super().__init__(batch_size, seed, min_batch)
        self.n = n

    def _batches(self, rng: np.random.Generator) -> list[list[int]]:
        return _chunks(rng.permutation(self.n), self.batch_size, self.min_batch)


DOMAIN_POLICIES = ("shuffle", "alternate")


class DomainBatchSampler(_EpochSampler):
    """Batches that each hold one domain; ``domains[i]`` is item i's domain id.

    Interleaving ``policy``:

    * ``"shuffle"`` (default): each domain's indices are shuffled and cut into batches, then all
      batches are put in one seeded random order. Every item is seen once per epoch, as with
      :class:`RandomBatchSampler`, and domains alternate in proportion to their number of batches.
    * ``"alternate"``: domains take turns in id order (0, 1, 0, 1, ...) until the domain with the
      most batches is used up; a domain that runs out is reshuffled and repeats. An epoch has
      ``n_domains * max_batches`` batches, so a small real subset is over-sampled to parity.

    Trailing batches per domain follow :class:`RandomBatchSampler` (dropped below ``min_batch``).
    """

    def __init__(
        self,
        domains: Sequence[int] | np.ndarray,
        batch_size: int,
        *,
        seed: int = 0,
        policy: str = "shuffle",
        min_batch: int = 2,
    ) -> None:
        super().__init__(batch_size, seed, min_batch)
        if policy not in DOMAIN_POLICIES:
            raise ValueError(f"unknown domain policy {policy!r}; valid policies: {list(DOMAIN_POLICIES)}")
        self.policy = policy
        domains = np.asarray(domains, dtype=np.int64)
        self.groups = {int(d): np.flatnonzero(domains == d) for d in np.unique(domains)}

    def _batches(self, rng: np.random.Generator) -> list[list[int]]:
        per_domain = {
            d: _chunks(rng.permutation(idx), self.batch_size, self.min_batch) for d, idx in self.groups.items()
        }
        per_domain = {d: b for d, b in per_domain.items() if b}
        if not per_domain:
            return []
        if self.policy == "shuffle":
            flat = [b for d in sorted(per_domain) for b in per_domain[d]]
            return [flat[i] for i in rng.permutation(len(flat))]
        longest = max(len(b) for b in per_domain.values())
        out: list[list[int]] = []
        for d in sorted(per_domain):  # extend the shorter domains by reshuffled repeats
            while len(per_domain[d]) < longest:
                more = _chunks(rng.permutation(self.groups[d]), self.batch_size, self.min_batch)
                per_domain[d] = per_domain[d] + more
        for step in range(longest):
            out.extend(per_domain[d][step] for d in sorted(per_domain))
        return out
