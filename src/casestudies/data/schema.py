"""The Sample contract as code: key names, dtypes, shapes, validation and a horizontal flip.

A *Sample* is a plain ``dict`` of numpy arrays plus a ``meta`` dict. Readers, the generator and
the training augmentations all produce and consume it. A label that a source lacks is **absent**
(the key is missing), never filled with zeros.

Conventions (see :mod:`casestudies.data.taxonomy`): left/right are the subject's sides; landmarks
are ``(x, y)`` pixels, 0-based, origin at the centre of the top-left pixel; ``255`` is ignore.

>>> import numpy as np
>>> s = {"image": np.zeros((4, 6, 3), np.uint8), "meta": {"domain": "real", "source_id": "a"}}
>>> validate_sample(s)
>>> hflip_sample(s)["image"].shape
(4, 6, 3)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from casestudies.data import taxonomy as tx

Sample = dict[str, Any]


@dataclass(frozen=True)
class KeySpec:
    """One Sample key: dtype, shape pattern (``"H"``/``"W"`` bind to the image size) and meaning."""

    dtype: type
    shape: tuple[int | str, ...]
    doc: str


SPEC: dict[str, KeySpec] = {
    "image": KeySpec(np.uint8, ("H", "W", 3), "RGB image, 8-bit"),
    "seg": KeySpec(np.uint8, ("H", "W"), "label ids in meta['taxonomy']; 255 = ignore"),
    "alpha": KeySpec(np.float32, ("H", "W"), "alpha matte in [0, 1]"),
    "foreground": KeySpec(np.uint8, ("H", "W", 3), "RGB foreground layer (true colours under alpha)"),
    "background": KeySpec(np.uint8, ("H", "W", 3), "RGB background layer"),
    "trimap": KeySpec(np.uint8, ("H", "W"), "evaluation trimap: 0 background, 128 unknown, 255 foreground"),
    "landmarks": KeySpec(np.float32, (68, 2), "iBUG 68 points, (x, y) pixels, pixel-centre origin"),
    "landmarks_visible": KeySpec(np.bool_, (68,), "per-landmark visibility (self-occlusion)"),
    "pupils": KeySpec(np.float32, (2, 2), "pupil centres (x, y); row 0 = subject's right eye"),
    "landmarks106": KeySpec(np.float32, (106, 2), "LaPa's own 106-point scheme (not iBUG); cannot be flipped"),
    "depth": KeySpec(np.float32, ("H", "W"), "camera-space depth in metres, 0 where no surface"),
    "normals": KeySpec(np.float32, ("H", "W", 3), "camera-space unit normals (x right, y down), 0 where none"),
}
REQUIRED_KEYS: tuple[str, ...] = ("image", "meta")
REQUIRED_META: tuple[str, ...] = ("domain", "source_id")
TRIMAP_VALUES: tuple[int, int, int] = (0, 128, 255)


class SampleError(ValueError):
    """A Sample breaks the contract; the message names the key (also ``key``, when there is one)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def _check_array(key: str, value: Any, spec: KeySpec, hw: tuple[int, int] | None) -> None:
    if not isinstance(value, np.ndarray):
        raise SampleError(f"sample[{key!r}] must be a numpy array, got {type(value).__name__}", key)
    if value.dtype != spec.dtype:
        raise SampleError(f"sample[{key!r}] must have dtype {np.dtype(spec.dtype)}, got {value.dtype}", key)
    if value.ndim != len(spec.shape):
        raise SampleError(f"sample[{key!r}] must have shape {spec.shape}, got {value.shape}", key)
    for axis, (want, got) in enumerate(zip(spec.shape, value.shape)):
        if want == "H" and hw is not None:
            want = hw[0]
        elif want == "W" and hw is not None:
            want = hw[1]
        if isinstance(want, int) and want != got:
            raise SampleError(
                f"sample[{key!r}] has shape {value.shape}; axis {axis} must be {want} "
                f"(pattern {spec.shape}, image HxW {hw})", key,
            )


