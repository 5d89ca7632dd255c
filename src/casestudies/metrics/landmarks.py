"""Landmark metrics (numpy only): NME, PCK, AUC, failure rate, cumulative error distribution (CED).

Points are ``N x K x 2`` arrays of ``(x, y)`` pixels (any origin, as long as prediction and ground
truth share it). ``K`` is 68 (iBUG) or 51 (iBUG without the 17 jaw points, ``taxonomy.IBUG51_INDICES``).

**Eye corners in the 51-point set.** The 51 points are iBUG 17..67 in order, so iBUG index ``i`` is
51-index ``i - 17``: the outer eye corners iBUG 36 (subject's right) and 45 (subject's left) are 51-index
19 and 28; the eye contours iBUG 36-41 and 42-47 are 51-index 19-24 and 25-30.

Normalisers (per image, from the ground truth):

* ``interocular``: distance between the outer eye corners (iBUG 36 and 45) — the 300-W convention;
* ``interpupil``: distance between the eye centres, each the mean of its six contour points (the
  annotations carry no pupils; this is the usual "inter-pupil" of 300-W papers);
* ``box``: ``sqrt(w * h)`` of the tight box of the ground-truth points.

A point missing in the ground truth (NaN) is left out of its image's mean.
"""

from __future__ import annotations

import numpy as np

NORMALIZERS = ("interocular", "interpupil", "box")

# iBUG 68 index -> role; the 51-point set drops 0..16, so its indices are these minus 17
_EYE68 = {"outer": (36, 45), "right_eye": tuple(range(36, 42)), "left_eye": tuple(range(42, 48))}
_OFFSET = {68: 0, 51: 17}

# regions of the 51-point set (0-based 51-indices): brows iBUG 17-26, nose 27-35, eyes 36-47, mouth 48-67
REGIONS51: dict[str, tuple[int, ...]] = {
    "eyes": tuple(range(19, 31)),
    "brows": tuple(range(0, 10)),
    "nose": tuple(range(10, 19)),
    "mouth": tuple(range(31, 51)),
}


