"""pymatting refinement and the labelled-set cache."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from casestudies.data import refine
from casestudies.data.matting import composite, rough_matte


def _scene(size: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """A smooth-coloured disc with a soft edge on a different smooth background, and its alpha."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    alpha = np.clip((size / 3.2 - np.hypot(xx - size / 2, yy - size / 2)) / 2.5 + 0.5, 0, 1).astype(np.float32)
    fg = np.dstack([np.full((size, size), 220), 60 + xx, np.full((size, size), 40)]).astype(np.uint8)
    bg = np.dstack([np.full((size, size), 30), np.full((size, size), 90), 120 + yy]).astype(np.uint8)
    return composite(fg, alpha, bg), alpha


def test_refine_recovers_a_soft_edge_from_a_hard_rough_matte() -> None:
    image, alpha = _scene()
    rough = (alpha > 0.5).astype(np.float32)
    refined = refine.refine_matte(image, rough, trimap_px=4)
    band = cv2.dilate(((alpha > 0.02) & (alpha < 0.98)).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert np.abs(refined - alpha)[band].mean() < 0.5 * np.abs(rough - alpha)[band].mean()


def test_estimate_foreground_shapes() -> None:
    image, alpha = _scene()
    fg = refine.estimate_foreground(image, alpha)
    assert fg.shape == image.shape and fg.dtype == np.uint8
    assert abs(int(fg[24, 24, 0]) - 220) <= 3  # inside the disc the foreground is the disc's colour


def test_labelled_set_is_cached(tmp_path: Path) -> None:
    image, alpha = _scene(32)
    rough = rough_matte(alpha, 0.5)
    a1, f1, hit1 = refine.labelled_set([image], [rough], source_key="k", refine=True, cache_dir=tmp_path)
    a2, f2, hit2 = refine.labelled_set([image], [rough], source_key="k", refine=True, cache_dir=tmp_path)
    assert (hit1, hit2) == (False, True)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(f1, f2)
    a3, _, hit3 = refine.labelled_set([image], [rough], source_key="k", refine=False, cache_dir=tmp_path)
    assert not hit3 and np.array_equal(a3[0], rough)
    assert len(list((tmp_path / "matting").glob("*.npz"))) == 2
