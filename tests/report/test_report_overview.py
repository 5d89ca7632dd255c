"""First-screen facts and data-generation pieces of the whitepaper (report_overview)."""

from __future__ import annotations

import json
from pathlib import Path

from casestudies import report_overview as ov
from casestudies.store import load_records

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def test_display_path_never_shows_machine_paths(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "runs").mkdir(parents=True)
    assert ov.display_path(root / "runs", root) == "runs"
    assert ov.display_path("runs/x", root) == "runs/x"
    assert ov.display_path(root, root) == "."
    assert ov.display_path("/data/LaPa", root) == "…/LaPa (outside the project)"
    assert ov.display_path("", root) == "" and ov.display_path(None, root) == ""


def test_run_facts_name_stand_ins_seeds_and_missing_cases(tmp_path: Path) -> None:
    df = load_records(GOLDEN / "claims" / "set_b")
    df.loc[df["case"] == "facial_landmarks", "params.real_dataset"] = "w300"
    df.loc[df["case"] == "facial_landmarks", "params.real_root"] = "/data/300W"
    df = df[df["case"] != "background_matting"]
    facts = ov.run_facts(df, df.iloc[0:0], tmp_path).set_index("case study")
    seg = facts.loc["Face segmentation"]
    assert seg["runs"] == "25 done" and seg["seeds"] == "4 (0, 1, 2, 3)"
    assert "test_a: standin_real_a (stand-in)" in seg["data"] and seg["real data"] == "none given (stand-ins)"
    assert seg["hardware"] == "cpu (1 torch threads); 2 CPUs; Linux-x86_64" and seg["commit"] == "0123456789"
    assert seg["run time"] == "12.5 min"  # 25 runs x 30 s
    assert facts.loc["Facial landmarks", "real data"] == "w300 at …/300W (outside the project)"
    assert facts.loc["Background matting", "runs"] == "not run"
    real = df.copy()  # a case pointed at real data by its own parameter names; a generator preset is no real data
    real.loc[real["case"] == "face_segmentation", "params.real_a_dataset"] = "celebamask_hq"
    real.loc[real["case"] == "face_segmentation", "params.real_a_root"] = "/data/CelebAMask-HQ"
    real.loc[real["case"] == "face_segmentation", "params.real_b_dataset"] = "standin_real_b"
    real.loc[real["case"] == "facial_landmarks", "params.real_dataset"] = "generator"
    real.loc[real["case"] == "facial_landmarks", "params.real_root"] = ""
    facts = ov.run_facts(real, real.iloc[0:0], tmp_path).set_index("case study")
    assert facts.loc["Face segmentation", "real data"] == "celebamask_hq at …/CelebAMask-HQ (outside the project)"
    assert facts.loc["Facial landmarks", "real data"] == "none given (stand-ins)"
    assert "synthetic: none" not in facts.loc["Face segmentation", "data"]
    assert "stand-ins" in ov.standin_statement(df)
    assert ov.standin_statement(load_records(GOLDEN / "runs")) is None  # toy data is no stand-in


def test_knobs_and_speed(tmp_path: Path) -> None:
    from casestudies.data.synth.knobs import KNOBS

    k = ov.knob_groups()
    assert k["knobs"].sum() == len(KNOBS) and "yaw [-60, 60]" in k.set_index("group").loc["pose", "knobs and ranges"]
    assert ov.generator_speed(tmp_path) is None
    (tmp_path / "bench_generator.json").write_text(json.dumps({"speed": [
        {"size": 128, "workers": 2, "images_per_s": 64.6, "cpu_ms_per_image": 30.5}], "load_avg_at_start": [0.6, 0, 0]}))
    line = ov.generator_speed(tmp_path)
    assert "64.6 images/s at 128 px on 2 worker processes (30.5 CPU-ms per image)" in line and "load average 0.6" in line