def ids_outside(seg: np.ndarray, taxonomy: str) -> list[int]:
    """The label ids in ``seg`` (uint8) that are neither a class of ``taxonomy`` nor 255 (ignore)."""
    n = tx.get_taxonomy(taxonomy).num_classes
    present = np.flatnonzero(np.bincount(seg.ravel(), minlength=256))
    return [int(v) for v in present if v >= n and v != tx.IGNORE]


def validate_sample(sample: Mapping[str, Any]) -> None:
    """Raise :class:`SampleError` naming the first key that breaks the contract.

    Checks presence of ``image`` and ``meta``, every key's dtype and shape, value ranges
    (alpha in [0, 1], seg ids inside the taxonomy or 255, trimap values, finite landmarks) and that
    no unknown key is present.
    """
    for key in REQUIRED_KEYS:
        if key not in sample:
            raise SampleError(f"sample lacks required key {key!r}")
    unknown = set(sample) - set(SPEC) - {"meta"}
    if unknown:
        raise SampleError(f"sample has unknown keys {sorted(unknown)}; valid: {sorted(SPEC)} and 'meta'")
    meta = sample["meta"]
    if not isinstance(meta, Mapping):
        raise SampleError(f"sample['meta'] must be a dict, got {type(meta).__name__}")
    for key in REQUIRED_META:
        if key not in meta:
            raise SampleError(f"sample['meta'] lacks {key!r}")
    _check_array("image", sample["image"], SPEC["image"], None)
    hw = sample["image"].shape[:2]
    for key, spec in SPEC.items():
        if key in sample and key != "image":
            _check_array(key, sample[key], spec, hw)
    if "seg" in sample:
        if "taxonomy" not in meta:
            raise SampleError("sample['seg'] is present but sample['meta'] names no 'taxonomy'")
        n = tx.get_taxonomy(meta["taxonomy"]).num_classes
        bad = ids_outside(sample["seg"], meta["taxonomy"])
        if bad:
            raise SampleError(f"sample['seg'] holds ids {bad} outside taxonomy {meta['taxonomy']!r} (0..{n - 1}, 255)", "seg")
    if "alpha" in sample:
        a = sample["alpha"]
        if a.size and not (np.isfinite(a).all() and a.min() >= 0.0 and a.max() <= 1.0):
            raise SampleError("sample['alpha'] must be finite and within [0, 1]", "alpha")
    if "trimap" in sample and not np.isin(sample["trimap"], TRIMAP_VALUES).all():
        raise SampleError(f"sample['trimap'] may only hold {TRIMAP_VALUES}", "trimap")
    for key in ("landmarks", "pupils", "landmarks106", "depth", "normals"):
        if key in sample and not np.isfinite(sample[key]).all():
            raise SampleError(f"sample[{key!r}] holds non-finite values", key)
    if "landmarks_visible" in sample and "landmarks" not in sample:
        raise SampleError("sample['landmarks_visible'] is present without sample['landmarks']")


def _mirror_points(points: np.ndarray, width: int, perm: np.ndarray) -> np.ndarray:
    return tx.flip_landmarks(points.astype(np.float32), width, perm).astype(np.float32)


def _negate_x(vec: Any) -> Any:
    if isinstance(vec, (list, tuple, np.ndarray)) and len(vec) == 3 and np.isscalar(vec[0]):
        return [-float(vec[0]), float(vec[1]), float(vec[2])]
    return vec


