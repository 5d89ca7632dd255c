"""PhotoMatte85: 85 RGBA portrait foregrounds, composited onto a chosen background set for evaluation.

Layout: ``root/*.png`` (RGBA; the RGB is the foreground layer, the alpha its matte). The set has
no backgrounds and no trimaps; both are made here:

* background set: ``backgrounds="skimage"`` (scikit-image's bundled photos and textures without
  people, ``SKIMAGE_BACKGROUNDS``) or a folder of images. Foreground ``i`` (sorted by name) with
  copy ``j < pairs_per_fg`` gets background ``perm[(i * pairs_per_fg + j) % n_bg]``, ``perm`` a
  permutation drawn with ``seed``. The background is scaled to cover the foreground and
  centre-cropped (area filter).
* composite: ``I = alpha * F + (1 - alpha) * B`` on 8-bit sRGB values, rounded to uint8, and the
  evaluation trimap: :func:`casestudies.data.matting.composite` and ``evaluation_trimap``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casestudies.data.matting import composite, cover_resize, evaluation_trimap  # noqa: F401 (re-exported)
from casestudies.data.readers.base import DatasetError, Reader, require_dir, stems
from casestudies.data.readers.imageio import read_rgb, read_rgba
from casestudies.data.schema import Sample

SKIMAGE_BACKGROUNDS: tuple[str, ...] = ("coffee", "chelsea", "rocket", "motorcycle", "hubble_deep_field", "brick", "grass", "gravel")


def skimage_background(name: str) -> np.ndarray:
    """One of scikit-image's bundled photos as HxWx3 uint8 (gray textures are repeated to RGB)."""
    from skimage import data

    if name not in SKIMAGE_BACKGROUNDS:
        raise DatasetError(f"unknown scikit-image background {name!r}; valid: {list(SKIMAGE_BACKGROUNDS)}")
    img = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3], dtype=np.uint8)


@dataclass(frozen=True)
class CompositeItem:
    foreground: Path
    background: str  # scikit-image name or a file path
    copy: int


class PhotoMatte85(Reader):
    """PhotoMatte85 composites: image, alpha, foreground, background and the evaluation trimap."""

    name = "photomatte85"
    splits = ("test", "all")

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "test",
        *,
        backgrounds: str | os.PathLike[str] = "skimage",
        pairs_per_fg: int = 1,
        seed: int = 0,
        **kw: Any,
    ) -> None:
        if pairs_per_fg < 1:
            raise DatasetError(f"pairs_per_fg must be >= 1, got {pairs_per_fg}")
        self.backgrounds = str(backgrounds)
        self.pairs_per_fg = pairs_per_fg
        self.seed = seed
        self._bg_cache: dict[str, np.ndarray] = {}
        super().__init__(root, split, **kw)

    def _background_names(self) -> list[str]:
        if self.backgrounds == "skimage":
            return list(SKIMAGE_BACKGROUNDS)
        folder = require_dir(Path(self.backgrounds).expanduser(), "photomatte85 background folder")
        names = [str(p) for p in stems(folder, (".jpg", ".jpeg", ".png", ".bmp", ".ppm")).values()]
        if not names:
            raise DatasetError(f"photomatte85: background folder {folder} holds no images")
        return names

    def _index(self) -> list[CompositeItem]:
        fgs = list(stems(self.root, (".png",)).values())
        bgs = self._background_names()
        perm = np.random.default_rng(self.seed).permutation(len(bgs))
        items = []
        for i, fg in enumerate(fgs):
            for j in range(self.pairs_per_fg):
                items.append(CompositeItem(fg, bgs[perm[(i * self.pairs_per_fg + j) % len(bgs)]], j))
        return items

    def _background(self, name: str) -> np.ndarray:
        if name not in self._bg_cache:  # a handful of images, shared by all composites
            self._bg_cache[name] = skimage_background(name) if self.backgrounds == "skimage" else read_rgb(name)
        return self._bg_cache[name]

    def _load(self, item: CompositeItem) -> Sample:
        fg, alpha = read_rgba(item.foreground)
        bg = cover_resize(self._background(item.background), fg.shape[:2])
        return {
            "image": composite(fg, alpha, bg),
            "alpha": alpha,
            "foreground": fg,
            "background": bg,
            "trimap": evaluation_trimap(alpha),
            "meta": {
                "source_id": f"{item.foreground.stem}#{item.copy}",
                "path": str(item.foreground),
                "background_id": Path(item.background).name,
            },
        }
