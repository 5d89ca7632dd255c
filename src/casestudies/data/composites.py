"""Matting composites built like BackgroundMattingV2's and the whitepaper's training data.

A **matte source** is a list of (foreground, alpha) pairs (``H x W x 3`` uint8, ``H x W`` float32). A
composite pastes a foreground onto a background after augmentations, and gives the model the clean
plate it would have captured before the subject stepped in, which differs from the composite's
background as a real capture would:

* foreground: horizontal flip (p = 0.5) and scale about the image centre (``fg_scale`` range), with a
  small shift;
* background relighting between plate and composite: per-channel colour gain, brightness and contrast
  shift (``relight``), so the model cannot subtract the plate exactly;
* plate misalignment: a small affine (``misalign_px`` translation, +-1 degree, +-1 % scale);
* soft shadows cast on the composite's background by the subject (a blurred, shifted, darkened copy of
  the alpha; p = ``shadow_p``);
* sensor noise on both images (Gaussian, ``noise`` std in [0, 1] units).

Each item (``MattingComposites[i]``) holds tensors: ``image`` and ``background`` (``3 x H x W`` float in
[0, 1]), ``alpha`` (``1 x H x W``), ``foreground`` (``3 x H x W``) and ``trimap`` (``1 x H x W`` uint8,
the evaluation trimap of the composited alpha; 128 = unknown). Background pools:

* ``bg_train``: the training-style backgrounds: the generator's procedural textures and crops of the
  synthetic preset's photo pool (``SYNTHETIC_PHOTOS``), drawn fresh per item;
* ``bg_photo``: held-out photographs used by no training image of this case: crops of the
  ``standin_real_b`` preset's photos (``HELDOUT_PHOTOS``), which neither the synthetic preset, the
  ``standin_real_a`` set nor ``bg_train`` use (checked by :func:`check_disjoint`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from casestudies.data.matting import composite, evaluation_trimap
from casestudies.data.synth.backgrounds import photo_crop, procedural
from casestudies.data.synth.presets import STANDIN_A_PHOTOS, STANDIN_B_PHOTOS, SYNTHETIC_PHOTOS

PATTERNS = ("noise", "gradient", "stripes", "blobs")
HELDOUT_PHOTOS: tuple[str, ...] = tuple(p for p in STANDIN_B_PHOTOS if p != "colorwheel")  # photographs only
BACKGROUND_SETS = ("bg_train", "bg_photo")


def check_disjoint() -> None:
    """Raise if a held-out photo is one a training image of this case could have used."""
    used = set(SYNTHETIC_PHOTOS) | set(STANDIN_A_PHOTOS)
    clash = used & set(HELDOUT_PHOTOS)
    if clash:
        raise ValueError(f"held-out background photos {sorted(clash)} are also used for training")


def _rng(*keys: int | str) -> np.random.Generator:
    ints = [zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(ints))


def background_image(kind: str, size: int, seed: int, index: int) -> np.ndarray:
    """Background ``index`` of pool ``kind`` (``bg_train`` or ``bg_photo``), ``size x size x 3`` uint8."""
    rng = _rng("background", kind, seed, index)
    if kind == "bg_train":
        if rng.random() < 0.5:
            img = procedural(PATTERNS[int(rng.integers(len(PATTERNS)))], size, rng)
        else:
            img = photo_crop(SYNTHETIC_PHOTOS[int(rng.integers(len(SYNTHETIC_PHOTOS)))], size, rng.uniform(0.3, 1.0), rng)
    elif kind == "bg_photo":
        img = photo_crop(HELDOUT_PHOTOS[int(rng.integers(len(HELDOUT_PHOTOS)))], size, rng.uniform(0.3, 1.0), rng)
    else:
        raise ValueError(f"unknown background set {kind!r}; valid: {list(BACKGROUND_SETS)}")
    if rng.random() < 0.5:  # defocus, as a background behind a portrait often is
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 2.0) * size / 128)
    return img


@dataclass(frozen=True)
class Augment:
    """Augmentation strengths (see the module docstring); ``Augment.none()`` switches everything off."""

    flip: bool = True
    fg_scale: tuple[float, float] = (0.85, 1.1)
    fg_shift: float = 0.05  # of the image size
    relight: float = 0.08  # max colour gain / brightness / contrast change between plate and composite
    misalign_px: float = 1.5  # at 128 px (scaled with the image size)
    shadow_p: float = 0.3
    noise: float = 0.01

    @classmethod
    def none(cls) -> Augment:
        return cls(False, (1.0, 1.0), 0.0, 0.0, 0.0, 0.0, 0.0)


def _affine(img: np.ndarray, m: np.ndarray, interp: int, border: int = cv2.BORDER_CONSTANT) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.warpAffine(img, m, (w, h), flags=interp, borderMode=border)


def augmented_composite(
    fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray, aug: Augment, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One augmented composite: ``image``, ``background`` (the plate), ``alpha``, ``foreground`` (uint8 /
    float32 numpy); ``aug`` strengths, ``rng`` draws."""
    h, w = alpha.shape
    # 1. foreground geometry: flip, scale about the centre, shift (alpha and colours move together)
    if aug.flip and rng.random() < 0.5:
        fg, alpha = fg[:, ::-1], alpha[:, ::-1]
    s = rng.uniform(*aug.fg_scale)
    tx, ty = rng.uniform(-aug.fg_shift, aug.fg_shift, 2) * (w, h)
    if s != 1.0 or tx or ty:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, s)
        m[:, 2] += (tx, ty)
        fg = _affine(np.ascontiguousarray(fg), m, cv2.INTER_LINEAR)
        alpha = _affine(np.ascontiguousarray(alpha), m, cv2.INTER_LINEAR)
    alpha = np.clip(alpha, 0.0, 1.0).astype(np.float32)
    fg = np.ascontiguousarray(fg)
    plate = bg.astype(np.float32)
    scene_bg = plate.copy()
    # 2. relighting between the captured plate and the composite's background
    if aug.relight > 0:
        gain = 1.0 + rng.uniform(-aug.relight, aug.relight, 3)
        bright = rng.uniform(-aug.relight, aug.relight) * 255
        contrast = 1.0 + rng.uniform(-aug.relight, aug.relight)
        scene_bg = (scene_bg * gain - 128.0) * contrast + 128.0 + bright
    # 3. soft shadow of the subject on the background
    if aug.shadow_p > 0 and rng.random() < aug.shadow_p:
        sm = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-10, 10), 1.0)
        sm[:, 2] += rng.uniform(-0.15, 0.15, 2) * (w, h)
        shadow = cv2.GaussianBlur(_affine(alpha, sm, cv2.INTER_LINEAR), (0, 0), max(2.0, 6.0 * h / 128))
        scene_bg *= 1.0 - rng.uniform(0.2, 0.5) * shadow[..., None]
    # 4. plate misalignment: a small affine of the clean plate only
    if aug.misalign_px > 0:
        px = aug.misalign_px * h / 128
        mm = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-1, 1), 1.0 + rng.uniform(-0.01, 0.01))
        mm[:, 2] += rng.uniform(-px, px, 2)
        plate = _affine(plate, mm, cv2.INTER_LINEAR, cv2.BORDER_REFLECT)
    scene_bg = np.clip(scene_bg, 0, 255)
    image = composite(fg, alpha, scene_bg).astype(np.float32)
    # 5. sensor noise on both captures
    if aug.noise > 0:
        image = image + rng.normal(0, aug.noise * 255, image.shape)
        plate = plate + rng.normal(0, aug.noise * 255, plate.shape)
    to8 = lambda x: np.clip(np.rint(x), 0, 255).astype(np.uint8)  # noqa: E731
    return {"image": to8(image), "background": to8(plate), "alpha": alpha, "foreground": fg}


