"""Per-identity feature look: brows (labels and albedo follow the identity's brow), iris size and rim."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from casestudies.data.synth import features, render_sample, scene
from casestudies.data.synth.features import IRIS_DIAMETER_MM, brow_frame, brow_vertices, feature_look
from casestudies.data.synth.geometry import head_model
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS
from tests.data.synth.synth_fixtures import bare_params

BROWS = [FS.index("right_brow"), FS.index("left_brow")]


def _look(p: dict, **kw) -> features.FeatureLook:
    return dataclasses.replace(feature_look(p), **kw)


def test_look_is_the_identitys_own():
    p = bare_params(identity_seed=5)
    assert feature_look(p) == feature_look(p | {"yaw": 30.0, "expression": "happy", "key_azimuth": -50.0})
    looks = [feature_look(bare_params(identity_seed=k)) for k in range(40)]
    assert len(set(looks)) == 40
    assert np.std([lk.brow_thickness for lk in looks]) > 0.1


def test_iris_diameter_follows_the_published_spread():
    d = np.array([feature_look(bare_params(identity_seed=k)).iris_diameter_mm for k in range(2000)])
    mu, sd = IRIS_DIAMETER_MM
    assert abs(d.mean() - mu) < 0.05 and abs(d.std() - sd) < 0.05
    assert d.min() >= mu - 2.5 * sd and d.max() <= mu + 2.5 * sd
    # 11.7 mm across on a 12 mm eyeball: 29.2 degrees from the gaze to the rim
    lk = _look(bare_params(), iris_diameter_mm=11.7)
    assert lk.iris_half_angle_deg == pytest.approx(29.17, abs=0.01)


def test_womens_brows_are_thinner_on_average():
    t = {s: np.mean([feature_look(bare_params(identity_seed=k, sex=s, age=30.0)).brow_thickness for k in range(300)])
         for s in (0.0, 1.0)}
    assert t[1.0] - t[0.0] > 0.2


def test_brow_keeps_the_template_upper_edge():
    """Thin or thick, the brow's top row (where iBUG's brow points lie) stays brow; thickness moves its
    lower edge only, and the template brow's landmark vertices stay labelled brow."""
    head = head_model()
    ids, _, along, depth = brow_frame()
    assert depth.min() == 0.0 and along.min() == 0.0 and along.max() == 1.0
    p = bare_params()
    thin, thick = (set(brow_vertices(_look(p, brow_thickness=t, brow_taper=0.0))[0]) for t in (0.35, 1.35))
    assert thin < thick
    assert len(thick) > 2 * len(thin)
    top = set(ids[depth <= 0.15])
    assert top <= thin
    assert set(head.lm_vid[18:26]) <= thin  # (17 and 26, the lateral ends, lie just past the brow region)
    # taper thins the lateral end, not the medial one
    flat, taper = (brow_vertices(_look(p, brow_thickness=1.0, brow_taper=t))[0] for t in (0.0, 0.6))
    pos = {int(i): k for k, i in enumerate(ids)}
    lateral = lambda vs: sum(along[pos[int(i)]] > 0.7 for i in vs)  # noqa: E731
    medial = lambda vs: sum(along[pos[int(i)]] < 0.15 for i in vs)  # noqa: E731
    assert lateral(taper) < 0.8 * lateral(flat) and medial(taper) >= 0.85 * medial(flat)


@pytest.mark.parametrize("thickness", [0.35, 1.35])
def test_scene_labels_and_albedo_follow_the_brow(monkeypatch, thickness):
    p = bare_params(brow_density=1.0, skin_tone=0.1, hair_colour=1.0)
    monkeypatch.setattr(scene, "feature_look", lambda q: _look(q, brow_thickness=thickness, brow_taper=0.0))
    sc = scene.build_scene(p)
    head = head_model()
    lab = sc.label[: head.n_template]
    want, wl = brow_vertices(_look(p, brow_thickness=thickness, brow_taper=0.0))
    got = np.nonzero(np.isin(lab, BROWS))[0]
    assert set(got) == set(want) and (lab[want] == wl).all()
    # a candidate that is not this identity's brow is skin, with skin albedo, not brow colour
    off = np.setdiff1d(brow_frame()[0], want)
    assert (lab[off] == FS.index("skin")).all()
    assert len(off) > 0
    assert sc.albedo[off].mean() > sc.albedo[want].mean() + 0.15


def test_thicker_brow_shows_more_brow_pixels(monkeypatch):
    px = []
    for t in (0.35, 1.35):
        monkeypatch.setattr(scene, "feature_look", lambda q, t=t: _look(q, brow_thickness=t, brow_taper=0.0))
        s = render_sample(bare_params(brow_density=1.0), size=128, seed=0)
        px.append(int(np.isin(s["seg"], BROWS).sum()))
    assert px[1] > 1.5 * px[0] > 0


def test_iris_size_and_rim_change_only_the_eyes(monkeypatch):
    def render(**kw):
        monkeypatch.setattr(scene, "feature_look", lambda q: _look(q, **kw))
        return render_sample(bare_params(eye_colour=0.0, gaze_yaw=0.0, gaze_pitch=0.0), size=128, seed=0)

    base = render(iris_diameter_mm=11.7, limbal_ring=0.0, iris_tint=(1.0, 1.0, 1.0))
    eyes = np.isin(base["seg"], [FS.index("right_eye"), FS.index("left_eye")])
    blue = lambda s: (s["image"][..., 2].astype(int) - s["image"][..., 0] > 25) & eyes  # noqa: E731
    big = render(iris_diameter_mm=12.8, limbal_ring=0.0, iris_tint=(1.0, 1.0, 1.0))
    assert blue(big).sum() > blue(base).sum() > 0
    rim = render(iris_diameter_mm=11.7, limbal_ring=0.7, iris_tint=(1.0, 1.0, 1.0))
    # (elsewhere at most rounding: the exposure meters the whole scene 15 %, so it moves by a hair)
    diff = np.abs(rim["image"].astype(int) - base["image"]).sum(-1) > 3
    near_eyes = cv2.dilate(eyes.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # (anti-aliased lid edges)
    assert diff.any() and not (diff & ~near_eyes).any()
    assert rim["image"][diff].astype(int).sum() < base["image"][diff].astype(int).sum()  # a darker rim
