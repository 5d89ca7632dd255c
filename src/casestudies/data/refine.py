"""Matte refinement with pymatting, and the cache of labelled real sets.

A real matting set comes as photographs with mattes. To composite a photograph's subject onto new
backgrounds one needs its foreground colours, estimated from the photo and the matte
(``pymatting.estimate_foreground_ml``). With ``refine=True`` the matte itself is first re-solved:

1. a trimap from the rough matte: unknown within ``trimap_px`` px of its 0.5 contour
   (:func:`casestudies.data.matting.refinement_trimap`), known elsewhere;
2. closed-form matting on the photograph (``pymatting.estimate_alpha_cf``, Levin et al. 2008);
3. the foreground from the refined matte (``estimate_foreground_ml``).

Results are cached like generated sets: ``<cache>/matting/<key>.npz`` (alphas and foregrounds), the key
a hash of the source set's key, the method and its parameters; concurrent runs compute it once
(file lock). ``REFINE_VERSION`` enters the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from casestudies.data.matting import refinement_trimap
from casestudies.filelock import exclusive
from casestudies.runlog import one_off

REFINE_VERSION = 1


def estimate_foreground(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Foreground colours (uint8) of ``image`` under ``alpha`` (multilevel method, Germer et al. 2020)."""
    from pymatting import estimate_foreground_ml

    fg = estimate_foreground_ml(image.astype(np.float64) / 255.0, alpha.astype(np.float64))
    return np.clip(np.rint(fg * 255), 0, 255).astype(np.uint8)


def refine_matte(image: np.ndarray, rough: np.ndarray, trimap_px: int = 3) -> np.ndarray:
    """Closed-form alpha (float32 in [0, 1]) of ``image`` in a trimap around ``rough``'s 0.5 contour."""
    from pymatting import estimate_alpha_cf

    trimap = refinement_trimap(rough, trimap_px)
    if not (trimap == 128).any() or not (trimap == 255).any() or not (trimap == 0).any():
        return rough.astype(np.float32, copy=True)  # nothing to solve (or no constraints)
    alpha = estimate_alpha_cf(image.astype(np.float64) / 255.0, trimap.astype(np.float64) / 255.0)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def label_key(source_key: str, refine: bool, trimap_px: int) -> str:
    """Cache key of a labelled set: the source set, the method and its parameters."""
    spec = {"source": source_key, "refine": bool(refine), "trimap_px": int(trimap_px), "version": REFINE_VERSION}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _compute(images: Sequence[np.ndarray], mattes: Sequence[np.ndarray], refine: bool, trimap_px: int):
    alphas, fgs = [], []
    for image, matte in zip(images, mattes):
        alpha = refine_matte(image, matte, trimap_px) if refine else matte.astype(np.float32)
        alphas.append(alpha)
        fgs.append(estimate_foreground(image, alpha))
    return np.stack(alphas), np.stack(fgs)


def labelled_set(
    images: Sequence[np.ndarray],
    mattes: Sequence[np.ndarray],
    *,
    source_key: str,
    refine: bool,
    trimap_px: int = 3,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(alphas ``N x H x W`` float32, foregrounds ``N x H x W x 3`` uint8, cache hit?) of a real set.

    ``mattes`` are the set's own (rough) mattes; ``refine`` re-solves them first. Without
    ``cache_dir`` nothing is cached.
    """
    if len(images) != len(mattes):
        raise ValueError(f"{len(images)} images for {len(mattes)} mattes")
    if cache_dir is None:
        return (*_compute(images, mattes, refine, trimap_px), False)
    path = Path(cache_dir) / "matting" / f"{label_key(source_key, refine, trimap_px)}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with (contextlib.nullcontext() if path.exists() else one_off()), exclusive(path.with_name(path.name + ".lock")):
        if path.exists():
            with np.load(path) as z:
                return z["alphas"], z["foregrounds"], True
        alphas, fgs = _compute(images, mattes, refine, trimap_px)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex}.npz")
        try:
            np.savez(tmp, alphas=alphas, foregrounds=fgs)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return alphas, fgs, False
