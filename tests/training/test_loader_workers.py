"""Loader workers start cleanly after the parent used OpenCV's thread pool (as rendering faces does).

With the ``fork`` start method a worker inherits OpenCV's pool in a broken state and deadlocks on its
first OpenCV call; the loaders use ``forkserver``. The timeout turns a regression into a failure.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from casestudies.data.loading import make_loader
from casestudies.training import run_schedule


def _use_opencv_threads() -> None:
    cv2.setNumThreads(2)
    img = np.random.default_rng(0).integers(0, 255, (1024, 1024, 3), dtype=np.uint8)
    for _ in range(3):
        cv2.GaussianBlur(img, (31, 31), 5)
        cv2.resize(img, (2000, 2000))


@pytest.mark.timeout(120)
def test_engine_workers_after_parent_opencv_pool(toy) -> None:
    _use_opencv_threads()
    res = run_schedule(
        "mixed", model=toy.spec, task=toy.task, config=replace(toy.config, epochs=1, num_workers=1),
        synthetic=toy.synthetic, real=toy.real, val=toy.val, real_fraction=0.5, seed=0,
    )
    assert 0.0 <= res.metrics["miou"] <= 1.0


@pytest.mark.timeout(120)
def test_sample_loader_workers_after_parent_opencv_pool() -> None:
    _use_opencv_threads()
    rng = np.random.default_rng(0)
    samples = [{"image": rng.integers(0, 255, (16, 16, 3), dtype=np.uint8), "meta": {"source_id": str(i)}}
               for i in range(4)]
    batches = list(make_loader(samples, batch_size=2, num_workers=1))
    assert [tuple(b["image"].shape) for b in batches] == [(2, 3, 16, 16)] * 2
