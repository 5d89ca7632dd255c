"""Samples -> torch: transforms keep labels aligned; the one DataLoader factory yields typed,
seeded batches, also from workers started after the parent used OpenCV's pool."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from casestudies.data import taxonomy as tx
from casestudies.data.loading import (
    EvalTransform,
    TrainTransform,
    crop_sample,
    make_loader,
    resize_sample,
    to_tensors,
)
from casestudies.data.readers import open_dataset
from tests.data.readers import readers_fixtures as fx

RIGHT_EYE = tx.LAPA11.index("right_eye")


@pytest.fixture(scope="module")
def folder_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three faces in the ``folder`` reader's layout."""
    return fx.write_folder(tmp_path_factory.mktemp("folder"), fx.scenes(3, 7))


def scene_sample(seed: int = 0) -> dict:
    s = fx.face_scene(seed)
    return {"image": s["image"], "seg": s["seg"], "alpha": s["alpha"], "landmarks": s["landmarks"],
            "pupils": s["pupils"], "meta": {"domain": "synthetic", "source_id": str(seed), "taxonomy": "lapa11"}}


def eye_label_at_eye_points(s: dict) -> bool:
    x, y = np.round(s["landmarks"][36:42].mean(0)).astype(int)
    return bool(s["seg"][y, x] == RIGHT_EYE)


def test_resize_uses_pixel_centres() -> None:
    s = scene_sample()
    r = resize_sample(s, (128, 96))
    np.testing.assert_allclose(r["landmarks"][:, 0], (s["landmarks"][:, 0] + 0.5) * 1.5 - 0.5, rtol=1e-6)
    np.testing.assert_allclose(r["landmarks"][:, 1], (s["landmarks"][:, 1] + 0.5) * 2.0 - 0.5, rtol=1e-6)
    assert set(np.unique(r["seg"])) <= set(np.unique(s["seg"]))  # nearest: no blended ids
    assert eye_label_at_eye_points(r) and r["seg"].shape == (128, 96)


def test_crop_shifts_points_and_pads_seg_with_ignore() -> None:
    s = scene_sample()
    c = crop_sample(s, -4, 10, 40, 40)
    np.testing.assert_allclose(c["landmarks"], s["landmarks"] - [10, -4])
    assert (c["seg"][:4] == tx.IGNORE).all() and (c["image"][:4] == 0).all()
    np.testing.assert_array_equal(c["seg"][4:], s["seg"][:36, 10:50])


def test_train_transform_keeps_labels_aligned() -> None:
    t = TrainTransform(48, scale=(0.85, 1.0), hflip=0.5)
    flips = 0
    for i in range(12):
        out = t(scene_sample(i), np.random.default_rng(i))
        assert out["image"].shape == (48, 48, 3) and out["seg"].shape == (48, 48)
        assert eye_label_at_eye_points(out)
        flips += out["meta"].get("hflipped", False)
    assert 0 < flips < 12


def test_eval_transform_is_deterministic() -> None:
    s = scene_sample(2)
    a, b = EvalTransform(32)(s), EvalTransform(32)(s)
    np.testing.assert_array_equal(a["image"], b["image"])
    assert a["image"].shape == (32, 32, 3)


def test_to_tensors_types() -> None:
    t = to_tensors(scene_sample())
    assert t["image"].dtype == torch.float32 and t["image"].shape == (3, 64, 64) and float(t["image"].max()) <= 1.0
    assert t["seg"].dtype == torch.int64 and t["alpha"].shape == (1, 64, 64) and t["source_id"] == "0"


@pytest.mark.parametrize("workers", [0, 1])
def test_loader_batches(folder_root: Path, workers: int) -> None:
    ds = open_dataset("folder", folder_root, "all", native_taxonomy="lapa11", taxonomy="paper9")
    loader = make_loader(ds, 2, transform=TrainTransform(32), shuffle=True, num_workers=workers, seed=1)
    batches = list(loader)
    assert [b["image"].shape[0] for b in batches] == [2, 1]
    b = batches[0]
    assert b["image"].shape == (2, 3, 32, 32) and b["seg"].shape == (2, 32, 32) and b["landmarks"].shape == (2, 68, 2)
    assert int(b["seg"][b["seg"] != 255].max()) < tx.PAPER9.num_classes
    ids = sorted(sum((list(b["source_id"]) for b in batches), []))
    assert ids == ["face000", "face001", "face002"]


# --- seeding and batching -------------------------------------------------------------------


def _noisy(sample: dict, rng: np.random.Generator) -> dict:
    noise = rng.integers(0, 50, sample["image"].shape, dtype=np.uint8)
    return {**sample, "image": sample["image"] // 2 + noise}


def _batches(seed: int, global_seed: int) -> list[torch.Tensor]:
    torch.manual_seed(global_seed)  # must not matter
    samples = [{"image": np.full((8, 8, 3), 100, np.uint8), "meta": {"source_id": str(i)}} for i in range(4)]
    loader = make_loader(samples, batch_size=2, transform=_noisy, shuffle=True, num_workers=0, seed=seed)
    return [b["image"] for b in loader]


def test_in_process_augmentation_repeats_under_a_seed() -> None:
    a, b = _batches(0, global_seed=0), _batches(0, global_seed=123)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    c = _batches(1, global_seed=0)
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_batch_sampler_and_torch_datasets_pass_through() -> None:
    from casestudies.data.mixing import RandomBatchSampler
    from casestudies.training.toy import ToySegmentation

    data = ToySegmentation(6, size=8, seed=0)
    sampler = RandomBatchSampler(len(data), 4, seed=3)
    a = [b["image"] for b in make_loader(data, batch_sampler=sampler, num_workers=0, seed=3)]
    b = [b["image"] for b in make_loader(data, batch_sampler=sampler, num_workers=0, seed=3)]
    assert [x.shape[0] for x in a] == [len(i) for i in sampler] and all(torch.equal(x, y) for x, y in zip(a, b))


def test_make_loader_refuses_ambiguous_batching() -> None:
    import pytest

    from casestudies.data.mixing import RandomBatchSampler
    from casestudies.training.toy import ToySegmentation

    data = ToySegmentation(4, size=8)
    with pytest.raises(ValueError, match="batch_size or batch_sampler"):
        make_loader(data, 2, batch_sampler=RandomBatchSampler(4, 2), num_workers=0)
    with pytest.raises(ValueError, match="batch_size or batch_sampler"):
        make_loader(data, num_workers=0)
    with pytest.raises(TypeError, match="already yields tensors"):
        make_loader(data, 2, transform=_noisy, num_workers=0)


# --- workers ---------------------------------------------------------------------------------


@pytest.mark.timeout(120)  # a deadlocked worker (fork) becomes a failure
def test_sample_loader_workers_after_parent_opencv_pool(opencv_pool_used: None) -> None:
    rng = np.random.default_rng(0)
    samples = [{"image": rng.integers(0, 255, (16, 16, 3), dtype=np.uint8), "meta": {"source_id": str(i)}}
               for i in range(4)]
    batches = list(make_loader(samples, batch_size=2, num_workers=1))
    assert [tuple(b["image"].shape) for b in batches] == [(2, 3, 16, 16)] * 2
