"""Landmark files (300W ``.pts``, FaceSynthetics ``_ldmks.txt``, LaPa ``.txt``, menpo ``.ljson``) and
the landmark-box face crop.

Every parser returns ``(N, 2)`` float32 ``(x, y)`` in this project's convention: pixels, 0-based,
origin at the centre of the top-left pixel.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from casestudies.data.readers.base import BadSampleError

PathLike = str | os.PathLike[str]

# 300W .pts coordinates are 1-based (Matlab): the top-left pixel centre is (1, 1). Subtracting
# one moves them to the project's 0-based pixel-centre convention.
PTS_ORIGIN_OFFSET = 1.0


def _read_text(path: PathLike) -> str:
    p = Path(path)
    if not p.is_file():
        raise BadSampleError(p, "file is missing")
    try:
        return p.read_text(encoding="utf-8", errors="strict")
    except (OSError, UnicodeDecodeError) as err:
        raise BadSampleError(p, f"unreadable text file ({err})") from None


def _floats(path: PathLike, tokens: list[str]) -> np.ndarray:
    """Numbers of a landmark text file; ``nan`` / ``inf`` are refused when the file is read."""
    try:
        vals = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError as err:
        raise BadSampleError(path, f"non-numeric coordinate ({err})") from None
    if not np.isfinite(vals).all():
        first = int(np.flatnonzero(~np.isfinite(vals))[0])
        raise BadSampleError(path, f"non-finite coordinate {tokens[first]!r} (number {first + 1} in the file)")
    return vals


def read_pts(path: PathLike, n_points: int = 68) -> np.ndarray:
    """Read a 300W/iBUG ``.pts`` file (``version: 1``, ``n_points: N``, ``{``, N lines ``x y``, ``}``).

    The 1-based coordinates are converted to 0-based: ``x0 = x1 - 1``, ``y0 = y1 - 1``.
    """
    text = _read_text(path)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    header = {}
    body_start = body_end = None
    for i, ln in enumerate(lines):
        if ln == "{":
            body_start = i + 1
        elif ln == "}":
            body_end = i
            break
        elif body_start is None and ":" in ln:
            key, _, value = ln.partition(":")
            header[key.strip()] = value.strip()
    if body_start is None or body_end is None:
        raise BadSampleError(path, "not a .pts file: missing '{' or '}'")
    declared = header.get("n_points")
    rows = lines[body_start:body_end]
    if declared is not None and declared.isdigit() and int(declared) != len(rows):
        raise BadSampleError(path, f"header says n_points: {declared} but the file lists {len(rows)} points")
    if len(rows) != n_points:
        raise BadSampleError(path, f"has {len(rows)} points, expected {n_points}")
    vals = _floats(path, [t for r in rows for t in r.split()])
    if vals.size != 2 * n_points:
        raise BadSampleError(path, f"expected 2 coordinates per point, found {vals.size} numbers for {n_points} points")
    return (vals.reshape(n_points, 2) - PTS_ORIGIN_OFFSET).astype(np.float32)


def write_pts(path: PathLike, points: np.ndarray) -> None:
    """Write 0-based points as a 1-based 300W ``.pts`` file (inverse of :func:`read_pts`)."""
    body = "\n".join(f"{x + PTS_ORIGIN_OFFSET:.6f} {y + PTS_ORIGIN_OFFSET:.6f}" for x, y in points)
    Path(path).write_text(f"version: 1\nn_points: {len(points)}\n{{\n{body}\n}}\n", encoding="utf-8")


def read_xy_lines(path: PathLike, n_points: int, offset: float = 0.0) -> np.ndarray:
    """Read ``n_points`` lines of ``x y`` (FaceSynthetics ``_ldmks.txt``); ``offset`` is subtracted."""
    rows = [ln.split() for ln in _read_text(path).splitlines() if ln.strip()]
    if len(rows) != n_points:
        raise BadSampleError(path, f"has {len(rows)} points, expected {n_points}")
    if any(len(r) < 2 for r in rows):
        raise BadSampleError(path, "a line has fewer than 2 coordinates")
    vals = _floats(path, [t for r in rows for t in r[:2]])
    return (vals.reshape(n_points, 2) - offset).astype(np.float32)


def read_lapa_landmarks(path: PathLike, n_points: int = 106) -> np.ndarray:
    """Read a LaPa landmark file: the point count, then ``n_points`` lines ``x y`` (0-based pixels)."""
    tokens = _read_text(path).split()
    if not tokens:
        raise BadSampleError(path, "empty landmark file")
    vals = _floats(path, tokens)
    if vals[0] != n_points or vals.size != 2 * n_points + 1:
        raise BadSampleError(
            path, f"expected a count of {n_points} then {2 * n_points} numbers, found count {vals[0]:g} and {vals.size - 1} numbers"
        )
    return vals[1:].reshape(n_points, 2).astype(np.float32)


def read_ljson(path: PathLike, group: str | None = None, n_points: int = 68) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read a menpo ``.ljson`` (v2/v3): the main group's ``(n_points, 2)`` points and any other groups.

    menpo stores points as ``(y, x)``, 0-based with pixel centres on integers; they are swapped to
    ``(x, y)`` here. Returns ``(points, {other_group: points})``.
    """
    try:
        data = json.loads(_read_text(path))
        groups = data.get("groups", {"LJSON": data})
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise BadSampleError(path, f"not an ljson landmark file ({err})") from None

    def pts(g: dict) -> np.ndarray:
        arr = np.array([[np.nan, np.nan] if p is None else p for p in g["landmarks"]["points"]], dtype=np.float64)
        return arr[:, ::-1].astype(np.float32)

    names = list(groups)
    main = group if group is not None else next((n for n in names if len(groups[n]["landmarks"]["points"]) == n_points), None)
    if main is None or main not in groups:
        raise BadSampleError(path, f"no landmark group with {n_points} points (groups: {names})")
    points = pts(groups[main])
    if points.shape != (n_points, 2):
        raise BadSampleError(path, f"group {main!r} has {points.shape[0]} points, expected {n_points}")
    return points, {n: pts(g) for n, g in groups.items() if n != main}


