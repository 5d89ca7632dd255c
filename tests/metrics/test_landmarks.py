"""Landmark metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data import taxonomy as tx
from casestudies.metrics import landmarks as lm


def shape51(corner_gap: float = 10.0) -> np.ndarray:
    """A 1 x 51 x 2 shape at the origin with the outer eye corners ``corner_gap`` px apart."""
    gt = np.zeros((1, 51, 2))
    gt[0, 19] = [0.0, 0.0]  # iBUG 36, subject's right outer corner
    gt[0, 28] = [corner_gap, 0.0]  # iBUG 45, subject's left outer corner
    return gt


def test_51_point_eye_indices_are_the_ibug_corners_minus_17():
    eyes = lm.eye_indices(51)
    assert eyes["outer"] == (19, 28)
    assert tx.IBUG51_INDICES[19] == 36 and tx.IBUG51_INDICES[28] == 45
    assert lm.eye_indices(68)["outer"] == (36, 45)
    assert list(tx.IBUG51_INDICES[list(eyes["right_eye"])]) == list(range(36, 42))


def test_nme_interocular_hand_case():
    gt = shape51(10.0)
    pred = gt.copy()
    pred[0, 0] += [3.0, 4.0]  # one point 5 px off, the other 50 exact
    # mean error 5 / 51 px, divided by the 10 px corner distance
    assert lm.nme(pred, gt)[0] == pytest.approx(5 / 51 / 10)


def test_nme_on_68_points_uses_ibug_36_and_45():
    gt = np.zeros((1, 68, 2))
    gt[0, 36], gt[0, 45] = [0.0, 0.0], [0.0, 20.0]
    pred = gt + [1.0, 0.0]
    assert lm.nme(pred, gt)[0] == pytest.approx(1 / 20)


def test_interpupil_uses_eye_centres():
    gt = np.zeros((1, 51, 2))
    gt[0, 19:25] = [[0, 0], [2, -1], [4, -1], [6, 0], [4, 1], [2, 1]]  # right eye, centre (3, 0)
    gt[0, 25:31] = gt[0, 19:25] + [20.0, 0.0]  # left eye, centre (23, 0)
    pred = gt + [0.0, 2.0]
    assert lm.normalizer_distance(gt, "interpupil")[0] == pytest.approx(20.0)
    assert lm.nme(pred, gt, "interpupil")[0] == pytest.approx(2 / 20)


def test_box_normaliser_is_sqrt_of_box_area():
    gt = np.zeros((1, 51, 2))
    gt[0, :, 0] = np.linspace(0, 8, 51)
    gt[0, :, 1] = np.linspace(0, 2, 51)  # box 8 x 2 -> sqrt(16) = 4
    assert lm.normalizer_distance(gt, "box")[0] == pytest.approx(4.0)
    assert lm.nme(gt + [0.0, 1.0], gt, "box")[0] == pytest.approx(0.25)


def test_region_restricts_points_but_not_the_normaliser():
    gt = shape51(10.0)
    pred = gt.copy()
    pred[0, list(lm.REGIONS51["mouth"])] += [2.0, 0.0]
    regions = lm.region_nme(pred, gt)
    assert regions["mouth"] == pytest.approx(0.2)
    assert regions["eyes"] == regions["brows"] == regions["nose"] == 0.0
    assert sorted(i for r in lm.REGIONS51.values() for i in r) == list(range(51))


def test_missing_points_are_left_out():
    gt = shape51(10.0)
    gt[0, 5] = np.nan
    pred = np.nan_to_num(gt) + [1.0, 0.0]
    assert lm.nme(pred, gt)[0] == pytest.approx(0.1)


def test_pck_counts_points_below_the_threshold():
    gt = np.concatenate([shape51(10.0), shape51(10.0)])
    pred = gt.copy()
    pred[0, :10] += [1.0, 0.0]  # 0.10 error: above 0.08
    pred[1, :4] += [0.5, 0.0]  # 0.05 error: below
    assert lm.pck(pred, gt, 0.08) == pytest.approx((102 - 10) / 102)


def test_auc_ced_failure_rate_hand_case():
    e = np.array([0.0, 0.04, 0.10])
    # area under the step CED up to 0.08: (0.08 + 0.04 + 0) / 3, divided by 0.08
    assert lm.auc(e, 0.08) == pytest.approx(0.5)
    assert lm.failure_rate(e, 0.08) == pytest.approx(1 / 3)
    assert lm.failure_rate(np.array([0.08, 0.081]), 0.08) == pytest.approx(0.5)  # strictly greater fails
    x, y = lm.ced(e, 0.08, 5)
    assert x.tolist() == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08])
    assert y.tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3])


def test_auc_matches_a_fine_numerical_integral():
    rng = np.random.default_rng(0)
    e = rng.gamma(2.0, 0.02, 500)
    x, y = lm.ced(e, 0.08, 80001)
    assert lm.auc(e, 0.08) == pytest.approx(np.trapezoid(y, x) / 0.08, abs=1e-4)


def test_summary_keys_and_perfect_prediction():
    gt = np.concatenate([shape51(10.0)] * 3)
    out = lm.summary(gt, gt)
    assert out == {"nme": 0.0, "pck": 1.0, "auc": 1.0, "fr_08": 0.0, "fr_10": 0.0}


def test_bad_inputs_fail_clearly():
    with pytest.raises(ValueError, match="N x K x 2"):
        lm.nme(np.zeros((2, 51, 2)), np.zeros((2, 50, 2)))
    with pytest.raises(ValueError, match="unknown normalizer"):
        lm.nme(shape51(), shape51(), "eyes")
    with pytest.raises(ValueError, match="zero or undefined"):
        lm.nme(shape51(0.0), shape51(0.0))
    with pytest.raises(ValueError, match="68 or 51"):
        lm.nme(np.ones((1, 10, 2)), np.ones((1, 10, 2)))
