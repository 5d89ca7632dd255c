"""AISegment.com human matting set: half-body portraits with RGBA mattes.

Layout (as unpacked from the Kaggle "AISegment.com - Matting Human Datasets" release)::

    root/clip_img/{group}/clip_{8 digits}/{name}.jpg
    root/matting/{group}/matting_{8 digits}/{name}.png      RGBA, alpha in channel 3

Pairing: an image and a matte pair when group, 8-digit folder number and file stem agree.
Split: by ``group`` (a shooting session; the set publishes no person ids, so a group is the
unit that keeps one person in one split): groups are shuffled with ``seed`` and cut by
``fractions`` (see ``base.deterministic_group_split``). The matte's RGB is the photo's colours
cut out, not a solved foreground, so no ``foreground`` key is produced.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casestudies.data.readers.base import DatasetError, Reader, deterministic_group_split, require_dir
from casestudies.data.readers.imageio import check_same_size, read_alpha, read_rgb
from casestudies.data.schema import Sample

_CLIP = re.compile(r"^clip_(\d{8})$")
_MATTING = re.compile(r"^matting_(\d{8})$")


@dataclass(frozen=True)
class MatteItem:
    image: Path
    matte: Path
    group: str
    source_id: str


def _scan(top: Path, pattern: re.Pattern[str], exts: tuple[str, ...]) -> dict[tuple[str, str, str], Path]:
    """(group, 8 digits, stem) -> file for every ``top/{group}/{prefix}_{digits}/{stem}.ext``."""
    out: dict[tuple[str, str, str], Path] = {}
    for group in sorted(os.listdir(top)):
        gdir = top / group
        if not gdir.is_dir():
            continue
        for sub in sorted(os.listdir(gdir)):
            m = pattern.match(sub)
            if not m or not (gdir / sub).is_dir():
                continue
            for name in sorted(os.listdir(gdir / sub)):
                p = gdir / sub / name
                if p.suffix.lower() in exts:
                    out[(group, m.group(1), p.stem)] = p
    return out


class AISegmentMatting(Reader):
    """AISegment human matting: ``image`` and ``alpha``."""

    name = "aisegment_matting"
    splits = ("train", "val", "test", "all")

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        *,
        fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        **kw: Any,
    ) -> None:
        self.fractions = tuple(fractions)
        self.seed = seed
        self.group_split: dict[str, str] = {}
        super().__init__(root, split, **kw)

    def _index(self) -> list[MatteItem]:
        clips = _scan(require_dir(self.root / "clip_img", "aisegment clip_img folder"), _CLIP, (".jpg", ".jpeg", ".png"))
        mattes = _scan(require_dir(self.root / "matting", "aisegment matting folder"), _MATTING, (".png",))
        if not clips:
            raise DatasetError(f"aisegment_matting: no clip_img/{{group}}/clip_XXXXXXXX/*.jpg under {self.root}")
        groups = sorted({key[0] for key in clips})
        if self.split != "all":
            self.group_split = deterministic_group_split(groups, self.fractions, self.seed)  # type: ignore[arg-type]
        items = []
        for key, img in clips.items():
            if key not in mattes:
                self._reject(img, "no matte with the same group, folder number and name under matting/")
                continue
            if self.split == "all" or self.group_split[key[0]] == self.split:
                items.append(MatteItem(img, mattes[key], key[0], f"{key[0]}/{key[1]}/{key[2]}"))
        for key, matte in mattes.items():
            if key not in clips:
                self._reject(matte, "matte has no clip image with the same group, folder number and name")
        return items

    def _file_of(self, item: MatteItem, key: str) -> Path | None:
        return item.matte if key == "alpha" else None

    def _load(self, item: MatteItem) -> Sample:
        image = read_rgb(item.image)
        alpha = read_alpha(item.matte, require_alpha_channel=True)
        check_same_size(item.matte, alpha, image.shape[:2], "matte")
        return {
            "image": image,
            "alpha": alpha,
            "meta": {"source_id": item.source_id, "path": str(item.image), "group": item.group},
        }
