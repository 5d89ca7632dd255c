"""LaPa face parsing: 11 classes and 106 landmarks.

Layout (as unpacked from the LaPa release)::

    root/{train,val,test}/images/{name}.jpg
    root/{train,val,test}/labels/{name}.png       8-bit, ids 0..10
    root/{train,val,test}/landmarks/{name}.txt    "106" then 106 lines "x y"

Sides: LaPa's "left eyebrow/eye" (ids 2 and 4) name the *image* side, i.e. the subject's right
(FaRL's LaPa code names id 2 ``rb`` and id 4 ``re``). With the default ``sides="image"`` the reader
swaps 2<->3 and 4<->5 so that ``lapa11`` ids follow the subject-side convention; pass
``sides="subject"`` to keep the file ids as they are.

The 106 points are LaPa's own scheme (not iBUG 68); they are checked when the dataset is opened
and returned as ``landmarks106`` only with ``landmarks106=True``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casestudies.data.readers.base import BadSampleError, Reader, require_dir, side_swap_lut, stems
from casestudies.data.readers.imageio import check_same_size, read_label, read_rgb
from casestudies.data.readers.landmarks import read_lapa_landmarks
from casestudies.data.schema import Sample


@dataclass(frozen=True)
class LapaItem:
    image: Path
    label: Path
    landmarks: Path
    points: np.ndarray | None
    source_id: str


class LaPa(Reader):
    """LaPa: ``image``, ``seg`` (lapa11, subject sides) and optionally ``landmarks106``."""

    name = "lapa"
    native_taxonomy = "lapa11"
    default_sides = "image"

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        *,
        sides: str | None = None,
        landmarks106: bool = False,
        **kw: Any,
    ) -> None:
        self.sides = sides or self.default_sides
        self._swap = side_swap_lut("lapa11", self.sides)
        self.with_landmarks106 = landmarks106
        super().__init__(root, split, **kw)

    def _index(self) -> list[LapaItem]:
        base = require_dir(self.root / self.split, f"lapa split {self.split!r}")
        images = stems(require_dir(base / "images", "lapa images folder"), (".jpg", ".jpeg", ".png"))
        labels = stems(require_dir(base / "labels", "lapa labels folder"), (".png",))
        lm_dir = base / "landmarks"
        landmarks = stems(lm_dir, (".txt",)) if lm_dir.is_dir() else {}
        items = []
        for stem, img in images.items():
            if stem not in labels:
                self._reject(img, f"no label file {base / 'labels' / (stem + '.png')}")
                continue
            points = None
            lm = landmarks.get(stem, lm_dir / f"{stem}.txt")
            if stem in landmarks and self.with_landmarks106:  # parsed only when asked for
                try:
                    points = read_lapa_landmarks(lm)
                except BadSampleError as err:
                    self._reject(err.path, err.reason)
                    continue
            elif self.with_landmarks106:
                self._reject(lm, "landmark file is missing (landmarks106=True)")
                continue
            items.append(LapaItem(img, labels[stem], lm, points, f"{self.split}/{stem}"))
        for stem, lab in labels.items():
            if stem not in images:
                self._reject(lab, "label has no image with the same name")
        return items

    def _file_of(self, item: LapaItem, key: str) -> Path | None:
        return {"seg": item.label, "landmarks106": item.landmarks}.get(key)

    def _load(self, item: LapaItem) -> Sample:
        image = read_rgb(item.image)
        seg = read_label(item.label)
        check_same_size(item.label, seg, image.shape[:2], "label")
        if self._swap is not None:
            seg = self._swap[seg]
        sample: Sample = {
            "image": image,
            "seg": seg,
            "meta": {"source_id": item.source_id, "path": str(item.image), "sides_in_files": self.sides},
        }
        if self.with_landmarks106 and item.points is not None:
            sample["landmarks106"] = item.points.copy()
        return sample
