"""A torch ``Dataset`` that renders faces on the fly: fresh, deterministic images per (seed, epoch, index)."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
from torch.utils.data import Dataset

from casestudies.data.synth.presets import get_preset, sample_params
from casestudies.data.synth.render import render_sample


class SynthFaces(Dataset):
    """``len`` samples of ``preset`` at ``size`` px; sample ``i`` depends only on (seed, epoch, i).

    Call ``set_epoch(e)`` between epochs for new images. Items are Sample dicts (numpy), passed
    through ``transform`` when given.

    >>> ds = SynthFaces("synthetic", length=4, size=64)
    >>> ds[0]["image"].shape
    (64, 64, 3)
    """

    def __init__(self, preset: str, length: int, size: int = 128, seed: int = 0, epoch: int = 0,
                 transform: Callable[[dict], object] | None = None) -> None:
        get_preset(preset)
        self.preset, self.length, self.size, self.seed, self.epoch = preset, length, size, seed, epoch
        self.transform = transform

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int):
        if not 0 <= i < self.length:
            raise IndexError(i)
        ss = np.random.SeedSequence([self.seed, self.epoch, int(i), zlib.crc32(self.preset.encode())])
        a, b = ss.spawn(2)
        params = sample_params(self.preset, np.random.default_rng(a))
        s = render_sample(params, size=self.size, seed=int(b.generate_state(1)[0]), domain=self.preset)
        return self.transform(s) if self.transform else s
