"""Post-processing and human-style label degradation.

Colour jitter, noise and blur act on the foreground and background *layers*, so the final image is
still exactly ``alpha * fg + (1 - alpha) * bg`` (before uint8 rounding). JPEG acts on the final image
only; a JPEG-compressed sample has ``meta["composite_exact"] = False``.
"""

from __future__ import annotations

import cv2
import numpy as np

from casestudies.data.synth.raster import affine
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS


def colour_jitter(img: np.ndarray, params: dict) -> np.ndarray:
    """Per-channel affine map (brightness, contrast about 0.5, saturation, white balance); float HxWx3 in [0, 1]."""
    # one 3x3 matrix and offset: white balance, then saturation about the channel mean, then contrast
    wb = float(params["white_balance"])
    sat, con = float(params["saturation"]), float(params["contrast"])
    m = (sat * np.eye(3) + (1 - sat) / 3.0) @ np.diag([1 + wb, 1.0, 1 - wb]) * con
    off = 0.5 - 0.5 * con + float(params["brightness"])
    flat = np.ascontiguousarray(img, np.float32).reshape(-1, 3)
    return affine(flat, m.astype(np.float32), np.zeros(3, np.float32), np.full(3, off, np.float32)).reshape(img.shape)


def blur_layers(fg: np.ndarray, alpha: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Blur the subject: premultiplied colour and alpha together, then un-premultiply."""
    if sigma < 0.3:
        return fg, alpha
    pre = cv2.GaussianBlur(fg * alpha[..., None], (0, 0), sigma)
    a = cv2.GaussianBlur(alpha, (0, 0), sigma)
    out = np.where(a[..., None] > 1e-4, pre / np.maximum(a[..., None], 1e-4), 0.0)
    return out.astype(np.float32), np.clip(a, 0, 1).astype(np.float32)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


# paint order for rough labels: large regions first, small parts on top (as an annotator would)
_PAINT_ORDER = ["clothing", "neck", "hair", "skin", "right_ear", "left_ear", "beard", "nose", "right_brow",
                "left_brow", "right_eye", "left_eye", "top_lip", "bottom_lip", "mouth_interior", "headwear",
                "facewear", "glasses"]


def _match_area(mask: np.ndarray, target: int) -> np.ndarray:
    """Grow or shrink ``mask`` along its outline (a level set of its signed distance) to ``target`` pixels.

    Holes shrink as the region grows and vice versa; thin parts never turn inside out.
    """
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    sd = np.where(mask > 0, inside, 0.5 - outside)  # > 0 inside; -0.5 one pixel out, ...
    # a light blur breaks the ties of the integer-like distances, so the level holds exactly ``target``
    sd = cv2.GaussianBlur(sd.astype(np.float32), (0, 0), 0.7)
    band = sd[(sd > -2.5) & (sd < 2.5)]  # change the outline by at most ~2 px
    if target <= 0 or not len(band):
        return mask
    flat = sd.ravel()
    k = flat.size - min(target, flat.size)  # the target-th largest value
    tau = np.partition(flat, k)[k]
    tau = float(np.clip(tau, band.min(), band.max()))
    return (sd >= tau).astype(np.uint8)


def _fill(polys: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Even-odd fill: outer outlines filled, hole outlines cut out again."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(q).astype(np.int32).reshape(-1, 1, 2) for q in polys], 1)
    return mask


def _rough_class(m: np.ndarray, eps: float, min_area: float) -> np.ndarray | None:
    """Rough mask of one class: its outlines (holes kept) simplified, then offset so the area matches.

    An inscribed Douglas-Peucker polygon cuts every convex bend, so plain simplification shrinks small
    parts (eyes came out 0.7-0.87x their area); closing gaps grows thin ones. Moving the outline to the
    level of its signed distance that restores the true pixel count removes both biases.
    """
    closed = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    polys = []
    for c in contours:
        # specks and slivers keep their own outline; larger parts are simplified
        q = c if cv2.contourArea(c) < min_area else cv2.approxPolyDP(c, eps, True)
        q = q.reshape(-1, 2).astype(np.float64)
        polys.append(q)
    if not polys:
        return None
    return _match_area(_fill(polys, m.shape), int(m.sum()))


def rough_seg(seg: np.ndarray, roughness: float) -> np.ndarray:
    """Human-style mask: each class outline (holes included) simplified to polygons whose tolerance
    grows with roughness, repainted large-to-small as an annotator would.

    Holes stay holes (a clear-glasses frame is a ring, so the eyes inside keep their labels) and each
    class keeps its area (``_rough_class``).
    """
    if roughness <= 0:
        return seg
    h = seg.shape[0]
    eps = roughness * 1.5 * h / 128
    out = np.zeros_like(seg)
    # each class is worked on in its bounding box plus a margin wider than anything the roughening can
    # move or blur (polygon tolerance, area matching within ~2.5 px, a 0.7 px blur), not the whole image
    pad = int(np.ceil(eps)) + 8
    for name in _PAINT_ORDER:
        cls = FS.index(name)
        m = (seg == cls).astype(np.uint8)
        ys, xs = np.nonzero(m.any(1))[0], np.nonzero(m.any(0))[0]
        if not len(ys):
            continue
        y0, y1 = max(ys[0] - pad, 0), min(ys[-1] + pad + 1, m.shape[0])
        x0, x1 = max(xs[0] - pad, 0), min(xs[-1] + pad + 1, m.shape[1])
        mask = _rough_class(np.ascontiguousarray(m[y0:y1, x0:x1]), eps, 2 * roughness)
        if mask is not None:
            out[y0:y1, x0:x1][mask > 0] = cls
    return out


def rough_landmarks(lms: np.ndarray, roughness: float, rng: np.random.Generator) -> np.ndarray:
    """Jittered landmarks: per-point noise and a per-image shift, scaled by the outer-eye distance."""
    if roughness <= 0:
        return lms
    iod = float(np.linalg.norm(lms[36] - lms[45]))
    sd = 0.025 * roughness * iod
    out = lms + rng.normal(0, sd, lms.shape) + rng.normal(0, sd * 0.5, (1, 2))
    # annotators slide jaw points along the outline more than across it
    jaw = out[:17]
    tang = np.gradient(lms[:17], axis=0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True) + 1e-9
    out[:17] = jaw + tang * rng.normal(0, 2 * sd, (17, 1))
    return out.astype(np.float32)
