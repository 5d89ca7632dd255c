"""Decoding image files into Sample arrays, with errors that name the file.

Pillow decodes every file: it keeps palette indices of label PNGs, reads 16-bit grayscale, and
raises on a truncated file (``LOAD_TRUNCATED_IMAGES`` must stay False; we check it). EXIF
orientation is not applied: annotations are drawn on the stored pixel grid.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile

from casestudies.data.readers.base import BadSampleError

PathLike = str | os.PathLike[str]


def _open(path: PathLike, draft_size: tuple[int, int] | None = None) -> Image.Image:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is True: truncated images would pass silently")
    p = Path(path)
    if not p.is_file():
        raise BadSampleError(p, "file is missing")
    try:
        im = Image.open(p)
        if draft_size is not None and im.format == "JPEG":
            im.draft("RGB", draft_size)
        im.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise BadSampleError(p, f"unreadable or truncated image ({err})") from None
    return im


def image_size(path: PathLike) -> tuple[int, int]:
    """(height, width) from the file header only (no pixel decoding)."""
    try:
        with Image.open(path) as im:
            w, h = im.size
    except (OSError, SyntaxError, ValueError) as err:
        raise BadSampleError(path, f"unreadable image header ({err})") from None
    return h, w


def read_rgb(path: PathLike, size: tuple[int, int] | None = None) -> np.ndarray:
    """HxWx3 uint8 RGB. Gray and palette images are converted; an alpha channel is dropped.

    ``size=(h, w)`` resizes with area averaging (JPEGs are first decoded at the nearest larger
    DCT scale, which is exact for 1024 -> 512).
    """
    im = _open(path, None if size is None else (size[1], size[0]))
    if im.mode != "RGB":
        im = im.convert("RGB")
    arr = np.asarray(im, dtype=np.uint8)
    if size is not None and arr.shape[:2] != tuple(size):
        arr = cv2.resize(arr, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(arr)


def read_label(path: PathLike) -> np.ndarray:
    """HxW uint8 label ids. Palette PNGs give their indices; an RGB(A) label must be gray (R=G=B)."""
    im = _open(path)
    arr = np.asarray(im)
    if im.mode in ("L", "P"):
        return np.ascontiguousarray(arr, dtype=np.uint8)
    if im.mode in ("RGB", "RGBA"):
        rgb = arr[..., :3]
        if not ((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()):
            raise BadSampleError(path, f"label image is colour ({im.mode}); expected one id per pixel")
        return np.ascontiguousarray(rgb[..., 0], dtype=np.uint8)
    if im.mode in ("I;16", "I;16B", "I", "1"):
        arr = np.asarray(im, dtype=np.int64)
        if arr.max(initial=0) > 255:
            raise BadSampleError(path, f"label ids exceed 255 (mode {im.mode})")
        return arr.astype(np.uint8)
    raise BadSampleError(path, f"unsupported label image mode {im.mode}")


def read_binary_mask(path: PathLike) -> np.ndarray:
    """HxW bool: a pixel is set where its first channel is non-zero (CelebAMask-HQ part masks)."""
    im = _open(path)
    arr = np.asarray(im)
    if arr.ndim == 3:
        arr = arr[..., 0]
    return arr != 0


def read_alpha(path: PathLike, *, require_alpha_channel: bool = False) -> np.ndarray:
    """HxW float32 alpha in [0, 1] from an RGBA / LA image (its alpha channel) or a grayscale image.

    8-bit values are divided by 255, 16-bit by 65535. With ``require_alpha_channel`` a file
    without an alpha channel is an error (a matte saved as plain RGB).
    """
    im = _open(path)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        return np.asarray(im.convert("RGBA"))[..., 3].astype(np.float32) / 255.0
    if require_alpha_channel:
        raise BadSampleError(path, f"matte has no alpha channel (mode {im.mode}); expected RGBA")
    if im.mode == "L":
        return np.asarray(im).astype(np.float32) / 255.0
    if im.mode in ("I;16", "I;16B", "I"):
        return np.clip(np.asarray(im, dtype=np.float32) / 65535.0, 0.0, 1.0)
    raise BadSampleError(path, f"cannot read alpha from image mode {im.mode}")


def read_rgba(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(HxWx3 uint8 RGB, HxW float32 alpha) from an RGBA file; no alpha channel is an error."""
    im = _open(path)
    if im.mode not in ("RGBA", "LA", "PA") and not (im.mode == "P" and "transparency" in im.info):
        raise BadSampleError(path, f"image has no alpha channel (mode {im.mode}); expected RGBA")
    rgba = np.asarray(im.convert("RGBA"))
    return np.ascontiguousarray(rgba[..., :3]), rgba[..., 3].astype(np.float32) / 255.0


def read_npy(path: PathLike, dtype: type, shape: tuple[int | None, ...]) -> np.ndarray:
    """Load a .npy array, check its rank and fixed axes, and cast to ``dtype``."""
    p = Path(path)
    if not p.is_file():
        raise BadSampleError(p, "file is missing")
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise BadSampleError(p, f"unreadable .npy ({err})") from None
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        raise BadSampleError(p, f"array has shape {arr.shape}, expected {shape}")
    return np.ascontiguousarray(arr.astype(dtype, copy=False))


def check_same_size(path: PathLike, arr: np.ndarray, hw: tuple[int, int], what: str) -> None:
    """Raise naming ``path`` when ``arr`` is not ``hw`` pixels (height, width)."""
    if arr.shape[:2] != tuple(hw):
        raise BadSampleError(path, f"{what} is {arr.shape[1]}x{arr.shape[0]} (WxH) but the image is {hw[1]}x{hw[0]}")
