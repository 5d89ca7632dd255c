"""Matting primitives: composite, evaluation trimap (moved from the PhotoMatte85 reader), rough mattes."""

from __future__ import annotations

import cv2
import numpy as np

from casestudies.data import matting
from casestudies.data.readers import photomatte85


def test_reader_uses_the_shared_primitives() -> None:
    assert photomatte85.composite is matting.composite
    assert photomatte85.evaluation_trimap is matting.evaluation_trimap


def test_composite_by_hand() -> None:
    fg = np.full((1, 2, 3), 200, np.uint8)
    bg = np.full((1, 2, 3), 100, np.uint8)
    out = matting.composite(fg, np.array([[0.25, 1.0]], np.float32), bg)
    assert out[0, 0].tolist() == [125, 125, 125] and out[0, 1].tolist() == [200, 200, 200]


def _disc(size: int = 64, hair: bool = True) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    alpha = (np.hypot(xx - size / 2, yy - size / 2) < size / 4).astype(np.float32)
    if hair:  # thin strands sticking out, 1 px wide and semi-transparent
        for x in range(size // 4, 3 * size // 4, 4):
            alpha[2 : size // 4, x] = np.maximum(alpha[2 : size // 4, x], 0.6)
    return alpha


def test_rough_matte_loses_strands_and_keeps_the_body() -> None:
    alpha = _disc()
    rough = matting.rough_matte(alpha, 0.8)
    assert rough.dtype == np.float32 and rough.min() >= 0 and rough.max() <= 1
    strands = (alpha > 0.5) & (cv2.erode((alpha > 0.99).astype(np.uint8), np.ones((3, 3), np.uint8)) == 0)
    strands[alpha.shape[0] // 4 :] = False
    assert rough[strands].mean() < 0.5  # the thin strands are gone
    assert rough[32, 32] > 0.99 and rough[0, 0] < 0.01
    np.testing.assert_array_equal(matting.rough_matte(alpha, 0.0), alpha)


def test_rough_matte_keeps_holes() -> None:
    alpha = np.zeros((64, 64), np.float32)
    cv2.circle(alpha, (32, 32), 20, 1.0, -1)
    cv2.circle(alpha, (32, 32), 8, 0.0, -1)
    rough = matting.rough_matte(alpha, 0.5)
    assert rough[32, 32] < 0.05 and rough[32, 18] > 0.95


def test_refinement_trimap_band() -> None:
    rough = _disc(hair=False)
    tri = matting.refinement_trimap(rough, 3)
    assert tri[32, 32] == 255 and tri[0, 0] == 0
    row = tri[32]
    edge = int(np.flatnonzero(rough[32] > 0.5)[0])
    assert (row[edge - 3 : edge + 3] == 128).all() and row[edge - 5] == 0 and row[edge + 5] == 255
