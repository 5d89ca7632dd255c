"""A procedural toy segmentation set (for tests, examples and loop benchmarks) and an in-memory cache."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset


class ToySegmentation(Dataset):
    """Coloured discs on a noisy background, rendered on the fly from ``(seed, index)``.

    Item: ``image`` float32 ``3 x size x size``, ``seg`` int64 ``size x size`` (0 background,
    1..classes-1 discs; class colours are the same in every instance). ``image = contrast * clean +
    shift``: two instances with different ``shift`` make two domains with shifted channel means.
    """

    def __init__(
        self,
        n: int,
        size: int = 32,
        classes: int = 3,
        *,
        shift: float = 0.0,
        contrast: float = 1.0,
        noise: float = 0.1,
        discs: int = 3,
        seed: int = 0,
    ) -> None:
        self.n, self.size, self.classes, self.discs, self.seed = n, size, classes, discs, seed
        self.shift, self.contrast, self.noise = shift, contrast, noise
        self.palette = np.random.default_rng(12345).uniform(-1.0, 1.0, (classes, 3)).astype(np.float32)
        self.palette[0] = 0.0
        self.cache_key = (
            f"toy_segmentation:n={n},size={size},classes={classes},shift={shift},contrast={contrast},"
            f"noise={noise},discs={discs},seed={seed}"
        )

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        rng = np.random.default_rng([self.seed, i])
        s = self.size
        yy, xx = np.mgrid[0:s, 0:s]
        seg = np.zeros((s, s), np.int64)
        for _ in range(self.discs):
            c = rng.integers(1, self.classes) if self.classes > 1 else 0
            cy, cx = rng.uniform(0, s, 2)
            r = rng.uniform(s / 8, s / 4)
            seg[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = c
        clean = self.palette[seg].transpose(2, 0, 1)
        image = clean + self.noise * rng.standard_normal((3, s, s), dtype=np.float32)
        image = self.contrast * image + self.shift
        return {"image": torch.from_numpy(image.astype(np.float32)), "seg": torch.from_numpy(seg)}


class InMemoryDataset(Dataset):
    """Every item of ``dataset`` rendered once and kept in memory (the "cached data" case)."""

    def __init__(self, dataset: Dataset) -> None:
        self.items = [dataset[i] for i in range(len(dataset))]
        self.cache_key = getattr(dataset, "cache_key", None)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        return self.items[i]
