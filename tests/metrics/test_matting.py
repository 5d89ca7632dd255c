"""Matting metrics against hand-computed cases, and the fast Grad/Conn against the reference ports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from casestudies.metrics import matting as M


def test_mse_sad_mae_iou_by_hand() -> None:
    pred = np.array([[0.0, 0.5], [1.0, 0.25]])
    gt = np.array([[0.0, 1.0], [0.5, 0.25]])
    mask = np.array([[True, True], [True, False]])
    # masked errors: 0, 0.5, 0.5
    assert M.sad(pred, gt, mask) == pytest.approx(1.0)
    assert M.mae(pred, gt, mask) == pytest.approx(1.0 / 3)
    assert M.mse(pred, gt, mask) == pytest.approx(0.5 / 3)
    assert M.mse(pred, gt) == pytest.approx(0.5 / 4)
    # pred > 0.5: {(1,0)}; gt > 0.5: {(0,1)}: intersection 0, union 2
    assert M.matte_iou(pred, gt) == 0.0
    assert M.matte_iou(gt, gt) == 1.0
    assert M.matte_iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    assert math.isnan(M.mse(pred, gt, np.zeros((2, 2), bool)))


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match="one shape"):
        M.sad(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="mask shape"):
        M.sad(np.zeros((2, 2)), np.zeros((2, 2)), np.ones((3, 3), bool))


def test_gauss_gradient_kernel_as_reference() -> None:
    hx = M.gauss_gradient_kernel(1.4)
    # half size ceil(1.4 sqrt(-2 ln(sqrt(2 pi) 1.4 0.01))) = ceil(3.62) = 4
    assert hx.shape == (9, 9)
    assert np.sum(hx**2) == pytest.approx(1.0)
    u = np.arange(-4, 5)
    g = np.exp(-(u**2) / (2 * 1.4**2))
    raw = np.outer(g, -u * g)  # gauss(row) * dgauss(col) up to constants
    np.testing.assert_allclose(hx, raw / np.linalg.norm(raw), atol=1e-15)


def test_gradient_error_of_a_ramp_by_hand() -> None:
    # a horizontal ramp a*x: away from the borders the convolution gives gx = -a sum_j j dg_j * sum_i g_i
    a = 0.01
    ramp = np.tile(np.arange(40) * a, (40, 1))
    g, dg = M.gauss_gradient_vectors(1.4)
    j = np.arange(-4, 5)
    expected_amp = abs(a * np.sum(j * dg) * np.sum(g))
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    assert M.gradient_error(ramp, np.zeros_like(ramp), mask) == pytest.approx(400 * expected_amp**2, rel=1e-12)
    assert M.gradient_error(ramp, ramp, mask) == 0.0
    assert M.gradient_error(ramp, np.zeros_like(ramp), np.zeros_like(mask)) == 0.0


def test_connectivity_error_by_hand() -> None:
    # both mattes reach every threshold on pixels 0,1 (the largest component); pixel 3 is an island:
    # it is outside already at t = 0.1, so l = 0 there; d_pred = 0.5 -> phi 0.5, d_gt = 1 -> phi 0
    pred = np.array([[1.0, 1.0, 0.0, 0.5]])
    gt = np.array([[1.0, 1.0, 0.0, 1.0]])
    assert M.connectivity_error(pred, gt) == pytest.approx(0.5)
    assert M.connectivity_error_reference(pred, gt) == pytest.approx(0.5)
    # a pixel joined to the component only while pred reaches the threshold: pred 0.5 -> l = 0.5,
    # d_pred 0 (phi 1), d_gt 0.5 (phi 0.5); pred 0.4 -> l = 0.4, d_gt 0.6 (phi 0.4)
    gt = np.array([[1.0, 1.0]])
    assert M.connectivity_error(np.array([[1.0, 0.5]]), gt) == pytest.approx(0.5)
    assert M.connectivity_error(np.array([[1.0, 0.4]]), gt) == pytest.approx(0.6)
    # below 0.15 above its level a value counts as connected: pred 0.5 with gt 0.6 -> l 0.5, d_gt 0.1
    assert M.connectivity_error(np.array([[1.0, 0.5]]), np.array([[1.0, 0.6]])) == pytest.approx(0.0)
    assert M.connectivity_error(gt, gt) == 0.0


def test_conn_thresholds() -> None:
    np.testing.assert_array_equal(M.conn_thresholds(0.1), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    with pytest.raises(ValueError, match="whole steps"):
        M.conn_thresholds(0.3)


def _pair(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gt = np.clip(rng.random((n, n)) * 1.6 - 0.3, 0, 1)
    gt[rng.random((n, n)) < 0.3] = 1.0
    pred = np.clip(gt + rng.normal(0, 0.3, gt.shape), 0, 1)
    pred[rng.random((n, n)) < 0.1] = 0.0
    return pred, gt, rng.random((n, n)) < 0.6


@pytest.mark.parametrize("seed", range(6))
def test_fast_equals_reference(seed: int) -> None:
    n = (17, 31, 64, 5, 48, 40)[seed]
    pred, gt, mask = _pair(n, seed)
    assert M.connectivity_error(pred, gt, mask) == M.connectivity_error_reference(pred, gt, mask)
    assert M.gradient_error(pred, gt, mask) == pytest.approx(M.gradient_error_reference(pred, gt, mask), rel=1e-12)
    m = np.zeros_like(mask)
    m[2, 3] = True  # a single pixel: tiles and crops at their smallest
    assert M.gradient_error(pred, gt, m) == pytest.approx(M.gradient_error_reference(pred, gt, m), rel=1e-12)


def test_ties_break_column_major_in_both() -> None:
    # two equal components: (0, 2) comes first in raster order, (2, 0) in column-major order (MATLAB)
    gt = np.zeros((3, 3))
    gt[0, 2] = gt[2, 0] = 1.0
    pred = gt.copy()
    pred[2, 0] = 0.55
    pred[0, 2] = 0.8
    fast, ref = M.connectivity_error(pred, gt), M.connectivity_error_reference(pred, gt)
    assert fast == ref
    # by hand with (2,0) chosen up to 0.5: (0,2) has l = 0 -> |phi| = |(1-0.8) - 0| = 0.2;
    # (2,0) has l = 0.5 -> d_pred 0.05 (phi 1), d_gt 0.5 (phi 0.5) -> 0.5; total 0.7
    assert fast == pytest.approx(0.7)


def test_matting_metrics_keys() -> None:
    pred, gt, _ = _pair(32, 0)
    tri = np.full(gt.shape, 128, np.uint8)
    out = M.matting_metrics(pred, gt, tri)
    assert set(out) == {"mse", "sad", "mae", "grad", "conn", "iou"}
    assert out["sad"] == pytest.approx(np.abs(pred - gt).sum())


def test_conn_when_the_largest_component_changes_between_levels() -> None:
    # at 0.9 and above the left blob (3 px) is largest; from 0.5 down the separate right blob (5 px) is:
    # the fast path must look up again every pixel once the largest is no longer the earlier one grown
    gt = np.zeros((3, 9))
    gt[1, 0:3] = 0.95
    gt[0:3, 6] = 0.6
    gt[1, 5:8] = 0.6
    pred = gt.copy()
    mask = np.ones(gt.shape, bool)
    assert M.connectivity_error(pred, gt, mask) == M.connectivity_error_reference(pred, gt, mask)
    pred[1, 1] = 0.7  # and a pixel of the early largest that drops out of it at 0.8
    assert M.connectivity_error(pred, gt, mask) == M.connectivity_error_reference(pred, gt, mask)


@pytest.mark.parametrize("seed", range(40))
def test_conn_fast_equals_reference_on_blobby_mattes(seed: int) -> None:
    """Smooth random mattes make several components per level that merge and overtake each other."""
    from scipy import ndimage

    rng = np.random.default_rng(100 + seed)
    shape = tuple(int(v) for v in rng.integers(8, 40, 2))  # rectangular: row- and column-major differ
    gt = np.clip(ndimage.gaussian_filter(rng.random(shape), 1.5) * 4 - 1.5, 0, 1)
    pred = np.clip(ndimage.gaussian_filter(gt + rng.normal(0, 0.2, gt.shape), 0.7), 0, 1)
    mask = rng.random(shape) < 0.7
    assert M.connectivity_error(pred, gt, mask) == M.connectivity_error_reference(pred, gt, mask)


def test_gradient_error_on_runs_of_tiles() -> None:
    """Masked pixels in separate runs of tiles in one tile row, a run at the image edge, a lone pixel,
    and a size that is no multiple of the tile: the crops must still see every pixel the kernel does."""
    from scipy import ndimage

    rng = np.random.default_rng(7)
    h, w = 3 * M.GRAD_TILE + 17, 5 * M.GRAD_TILE + 9
    gt = np.clip(ndimage.gaussian_filter(rng.random((h, w)), 3) * 3 - 1, 0, 1)
    pred = np.clip(gt + rng.normal(0, 0.1, gt.shape), 0, 1)
    yy, xx = np.mgrid[0:h, 0:w]
    mask = ((yy - 70) ** 2 + (xx - 40) ** 2 < 30**2) | ((yy - 80) ** 2 + (xx - 250) ** 2 < 25**2)
    mask |= (xx >= w - 3) & (yy > h - 40)  # a run at the right and bottom edges
    t = M.GRAD_TILE
    mask[t - 1, 40] = True  # the last row of a tile row: its margin below must be filtered too
    mask[2 * t + 5, 3 * t - 1] = True  # the last column of a run (tile 2 alone in its row): and its right margin
    mask[2 * t, 2 * t + 1] = True  # first row of a tile row, just inside a run that starts there
    mask[5, 200] = True
    assert M.gradient_error(pred, gt, mask) == pytest.approx(M.gradient_error_reference(pred, gt, mask), rel=1e-12)