def _check(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    if pred.ndim == 2:
        pred, gt = pred[None], gt[None]
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[-1] != 2:
        raise ValueError(f"pred and gt must both be N x K x 2, got {pred.shape} and {gt.shape}")
    return pred, gt


def eye_indices(n_points: int) -> dict[str, tuple[int, ...]]:
    """Outer eye corners and eye contours as indices into a ``n_points`` (68 or 51) set."""
    if n_points not in _OFFSET:
        raise ValueError(f"eye indices are defined for 68 or 51 points, got {n_points}")
    off = _OFFSET[n_points]
    return {k: tuple(i - off for i in v) for k, v in _EYE68.items()}


def normalizer_distance(gt: np.ndarray, normalizer: str = "interocular") -> np.ndarray:
    """Per-image normalising distance (pixels), shape ``N``; see the module docstring."""
    gt = np.asarray(gt, np.float64)
    if gt.ndim == 2:
        gt = gt[None]
    if normalizer == "box":
        lo, hi = np.nanmin(gt, axis=1), np.nanmax(gt, axis=1)
        wh = hi - lo
        return np.sqrt(wh[:, 0] * wh[:, 1])
    eyes = eye_indices(gt.shape[1])
    if normalizer == "interocular":
        a, b = eyes["outer"]
        return np.linalg.norm(gt[:, a] - gt[:, b], axis=-1)
    if normalizer == "interpupil":
        right = gt[:, list(eyes["right_eye"])].mean(axis=1)
        left = gt[:, list(eyes["left_eye"])].mean(axis=1)
        return np.linalg.norm(right - left, axis=-1)
    raise ValueError(f"unknown normalizer {normalizer!r}; valid: {list(NORMALIZERS)}")


def point_errors(pred: np.ndarray, gt: np.ndarray, normalizer: str = "interocular") -> np.ndarray:
    """``N x K`` point errors (Euclidean, pixels) divided by each image's normalising distance."""
    pred, gt = _check(pred, gt)
    d = normalizer_distance(gt, normalizer)
    if np.any(~(d > 0)):
        bad = np.flatnonzero(~(d > 0)).tolist()
        raise ValueError(f"normalising distance ({normalizer}) is zero or undefined for images {bad}")
    return np.linalg.norm(pred - gt, axis=-1) / d[:, None]


def nme(pred: np.ndarray, gt: np.ndarray, normalizer: str = "interocular",
        points: tuple[int, ...] | None = None) -> np.ndarray:
    """Per-image normalised mean error, shape ``N``: mean over points of ``|pred - gt| / d``.

    ``points`` restricts the mean to those indices (the normaliser still uses the whole shape), e.g.
    ``REGIONS51["mouth"]``.

    >>> gt = np.array([[[0.0, 0.0]] * 19 + [[0.0, 0.0]] + [[0.0, 0.0]] * 8 + [[10.0, 0.0]] + [[0.0, 0.0]] * 22])
    >>> round(float(nme(gt + [1.0, 0.0], gt)[0]), 9)  # every point 1 px off, outer corners 10 px apart
    0.1
    """
    err = point_errors(pred, gt, normalizer)
    if points is not None:
        err = err[:, list(points)]
    return np.nanmean(err, axis=1)


def pck(pred: np.ndarray, gt: np.ndarray, threshold: float = 0.08, normalizer: str = "interocular") -> float:
    """Share of points (over all images and points) whose normalised error is below ``threshold``."""
    err = point_errors(pred, gt, normalizer)
    err = err[~np.isnan(err)]
    return float(np.mean(err < threshold)) if err.size else float("nan")


def ced(nme_values: np.ndarray, limit: float = 0.08, steps: int = 81) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative error distribution: ``x`` = ``steps`` thresholds from 0 to ``limit``, ``y`` = share of
    images with NME <= x."""
    e = np.sort(np.asarray(nme_values, np.float64).ravel())
    x = np.linspace(0.0, limit, steps)
    y = np.searchsorted(e, x, side="right") / max(len(e), 1)
    return x, y


def auc(nme_values: np.ndarray, limit: float = 0.08) -> float:
    """Area under the CED from 0 to ``limit``, divided by ``limit`` (1 = every image error-free).

    Computed exactly: the CED is a step function, and each image with NME ``e`` contributes
    ``max(0, limit - e)`` to the area, so AUC = mean(max(0, limit - e)) / limit.
    """
    e = np.asarray(nme_values, np.float64).ravel()
    if not e.size:
        return float("nan")
    return float(np.mean(np.clip(limit - e, 0.0, None)) / limit)


def failure_rate(nme_values: np.ndarray, threshold: float = 0.08) -> float:
    """Share of images whose NME exceeds ``threshold`` (strictly greater)."""
    e = np.asarray(nme_values, np.float64).ravel()
    return float(np.mean(e > threshold)) if e.size else float("nan")


def region_nme(pred: np.ndarray, gt: np.ndarray, normalizer: str = "interocular") -> dict[str, float]:
    """Mean NME (over images) of each region of the 51-point set: eyes, brows, nose, mouth."""
    pred, gt = _check(pred, gt)
    if pred.shape[1] != 51:
        raise ValueError(f"regions are defined on the 51-point set, got {pred.shape[1]} points")
    return {name: float(np.mean(nme(pred, gt, normalizer, idx))) for name, idx in REGIONS51.items()}


def summary(pred: np.ndarray, gt: np.ndarray, normalizer: str = "interocular", pck_threshold: float = 0.08,
            auc_limit: float = 0.08) -> dict[str, float]:
    """The case study's headline numbers: ``nme`` (mean), ``pck``, ``auc`` (to ``auc_limit``),
    ``fr_08`` and ``fr_10`` (failure rates at 0.08 and 0.10)."""
    e = nme(pred, gt, normalizer)
    return {
        "nme": float(np.mean(e)),
        "pck": pck(pred, gt, pck_threshold, normalizer),
        "auc": auc(e, auc_limit),
        "fr_08": failure_rate(e, 0.08),
        "fr_10": failure_rate(e, 0.10),
    }
