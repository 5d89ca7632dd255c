"""The matting notebook through papermill: the tiny profile's sweep, and the paper profile's code path
(AISegment + PhotoMatte85 readers) at tiny sizes on the readers' fixture trees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from casestudies.params import resolve
from casestudies.project import Project
from casestudies.store import load_records
from casestudies.sweep import run_sweep
from tests.data.readers.readers_fixtures import scenes, write_aisegment, write_photomatte85

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CASE = "background_matting"


def _sweep(tmp_path: Path, params_file: Path, profile: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CASESTUDIES_CACHE", str(tmp_path / "cache" / "synth"))
    proj = Project.at(REPO, runs=tmp_path / "runs")
    plan = resolve(CASE, proj.notebook(CASE), params_file, profile)
    summary = run_sweep(plan, proj.runs, proj.root, jobs=2, threads=1, progress=False)
    assert summary.ok, summary.text()
    return plan, load_records(proj.runs, CASE)


def test_tiny_profile_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan, df = _sweep(tmp_path, REPO / "params" / f"{CASE}.yaml", "tiny", monkeypatch)
    assert len(df) == len(plan.runs) == 5
    # every schedule once (real_only on rough mattes), AdaBN and DSON
    got = {(r["params.schedule"], r["params.adapter"], r["params.refine_mattes"]) for _, r in df.iterrows()}
    assert got == {("real_only", "none", False), ("synthetic_only", "none", True), ("finetune", "none", True),
                   ("mixed", "adabn", True), ("mixed", "dson", True)}
    for bg in ("bg_train", "bg_photo"):
        for m in ("mse", "sad", "mae", "grad", "conn", "iou"):
            col = f"metrics.{bg}.{m}"
            assert df[col].notna().all() and (df[col] >= 0).all(), col
        assert (df[f"metrics.{bg}.mse"] <= 1).all() and (df[f"metrics.{bg}.iou"] <= 1).all()
    # the same step budget everywhere; finetune splits it between its stages
    assert set(df["metrics.train.steps"]) == {4}
    ft = df[df["params.schedule"] == "finetune"].iloc[0]
    assert ft["metrics.train.stage_steps.pretrain"] == 2 and ft["metrics.train.stage_steps.finetune"] == 2
    # label quality is measured against the stand-in's exact alpha; the refiner ran in training
    assert (df["metrics.labels.rough.sad"] > 0).all() and (df["metrics.labels.refined.grad"] > 0).all()
    assert df["metrics.gallery.bg_photo"].map(len).eq(1).all()
    assert (df["metrics.baseline.bg_photo.mse"] == df["metrics.baseline.bg_photo.mse"].iloc[0]).all()
    # different schedules give different models
    assert df["metrics.bg_photo.mse"].nunique() > 1


def test_paper_code_path_on_reader_fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    groups = {f"g{k}": scenes(2, seed=k) for k in range(10)}
    write_aisegment(tmp_path / "aisegment", groups)
    write_photomatte85(tmp_path / "pm85", scenes(3, seed=99))
    paper = yaml.safe_load((REPO / "params" / f"{CASE}.yaml").read_text())["profiles"]["paper"]
    base = {**paper["base"], "real_root": str(tmp_path / "aisegment"), "test_root": str(tmp_path / "pm85"),
            "image_size": 64, "n_real": 0, "n_val": 0, "n_test": 0, "steps": 2, "batch_size": 4, "records": 1,
            "refine_patches": 8, "prep_workers": 1, "gallery_items": 1, "gallery_crop": 16}
    grid = [{"schedule": ["mixed"], "adapter": ["dsbn"], "seed": [0]}]
    params_file = tmp_path / "paper_tiny.yaml"
    params_file.write_text(yaml.safe_dump({"profiles": {"paper": {"base": base, "grid": grid}}}))
    _, df = _sweep(tmp_path, params_file, "paper", monkeypatch)
    assert len(df) == 1
    row = df.iloc[0]
    assert row["params.real_dataset"] == "aisegment_matting" and row["params.test_dataset"] == "photomatte85"
    assert "aisegment_matting" in row["data.train_real"] and "photomatte85" in row["data.test"]
    assert np.isfinite(row["metrics.bg_photo.mse"]) and np.isfinite(row["metrics.bg_train.conn"])
    assert "metrics.labels.rough.sad" not in df.columns  # AISegment has no exact alpha to measure labels by
