"""Render steps: jaw outline by landmark marching, lights that follow the scene, skin shading."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data.synth import render_sample
from casestudies.data.synth.geometry import head_model
from casestudies.data.synth.render import AMBIENT_FLOOR, _environment_ambient, _lights, make_camera
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS
from tests.data.synth.synth_fixtures import SIZE, bare_params

FACE = [FS.index(c) for c in ("skin", "nose", "top_lip", "bottom_lip", "beard")]


@pytest.fixture(scope="module")
def frontal():
    return render_sample(bare_params(), size=SIZE, seed=3)


def test_jaw_points_lie_on_the_visible_outline(frontal):
    s = frontal
    lm = s["landmarks"]
    cx = lm[27:31, 0].mean()
    # the fixed 3D jaw vertices project inside the outline; the marched points are further out
    head = head_model()
    p = bare_params()
    cam = make_camera(p, SIZE)
    fixed = cam.project(head.points0[head.lm_vid[:17]] @ cam.R.T + cam.t)
    out = np.abs(lm[:17, 0] - cx) - np.abs(fixed[:, 0] - cx)
    assert out[[1, 2, 3, 13, 14, 15]].min() > 0.05  # (points near the chin slide along the outline instead)
    arc = np.linalg.norm(np.diff(lm[:17], axis=0), axis=1)
    assert arc[:8].std() < 0.05 * arc[:8].mean() and arc[8:].std() < 0.05 * arc[8:].mean()  # evenly spaced
    for k in range(17):
        # two pixels further out (along x; down for the chin) there is no face any more
        x = int(round(lm[k, 0] + 2 * np.sign(lm[k, 0] - cx))) if k != 8 else int(round(lm[k, 0]))
        y = int(round(lm[k, 1])) + (2 if k == 8 else 0)
        assert s["seg"][y, x] not in FACE, k
    assert s["landmarks_visible"][:17].all()


def test_turned_face_outline_is_the_cheek_contour():
    # yaw > 0 turns the face to the image right: the whole far-side outline (9-16, chin to cheek to
    # temple) follows the occluding contour, with face pixels just inside it and none just outside, and is
    # visible there (300-W marks a turned face's visible outline). Slices reaching 30 mm forward stopped
    # short of the cheek: 13-16 lay 2-5 px inside the face, hidden by it.
    s = render_sample(bare_params(yaw=40.0), size=SIZE, seed=3)
    lm = s["landmarks"]
    for k in range(9, 17):
        x, y = int(round(lm[k, 0])), int(round(lm[k, 1]))
        assert s["seg"][y, x - 2] in FACE and s["seg"][y, x + 2] not in FACE, k
    assert s["landmarks_visible"][13:17].all()


def test_key_light_follows_the_scene():
    p = bare_params(key_azimuth=0.0, key_elevation=30.0, fill_intensity=0.0, key_temperature=6500.0)
    env = (60.0, 40.0, np.array([1.0, 0.6, 0.3]))
    d0, c0 = _lights(p | {"env_light": 0.0}, env)
    d1, c1 = _lights(p | {"env_light": 1.0}, env)
    d_none, _ = _lights(p | {"env_light": 1.0})
    assert np.allclose(d0, d_none) and abs(d0[0, 0]) < 1e-6
    assert d1[0, 0] > 0.5  # towards the image right
    assert c1[0, 2] / c1[0, 0] < c0[0, 2] / c0[0, 0]  # warmer


def _skin_rb(s: dict, light: np.ndarray, lo: float, hi: float) -> float:
    ndl = s["normals"] @ light
    m = (s["seg"] == FS.index("skin")) & (ndl > lo) & (ndl < hi)
    fg = s["foreground"][m].astype(float)
    return float(fg[:, 0].mean() / fg[:, 2].mean())


def test_skin_terminator_is_soft_and_red():
    # wrapped diffuse: just past the terminator skin still gets red light, more than blue
    p = bare_params(key_azimuth=75.0, key_elevation=0.0, fill_intensity=0.0, ambient=0.1, env_light=0.0,
                    key_temperature=6500.0)
    s = render_sample(p, size=96, seed=3)
    light, _ = _lights(p)
    assert _skin_rb(s, light[0], -0.25, -0.02) > 1.08 * _skin_rb(s, light[0], -1.0, -0.45)


def test_oily_skin_has_a_sheen():
    p = bare_params(key_azimuth=20.0, key_elevation=20.0, env_light=0.0)
    dry = render_sample(p | {"skin_oil": 0.0}, size=SIZE, seed=3)
    oily = render_sample(p | {"skin_oil": 1.0}, size=SIZE, seed=3)
    m = dry["seg"] == FS.index("skin")
    lum = lambda s: s["foreground"][m].astype(float).mean(1)  # noqa: E731
    assert np.percentile(lum(oily), 99.5) > np.percentile(lum(dry), 99.5) + 6


def _window_left(size: int) -> np.ndarray:
    bg = np.full((size, size, 3), 60, np.uint8)
    bg[:, : size // 4] = 250  # a bright window on the image left
    return bg


def test_environment_ambient_rows_and_floor():
    bg = _window_left(64).astype(np.float32) / 255
    flat = _environment_ambient(bare_params(env_light=0.0, ambient=0.4), bg)
    assert flat.shape == (4, 3) and np.allclose(flat[0], 0.4) and not flat[1:].any()  # the knob alone
    amb = _environment_ambient(bare_params(env_light=1.0, ambient=0.4), bg)
    assert (amb[1] < 0).all()  # x coefficients: left-facing normals (x < 0) get more
    worst = amb[0] - np.linalg.norm(amb[1:], axis=0)
    assert (worst >= AMBIENT_FLOOR * amb[0] - 1e-6).all()


def test_scene_irradiance_lights_the_side_facing_the_window(monkeypatch):
    # same key light, same scene: with the scene's directional ambient the face's image-left half (which
    # faces the window) gains against its right half, compared with a constant ambient
    import casestudies.data.synth.render as R

    monkeypatch.setattr(R, "background", lambda p, size, rng: _window_left(size))
    p = bare_params(env_light=1.0, ambient=0.6, key_intensity=0.3, shadows="off")
    lit = render_sample(p, size=SIZE, seed=3)
    real = R.environment_irradiance
    monkeypatch.setattr(R, "environment_irradiance", lambda bg, gamma: (real(bg, gamma)[0], np.zeros((3, 3), np.float32)))
    flat = render_sample(p, size=SIZE, seed=3)
    m = np.isin(lit["seg"], FACE)
    cx = lit["landmarks"][27:31, 0].mean()
    xx = np.arange(SIZE)[None, :].repeat(SIZE, 0)
    gain = lit["foreground"].astype(float).mean(2) - flat["foreground"].astype(float).mean(2)
    assert gain[m & (xx < cx - 3)].mean() > gain[m & (xx > cx + 3)].mean() + 2
