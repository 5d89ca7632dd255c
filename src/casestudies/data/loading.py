"""Samples -> torch: geometric transforms that keep every label aligned, a Dataset wrapper, and the
one DataLoader factory (``make_loader``: the engine's training and evaluation loaders too), whose
workers each run one thread.

Geometry follows the pixel-centre convention: resizing an image of width ``W`` to ``W'`` maps a
landmark ``x`` to ``(x + 0.5) * W' / W - 0.5``; cropping at ``(top, left)`` subtracts ``left`` / ``top``.
Interpolation per key: image / foreground / background area (shrink) or bilinear (enlarge);
alpha bilinear; seg, trimap, depth and normals nearest (no blending across labels or surfaces).

>>> from casestudies.data.readers import open_dataset
>>> ds = open_dataset("folder", "/data/faces", "all")  # doctest: +SKIP
>>> loader = make_loader(ds, batch_size=16, transform=TrainTransform(256), num_workers=2)  # doctest: +SKIP
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from casestudies.data.schema import SPEC, Sample, hflip_sample
from casestudies.threads import pin_worker

Transform = Callable[[Sample, np.random.Generator], Sample]

_NEAREST = {"seg", "trimap", "depth", "normals"}
_POINTS = ("landmarks", "pupils", "landmarks106")


def _spatial(key: str) -> bool:
    return key in SPEC and SPEC[key].shape[:2] == ("H", "W")


def resize_sample(sample: Sample, size: tuple[int, int]) -> Sample:
    """Resize every HxW layer to ``size`` = (height, width) and rescale the points."""
    import cv2  # here, not at module level: the training engine imports this module without OpenCV

    h, w = sample["image"].shape[:2]
    nh, nw = size
    if (h, w) == (nh, nw):
        return dict(sample)
    out: Sample = {}
    for key, value in sample.items():
        if _spatial(key):
            if key in _NEAREST:
                interp = cv2.INTER_NEAREST_EXACT  # pixel-centre correct, unlike INTER_NEAREST
            elif key == "alpha":
                interp = cv2.INTER_LINEAR
            else:
                interp = cv2.INTER_AREA if nh * nw < h * w else cv2.INTER_LINEAR
            out[key] = cv2.resize(value, (nw, nh), interpolation=interp)
        elif key in _POINTS:
            scale = np.array([nw / w, nh / h], dtype=np.float32)
            out[key] = ((value + 0.5) * scale - 0.5).astype(np.float32)
        else:
            out[key] = value
    return out


def crop_sample(sample: Sample, top: int, left: int, height: int, width: int) -> Sample:
    """Crop every HxW layer to the window; zero-pad where the window leaves the image; shift points."""
    h, w = sample["image"].shape[:2]
    out: Sample = {}
    for key, value in sample.items():
        if _spatial(key):
            win = np.zeros((height, width, *value.shape[2:]), dtype=value.dtype)
            if key == "seg":
                win[...] = 255  # outside the photo nothing is known
            y0, x0 = max(top, 0), max(left, 0)
            y1, x1 = min(top + height, h), min(left + width, w)
            if y1 > y0 and x1 > x0:
                win[y0 - top : y1 - top, x0 - left : x1 - left] = value[y0:y1, x0:x1]
            out[key] = win
        elif key in _POINTS:
            out[key] = (value - np.array([left, top], dtype=np.float32)).astype(np.float32)
        else:
            out[key] = value
    return out


class EvalTransform:
    """Resize the shorter side to ``size`` and centre-crop ``size`` x ``size`` (deterministic)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, sample: Sample, rng: np.random.Generator | None = None) -> Sample:
        h, w = sample["image"].shape[:2]
        s = self.size / min(h, w)
        nh, nw = max(self.size, round(h * s)), max(self.size, round(w * s))
        sample = resize_sample(sample, (nh, nw))
        return crop_sample(sample, (nh - self.size) // 2, (nw - self.size) // 2, self.size, self.size)


class TrainTransform:
    """Random scale crop plus optional horizontal flip, output ``size`` x ``size``.

    1. Crop side = ``u * min(H, W)`` with ``u ~ U(scale)``, at a uniform random position.
    2. Resize the crop to ``size``.
    3. With probability ``hflip``, :func:`~casestudies.data.schema.hflip_sample` (swaps classes and
       landmark indices too).
    """

    def __init__(self, size: int, scale: tuple[float, float] = (0.8, 1.0), hflip: float = 0.5) -> None:
        self.size, self.scale, self.hflip = size, scale, hflip

    def __call__(self, sample: Sample, rng: np.random.Generator) -> Sample:
        h, w = sample["image"].shape[:2]
        side = max(1, int(round(rng.uniform(*self.scale) * min(h, w))))
        top = int(rng.integers(0, h - side + 1))
        left = int(rng.integers(0, w - side + 1))
        sample = resize_sample(crop_sample(sample, top, left, side, side), (self.size, self.size))
        if rng.random() < self.hflip:
            sample = hflip_sample(sample)
        return sample


def to_tensors(sample: Sample) -> dict[str, Any]:
    """Sample -> dict of tensors: image / foreground / background float32 CxHxW in [0, 1];
    seg int64 HxW; alpha, depth 1xHxW; normals 3xHxW; points float32; meta reduced to ``source_id``.
    """
    out: dict[str, Any] = {}
    for key, value in sample.items():
        if key == "meta":
            out["source_id"] = str(value.get("source_id", ""))
        elif key in ("image", "foreground", "background"):
            out[key] = torch.from_numpy(np.ascontiguousarray(value.transpose(2, 0, 1))).float().div_(255.0)
        elif key == "seg":
            out[key] = torch.from_numpy(value.astype(np.int64))
        elif key in ("alpha", "depth", "trimap"):
            out[key] = torch.from_numpy(np.ascontiguousarray(value))[None]
        elif key == "normals":
            out[key] = torch.from_numpy(np.ascontiguousarray(value.transpose(2, 0, 1)))
        else:
            out[key] = torch.from_numpy(np.ascontiguousarray(value))
    return out


class TorchDataset(Dataset):
    """Wrap a sequence of Samples: transform each one, then convert it with :func:`to_tensors`.

    Randomness: each item draws a fresh seed from torch's generator — in a loader worker the
    worker's generator (seeded by the DataLoader), in the calling process ``generator`` when given
    (``make_loader`` passes one seeded with its ``seed``), else torch's global generator — so
    augmentations differ across epochs and workers yet repeat under a fixed seed.
    """

    def __init__(
        self, samples: Sequence[Sample], transform: Transform | None = None, keys: Sequence[str] | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        self.samples = samples
        self.transform = transform
        self.keys = tuple(keys) if keys is not None else None
        self.generator = generator

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = self.samples[index]
        if self.keys is not None:
            sample = {k: v for k, v in sample.items() if k in self.keys or k == "meta"}
        if self.transform is not None:
            in_worker = torch.utils.data.get_worker_info() is not None
            gen = None if in_worker else self.generator
            seed = int(torch.randint(0, 2**62, (1,), generator=gen).item())
            sample = self.transform(sample, np.random.default_rng(seed))
        return to_tensors(sample)


def init_worker(worker_id: int) -> None:
    """``worker_init_fn`` of every loader: one thread per pool (:func:`~casestudies.threads.pin_worker`),
    and NumPy / ``random`` seeded from the worker's torch seed (which the loader's generator sets)."""
    pin_worker(worker_id)
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(
    samples: Sequence[Sample] | Dataset,
    batch_size: int | None = None,
    *,
    batch_sampler: Sampler[list[int]] | None = None,
    transform: Transform | None = None,
    shuffle: bool = False,
    num_workers: int = 2,
    seed: int = 0,
    drop_last: bool = False,
    keys: Sequence[str] | None = None,
    pin_memory: bool = False,
) -> DataLoader:
    """The project's one DataLoader factory: seeded, with single-threaded, seeded workers.

    ``samples``: a sequence of numpy Samples (a reader, a list), transformed by ``transform`` and
    converted by :func:`to_tensors` (via :class:`TorchDataset`), or a torch ``Dataset`` whose items
    are already tensors (used as it is). Batches come from ``batch_sampler`` when given (the
    engine's seeded samplers), else from ``batch_size`` / ``shuffle`` / ``drop_last``. The shuffle
    and the workers' seeds come from a generator seeded with ``seed``, never from torch's global
    one. ``num_workers=0`` loads in the calling process; workers persist across epochs.
    """
    if (batch_size is None) == (batch_sampler is None):
        raise ValueError("give batch_size or batch_sampler, not both or neither")
    # in-process loading (no workers) draws augmentation seeds from its own seeded generator
    item_gen = torch.Generator().manual_seed(seed + 1) if num_workers == 0 else None
    if isinstance(samples, TorchDataset):
        dataset: Dataset = samples
        if samples.generator is None:
            samples.generator = item_gen
    elif isinstance(samples, Dataset):
        if transform is not None or keys is not None:
            raise TypeError("transform / keys apply to numpy Samples; this torch Dataset already yields tensors")
        dataset = samples
    else:
        dataset = TorchDataset(samples, transform, keys, generator=item_gen)
    batching: dict[str, Any] = (
        {"batch_sampler": batch_sampler} if batch_sampler is not None
        else {"batch_size": batch_size, "shuffle": shuffle, "drop_last": drop_last}
    )
    workers = num_workers > 0
    return DataLoader(
        dataset,
        **batching,
        num_workers=num_workers,
        worker_init_fn=init_worker if workers else None,
        generator=torch.Generator().manual_seed(seed),
        persistent_workers=workers,
        # forkserver, never fork: a forked worker deadlocks in OpenCV or OpenMP when the parent
        # already used their thread pools (e.g. after rendering faces); forkserver starts workers
        # from a clean process (tests/data/test_loading.py fails with fork)
        multiprocessing_context="forkserver" if workers else None,
        pin_memory=pin_memory,
        prefetch_factor=4 if workers else None,
    )
