"""CelebAMask-HQ: 30,000 CelebA-HQ photos with 18 binary part masks each.

Layout (as unpacked from the official release)::

    root/CelebA-HQ-img/{k}.jpg                                 1024 px
    root/CelebAMask-HQ-mask-anno/{k // 2000}/{k:05d}_{part}.png 512 px, binary; missing = absent part
    root/CelebA-HQ-to-CelebA-mapping.txt                       "idx orig_idx orig_file" per line

Merging follows the official ``g_mask.py``: parts are painted in ``PART_ORDER`` (later parts
overwrite earlier ones); the image is resized to the mask size (area filter).
Split follows the official ``g_partition.py`` on ``orig_idx``: < 162771 train, < 182638 val,
else test.

Sides: the files' ``l_``/``r_`` prefixes name the *image* side (FaRL's CelebAMask-HQ code maps
``l_eye`` to ``re``), so with the default ``sides="image"`` the ``l_eye`` file becomes the
subject's ``right_eye`` class; ``sides="subject"`` keeps the names literally.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casestudies.data import taxonomy as tx
from casestudies.data.readers.base import BadSampleError, DatasetError, Reader, require_dir
from casestudies.data.readers.imageio import image_size, read_binary_mask, read_rgb
from casestudies.data.schema import Sample

# The official part order (g_mask.py "list2"): id in the native taxonomy = position + 1.
PART_ORDER: tuple[str, ...] = (
    "skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear", "r_ear", "mouth",
    "u_lip", "l_lip", "hair", "hat", "ear_r", "neck_l", "neck", "cloth",
)
# File part -> class name of the ``celebamask_hq`` taxonomy when files name the subject's sides.
PART_CLASS: dict[str, str] = {
    "skin": "skin", "nose": "nose", "eye_g": "eyeglasses", "l_eye": "left_eye", "r_eye": "right_eye",
    "l_brow": "left_brow", "r_brow": "right_brow", "l_ear": "left_ear", "r_ear": "right_ear",
    "mouth": "mouth", "u_lip": "upper_lip", "l_lip": "lower_lip", "hair": "hair", "hat": "hat",
    "ear_r": "earring", "neck_l": "necklace", "neck": "neck", "cloth": "cloth",
}
TRAIN_END, VAL_END = 162771, 182638
IMG_DIR, MASK_DIR, MAPPING = "CelebA-HQ-img", "CelebAMask-HQ-mask-anno", "CelebA-HQ-to-CelebA-mapping.txt"


def part_ids(sides: str) -> dict[str, int]:
    """File part -> native class id, converting ``l_``/``r_`` when the files name the image side."""
    taxonomy = tx.get_taxonomy("celebamask_hq")
    ids = {part: taxonomy.index(cls) for part, cls in PART_CLASS.items()}
    if sides == "image":
        lut = tx.flip_lut("celebamask_hq")
        ids = {part: int(lut[i]) for part, i in ids.items()}
    elif sides != "subject":
        raise DatasetError(f"sides must be 'image' or 'subject', got {sides!r}")
    return ids


def split_of(orig_idx: int) -> str:
    return "train" if orig_idx < TRAIN_END else "val" if orig_idx < VAL_END else "test"


@dataclass(frozen=True)
class CelebItem:
    k: int
    image: Path
    masks: tuple[tuple[str, Path], ...]  # (part, path) in PART_ORDER


class CelebAMaskHQ(Reader):
    """CelebAMask-HQ: ``image`` (resized to the masks) and merged ``seg`` (``celebamask_hq``)."""

    name = "celebamask_hq"
    native_taxonomy = "celebamask_hq"
    default_sides = "image"

    def __init__(self, root: str | os.PathLike[str], split: str = "train", *, sides: str | None = None, **kw: Any) -> None:
        self.sides = sides or self.default_sides
        self._ids = part_ids(self.sides)
        super().__init__(root, split, **kw)

    def _read_mapping(self) -> list[tuple[int, int]]:
        path = self.root / MAPPING
        if not path.is_file():
            raise DatasetError(f"celebamask_hq: mapping file not found: {path}")
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            parts = line.split()
            if not parts or not parts[0].isdigit():
                continue  # header "idx orig_idx orig_file" and blank lines
            if len(parts) < 2 or not parts[1].isdigit():
                raise DatasetError(f"{path}:{n}: expected 'idx orig_idx orig_file', got {line!r}")
            rows.append((int(parts[0]), int(parts[1])))
        if not rows:
            raise DatasetError(f"{path}: no 'idx orig_idx orig_file' rows")
        return rows

    def _index(self) -> list[CelebItem]:
        img_dir = require_dir(self.root / IMG_DIR, "celebamask_hq image folder")
        mask_root = require_dir(self.root / MASK_DIR, "celebamask_hq mask folder")
        wanted = [k for k, orig in self._read_mapping() if split_of(orig) == self.split]
        # One directory listing per mask folder instead of 18 stat calls per image.
        found: dict[int, dict[str, Path]] = {}
        for folder in sorted({k // 2000 for k in wanted}):
            d = mask_root / str(folder)
            if not d.is_dir():
                continue
            for entry in os.scandir(d):
                stem, _, ext = entry.name.rpartition(".")
                num, _, part = stem.partition("_")
                if ext.lower() == "png" and num.isdigit() and part in PART_CLASS:
                    found.setdefault(int(num), {})[part] = Path(entry.path)
        items = []
        for k in wanted:
            img = img_dir / f"{k}.jpg"
            masks = found.get(k, {})
            if not img.is_file():
                self._reject(img, "image listed in the mapping file is missing")
            elif not masks:
                self._reject(mask_root / str(k // 2000) / f"{k:05d}_*.png", "no part mask files for this image")
            else:
                items.append(CelebItem(k, img, tuple((p, masks[p]) for p in PART_ORDER if p in masks)))
        return items

    def _load(self, item: CelebItem) -> Sample:
        seg: np.ndarray | None = None
        for part, path in item.masks:
            mask = read_binary_mask(path)
            if seg is None:
                seg = np.zeros(mask.shape, dtype=np.uint8)
            elif mask.shape != seg.shape:
                first = item.masks[0][1]
                raise BadSampleError(path, f"mask is {mask.shape[1]}x{mask.shape[0]} but {first.name} is {seg.shape[1]}x{seg.shape[0]}")
            seg[mask] = self._ids[part]
        assert seg is not None  # the index keeps only items with masks
        h, w = image_size(item.image)
        if h * seg.shape[1] != w * seg.shape[0]:
            raise BadSampleError(item.image, f"image is {w}x{h} (WxH), not the masks' aspect {seg.shape[1]}x{seg.shape[0]}")
        image = read_rgb(item.image, size=seg.shape)
        return {
            "image": image,
            "seg": seg,
            "meta": {"source_id": str(item.k), "path": str(item.image), "sides_in_files": self.sides},
        }
