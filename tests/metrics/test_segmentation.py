"""metrics.segmentation against hand-computed confusion matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from casestudies.metrics.segmentation import (
    confusion_matrix,
    f1_per_class,
    iou_per_class,
    mean_iou,
    normalize_rows,
    pixel_accuracy,
)

# 4 classes; class 3 is absent from target and prediction; the last two pixels are ignored (255),
# whatever is predicted there.
TARGET = np.array([[0, 0, 1, 1], [2, 2, 255, 255]], np.uint8)
PRED = np.array([[0, 1, 1, 1], [2, 0, 0, 3]], np.uint8)
# by hand: (t, p) pairs (0,0) (0,1) (1,1) (1,1) (2,2) (2,0)
CONF = [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]


def test_confusion_rows_are_target_and_ignore_is_skipped() -> None:
    conf = confusion_matrix(PRED, TARGET, 4)
    assert conf.dtype == np.int64 and conf.tolist() == CONF
    t, q = TARGET[0], PRED[0]  # no ignored pixels: swapping the roles transposes the matrix
    assert (confusion_matrix(t, q, 4) == confusion_matrix(q, t, 4).T).all()
    assert confusion_matrix(q, t, 4)[0].tolist() == [1, 1, 0, 0]  # row = target 0: predicted 0 once, 1 once


def test_iou_f1_and_mean_by_hand() -> None:
    conf = np.array(CONF)
    # class 0: TP 1, FP 1, FN 1; class 1: TP 2, FP 1, FN 0; class 2: TP 1, FP 0, FN 1
    np.testing.assert_allclose(iou_per_class(conf)[:3], [1 / 3, 2 / 3, 1 / 2])
    np.testing.assert_allclose(f1_per_class(conf)[:3], [2 / 4, 4 / 5, 2 / 3])
    assert math.isnan(iou_per_class(conf)[3]) and math.isnan(f1_per_class(conf)[3])
    assert mean_iou(conf) == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)  # class 3 not averaged
    assert pixel_accuracy(conf) == pytest.approx(4 / 6)


def test_class_only_in_prediction_counts_as_zero() -> None:
    target = np.array([0, 0, 1, 1])
    pred = np.array([0, 2, 1, 1])  # class 2 predicted once, never in the target
    conf = confusion_matrix(pred, target, 3)
    iou = iou_per_class(conf)
    assert iou.tolist() == [0.5, 1.0, 0.0]
    assert mean_iou(conf) == pytest.approx(0.5)


def test_f1_relates_to_iou() -> None:
    rng = np.random.default_rng(0)
    conf = confusion_matrix(rng.integers(0, 5, 500), rng.integers(0, 5, 500), 5)
    iou, f1 = iou_per_class(conf), f1_per_class(conf)
    np.testing.assert_allclose(f1, 2 * iou / (1 + iou))


def test_summed_over_images_not_averaged() -> None:
    a = confusion_matrix(np.array([0, 0, 0, 0]), np.array([0, 0, 0, 1]), 2)
    b = confusion_matrix(np.array([1]), np.array([1]), 2)
    # pooled: class 1 TP 1, FN 1 -> 1/2; a per-image average would give (0 + 1) / 2 on class 1 too,
    # but class 0 pooled is 3/4 while image a alone gives 3/4 and image b has no class 0
    np.testing.assert_allclose(iou_per_class(a + b), [3 / 4, 1 / 2])


def test_empty_and_errors() -> None:
    conf = confusion_matrix(np.full(3, 255), np.full(3, 255), 3)
    assert conf.sum() == 0 and math.isnan(mean_iou(conf)) and math.isnan(pixel_accuracy(conf))
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([3]), np.array([0]), 3)
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(np.zeros(2), np.zeros(3), 3)
    with pytest.raises(ValueError, match="square"):
        iou_per_class(np.zeros((2, 3)))


def test_normalize_rows() -> None:
    norm = normalize_rows(np.array(CONF))
    np.testing.assert_allclose(norm[:3].sum(1), 1.0)
    assert norm[0].tolist() == [0.5, 0.5, 0, 0] and np.isnan(norm[3]).all()