def to_tensors(item: dict[str, np.ndarray], trimap: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """Numpy composite -> the model's tensors (channels first, [0, 1] floats; trimap uint8)."""
    chw = lambda x: torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))).float().div_(255)  # noqa: E731
    out = {
        "image": chw(item["image"]),
        "background": chw(item["background"]),
        "alpha": torch.from_numpy(np.ascontiguousarray(item["alpha"]))[None].float(),
        "foreground": chw(item["foreground"]),
    }
    if trimap is not None:
        out["trimap"] = torch.from_numpy(np.ascontiguousarray(trimap))[None]
    return out


class MattingComposites(Dataset):
    """Composites of ``foregrounds`` / ``alphas`` on pool ``backgrounds`` (``bg_train`` / ``bg_photo``).

    ``train=True``: each draw of item i gets a fresh background and augmentation, from a generator
    seeded by (``seed``, i, how often i was drawn): deterministic for a given batch order (in-process
    loading). ``train=False``: item i is fixed (background i of the pool, one augmentation drawn from
    (``seed``, i)), and carries the evaluation ``trimap``. ``cache_key`` names the set.
    """

    def __init__(
        self,
        foregrounds: Sequence[np.ndarray],
        alphas: Sequence[np.ndarray],
        backgrounds: str,
        *,
        seed: int = 0,
        train: bool = True,
        augment: Augment | None = None,
        pool_size: int = 0,
        cache_key: str | None = None,
    ) -> None:
        if len(foregrounds) != len(alphas):
            raise ValueError(f"{len(foregrounds)} foregrounds for {len(alphas)} alphas")
        if backgrounds not in BACKGROUND_SETS:
            raise ValueError(f"unknown background set {backgrounds!r}; valid: {list(BACKGROUND_SETS)}")
        self.foregrounds, self.alphas = list(foregrounds), list(alphas)
        self.backgrounds, self.seed, self.train = backgrounds, seed, train
        self.augment = augment if augment is not None else Augment()
        self.size = self.alphas[0].shape[0] if self.alphas else 0
        self.pool_size = pool_size or max(len(self.alphas), 1)
        self._bg: dict[int, np.ndarray] = {}
        self._draws = np.zeros(len(self.alphas), np.int64)
        self.cache_key = cache_key

    def __len__(self) -> int:
        return len(self.alphas)

    def _background(self, index: int) -> np.ndarray:
        if index not in self._bg:
            h, w = self.alphas[0].shape
            img = background_image(self.backgrounds, max(h, w), self.seed, index)
            self._bg[index] = np.ascontiguousarray(img[:h, :w])
        return self._bg[index]

    def sample(self, i: int) -> dict[str, np.ndarray]:
        """Item ``i`` as numpy arrays (see the class docstring); the training counter advances."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        if self.train:
            rng = _rng("composite", self.seed, i, int(self._draws[i]))
            self._draws[i] += 1
            bg_index = int(rng.integers(self.pool_size))
        else:
            rng = _rng("composite-eval", self.seed, i)
            bg_index = i % self.pool_size
        return augmented_composite(self.foregrounds[i], self.alphas[i], self._background(bg_index), self.augment, rng)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        item = self.sample(i)
        return to_tensors(item, None if self.train else evaluation_trimap(item["alpha"]))
