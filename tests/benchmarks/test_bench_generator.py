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
