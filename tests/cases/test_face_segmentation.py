"""Case study 1 through papermill: the tiny profile (plus one run that must fail), and the paper
profile's code path (CelebAMask-HQ + LaPa readers, DRN-D-54 at stride 8) at tiny sizes on fixture trees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from casestudies.store import load_records
from tests.conftest import REPO
from tests.data.readers import readers_fixtures as fx


def cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m casestudies --root ROOT ARGS``, with room for a shared, loaded machine."""
    return subprocess.run([sys.executable, "-m", "casestudies", "--root", str(root), *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=1200)
pytestmark = pytest.mark.slow
PARAMS = REPO / "params" / "face_segmentation.yaml"
CLASSES = ("background", "skin", "left_eye", "right_eye", "nose", "upper_lip", "inner_mouth", "lower_lip", "hair")


def _write_profile(path: Path, base: dict, grid: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"profiles": {"tiny": {"base": base, "grid": grid}}}, sort_keys=False))
    return path


def _check_metrics(rec: dict) -> None:
    for test in ("test_a", "test_b"):
        m = rec["metrics"][test]
        assert 0.0 <= m["miou"] <= 1.0 and 0.0 <= m["pixel_acc"] <= 1.0
        assert set(m["iou"]) == set(CLASSES) == set(m["f1"])
        conf = rec["extra"]["confusion"][test]
        assert len(conf) == 9 and all(len(r) == 9 for r in conf) and sum(map(sum, conf)) > 0
    train = rec["metrics"]["train"]
    assert train["steps"] == rec["params"]["steps"] and train["images_seen"] > 0 and "flattened" in train


def test_tiny_profile_records_every_schedule(tmp_path: Path) -> None:
    tiny = yaml.safe_load(PARAMS.read_text())["profiles"]["tiny"]
    # the checked-in tiny profile, plus a run that must fail (real_only at r = 0 is refused)
    params = _write_profile(tmp_path / "fs.yaml", tiny["base"], [*tiny["grid"],
                            {"schedule": ["real_only"], "real_fraction": [0.0], "seed": [0]}])
    r = cli(REPO, "--runs", str(tmp_path / "runs"), "sweep", "face_segmentation", "--params", str(params),
            "--profile", "tiny", "--no-progress", env={"CASESTUDIES_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed" in r.stdout and "needs real_fraction > 0" in r.stdout

    df = load_records(tmp_path / "runs", case="face_segmentation", include_failed=True)
    done, failed = df[df["status"] == "done"], df[df["status"] == "failed"]
    assert len(done) == 6 and len(failed) == 1
    assert set(done["params.schedule"]) == {"real_only", "synthetic_only", "mixed", "finetune"}
    assert set(done["params.adapter"]) == {"none", "adabn"} and set(done["params.train_real"]) == {"a", "b"}
    for col in ("metrics.test_a.miou", "metrics.test_b.miou", "metrics.test_a.iou.skin", "metrics.test_b.f1.hair",
                "metrics.train.steps", "metrics.train.flattened", "data.test_a", "extra.confusion.test_a"):
        assert col in done, col
    assert done["data.test_a"].str.contains("stand-in").all()
    for rid in done["run_id"]:
        rec = json.loads((tmp_path / "runs" / "face_segmentation" / rid / "record.json").read_text())
        _check_metrics(rec)
        reports = rec["extra"]["data_report"]
        assert {"real_a_train", "real_a_val", "real_a_test", "real_b_test", "synthetic"} <= set(reports)
        # disjoint stand-in splits: each split is its own generated set
        roots = {reports[f"real_a_{s}"]["root"] for s in ("train", "val", "test")}
        assert len(roots) == 3
        assert rec["extra"]["throughput"]["images_trained"] > 0
    ft = done[done["params.schedule"] == "finetune"].iloc[0]
    assert ft["metrics.train.stage_steps.pretrain"] == 2 and ft["metrics.train.stage_steps.finetune"] == 2
    assert "needs real_fraction > 0" in failed.iloc[0]["error"]


def test_paper_profile_path_on_reader_fixtures(tmp_path: Path) -> None:
    paper = yaml.safe_load(PARAMS.read_text())["profiles"]["paper"]
    celeb = fx.write_celebamask_hq(tmp_path / "CelebAMask-HQ", fx.scenes(4, 4), [5, 162770, 162771, 182638], first_k=1998)
    lapa = fx.write_lapa(tmp_path / "LaPa", {"train": fx.scenes(3, 1), "val": fx.scenes(2, 2), "test": fx.scenes(2, 3)})
    base = {**paper["base"], "real_a_root": str(celeb), "real_b_root": str(lapa), "synthetic_size": 4,
            "image_size": 32, "steps": 2, "batch_size": 2, "log_every": 1, "eval_every": 1, "num_workers": 0,
            "generate_workers": 1, "figures": False}
    assert base["encoder"] == "drn_d_54" and base["output_stride"] == 8 and base["real_a_dataset"] == "celebamask_hq"
    params = _write_profile(tmp_path / "paper.yaml", base,
                            [{"schedule": ["finetune"], "real_fraction": [1.0], "seed": [0]}])
    r = cli(REPO, "--runs", str(tmp_path / "runs"), "sweep", "face_segmentation", "--params", str(params),
            "--profile", "tiny", "--no-progress", env={"CASESTUDIES_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stdout + r.stderr
    (rid,) = [p.name for p in (tmp_path / "runs" / "face_segmentation").iterdir()]
    rec = json.loads((tmp_path / "runs" / "face_segmentation" / rid / "record.json").read_text())
    _check_metrics(rec)
    reports = rec["extra"]["data_report"]
    assert reports["real_a_train"]["dataset"] == "celebamask_hq" and reports["real_a_train"]["n"] == 2
    assert reports["real_b_test"]["dataset"] == "lapa" and reports["real_b_test"]["n"] == 2
    assert "stand-in" not in rec["data_sources"]["test_a"] and "celebamask_hq" in rec["data_sources"]["test_a"]
    assert rec["metrics"]["train"]["stage_steps"] == {"pretrain": 1, "finetune": 1}


def test_paper_profile_validates() -> None:
    r = cli(REPO, "sweep", "face_segmentation", "--profile", "paper", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "60 runs planned" in r.stdout and "'encoder': 'drn_d_54'" in r.stdout
