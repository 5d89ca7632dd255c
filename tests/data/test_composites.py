"""Composites: items, determinism, augmentations and disjoint background sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from casestudies.data import composites as C
from casestudies.data.matting import composite, evaluation_trimap
from casestudies.data.synth.presets import STANDIN_A_PHOTOS, SYNTHETIC_PHOTOS


def _source(n: int = 3, size: int = 32) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    alpha = np.clip(1.2 - np.hypot(xx - size / 2, yy - size / 2) / (size / 4), 0, 1).astype(np.float32)
    fgs = [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]
    return fgs, [alpha.copy() for _ in range(n)]


def test_items_and_shapes() -> None:
    fgs, alphas = _source()
    ds = C.MattingComposites(fgs, alphas, "bg_train", seed=1)
    item = ds[0]
    assert set(item) == {"image", "background", "alpha", "foreground"}
    assert item["image"].shape == (3, 32, 32) and item["alpha"].shape == (1, 32, 32)
    assert item["image"].dtype == torch.float32 and 0 <= float(item["image"].min()) <= float(item["image"].max()) <= 1
    ev = C.MattingComposites(fgs, alphas, "bg_photo", seed=1, train=False)[1]
    assert ev["trimap"].dtype == torch.uint8 and ev["trimap"].shape == (1, 32, 32)
    np.testing.assert_array_equal(ev["trimap"][0].numpy(), evaluation_trimap(ev["alpha"][0].numpy()))


def test_training_draws_are_fresh_but_reproducible() -> None:
    fgs, alphas = _source()
    a, b = C.MattingComposites(fgs, alphas, "bg_train", seed=3), C.MattingComposites(fgs, alphas, "bg_train", seed=3)
    first, second = a[0], a[0]
    assert not torch.equal(first["image"], second["image"])  # a new background / augmentation per draw
    torch.testing.assert_close(b[0], first)
    torch.testing.assert_close(b[0], second)
    ev = C.MattingComposites(fgs, alphas, "bg_train", seed=3, train=False)
    torch.testing.assert_close(ev[2], ev[2])  # evaluation items are fixed


def test_no_augmentation_is_the_exact_composite_on_the_plate() -> None:
    fgs, alphas = _source(1)
    bg = C.background_image("bg_train", 32, 0, 0)
    out = C.augmented_composite(fgs[0], alphas[0], bg, C.Augment.none(), np.random.default_rng(0))
    np.testing.assert_array_equal(out["background"], bg)
    np.testing.assert_array_equal(out["image"], composite(fgs[0], alphas[0], bg))


def test_augmentation_shifts_the_plate_from_the_scene() -> None:
    fgs, alphas = _source(1)
    bg = C.background_image("bg_train", 32, 0, 5)
    aug = C.Augment(flip=False, fg_scale=(1, 1), fg_shift=0, relight=0.1, misalign_px=0, shadow_p=0, noise=0)
    out = C.augmented_composite(fgs[0], np.zeros_like(alphas[0]), bg, aug, np.random.default_rng(1))
    np.testing.assert_array_equal(out["background"], bg)  # the plate is the clean capture
    assert np.abs(out["image"].astype(int) - bg).mean() > 1  # the composite's background was relit


def test_background_sets_are_disjoint() -> None:
    C.check_disjoint()
    assert not set(C.HELDOUT_PHOTOS) & (set(SYNTHETIC_PHOTOS) | set(STANDIN_A_PHOTOS))
    assert C.HELDOUT_PHOTOS
    with pytest.raises(ValueError, match="unknown background set"):
        C.background_image("bg_other", 16, 0, 0)
