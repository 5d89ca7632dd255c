"""The generator's numba kernels against plain numpy statements of what they compute (generator 0.13.1
moved these steps out of numpy for speed)."""

from __future__ import annotations

import cv2
import numpy as np

from casestudies.data.synth import hair, raster
from casestudies.data.synth.geometry import SHAPES, head_model
from casestudies.data.synth.post import _PAINT_ORDER, _rough_class, rough_seg
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS


def test_affine_is_the_rigid_transform():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(500, 3)).astype(np.float32)
    m, pre, post = (rng.normal(size=s).astype(np.float32) for s in ((3, 3), 3, 3))
    got = raster.affine(v, m, pre, post)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, (v.astype(np.float64) - pre) @ m.T.astype(np.float64) + post, atol=1e-5)


def test_blend_is_the_template_plus_the_weighted_modes():
    head = head_model()
    dense, dvals, vptr, modes, vals, scales = head.sparse_basis
    assert set(dense.tolist()).isdisjoint(set(np.unique(modes).tolist()))
    assert len(dense) + len(np.unique(modes)) == len(SHAPES), "every mode is stored once, dense or sparse"
    w = np.random.default_rng(1).normal(0, 1, len(SHAPES)).astype(np.float32)
    w[3] = 0.0
    got = raster.blend_sparse(head.points0_f32, *head.sparse_basis, w)
    # reference: the int16-quantised modes, mode by mode, in float64
    ref = head.points0_f32.astype(np.float64).copy()
    for d, k in enumerate(dense):
        ref += w[k] * scales[k] * dvals[d].reshape(-1, 3).astype(np.float64)
    rows = np.repeat(np.arange(len(vptr) - 1), np.diff(vptr))
    np.add.at(ref, rows, (w[modes] * scales[modes])[:, None].astype(np.float64) * vals)
    np.testing.assert_allclose(got, ref, atol=2e-6)
    # and the quantised modes are the head's basis to within the quantisation (steps < 1 um, points a
    # mode moves by under 10 um left out)
    assert np.abs(got - (head.points0 + head.basis @ w.astype(np.float64))).max() < 2e-4


def test_visible_hand_cases():
    zbuf = np.full((5, 5), np.inf, np.float32)
    zbuf[2, 2] = 1.0
    hcov = np.zeros((5, 5), np.float32)
    pts = np.array([[2.0, 2.0], [3.0, 3.0], [2.0, 2.0], [9.0, 2.0], [0.0, 0.0]])
    z = np.array([1.002, 1.003, 1.01, 1.0, 1.0])
    # within 4 mm of the surface in the 3x3 window; too far behind it; outside the image; no surface near
    assert raster.visible(pts, z, zbuf, hcov, 0.004, False).tolist() == [True, True, False, False, False]
    # outline points: hidden only when every pixel of the window holds a surface more than tol in front
    assert raster.visible(pts, z, zbuf, hcov, 0.004, True).tolist() == [True, True, True, False, True]
    hcov[2, 2] = 0.6  # scalp hair over the pixel hides the point
    assert not raster.visible(pts[:1], z[:1], zbuf, hcov, 0.004, False)[0]


def test_contour_pick_takes_the_furthest_projection():
    pc = np.array([[0.0, 0.0, 1.0], [0.1, 0.0, 1.0], [0.2, 0.0, 2.0], [0.0, 0.3, 1.0]], np.float32)
    ptr, ids = np.array([0, 3, 4]), np.array([0, 1, 2, 3])
    d = np.array([[1.0, 0.0], [0.0, 1.0]])
    # with f = 10: x = 0, 1, 1 (the far point projects no further than the near one) -> the first of the tie
    assert raster.contour_pick(pc, ptr, ids, d, 10.0, 0.0, 0.0).tolist() == [1, 3]


