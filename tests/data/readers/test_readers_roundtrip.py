"""Write each dataset's exact layout from known scenes, read it back, get the scenes again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from casestudies.data import taxonomy as tx
from casestudies.data.readers import READERS, BadSampleError, open_dataset
from casestudies.data.readers.photomatte85 import composite, cover_resize, evaluation_trimap
from casestudies.names import UnknownNameError
from tests.data.readers import readers_fixtures as fx


def _close_image(a: np.ndarray, b: np.ndarray, tol: float = 8.0) -> None:
    assert a.shape == b.shape
    assert np.abs(a.astype(float) - b.astype(float)).mean() < tol


def test_registry_names() -> None:
    assert set(READERS) == {"celebamask_hq", "lapa", "w300", "aisegment_matting", "photomatte85", "facesynthetics", "folder"}
    with pytest.raises(UnknownNameError, match=r"unknown dataset reader 'lapaa'.*celebamask_hq.*w300"):
        open_dataset("lapaa", ".", "train")


def test_lapa_roundtrip(lapa_roots: dict[bool, Path]) -> None:
    truth = fx.scenes(2, 2)
    ds = open_dataset("lapa", lapa_roots[False], "val", landmarks106=True)
    assert len(ds) == 2 and ds.skipped == []
    for s, t in zip(ds, truth):
        np.testing.assert_array_equal(s["seg"], t["seg"])  # image-side ids converted to subject sides
        _close_image(s["image"], t["image"])
        assert s["landmarks106"].shape == (106, 2)
        assert s["meta"]["taxonomy"] == "lapa11" and s["meta"]["dataset"] == "lapa"
    assert "landmarks106" not in open_dataset("lapa", lapa_roots[False], "val")[0]


def test_lapa_to_paper9(lapa_roots: dict[bool, Path]) -> None:
    s = open_dataset("lapa", lapa_roots[False], "train", taxonomy="paper9")[0]
    t = fx.scenes(1, 1)[0]
    np.testing.assert_array_equal(s["seg"], tx.remap(t["seg"], "lapa11", "paper9"))
    assert s["meta"]["taxonomy"] == "paper9" and s["meta"]["native_taxonomy"] == "lapa11"


def test_celebamask_roundtrip_and_official_split(celeb_roots: dict[bool, Path]) -> None:
    truth = fx.scenes(4, 4)
    sizes = {split: len(open_dataset("celebamask_hq", celeb_roots[False], split)) for split in ("train", "val", "test")}
    assert sizes == {"train": 2, "val": 1, "test": 1}  # orig_idx 5, 162770 | 162771 | 182638
    ds = open_dataset("celebamask_hq", celeb_roots[False], "train", taxonomy="lapa11")
    for s, t in zip(ds, truth[:2]):
        np.testing.assert_array_equal(s["seg"], t["seg"])
        _close_image(s["image"], t["image"], tol=10.0)  # 2x JPEG, resized to the 64 px masks
    native = open_dataset("celebamask_hq", celeb_roots[False], "train")[0]
    cel = tx.CELEBAMASK_HQ19
    assert (native["seg"] == cel.index("neck")).any() and (native["seg"] == cel.index("cloth")).any()
    assert native["meta"]["source_id"] == "1998"


def test_facesynthetics_roundtrip_with_extras(fs_roots: dict[bool, Path]) -> None:
    truth = fx.scenes(3, 5)
    ds = open_dataset("facesynthetics", fs_roots[False], "all")
    assert len(ds) == 3 and ds[0]["meta"]["domain"] == "synthetic"
    for s, t in zip(ds, truth):
        np.testing.assert_array_equal(s["seg"], fx.fs19_seg(t))
        np.testing.assert_allclose(s["landmarks"], t["landmarks"], atol=1e-5)
        np.testing.assert_allclose(s["pupils"], t["pupils"], atol=1e-5)
        np.testing.assert_allclose(s["alpha"], t["alpha"], atol=1e-4)
        np.testing.assert_array_equal(s["foreground"], t["foreground"])
        assert s["depth"].dtype == np.float32 and s["normals"].dtype == np.float32
        assert s["landmarks_visible"].sum() == 54
        assert s["meta"]["head_pose"]["yaw"] == 10.0 and s["meta"]["generator"]["preset"] == "fixture"
    lapa = open_dataset("facesynthetics", fs_roots[False], "all", taxonomy="lapa11")[0]
    np.testing.assert_array_equal(lapa["seg"], truth[0]["seg"])  # neck, clothing -> background


def test_facesynthetics_id_split(tmp_path: Path) -> None:
    fx.write_facesynthetics(tmp_path, fx.scenes(20, 6))
    parts = {sp: [s["meta"]["source_id"] for s in open_dataset("facesynthetics", tmp_path, sp, validate=False)] for sp in ("train", "val", "test")}
    assert [len(v) for v in parts.values()] == [18, 1, 1]
    assert sorted(sum(parts.values(), [])) == sorted(f"{i:06d}" for i in range(20))


@pytest.mark.parametrize(("split", "n"), [("train", 6), ("test", 2), ("train3148", 3), ("common", 2), ("challenging", 1), ("full", 3), ("indoor", 1)])
def test_w300_splits_and_coordinates(w300_roots: dict[bool, Path], split: str, n: int) -> None:
    ds = open_dataset("w300", w300_roots[False], split, crop_size=None)
    assert len(ds) == n
    s = ds[0]
    sub = s["meta"]["source_id"].rsplit("/", 1)[0]
    truth = fx.scenes(1, 10 + list(fx.W300_EXT).index(sub))[0]
    np.testing.assert_allclose(s["landmarks"], truth["landmarks"], atol=1e-5)  # 1-based file -> 0-based


def test_w300_crop_keeps_points_on_features(w300_roots: dict[bool, Path]) -> None:
    full = open_dataset("w300", w300_roots[False], "challenging", crop_size=None)[0]
    crop = open_dataset("w300", w300_roots[False], "challenging", crop_size=48, margin=0.25)[0]
    assert crop["image"].shape == (48, 48, 3)
    box = crop["landmarks"].max(0) - crop["landmarks"].min(0)
    assert box.max() == pytest.approx(48 / 1.5, rel=1e-4)  # margin 0.25 each side of the longer side
    m = np.array(crop["meta"]["crop_matrix"])
    back = (crop["landmarks"] - m[:, 2]) / m[0, 0]
    np.testing.assert_allclose(back, full["landmarks"], atol=1e-3)
    # the crop's pixel under the right-eye centre matches the photo's (same colour, resampled)
    ex, ey = np.round(crop["landmarks"][36:42].mean(0)).astype(int)
    fx_, fy = np.round(full["landmarks"][36:42].mean(0)).astype(int)
    assert np.abs(crop["image"][ey, ex].astype(int) - full["image"][fy, fx_].astype(int)).max() < 40


def test_aisegment_pairs_and_group_split(tmp_path: Path) -> None:
    groups = {f"18031{g}": fx.scenes(2, 20 + g) for g in range(10)}
    fx.write_aisegment(tmp_path, groups)
    seen: dict[str, str] = {}
    total = 0
    for split in ("train", "val", "test"):
        ds = open_dataset("aisegment_matting", tmp_path, split)
        total += len(ds)
        for item in ds.items:
            assert seen.setdefault(item.group, split) == split  # no group in two splits
    assert total == 20 and sorted(set(seen.values())) == ["test", "train", "val"]
    s = open_dataset("aisegment_matting", tmp_path, "all")[0]
    t = groups["180310"][0]
    np.testing.assert_allclose(s["alpha"], np.rint(t["alpha"] * 255) / 255, atol=1e-6)
    assert "foreground" not in s and "seg" not in s


def test_photomatte85_composites(tmp_path: Path) -> None:
    items = fx.scenes(3, 30)
    fx.write_photomatte85(tmp_path / "pm", items)
    bg_dir = tmp_path / "bgs"
    fx.write_folder(bg_dir, fx.scenes(2, 31))
    for backgrounds in ("skimage", str(bg_dir / "images")):
        ds = open_dataset("photomatte85", tmp_path / "pm", "test", backgrounds=backgrounds, pairs_per_fg=2)
        assert len(ds) == 6
        s = ds[1]
        np.testing.assert_array_equal(s["image"], composite(s["foreground"], s["alpha"], s["background"]))
        np.testing.assert_array_equal(s["trimap"], evaluation_trimap(s["alpha"]))
        assert ds[0]["meta"]["background_id"] != ds[1]["meta"]["background_id"]


def test_evaluation_trimap_band() -> None:
    alpha = np.zeros((1, 64), np.float32)
    alpha[0, 32:] = 1.0
    alpha[0, 31] = 0.5
    alpha = np.repeat(alpha, 40, 0)
    tri = evaluation_trimap(alpha)[20]
    # unknown seed is column 31; fg erodes 10 px (32..41 unknown), not-bg dilates 10 px (21..30)
    assert (tri[:21] == 0).all() and (tri[21:42] == 128).all() and (tri[42:] == 255).all()


def test_cover_resize_shape() -> None:
    assert cover_resize(np.zeros((30, 90, 3), np.uint8), (64, 48)).shape == (64, 48, 3)


def test_folder_roundtrip(folder_roots: dict[bool, Path]) -> None:
    truth = fx.scenes(3, 7)
    ds = open_dataset("folder", folder_roots[False], "all", native_taxonomy="lapa11", taxonomy="paper9")
    for s, t in zip(ds, truth):
        np.testing.assert_array_equal(s["image"], t["image"])
        np.testing.assert_array_equal(s["seg"], tx.remap(t["seg"], "lapa11", "paper9"))
        np.testing.assert_allclose(s["landmarks"], t["landmarks"], atol=1e-5)
        np.testing.assert_allclose(s["alpha"], np.rint(t["alpha"] * 255) / 255, atol=1e-6)


def test_report_for_run_records(lapa_roots: dict[bool, Path]) -> None:
    rep = open_dataset("lapa", lapa_roots[False], "test").report()
    assert rep["dataset"] == "lapa" and rep["n"] == 2 and rep["n_skipped"] == 0 and rep["skipped"] == []


def test_lapa_landmarks_are_read_only_when_asked(tmp_path: Path) -> None:
    """A broken 106-point file rejects its image only when landmarks106=True (never silently)."""
    root = tmp_path / "lapa"
    fx.write_lapa(root, {"val": fx.scenes(2, 2)})
    bad = sorted((root / "val" / "landmarks").glob("*.txt"))[0]
    bad.write_text("106\n1 2\n")
    assert len(open_dataset("lapa", root, "val")) == 2  # segmentation-only use is unaffected
    with pytest.raises(BadSampleError, match=bad.name):
        open_dataset("lapa", root, "val", landmarks106=True)
    ds = open_dataset("lapa", root, "val", landmarks106=True, skip_bad=True)
    assert len(ds) == 1 and [str(p) for p, _ in ds.skipped] == [str(bad)]
