"""The identity space (sex, age, population, identity_seed) and the expression set move the landmarks
with the mesh, as the anthropometric targets and the action units say."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data.synth import default_params
from casestudies.data.synth.identity import (
    EXPRESSIONS,
    MEASURES,
    _measure,
    identity_weights,
    target_ratios,
)
from casestudies.data.synth.scene import build_scene


def _lm(**kw) -> np.ndarray:
    return build_scene(default_params() | kw).lm3


def _m(**kw) -> dict[str, float]:
    return dict(zip(MEASURES, _measure(_lm(**kw))))


def test_sex_age_and_population_follow_the_anthropometric_means():
    man, woman = _m(sex=1.0), _m(sex=0.0)
    for k in ("face_width", "face_height", "nose_width", "biocular"):
        assert woman[k] < man[k] * 0.985, k  # Farkas: women's faces 4-10 % smaller
    child = _m(age=5.0)
    assert child["face_height"] / man["face_height"] < 0.85 and child["nose_protrusion"] < 0.8 * man["nose_protrusion"]
    # the cranium is kept: the child's face is small relative to the same skull
    african, east_asian = _m(population="african"), _m(population="east_asian")
    assert african["nose_width"] > 1.08 * man["nose_width"] and east_asian["intercanthal"] > 1.04 * man["intercanthal"]
    # the regularised fit reaches the published female / male ratios to within a few percent
    r = target_ratios(0.0, 30.0, "european")
    got = np.array([woman[k] / man[k] for k in MEASURES])
    assert np.abs(got - r).max() < 0.065 and np.abs(got - r).mean() < 0.025


def test_identity_seed_is_a_person_and_individuality_scales_the_deviation():
    a, b = _lm(identity_seed=1, individuality=1.0), _lm(identity_seed=2, individuality=1.0)
    iod = np.linalg.norm(a[36] - a[45])
    assert np.linalg.norm(a - b, axis=1).mean() / iod > 0.02  # different people
    same = _lm(identity_seed=1, individuality=1.0, yaw=30.0, key_azimuth=40.0)
    assert np.array_equal(a, same)  # pose and light do not change the head-frame shape
    mean = _lm(identity_seed=1, individuality=0.0)
    assert np.allclose(mean, _lm(identity_seed=2, individuality=0.0))
    w = identity_weights(3, 1.0, 30.0, "european", 1.0)
    assert not w.flags.writeable and np.array_equal(w, identity_weights(3, 1.0, 30.0, "european", 1.0))


def test_identity_is_mildly_asymmetric():
    lm = _lm(identity_seed=5, individuality=1.0)
    sym = _lm(identity_seed=5, individuality=0.0)
    eye_tilt = lambda x: (x[42:48, 1].mean() - x[36:42, 1].mean())  # noqa: E731
    assert abs(eye_tilt(lm) - eye_tilt(sym)) > 1e-4  # some tilt (0.1 mm+), not a mirror image
    assert abs(eye_tilt(lm)) < 4e-3


def _delta(expression: str, intensity: float = 1.0) -> np.ndarray:
    return _lm(expression=expression, expression_intensity=intensity) - _lm()


@pytest.mark.parametrize("expression", [e for e in EXPRESSIONS if e != "neutral"])
def test_each_expression_moves_its_landmarks_and_scales_with_intensity(expression):
    d1, d05 = _delta(expression), _delta(expression, 0.5)
    assert np.linalg.norm(d1, axis=1).max() > 1.5e-3  # a visible change (mm)
    moved = np.linalg.norm(d1, axis=1) > 5e-4
    ratio = np.linalg.norm(d05[moved], axis=1) / np.linalg.norm(d1[moved], axis=1)
    assert 0.3 < np.median(ratio) < 0.7  # half the intensity, about half the motion
    assert np.abs(_delta(expression, 0.0)).max() == 0


def test_expressions_match_their_action_units():
    corners, inner_brows, upper_lip = [48, 54], [21, 22], 51
    happy, sad, surprise = _delta("happy"), _delta("sad"), _delta("surprise")
    anger, disgust, fear = _delta("anger"), _delta("disgust"), _delta("fear")
    assert (happy[corners, 1] > 1e-3).all()  # AU12: corners up
    assert (sad[corners, 1] < -1e-3).all() and (sad[inner_brows, 1] > 1e-3).all()  # AU15, AU1
    assert (surprise[[19, 24], 1] > 1e-3).all() and surprise[57, 1] < -2e-3  # AU2, AU26: jaw drops
    assert (surprise[[37, 38, 43, 44], 1] > 5e-4).all()  # AU5: upper lids up
    lm = _lm()
    assert (anger[inner_brows, 1] < -1e-3).all()  # AU4: brows down ...
    assert np.linalg.norm((lm + anger)[21] - (lm + anger)[22]) < np.linalg.norm(lm[21] - lm[22]) - 1e-3  # ... and together
    assert disgust[upper_lip, 1] > 1e-3  # AU10
    width = lambda x: np.linalg.norm(x[48] - x[54])  # noqa: E731
    assert width(lm + fear) > width(lm) + 3e-3  # AU20: lips stretched


def test_identity_fit_measures_the_anchors_not_the_labels():
    """A label convention (27 at the upper lids since 0.4.0) must not change who a face is: the
    anthropometric fit measures the landmarks the blend shapes are anchored on."""
    from casestudies.data.synth.geometry import MM, head_model
    from casestudies.data.synth.identity import _landmark_basis

    head = head_model()
    lm = _landmark_basis()[0]
    assert np.abs(lm - head.anchors).max() < 1.2 * MM  # (snapped to the nearest vertex)
    assert np.linalg.norm(head.lm0[27] - head.anchors[27]) > 2 * MM  # the label moved, the anchor did not
