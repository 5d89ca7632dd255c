"""The generator benchmark's error bars: Wilson intervals of detection rates and bootstrap intervals of
the dlib pair shares, on hand-made descriptors (no dlib needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.benchmarks.scripts import load_benchmark

bench = load_benchmark("generator")


def test_wilson_interval_matches_hand_computed_cases() -> None:
    # 5 of 10: p = 0.5, z^2 = 3.8415; centre 0.5, half-width z sqrt(0.025 + 0.0096) / 1.384 = 0.2634
    assert bench.wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    # 0 of 10: the lower end is 0, the upper z^2 / (n + z^2) = 3.8415 / 13.8415
    assert bench.wilson_interval(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-4)
    assert bench.wilson_interval(10, 10) == pytest.approx((0.72247, 1.0), abs=1e-4)
    assert all(math.isnan(v) for v in bench.wilson_interval(0, 0))


def _far_apart(n: int) -> np.ndarray:
    """n descriptors on distinct axes: every pair sqrt(2) apart, far over the 0.6 threshold."""
    return np.eye(n, 128)


def test_a_face_drawn_twice_never_pairs_with_its_copy() -> None:
    # no pair is under the threshold: any resample that paired a face with its own copy (distance 0)
    # would report look-alikes
    desc = _far_apart(30)
    assert bench._pair_share(desc, np.arange(30), same=False)[0] == 0.0
    assert bench.pair_share_interval(desc, np.arange(30), same=False, n_boot=300) == (0.0, 0.0)


def test_different_pair_interval_holds_the_share_and_has_width() -> None:
    # two tight clusters of 10 faces: the 2 x 45 pairs within a cluster are look-alikes, the 100
    # across are not: share 90 / 190
    rng = np.random.default_rng(0)
    desc = np.r_[np.tile(np.eye(1, 128, 0), (10, 1)), np.tile(np.eye(1, 128, 1), (10, 1))]
    desc = desc + rng.normal(0, 0.01, desc.shape)
    share, n = bench._pair_share(desc, np.arange(20), same=False)
    assert n == 190 and share == pytest.approx(90 / 190)
    lo, hi = bench.pair_share_interval(desc, np.arange(20), same=False, n_boot=500)
    assert lo < share < hi and hi - lo > 0.05


def test_same_identity_interval_resamples_identities() -> None:
    # identity 0: 4 renders close together (6 of 6 pairs pass); identity 1: 4 renders far apart (0 of 6);
    # a resample of the two identities gives 0, 0.5 or 1
    close = np.tile(np.eye(1, 128, 0), (4, 1)) + np.arange(4)[:, None] * 0.01
    desc = np.r_[close, _far_apart(4) * 2]
    ids = np.repeat([0, 1], 4)
    assert bench._pair_share(desc, ids, same=True) == (0.5, 12)
    assert bench.pair_share_interval(desc, ids, same=True, n_boot=400) == (0.0, 1.0)
    # every identity passes all its pairs: no resample can say otherwise
    ids3 = np.repeat([0, 1, 2], 4)
    desc3 = np.r_[close, close + 5, close - 5]
    assert bench.pair_share_interval(desc3, ids3, same=True, n_boot=200) == (1.0, 1.0)


class _FakeDlib:
    """The three dlib types ``_dlib_face`` builds, recording what they were given."""

    class point:  # noqa: N801 - dlib's names
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    class rectangle:  # noqa: N801
        def __init__(self, left: int, top: int, right: int, bottom: int) -> None:
            self.box = (left, top, right, bottom)

        def left(self) -> int:
            return self.box[0]

        def top(self) -> int:
            return self.box[1]

        def right(self) -> int:
            return self.box[2]

        def bottom(self) -> int:
            return self.box[3]

    class full_object_detection:  # noqa: N801
        def __init__(self, rect, parts: list) -> None:
            self.rect, self.parts = rect, parts

        def part(self, i: int):
            return self.parts[i]


def _fake_models(boxes: list, predicted: np.ndarray):
    """(detector returning ``boxes``, predictor returning ``predicted``, recogniser that returns the
    x coordinates of the 68 points it was aligned on, so a test sees which shape it got)."""
    fake = _FakeDlib

    def pred(img, rect):
        return fake.full_object_detection(rect, [fake.point(int(x), int(y)) for x, y in predicted])

    class Rec:
        def compute_face_descriptor(self, img, shape):
            return [shape.part(i).x for i in range(68)]

    return (lambda img, up: boxes), pred, Rec()


def test_a_missed_face_is_aligned_on_its_labels_and_a_detected_one_on_dlibs_points(monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "dlib", _FakeDlib)
    img = np.zeros((64, 64, 3), np.uint8)
    labels = np.stack([np.linspace(10, 50, 68), np.linspace(12, 52, 68)], 1).astype(np.float32)
    predicted = labels + 3.0
    # the detector finds a box holding the labelled nose tip: dlib's own pipeline
    box = _FakeDlib.rectangle(5, 5, 60, 60)
    hit, pts, desc = bench._dlib_face(_fake_models([box], predicted), img, labels)
    assert hit and np.allclose(pts, predicted.astype(int)) and np.allclose(desc, predicted[:, 0].astype(int))
    # a box elsewhere in the picture is not this face: a miss, aligned on the labels, no predicted points
    far = _FakeDlib.rectangle(0, 0, 4, 4)
    hit, pts, desc = bench._dlib_face(_fake_models([far], predicted), img, labels)
    assert not hit and pts is None and np.allclose(desc, np.round(labels[:, 0]))
