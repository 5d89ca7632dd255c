"""face_segmentation.data: sources by reader or stand-in preset, disjoint generated splits, caps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from casestudies.data.readers import DatasetError
from casestudies.face_segmentation import data as fsdata
from tests.data.readers import readers_fixtures as fx


def test_split_seeds_differ_and_describe_flags_standins() -> None:
    seeds = {fsdata.split_seed(s, d) for s in fsdata.SPLITS for d in (0, 1)}
    assert len(seeds) == 6
    assert "stand-in" in fsdata.describe("standin_real_a") and "stand-in" not in fsdata.describe("synthetic")
    assert fsdata.describe("lapa", "/data/LaPa") == "lapa at /data/LaPa"


def test_bad_sources_are_clear_errors() -> None:
    with pytest.raises(DatasetError, match="neither a reader .*'lapa'.* nor a generator preset .*'standin_real_a'"):
        fsdata.open_split("lapaa", "/x", "train")
    with pytest.raises(DatasetError, match="leave its root empty"):
        fsdata.open_split("standin_real_a", "/x", "train", n=2)
    with pytest.raises(DatasetError, match="needs its root folder"):
        fsdata.open_split("lapa", "", "train")
    with pytest.raises(DatasetError, match="unknown synthetic_source 'gen'"):
        fsdata.open_synthetic("gen", "", n=1, image_size=32)
    with pytest.raises(ValueError, match="unknown split"):
        fsdata.open_split("lapa", "/x", "training")


def test_reader_split_capped_evenly(tmp_path: Path) -> None:
    root = fx.write_lapa(tmp_path / "LaPa", {"train": fx.scenes(5, 1), "val": fx.scenes(2, 2), "test": fx.scenes(2, 3)})
    full = fsdata.open_split("lapa", str(root), "train")
    capped = fsdata.open_split("lapa", str(root), "train", n=3)
    assert len(full) == 5 and list(capped.index) == [0, 2, 4]
    assert capped.report()["n_used"] == 3 and capped.report()["of"] == 5 and capped.report()["taxonomy"] == "paper9"
    assert capped[1]["seg"].max() <= 8  # paper9 ids


def test_generated_splits_are_disjoint_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASESTUDIES_CACHE", str(tmp_path / "cache"))
    sets = {s: fsdata.open_split("standin_real_b", "", s, n=2, image_size=32, workers=1) for s in fsdata.SPLITS}
    roots = {s: ds.report()["root"] for s, ds in sets.items()}
    assert len(set(roots.values())) == 3
    images = [ds[i]["image"].tobytes() for ds in sets.values() for i in range(2)]
    assert len(set(images)) == 6  # no image shared between train, val and test
    again = fsdata.open_split("standin_real_b", "", "test", n=2, image_size=32, workers=1)
    assert again.report()["root"] == roots["test"]
    np.testing.assert_array_equal(again[0]["seg"], sets["test"][0]["seg"])
    assert set(sets["train"][0]) == {"image", "seg", "landmarks", "pupils", "meta"}  # no extra layers read


def test_torch_datasets(tmp_path: Path) -> None:
    root = fx.write_lapa(tmp_path / "LaPa", {"train": fx.scenes(3, 1), "val": fx.scenes(2, 2), "test": fx.scenes(2, 3)})
    samples = fsdata.open_split("lapa", str(root), "train")
    train = fsdata.train_dataset(samples, 32, cache_key="k")
    item = train[0]
    assert item["image"].shape == (3, 32, 32) and item["seg"].shape == (32, 32) and train.cache_key == "k"
    ev = fsdata.eval_dataset(samples, 32)
    assert (ev[1]["seg"] == ev[1]["seg"]).all() and ev[1]["image"].shape == (3, 32, 32)
    assert fsdata.in_memory(samples, 32) and not fsdata.in_memory(samples, 32, max_mb=1e-6)
