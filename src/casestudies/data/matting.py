"""Matting primitives shared by the readers and the matting case: compositing, the evaluation trimap,
cover-resizing a background, and human-style rough mattes.

Conventions: images are ``H x W x 3`` uint8 sRGB, mattes ``H x W`` float32 in [0, 1]; trimaps are uint8
with 0 = background, 128 = unknown, 255 = foreground.
"""

from __future__ import annotations

import cv2
import numpy as np

TRIMAP_BG, TRIMAP_UNKNOWN, TRIMAP_FG = 0, 128, 255


def composite(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """``alpha * fg + (1 - alpha) * bg`` on 8-bit values, rounded to uint8."""
    a = alpha[..., None].astype(np.float32)
    out = a * fg.astype(np.float32) + (1.0 - a) * bg.astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def evaluation_trimap(alpha: np.ndarray, low: float = 0.06, high: float = 0.96, iterations: int = 10) -> np.ndarray:
    """Evaluation trimap (uint8: 0 background, 128 unknown, 255 foreground) from a ground-truth matte.

    1. Unknown seed: ``low < alpha < high``.
    2. Foreground = ``alpha >= high`` eroded ``iterations`` times with a 3x3 kernel.
    3. Background = ``alpha <= low`` eroded ``iterations`` times (i.e. everything above ``low``
       dilated ``iterations`` times, then inverted).
    4. Everything else is unknown: the band of step 1 widened by ``iterations`` px on both sides.
    """
    kernel = np.ones((3, 3), np.uint8)
    fg = cv2.erode((alpha >= high).astype(np.uint8), kernel, iterations=iterations, borderType=cv2.BORDER_REPLICATE)
    not_bg = cv2.dilate((alpha > low).astype(np.uint8), kernel, iterations=iterations, borderType=cv2.BORDER_REPLICATE)
    trimap = np.full(alpha.shape, TRIMAP_UNKNOWN, np.uint8)
    trimap[not_bg == 0] = TRIMAP_BG
    trimap[fg == 1] = TRIMAP_FG
    return trimap


def cover_resize(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Scale ``image`` to cover ``hw`` (height, width) keeping its aspect, then centre-crop."""
    h, w = hw
    ih, iw = image.shape[:2]
    s = max(h / ih, w / iw)
    nh, nw = max(h, round(ih * s)), max(w, round(iw * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (nw, nh), interpolation=interp)
    top, left = (nh - h) // 2, (nw - w) // 2
    return np.ascontiguousarray(resized[top : top + h, left : left + w])


def rough_matte(alpha: np.ndarray, roughness: float) -> np.ndarray:
    """A human-style rough matte of an exact one, as a quick annotation tool would give it.

    1. The silhouette ``alpha > 0.5`` is traced and each outline simplified to a polygon (tolerance
       ``1.5 roughness`` px per 128 px of height, as the generator's rough segmentation labels);
       outlines smaller than ``2 roughness`` px^2 are dropped (thin strands vanish).
    2. The polygon mask is feathered with a Gaussian of ``roughness`` px per 128 px: a soft but
       uniform edge with no hair detail. ``roughness <= 0`` returns a copy of ``alpha``.
    """
    if roughness <= 0:
        return alpha.astype(np.float32, copy=True)
    h = alpha.shape[0]
    eps = roughness * 1.5 * h / 128
    binary = (alpha > 0.5).astype(np.uint8)
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    out = np.zeros(alpha.shape, np.uint8)
    outer: list[np.ndarray] = []
    holes: list[np.ndarray] = []
    for c, info in zip(contours, hierarchy[0] if hierarchy is not None else []):
        if cv2.contourArea(c) >= 2 * roughness:
            (holes if info[3] >= 0 else outer).append(cv2.approxPolyDP(c, eps, True))
    cv2.fillPoly(out, outer, 1)
    cv2.fillPoly(out, holes, 0)  # holes (contours with a parent) are cut out afterwards
    soft = cv2.GaussianBlur(out.astype(np.float32), (0, 0), max(roughness * h / 128, 0.3))
    return np.clip(soft, 0.0, 1.0).astype(np.float32)


def refinement_trimap(rough: np.ndarray, width: int) -> np.ndarray:
    """Trimap for re-solving a rough matte: unknown within ``width`` px of its 0.5 contour, else the
    rough matte's side (uint8 0 / 128 / 255)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    inside = (rough > 0.5).astype(np.uint8)
    fg = cv2.erode(inside, kernel, borderType=cv2.BORDER_REPLICATE)
    not_bg = cv2.dilate(inside, kernel, borderType=cv2.BORDER_REPLICATE)
    trimap = np.full(rough.shape, TRIMAP_UNKNOWN, np.uint8)
    trimap[not_bg == 0] = TRIMAP_BG
    trimap[fg == 1] = TRIMAP_FG
    return trimap
