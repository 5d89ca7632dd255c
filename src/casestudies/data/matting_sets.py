"""The matting case's matte sources: generator sets (synthetic, stand-in real) and real readers.

A :class:`Mattes` holds, per item, the photograph (``image``, uint8 ``S x S x 3``), the matte a
dataset ships (``matte``: exact for the generator's synthetic preset and for PhotoMatte85, human-style
rough for the stand-in real preset, AISegment's own), the foreground layer when the source has one,
and the exact alpha when it is known (kept aside for measuring label quality, never trained on for
rough sets). Every item is square, ``size`` px (readers' images are cover-resized and centre-cropped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from casestudies.data.matting import cover_resize, rough_matte
from casestudies.data.readers import open_dataset
from casestudies.data.readers.imageio import read_alpha, read_rgb
from casestudies.data.synth.disk import cached_dataset


@dataclass
class Mattes:
    """Parallel lists of one matte source (see the module docstring); ``key`` names it in caches."""

    key: str
    images: list[np.ndarray]
    mattes: list[np.ndarray]
    foregrounds: list[np.ndarray] | None = None
    exact: list[np.ndarray] | None = None
    ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.mattes)

    def take(self, indices: range | list[int], suffix: str) -> Mattes:
        pick = lambda xs: None if xs is None else [xs[i] for i in indices]  # noqa: E731
        return Mattes(f"{self.key}/{suffix}", pick(self.images), pick(self.mattes), pick(self.foregrounds),
                      pick(self.exact), pick(self.ids) or [])


def split_blocks(n: int, fractions: tuple[float, ...]) -> list[range]:
    """Contiguous index blocks of ``n`` items by ``fractions`` (the last block takes the rest)."""
    out, start = [], 0
    for i, f in enumerate(fractions):
        stop = n if i == len(fractions) - 1 else start + round(f * n)
        out.append(range(start, stop))
        start = stop
    return out


def generator_mattes(preset: str, n: int, size: int, seed: int, *, rough: bool, workers: int = 1) -> Mattes:
    """``n`` images of a generator preset (cached set). ``rough``: the shipped matte is the human-style
    rough version of the exact alpha (:func:`rough_matte` at the image's sampled ``label_roughness``)."""
    folder = cached_dataset(preset, seed, n, size, workers=workers)
    manifest = json.loads((folder / "manifest.json").read_text())
    images, mattes, fgs, exact, ids = [], [], [], [], []
    for i in manifest["ids"]:
        stem = folder / f"{int(i):06d}"
        alpha = read_alpha(f"{stem}_alpha.png")
        images.append(read_rgb(f"{stem}.png"))
        fgs.append(read_rgb(f"{stem}_fg.png"))
        exact.append(alpha)
        roughness = float(manifest["params"][f"{int(i):06d}"].get("label_roughness", 0.0))
        mattes.append(rough_matte(alpha, roughness) if rough else alpha)
        ids.append(f"{int(i):06d}")
    key = f"{folder.name}{'/rough' if rough else ''}"
    return Mattes(key, images, mattes, fgs, exact, ids)


def _square(image: np.ndarray, size: int) -> np.ndarray:
    return cover_resize(image, (size, size))


def reader_mattes(name: str, root: str, split: str, size: int, limit: int = 0) -> Mattes:
    """Items of a real matting reader (``aisegment_matting``, ``photomatte85``), square at ``size`` px.

    AISegment ships photographs and mattes (no foreground); PhotoMatte85 foregrounds and exact mattes
    (its ``image`` is then the foreground itself). ``limit`` > 0 keeps the first ``limit`` items.
    """
    ds = open_dataset(name, root, split)
    n = len(ds) if limit <= 0 else min(limit, len(ds))
    images, mattes, fgs, ids = [], [], [], []
    for i in range(n):
        s = ds[i]
        alpha = np.clip(_square(s["alpha"], size), 0, 1).astype(np.float32)
        fg = _square(s["foreground"], size) if "foreground" in s else None
        images.append(_square(s["image"], size) if "foreground" not in s else fg)
        mattes.append(alpha)
        if fg is not None:
            fgs.append(fg)
        ids.append(str(s["meta"].get("source_id", i)))
    key = f"{name}:{Path(root).resolve()}:{split}:{n}:{size}px"
    exact = mattes if name == "photomatte85" else None
    return Mattes(key, images, mattes, fgs if len(fgs) == n else None, exact, ids)


def hair_crops(alphas: list[np.ndarray], k: int, crop: int) -> list[tuple[int, int, int]]:
    """(item, top, left) of ``k`` items with the most fractional alpha (hair), each the ``crop`` px window
    holding most of it."""
    scores = [float(((a > 0.05) & (a < 0.95)).sum()) for a in alphas]
    out = []
    for i in np.argsort(scores)[::-1][:k]:
        a = alphas[int(i)]
        frac = ((a > 0.05) & (a < 0.95)).astype(np.float32)
        h, w = a.shape
        c = min(crop, h, w)
        box = cv2.boxFilter(frac, -1, (c, c), normalize=False, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        box = box[: h - c + 1, : w - c + 1]
        top, left = np.unravel_index(int(box.argmax()), box.shape)
        out.append((int(i), int(top), int(left)))
    return out
