"""The pieces fit: generator samples -> label remap -> tensors -> training engine -> run log.

Trains the tiny segmentation model for one epoch on 64 px synthetic faces mixed with a stand-in
domain, with AdaBN, as the face-segmentation case study will (at a much larger size).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from casestudies.data.loading import to_tensors
from casestudies.data.synth.dataset import SynthFaces
from casestudies.data.taxonomy import PAPER9, remap
from casestudies.models import ModelSpec
from casestudies.runlog import RunLog
from casestudies.training import SegmentationTask, TrainConfig, run_schedule


def _paper9(sample: dict) -> dict:
    seg = remap(sample["seg"], sample["meta"].get("taxonomy", "facesynthetics19"), "paper9")
    return to_tensors({"image": sample["image"], "seg": seg, "meta": sample["meta"]})


def test_generator_to_engine_to_run_log(tmp_path: Path) -> None:
    synth = SynthFaces("synthetic", length=16, size=64, seed=0, transform=_paper9)
    real = SynthFaces("standin_real_a", length=16, size=64, seed=1, transform=_paper9)
    val = SynthFaces("standin_real_a", length=8, size=64, seed=2, transform=_paper9)
    item = synth[0]
    assert item["image"].shape == (3, 64, 64) and item["seg"].dtype.is_floating_point is False
    assert set(np.unique(item["seg"].numpy())) <= set(range(PAPER9.num_classes)) | {255}

    run = RunLog(tmp_path)
    result = run_schedule(
        "mixed", model=ModelSpec("face_segmentation", "tiny_segnet", {"classes": PAPER9.num_classes}),
        task=SegmentationTask(PAPER9.num_classes, class_names=PAPER9.classes),
        config=TrainConfig(epochs=1, batch_size=8, lr=1e-2, progress=False),
        synthetic=synth, real=real, val=val, real_fraction=0.5, adapter="adabn", seed=0, log=run.log,
    )
    miou = result.metrics["miou"]
    assert 0.0 <= miou <= 1.0 and not math.isnan(miou)
    rows = [json.loads(x) for x in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert rows and all("wall_s" in r for r in rows)
