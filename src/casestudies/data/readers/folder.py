"""Generic folder reader: images plus any of masks / alpha / landmarks, matched by file stem.

Layout (``root/<split>/`` for train/val/test, ``root/`` itself for ``split="all"``)::

    images/{stem}.jpg|png|...
    masks/{stem}.png        label ids in ``native_taxonomy`` (required when masks/ exists)
    alpha/{stem}.png        8/16-bit gray, or RGBA (alpha channel)
    landmarks/{stem}.pts    300W style, 1-based, 68 points   (or .txt: 68 or 70 lines "x y", 0-based)

An image whose mask / alpha / landmark file is missing is a bad sample once that folder exists
(every image must carry the same labels). ``sides`` says how the mask ids name left/right.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from casestudies.data import taxonomy as tx
from casestudies.data.readers.base import (
    BadSampleError,
    DatasetError,
    Reader,
    require_dir,
    side_swap_lut,
    stems,
)
from casestudies.data.readers.imageio import check_same_size, read_alpha, read_label, read_rgb
from casestudies.data.readers.landmarks import read_pts, read_xy_lines
from casestudies.data.schema import Sample, order_pupils

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class FolderItem:
    stem: str
    image: Path
    mask: Path | None
    alpha: Path | None
    landmarks: Path | None


class Folder(Reader):
    """Any folder of images with optional ``masks/``, ``alpha/`` and ``landmarks/`` sub-folders."""

    name = "folder"
    splits: ClassVar[tuple[str, ...]] = ("train", "val", "test", "all")

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "all",
        *,
        native_taxonomy: str | None = None,
        sides: str = "subject",
        **kw: Any,
    ) -> None:
        if native_taxonomy is not None:
            tx.get_taxonomy(native_taxonomy)
        self._native = native_taxonomy
        self.sides = sides
        self._swap = side_swap_lut(native_taxonomy, sides) if native_taxonomy else None
        super().__init__(root, split, **kw)

    # The native taxonomy is a per-instance choice here, not a class constant.
    @property
    def native_taxonomy(self) -> str | None:  # type: ignore[override]
        return self._native

    def _index(self) -> list[FolderItem]:
        base = self.root / self.split if self.split != "all" else self.root
        base = require_dir(base, f"folder split {self.split!r}")
        images = stems(require_dir(base / "images", "folder images/ sub-folder"), IMAGE_EXTS)
        found: dict[str, dict[str, Path] | None] = {}
        for sub, exts in (("masks", (".png", ".bmp", ".tif", ".tiff")), ("alpha", (".png", ".tif", ".tiff")), ("landmarks", (".pts", ".txt"))):
            found[sub] = stems(base / sub, exts) if (base / sub).is_dir() else None
        if found["masks"] is not None and self._native is None:
            raise DatasetError(f"folder: {base / 'masks'} exists; pass native_taxonomy= one of {sorted(tx.TAXONOMIES)}")
        items = []
        for stem, img in images.items():
            paths: dict[str, Path | None] = {}
            for sub, table in found.items():
                paths[sub] = None if table is None else table.get(stem)
                if table is not None and paths[sub] is None:
                    self._reject(img, f"no file named {stem}.* in {base / sub}")
                    break
            else:
                items.append(FolderItem(stem, img, paths["masks"], paths["alpha"], paths["landmarks"]))
        return items

    def _file_of(self, item: FolderItem, key: str) -> Path | None:
        return {"seg": item.mask, "alpha": item.alpha, "landmarks": item.landmarks, "pupils": item.landmarks}.get(key)

    def _load(self, item: FolderItem) -> Sample:
        image = read_rgb(item.image)
        hw = image.shape[:2]
        sample: Sample = {"image": image}
        if item.mask is not None:
            seg = read_label(item.mask)
            check_same_size(item.mask, seg, hw, "mask")
            sample["seg"] = seg if self._swap is None else self._swap[seg]
        if item.alpha is not None:
            alpha = read_alpha(item.alpha)
            check_same_size(item.alpha, alpha, hw, "alpha")
            sample["alpha"] = alpha
        if item.landmarks is not None:
            if item.landmarks.suffix.lower() == ".pts":
                sample["landmarks"] = read_pts(item.landmarks)
            else:
                n = sum(1 for ln in item.landmarks.read_text(encoding="utf-8").splitlines() if ln.strip())
                if n not in (68, 70):
                    raise BadSampleError(item.landmarks, f"has {n} points, expected 68 or 70")
                pts = read_xy_lines(item.landmarks, n)
                sample["landmarks"] = pts[:68].copy()
                if n == 70:
                    sample["pupils"] = order_pupils(pts[68:], pts[:68])
        sample["meta"] = {"source_id": item.stem, "path": str(item.image)}
        return sample