def test_strand_segments_project_and_shade():
    rng = np.random.default_rng(2)
    s = rng.normal(0, 0.05, (4, 4, 3)) + [0, 0, 0.0]
    a = 0.3  # a head turned about y
    R, t = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]), np.array([0.0, 0.0, 1.0])
    ld = np.array([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    lum = np.array([0.8, 0.3])
    col, jitter = rng.uniform(0, 1, (4, 3)), rng.uniform(0.85, 1.15, 4)
    out = np.zeros((9, 12), np.float32)
    c = raster.affine(s.reshape(-1, 3), R, np.zeros(3), t).reshape(s.shape)
    assert raster.strand_segments(c, 100.0, 64.0, 60.0, 0.2, ld, lum, col, jitter, out, 0) == 12
    c = s @ R.T + t
    a, b = c[:, :-1].reshape(-1, 3), c[:, 1:].reshape(-1, 3)
    tang = (b - a) / np.linalg.norm(b - a, axis=1, keepdims=True)
    shade = 0.2 + sum(lm * (0.35 * np.sqrt(np.clip(1 - (tang @ d) ** 2, 0, 1)) + 0.25) for d, lm in zip(ld, lum))
    g = shade * np.tile(np.linspace(0.8, 1.1, 3), 4) * np.repeat(jitter, 3)
    want = np.stack([a[:, 0] / a[:, 2] * 100 + 64, a[:, 1] / a[:, 2] * 100 + 60, a[:, 2],
                     b[:, 0] / b[:, 2] * 100 + 64, b[:, 1] / b[:, 2] * 100 + 60, b[:, 2],
                     *(np.repeat(col, 3, 0) * g[:, None]).T])
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)


def test_skin_albedo_and_row_tints():
    rng = np.random.default_rng(3)
    n = 50
    tone, tint = rng.uniform(0, 1, 3).astype(np.float32), rng.uniform(0.5, 1, (n, 3)).astype(np.float32)
    shade, det = rng.uniform(0.3, 1, n).astype(np.float32), rng.normal(0, 1, n).astype(np.float32)
    red_field, red = rng.uniform(0, 0.1, (n, 1)).astype(np.float32), rng.uniform(0, 0.05, (n, 3)).astype(np.float32)
    scan_log = rng.normal(0, 0.2, (n, 3)).astype(np.float32)
    td = 0.4
    plain = tone * (tint * (shade[:, None] + td * (0.2 * det[:, None] - red_field))) + td * red
    got = raster.skin_albedo(tone, tint, shade, np.float32(td), np.float32(0.2), det, red_field, red,
                             np.zeros((0, 3), np.float32), np.float32(0.9))
    np.testing.assert_allclose(got, plain, rtol=1e-5)
    got = raster.skin_albedo(tone, tint, shade, np.float32(td), np.float32(0.2), det, red_field, red, scan_log,
                             np.float32(0.9))
    np.testing.assert_allclose(got, plain * np.exp(scan_log) ** 0.9, rtol=1e-5)
    x = rng.uniform(0, 1, (n, 3)).astype(np.float32)
    ids, wt, rgb = np.array([1, 4, 7]), np.array([0.5, 1.0, 0.2], np.float32), np.array([0, 1, 0.8], np.float32)
    want = x.copy()
    want[ids] *= 1 - 0.3 * wt[:, None] * rgb
    raster.darken_rows(x, ids, wt, np.float32(0.3), rgb)
    np.testing.assert_allclose(x, want, rtol=1e-6)
    lab = rng.integers(0, 3, n).astype(np.uint8)
    np.testing.assert_allclose(raster.masked_mean(x, lab, 2), x[lab == 2].mean(0), rtol=1e-5)
    assert raster.masked_mean(x, lab, 9).tolist() == [0.0, 0.0, 0.0]


def _integrate_numpy(root, d0, seg, bangs, c, r, lo, hi, gravity, fh_z, fh_origin, fh_step):
    """The strand integration as numpy statements (the vectorised form of generator 0.13.0)."""
    unit = hair._unit
    pts, cur, dirn = [root.copy()], root.copy(), d0.copy()
    for _ in range(hair.N_SEG):
        dirn = unit(dirn + np.array([0.0, -1.0, 0.0]) * gravity)
        cur = cur + dirn * seg[:, None]
        q = (cur - c) / r
        rad = np.sqrt((q * q).sum(1))
        lim = np.where(cur[:, 1] > c[1] - 0.01, np.minimum(np.maximum(rad, lo), hi), np.maximum(rad, lo))
        cur = c + q / rad[:, None] * lim[:, None] * r
        ij = np.floor((cur[:, :2] - fh_origin) / fh_step).astype(int)
        fz = fh_z[np.clip(ij[:, 0], 0, fh_z.shape[0] - 1), np.clip(ij[:, 1], 0, fh_z.shape[1] - 1)] + 0.0025
        cur[bangs, 2] = np.maximum(cur[bangs, 2], fz[bangs])
        face = (~bangs) & (cur[:, 1] < 0.015) & (cur[:, 2] > 0.0) & (np.abs(cur[:, 0]) < 0.082)
        cur[face, 0] = np.where(cur[face, 0] >= 0, 0.082, -0.082)
        pts.append(cur.copy())
    return np.stack(pts, 1)


def test_strand_integration_matches_its_numpy_form():
    head = head_model()
    rng = np.random.default_rng(4)
    c, r = head.skull_c, head.skull_r
    dirs = hair._unit(rng.normal(size=(300, 3)) * [1, 0.5, 1] + [0, 0.8, 0.3])
    root = c + dirs * r
    d0 = hair._unit(rng.normal(size=(300, 3)))
    seg = rng.uniform(0.005, 0.03, 300)
    bangs = rng.random(300) < 0.3
    got = hair._integrate(root, d0, seg, bangs, c, r, 1.04, 1.09, 0.45, False, np.zeros(3), head.fh_z,
                          head.fh_origin, head.fh_step)
    want = _integrate_numpy(root, d0, seg, bangs, c, r, 1.04, 1.09, 0.45, head.fh_z, head.fh_origin, head.fh_step)
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_rough_seg_in_boxes_equals_the_whole_image():
    rng = np.random.default_rng(5)
    seg = np.zeros((128, 128), np.uint8)
    cv2.ellipse(seg, (64, 70), (40, 52), 0, 0, 360, FS.index("skin"), -1)
    cv2.ellipse(seg, (48, 60), (8, 4), 10, 0, 360, FS.index("right_eye"), -1)
    cv2.ellipse(seg, (80, 60), (8, 4), -10, 0, 360, FS.index("left_eye"), -1)
    cv2.ellipse(seg, (64, 98), (14, 5), 0, 0, 360, FS.index("top_lip"), -1)
    cv2.rectangle(seg, (0, 0), (127, 14), FS.index("hair"), -1)  # a class touching the image border
    seg[rng.random(seg.shape) < 0.01] = FS.index("nose")  # specks
    for roughness in (0.5, 1.0):
        eps = roughness * 1.5
        want = np.zeros_like(seg)
        for name in _PAINT_ORDER:
            m = (seg == FS.index(name)).astype(np.uint8)
            if m.any():
                mask = _rough_class(m, eps, 2 * roughness)
                if mask is not None:
                    want[mask > 0] = FS.index(name)
        assert np.array_equal(rough_seg(seg, roughness), want)
