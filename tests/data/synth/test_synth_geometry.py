"""The template's landmarks against the iBUG definitions; the identity and expression modes."""

from __future__ import annotations

import numpy as np

from casestudies.data.synth.assets import load_template
from casestudies.data.synth.geometry import MM, head_model


def test_nose_tip_is_the_pronasale():
    head = head_model()
    v = head.points0[: head.n_template]
    lm = v[head.lm_vid]
    mid = v[(np.abs(v[:, 0]) < 2 * MM) & (v[:, 1] < lm[27, 1]) & (v[:, 1] > lm[33, 1])]
    # iBUG 30: the lowest, most prominent point of the tip, above the columella (subnasale 33)
    assert lm[30, 2] >= mid[:, 2].max() - 0.5 * MM
    assert lm[33, 1] + 5 * MM < lm[30, 1] < lm[33, 1] + 20 * MM
    _, _, raw = load_template()
    iod = np.linalg.norm(lm[36] - lm[45])
    assert (raw[30, 1] - lm[30, 1]) / iod > 0.08  # menpo3d's point sits ~0.12 IOD up the dorsum
    # the bridge 27-28-29-30 descends in equal steps and comes forward
    steps = np.diff(lm[27:31, 1])
    assert (steps < 0).all() and np.ptp(steps) < 2 * MM
    assert (np.diff(lm[27:31, 2]) > 0).all()


def test_other_landmarks_keep_their_definitions():
    lm = head_model().points0[head_model().lm_vid]
    # eye corners: outer (36, 45) outside inner (39, 42); upper lids above lower lids
    assert lm[36, 0] < lm[39, 0] < 0 < lm[42, 0] < lm[45, 0]
    assert (lm[[37, 38, 43, 44], 1] > lm[[41, 40, 47, 46], 1]).all()
    # subnasale (33) on the midline between the nostrils (31-35), mouth corners (48, 54) below it
    assert abs(lm[33, 0]) < 1.5 * MM and lm[31, 0] < lm[33, 0] < lm[35, 0]
    assert (lm[[48, 54], 1] < lm[33, 1]).all() and lm[51, 1] > lm[57, 1]
    # chin (8) the lowest jaw point, on the midline
    assert lm[8, 1] == lm[:17, 1].min() and abs(lm[8, 0]) < 2 * MM


def test_brow_points_are_on_the_upper_edge_of_the_brow():
    from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

    head = head_model()
    v = head.points0[: head.n_template]
    lm = v[head.lm_vid]
    _, _, raw = load_template()
    for idx, cls in ((range(17, 22), "right_brow"), (range(22, 27), "left_brow")):
        brow = v[head.labels == FS.index(cls)]
        for i in idx:
            col = brow[np.abs(brow[:, 0] - raw[i, 0]) < 2 * MM]  # the brow's column at the template point
            assert lm[i, 1] >= col[:, 1].max() - 0.1 * MM and lm[i, 1] > raw[i, 1] + 1.5 * MM, i