def crop_matrix(points: np.ndarray, margin: float, out_size: int) -> np.ndarray:
    """2x3 affine mapping source pixel-centre coordinates to a square face crop of ``out_size`` px.

    1. Box = tight box of the points; side ``S = max(w, h) * (1 + 2 * margin)`` (``margin`` is the
       share of the box's longer side added on each side), centred on the box centre ``c``.
    2. Scale ``s = out_size / S``. The box ``[c - S/2, c + S/2]`` (pixel-centre coordinates) maps
       onto the crop's full extent ``[-0.5, out_size - 0.5]``: ``x' = (x - (c_x - S/2)) * s - 0.5``
       (same for y). This mapping commutes with a horizontal mirror of photo and points.
    """
    lo, hi = np.nanmin(points, axis=0), np.nanmax(points, axis=0)
    centre = (lo + hi) / 2.0
    side = max(float(np.max(hi - lo)), 1.0) * (1.0 + 2.0 * margin)
    s = out_size / side
    tx_, ty_ = -(centre - side / 2.0) * s - 0.5
    return np.array([[s, 0.0, tx_], [0.0, s, ty_]], dtype=np.float64)


def apply_affine(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine to (N, 2) points."""
    return (points.astype(np.float64) @ m[:, :2].T + m[:, 2]).astype(np.float32)


def warp_image(image: np.ndarray, m: np.ndarray, out_size: int, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Warp with a 2x3 affine in pixel-centre coordinates (OpenCV's own), zero outside the source.

    Downscaling by more than 2x first pre-blurs (area resize) so the crop does not alias.
    """
    scale = float(m[0, 0])
    if scale < 0.5 and interpolation != cv2.INTER_NEAREST:
        factor = 1.0 / (2.0 * scale)  # shrink to ~2x the output resolution first
        h, w = image.shape[:2]
        nw, nh = max(1, round(w / factor)), max(1, round(h / factor))
        small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        # pixel-centre mapping of the pre-resize: x_small = (x + 0.5) * nw / w - 0.5
        pre = np.array([[nw / w, 0, 0.5 * nw / w - 0.5], [0, nh / h, 0.5 * nh / h - 0.5]])
        m = m @ np.linalg.inv(np.vstack([pre, [0, 0, 1]]))
        image = small
    return cv2.warpAffine(
        image, m, (out_size, out_size), flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
