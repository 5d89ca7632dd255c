"""Label tables: every native id of every reader maps to paper9 and lapa11 by an explicit choice."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data import taxonomy as tx
from casestudies.data.readers import READERS, CelebAMaskHQ, FaceSynthetics, LaPa
from casestudies.data.readers.celebamask_hq import PART_CLASS, PART_ORDER, part_ids

NATIVE = sorted({c.native_taxonomy for c in (CelebAMaskHQ, LaPa, FaceSynthetics)})
# The only native classes deliberately sent to ignore (255): face parts under a mask are unknown.
IGNORED = {("facesynthetics19", "facewear")}


def test_readers_declare_native_taxonomy_and_sides() -> None:
    for name, cls in READERS.items():
        assert cls.name == name
        assert cls.default_sides in ("subject", "image")
    assert NATIVE == ["celebamask_hq", "facesynthetics19", "lapa11"]


@pytest.mark.parametrize("native", NATIVE)
@pytest.mark.parametrize("target", ["paper9", "lapa11"])
def test_tables_cover_every_native_id(native: str, target: str) -> None:
    src, dst = tx.get_taxonomy(native), tx.get_taxonomy(target)
    lut = tx.label_map(native, target)
    for i, cls in enumerate(src.classes):
        if (native, cls) in IGNORED:
            assert lut[i] == tx.IGNORE
        else:
            assert lut[i] < dst.num_classes, f"{native}:{cls} has no {target} class"
    assert (lut[src.num_classes :] == tx.IGNORE).all()


@pytest.mark.parametrize("native", NATIVE)
def test_tables_respect_sides(native: str) -> None:
    """Mapping then flipping equals flipping then mapping: left/right classes stay paired."""
    ids = np.arange(tx.get_taxonomy(native).num_classes, dtype=np.uint8)
    for target in ("paper9", "lapa11"):
        lut = tx.label_map(native, target)
        np.testing.assert_array_equal(tx.flip_lut(target)[lut[ids]], lut[tx.flip_lut(native)[ids]])


def test_celebamask_choices() -> None:
    m = {c: tx.LAPA11.classes[tx.label_map("celebamask_hq", "lapa11")[i]] for i, c in enumerate(tx.CELEBAMASK_HQ19.classes)}
    assert m["left_ear"] == m["right_ear"] == m["eyeglasses"] == "skin"
    assert m["hat"] == m["neck"] == m["cloth"] == m["earring"] == m["necklace"] == "background"
    assert m["mouth"] == "inner_mouth"
    p9 = tx.label_map("celebamask_hq", "paper9")
    assert tx.PAPER9.classes[p9[tx.CELEBAMASK_HQ19.index("left_brow")]] == "skin"  # eyebrows -> skin


def test_celebamask_part_order_and_side_conversion() -> None:
    assert len(PART_ORDER) == 18 and set(PART_ORDER) == set(PART_CLASS)
    assert [tx.CELEBAMASK_HQ19.classes[i + 1] for i in range(18)] == [PART_CLASS[p] for p in PART_ORDER]
    image_side, literal = part_ids("image"), part_ids("subject")
    assert tx.CELEBAMASK_HQ19.classes[image_side["l_eye"]] == "right_eye"
    assert tx.CELEBAMASK_HQ19.classes[literal["l_eye"]] == "left_eye"
    assert image_side["skin"] == literal["skin"] == 1
