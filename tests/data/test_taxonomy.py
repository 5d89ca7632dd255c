"""IBUG68_FLIP checked independently of the code that uses it: mirror the 68 3D landmarks of
menpo3d's head template about its midline and match them back to the originals by optimal
assignment; the matching must be exactly the flip table (every pair, not a median)."""

from __future__ import annotations

import json
import os

import numpy as np
from scipy.optimize import linear_sum_assignment

from casestudies.data.taxonomy import IBUG68_FLIP, flip_landmarks


def _template68() -> np.ndarray:
    import menpo3d

    with open(os.path.join(os.path.dirname(menpo3d.__file__), "data", "template.ljson")) as f:
        groups = json.load(f)["groups"]
    return np.asarray(next(iter(groups.values()))["landmarks"]["points"], dtype=float)


def test_flip_table_matches_the_mirrored_template() -> None:
    pts = _template68()
    mirrored = pts.copy()
    mirrored[:, 0] = 2 * pts[27:31, 0].mean() - pts[:, 0]  # nose bridge (27-30) lies on the midline
    _, match = linear_sum_assignment(((mirrored[:, None] - pts[None]) ** 2).sum(-1))
    assert np.array_equal(match, IBUG68_FLIP)
    assert np.array_equal(IBUG68_FLIP[IBUG68_FLIP], np.arange(68))  # an involution


def test_flip_landmarks_twice_is_identity() -> None:
    pts = np.random.default_rng(0).uniform(0, 63, (68, 2)).astype(np.float32)
    assert np.allclose(flip_landmarks(flip_landmarks(pts, 64), 64), pts)
