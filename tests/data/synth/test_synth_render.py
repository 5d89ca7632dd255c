"""Render steps: jaw outline by landmark marching, lights that follow the scene, skin shading."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data.synth import render_sample
from casestudies.data.synth.geometry import head_model
from casestudies.data.synth.render import AMBIENT_FLOOR, LOOK_AT, _environment_ambient, _lights, make_camera
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS
from tests.data.synth.synth_fixtures import SIZE, bare_params

FACE = [FS.index(c) for c in ("skin", "nose", "top_lip", "bottom_lip", "beard")]
EYES = [FS.index(c) for c in ("right_eye", "left_eye", "right_brow", "left_brow")]  # the far eye meets a turned face's outline


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
        assert s["seg"][y, x - 2] in FACE + EYES and s["seg"][y, x + 2] not in FACE + EYES, k
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
    # wrapped diffuse: just past the terminator (within the red wrap) skin still gets red light, more than
    # blue; further round, only the ambient (measured 1.25x at wrap 0.06)
    from casestudies.data.synth.raster import WRAP_B, WRAP_R

    p = bare_params(key_azimuth=75.0, key_elevation=0.0, fill_intensity=0.0, ambient=0.1, env_light=0.0,
                    key_temperature=6500.0)
    s = render_sample(p, size=96, seed=3)
    light, _ = _lights(p)
    assert WRAP_R > WRAP_B
    assert _skin_rb(s, light[0], -WRAP_R, -0.005) > 1.12 * _skin_rb(s, light[0], -1.0, -0.45)


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


def test_shadow_fill_is_the_light_a_shadowed_point_keeps():
    from casestudies.data.synth.raster import _shadow

    smap = np.full((9, 9), 0.5, np.float32)  # a caster at depth 0.5 over the map's columns 0-4
    smap[:, 5:] = np.inf
    basis, origin = np.eye(3, dtype=np.float32), np.zeros(3, np.float32)

    def at(col: int, z: float, fill: float) -> float:  # a point over map column ``col`` at depth z
        q = np.array([col - 4, 0.0, z], np.float32)
        return _shadow(q, basis, origin, np.float32(1.0), smap, np.float32(0.01), np.float32(fill))

    assert at(2, 1.0, 0.0) == 0.0 and at(2, 1.0, 0.3) == pytest.approx(0.3)  # behind the caster
    assert at(2, 0.2, 0.3) == 1.0  # in front of it: fully lit whatever the fill
    assert at(7, 1.0, 0.3) == pytest.approx(1.0)  # beside it
    assert at(4, 1.0, 0.0) == pytest.approx(3 / 9) and at(4, 1.0, 0.3) == pytest.approx(0.3 + 0.7 * 3 / 9)  # PCF edge


def test_shadow_fill_lifts_a_cap_brims_shadow():
    # a key light from above the camera: the cap's brim shades the face from the brows to the nose tip, not
    # the chin; shadow_fill lifts the shaded band against the chin, and without shadows it does nothing
    p = bare_params(hat="cap", key_elevation=60.0, key_azimuth=0.0, key_intensity=1.2, ambient=0.2,
                    fill_intensity=0.0, pitch=-10.0)

    def band_to_chin(fill: float, shadows: str = "on") -> float:
        s = render_sample(p | {"shadow_fill": fill, "shadows": shadows}, size=SIZE, seed=3)
        img, lm = s["foreground"].astype(float).mean(2), s["landmarks"]
        skin, rows = s["seg"] == FS.index("skin"), np.arange(SIZE)[:, None].repeat(SIZE, 1)
        band = skin & (rows > lm[[19, 24], 1].mean()) & (rows < lm[30, 1])
        return img[band].mean() / img[skin & (rows > lm[57, 1])].mean()

    hard, soft, unshadowed = band_to_chin(0.0), band_to_chin(0.5), band_to_chin(0.0, "off")
    assert hard < 0.85 < 1.0 < soft < unshadowed  # measured 0.79 / 1.06 / 1.20 at 64 px
    assert band_to_chin(0.5, "off") == pytest.approx(unshadowed)


def test_the_camera_frames_the_posed_head():
    # the framing centre turns with the head: a lowered or raised face stays near the middle of the frame,
    # and at the largest face size a head lowered 30 degrees keeps its chin inside the image (before 0.10.0
    # the camera aimed at the unposed head: at face size 0.65 the landmarks' centre moved 14.4 / 11.5 px at
    # 128 px for a 20-degree nod down / up, 5.1 / 7.3 px now, and the chin at face size 0.7 fell on the
    # bottom row)
    base = bare_params(fov=50.0)

    def lms(**kw) -> np.ndarray:
        return render_sample(base | kw, size=128, seed=0)["landmarks"]

    centre = lms()[:, 1].mean()
    for pitch in (-20.0, 20.0):
        assert abs(lms(pitch=pitch)[:, 1].mean() - centre) < 9.0
    assert lms(pitch=-30.0, face_size=0.7)[8, 1] < 0.9 * 128
    cam = make_camera(base | {"pitch": -20.0, "yaw": 30.0}, 128)
    look = cam.R @ LOOK_AT + cam.t  # the head's framing centre, in the camera
    assert cam.project(look[None])[0] == pytest.approx([63.5, 63.5], abs=1e-6)
