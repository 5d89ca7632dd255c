"""Microsoft FaceSynthetics, and this project's generator (same layout plus optional layers).

Layout (flat, one id per image; Microsoft uses 6-digit ids)::

    root/{id:06d}.png            RGB
    root/{id:06d}_seg.png        8-bit ids, ``facesynthetics19``, 255 ignore
    root/{id:06d}_ldmks.txt      70 lines "x y": iBUG 68, then 2 pupils
    optional (the generator writes them, Microsoft's set lacks them):
    root/{id:06d}_alpha.png      16-bit gray, alpha = value / 65535
    root/{id:06d}_fg.png, _bg.png   RGB layers
    root/{id:06d}_depth.npy      float32 HxW metres;  _normals.npy  float16 HxWx3
    root/{id:06d}_meta.json      landmarks_visible (68 bools), gaze, head pose, camera, params
    root/manifest.json           generator version, preset, seed, n, size, ids

``layers=`` names the optional layers to read (default all; ``()`` reads image, seg and points only).

Splits: when ``root/<split>/`` exists it is read whole; otherwise the sorted ids are cut into
contiguous blocks by ``fractions`` (train, val, test; default 0.9/0.05/0.05); ``"all"`` reads all.
Landmarks are taken as 0-based pixel-centre coordinates (``ldmk_offset`` is subtracted if a copy
uses another origin). Pupils are ordered to the subject's sides by the nearer eye contour.
Sides: class names are taken to follow the subject's sides (``sides="subject"``, the default;
``sides="image"`` swaps every left/right class). The open-time side check guards this.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casestudies.data.readers.base import BadSampleError, DatasetError, Reader, require_dir, side_swap_lut
from casestudies.data.readers.imageio import check_same_size, read_alpha, read_label, read_npy, read_rgb
from casestudies.data.readers.landmarks import read_xy_lines
from casestudies.data.schema import Sample, order_pupils

_ID = re.compile(r"^(\d+)\.png$")
N_LDMKS = 70
# optional per-image files read when present (``layers=`` picks a subset; "meta" = ``_meta.json``,
# which holds ``landmarks_visible``): a segmentation run reads none of them
OPTIONAL_LAYERS = ("alpha", "foreground", "background", "depth", "normals", "meta")


@dataclass(frozen=True)
class SynthItem:
    folder: Path
    stem: str  # the id as written in the file names


class FaceSynthetics(Reader):
    """FaceSynthetics / generator output: image, seg, landmarks, pupils, plus any extra layers."""

    name = "facesynthetics"
    native_taxonomy = "facesynthetics19"
    default_sides = "subject"
    domain = "synthetic"
    splits = ("train", "val", "test", "all")

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "all",
        *,
        fractions: tuple[float, float, float] = (0.9, 0.05, 0.05),
        ldmk_offset: float = 0.0,
        sides: str | None = None,
        layers: Sequence[str] | None = None,
        **kw: Any,
    ) -> None:
        unknown = sorted(set(layers or ()) - set(OPTIONAL_LAYERS))
        if unknown:
            raise DatasetError(f"unknown optional layers {unknown}; valid: {list(OPTIONAL_LAYERS)}")
        self.layers = frozenset(OPTIONAL_LAYERS if layers is None else layers)
        if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
            raise DatasetError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
        self.fractions = tuple(fractions)
        self.ldmk_offset = ldmk_offset
        self.sides = sides or self.default_sides
        self._swap = side_swap_lut("facesynthetics19", self.sides)
        self.manifest: dict[str, Any] | None = None
        super().__init__(root, split, **kw)

    def _index(self) -> list[SynthItem]:
        folder = self.root
        whole = self.split == "all"
        if self.split != "all" and (self.root / self.split).is_dir():
            folder, whole = require_dir(self.root / self.split, "facesynthetics split"), True
        manifest_path = folder / "manifest.json"
        if manifest_path.is_file():
            try:
                self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise DatasetError(f"{manifest_path}: unreadable manifest ({err})") from None
        stems = sorted((m.group(1) for m in map(_ID.match, os.listdir(folder)) if m), key=int)
        if self.manifest is not None and "ids" in self.manifest:
            listed = {int(i) for i in self.manifest["ids"]}
            present = {int(s) for s in stems}
            for missing in sorted(listed - present):
                self._reject(folder / f"{missing:06d}.png", "id listed in manifest.json but the image is missing")
        if not whole:
            n = len(stems)
            a = round(self.fractions[0] * n)
            b = a + round(self.fractions[1] * n)
            stems = {"train": stems[:a], "val": stems[a:b], "test": stems[b:]}[self.split]
        return [SynthItem(folder, s) for s in stems]

    def _path(self, item: SynthItem, suffix: str) -> Path:
        return item.folder / f"{item.stem}{suffix}"

    def _file_of(self, item: SynthItem, key: str) -> Path | None:
        suffix = {"seg": "_seg.png", "landmarks": "_ldmks.txt", "pupils": "_ldmks.txt"}.get(key)
        return None if suffix is None else self._path(item, suffix)

    def _load(self, item: SynthItem) -> Sample:
        img_path = self._path(item, ".png")
        image = read_rgb(img_path)
        hw = image.shape[:2]
        seg_path = self._path(item, "_seg.png")
        seg = read_label(seg_path)
        check_same_size(seg_path, seg, hw, "segmentation")
        if self._swap is not None:
            seg = self._swap[seg]
        points = read_xy_lines(self._path(item, "_ldmks.txt"), N_LDMKS, self.ldmk_offset)
        meta: dict[str, Any] = {"source_id": item.stem, "path": str(img_path)}
        if self.manifest is not None:
            # scalars only: the manifest's per-id lists (ids, params) stay out of every sample
            meta["generator"] = {k: v for k, v in self.manifest.items() if not isinstance(v, (list, dict))}
            # a generator set names its preset as the domain; a stand-in is never labelled plain "synthetic"
            for key in ("domain", "is_standin"):
                if key in self.manifest:
                    meta[key] = self.manifest[key]
        sample: Sample = {
            "image": image,
            "seg": seg,
            "landmarks": points[:68].copy(),
            "pupils": order_pupils(points[68:70], points[:68]),
        }
        self._load_extras(item, hw, sample, meta)
        sample["meta"] = meta
        return sample

    def _load_extras(self, item: SynthItem, hw: tuple[int, int], sample: Sample, meta: dict[str, Any]) -> None:
        """Optional layers (those in ``self.layers``): read when the file exists, absent otherwise."""
        want = self.layers
        p = self._path(item, "_alpha.png")
        if "alpha" in want and p.is_file():
            sample["alpha"] = read_alpha(p)
            check_same_size(p, sample["alpha"], hw, "alpha")
        for key, suffix in (("foreground", "_fg.png"), ("background", "_bg.png")):
            p = self._path(item, suffix)
            if key in want and p.is_file():
                sample[key] = read_rgb(p)
                check_same_size(p, sample[key], hw, key)
        p = self._path(item, "_depth.npy")
        if "depth" in want and p.is_file():
            sample["depth"] = read_npy(p, np.float32, hw)
        p = self._path(item, "_normals.npy")
        if "normals" in want and p.is_file():
            sample["normals"] = read_npy(p, np.float32, (*hw, 3))
        p = self._path(item, "_meta.json")
        if "meta" in want and p.is_file():
            try:
                extra = json.loads(p.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise BadSampleError(p, f"unreadable json ({err})") from None
            if not isinstance(extra, dict):
                raise BadSampleError(p, "expected a JSON object")
            visible = extra.pop("landmarks_visible", None)
            if visible is not None:
                vis = np.asarray(visible, dtype=bool)
                if vis.shape != (68,):
                    raise BadSampleError(p, f"landmarks_visible has {vis.size} entries, expected 68")
                sample["landmarks_visible"] = vis
            for key, value in extra.items():
                meta.setdefault(key, value)