def _mirror_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Copy meta and mirror the known per-image labels in it; toggle ``hflipped``.

    Head pose (``pose`` / ``head_pose`` dicts): yaw and roll negate. Gaze: a 3-vector's x negates;
    a dict's ``yaw`` and its ``vector_cam`` / ``vector`` x negate. ``pupils_visible`` swaps.
    """
    out = dict(meta)
    for key in ("head_pose", "pose"):
        pose = out.get(key)
        if isinstance(pose, Mapping) and {"yaw", "roll"} <= set(pose):
            out[key] = {**pose, "yaw": -float(pose["yaw"]), "roll": -float(pose["roll"])}
    gaze = out.get("gaze")
    if isinstance(gaze, Mapping):
        gaze = {k: _negate_x(v) if k in ("vector_cam", "vector") else v for k, v in gaze.items()}
        if "yaw" in gaze:
            gaze["yaw"] = -float(gaze["yaw"])
        out["gaze"] = gaze
    elif gaze is not None:
        out["gaze"] = _negate_x(gaze)
    vis = out.get("pupils_visible")
    if isinstance(vis, (list, tuple)) and len(vis) == 2:
        out["pupils_visible"] = [vis[1], vis[0]]
    out["hflipped"] = not bool(meta.get("hflipped", False))
    return out


def hflip_sample(sample: Mapping[str, Any]) -> Sample:
    """Mirror a Sample horizontally and keep every label consistent with the conventions.

    1. Every HxW(x C) layer is mirrored (``[:, ::-1]``).
    2. ``seg`` ids are then passed through ``flip_lut(meta["taxonomy"])`` (left <-> right classes).
    3. Landmarks: ``x -> W - 1 - x`` (pixel-centre origin), indices permuted by ``IBUG68_FLIP``;
       ``landmarks_visible`` follows the same permutation; the two pupils swap rows.
    4. ``normals``: the x component is negated (the camera's x axis points to image right).
    5. ``meta``: head-pose yaw/roll, gaze yaw and gaze-vector x are negated and
       ``pupils_visible`` swaps when present; ``hflipped`` toggles. Other meta (camera
       intrinsics/extrinsics, crop matrices, sampled parameters) is copied unchanged: with
       ``hflipped`` set it describes the unmirrored image.

    ``landmarks106`` (LaPa's own scheme) has no published flip permutation: a sample holding it
    raises :class:`SampleError`; drop the key first.
    """
    if "landmarks106" in sample:
        raise SampleError("hflip_sample cannot mirror 'landmarks106' (no index permutation is known); drop it first")
    unknown = set(sample) - set(SPEC) - {"meta"}
    if unknown:
        raise SampleError(f"hflip_sample: unknown keys {sorted(unknown)}")
    width = sample["image"].shape[1]
    out: Sample = {}
    for key, value in sample.items():
        if key == "meta":
            out[key] = _mirror_meta(value)
        elif SPEC[key].shape[:2] == ("H", "W"):
            out[key] = np.ascontiguousarray(value[:, ::-1])
        else:
            out[key] = value.copy()
    if "seg" in out:
        out["seg"] = tx.flip_lut(sample["meta"]["taxonomy"])[out["seg"]]
    if "normals" in out:
        out["normals"][..., 0] *= -1.0
    if "landmarks" in out:
        out["landmarks"] = _mirror_points(sample["landmarks"], width, tx.IBUG68_FLIP)
    if "landmarks_visible" in out:
        out["landmarks_visible"] = sample["landmarks_visible"][tx.IBUG68_FLIP].copy()
    if "pupils" in out:
        out["pupils"] = _mirror_points(sample["pupils"], width, tx.PUPILS_FLIP)
    return out


def landmarks51(sample: Mapping[str, Any]) -> np.ndarray:
    """The 51-point subset (iBUG 68 without the 17 jaw points) as a (51, 2) float32 array."""
    if "landmarks" not in sample:
        raise SampleError("sample has no 'landmarks'")
    return sample["landmarks"][tx.IBUG51_INDICES]


def order_pupils(pupils: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Return the two pupils with row 0 nearest the subject's right eye (iBUG 36-41), row 1 the left.

    Sources disagree on pupil order (menpo names them from the viewer); matching each pupil to the
    nearer eye contour makes the order follow the subject's sides whatever the file says.
    """
    right = landmarks[36:42].mean(axis=0)
    left = landmarks[42:48].mean(axis=0)
    keep = np.linalg.norm(pupils[0] - right) + np.linalg.norm(pupils[1] - left)
    swap = np.linalg.norm(pupils[1] - right) + np.linalg.norm(pupils[0] - left)
    return (pupils[::-1] if swap < keep else pupils).astype(np.float32).copy()
