"""Backgrounds: procedural textures and crops of photographs (no faces in the photo pool)."""

from __future__ import annotations

import cv2
import numpy as np

from casestudies.data.synth.assets import load_photo


def _smooth_noise(rng: np.random.Generator, size: int, cells: int, ch: int = 3) -> np.ndarray:
    g = rng.random((cells, cells, ch)).astype(np.float32)
    return cv2.resize(g, (size, size), interpolation=cv2.INTER_CUBIC).reshape(size, size, ch)


def procedural(pattern: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A procedural texture (HxWx3 uint8): ``noise``, ``gradient``, ``stripes`` or ``blobs``."""
    base = rng.random(3) * 0.8 + 0.1
    other = rng.random(3) * 0.8 + 0.1
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    if pattern == "noise":
        n = 0.6 * _smooth_noise(rng, size, 4) + 0.4 * _smooth_noise(rng, size, 16)
        img = base * (1 - n) + other * n
    elif pattern == "gradient":
        a = rng.uniform(0, 2 * np.pi)
        t = (np.cos(a) * xx + np.sin(a) * yy)[..., None]
        t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
        img = base * (1 - t) + other * t + 0.05 * _smooth_noise(rng, size, 32)
    elif pattern == "stripes":
        a = rng.uniform(0, np.pi)
        f = rng.uniform(3, 12)
        t = (0.5 + 0.5 * np.sin(2 * np.pi * f * (np.cos(a) * xx + np.sin(a) * yy)))[..., None]
        img = base * (1 - t) + other * t
    elif pattern == "blobs":
        n = _smooth_noise(rng, size, 6, 1)
        t = (n > 0.5).astype(np.float32)
        t = cv2.GaussianBlur(t, (0, 0), max(size / 100, 0.6))[..., None]
        img = base * (1 - t) + other * t
    else:
        raise KeyError(f"unknown pattern {pattern!r}; valid: noise, gradient, stripes, blobs")
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def photo_crop(name: str, size: int, zoom: float, rng: np.random.Generator) -> np.ndarray:
    """A random square crop (side = ``zoom`` x the photo's short side), resized to ``size``, maybe mirrored."""
    ph = load_photo(name)
    h, w = ph.shape[:2]
    side = max(8, int(min(h, w) * zoom))
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    crop = ph[y:y + side, x:x + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_AREA)


def background(params: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """The background layer (HxWx3 uint8) for ``params`` (kind, pattern/photo, zoom, defocus blur)."""
    if params["background"] == "photo":
        img = photo_crop(params["bg_photo"], size, float(params["bg_zoom"]), rng)
    else:
        img = procedural(params["bg_pattern"], size, rng)
    sigma = float(params["bg_blur"]) * size / 128
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    return img
