"""Errors, not surprises: each broken input names the file and what is wrong; skip_bad counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from casestudies.data.readers import BadSampleError, DatasetError, open_dataset
from casestudies.names import UnknownNameError
from tests.data.readers import readers_fixtures as fx


def copy_of(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(src, dst)
    return dst


def poison_label(label: Path, native_id: int) -> Path:
    """Write one 4x4 patch of ``native_id`` (an id the dataset does not define) into a label image."""
    seg = cv2.imread(str(label), cv2.IMREAD_UNCHANGED)
    seg[:4, :4] = native_id
    cv2.imwrite(str(label), seg)
    return label


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"lapa root not found: .*nowhere"):
        open_dataset("lapa", tmp_path / "nowhere", "train")


def test_unknown_split_lists_valid(lapa_roots: dict[bool, Path]) -> None:
    with pytest.raises(UnknownNameError, match=r"lapa: unknown split 'dev'; valid: 'test', 'train', 'val'"):
        open_dataset("lapa", lapa_roots[False], "dev")


def test_empty_split(tmp_path: Path) -> None:
    (tmp_path / "val" / "images").mkdir(parents=True)
    (tmp_path / "val" / "labels").mkdir()
    with pytest.raises(DatasetError, match=r"split 'val' under .* holds no samples"):
        open_dataset("lapa", tmp_path, "val")


def test_missing_split_folder_is_named(w300_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(w300_roots[False], tmp_path)
    shutil.rmtree(root / "ibug")
    with pytest.raises(DatasetError, match=r"w300 split 'challenging' folder not found: .*ibug"):
        open_dataset("w300", root, "challenging")


def test_unknown_taxonomy_and_taxonomy_without_seg(lapa_roots: dict[bool, Path], w300_roots: dict[bool, Path]) -> None:
    with pytest.raises(UnknownNameError, match=r"unknown taxonomy 'paper10'.*paper9"):
        open_dataset("lapa", lapa_roots[False], "train", taxonomy="paper10")
    with pytest.raises(DatasetError, match="w300 has no segmentation"):
        open_dataset("w300", w300_roots[False], "train", taxonomy="paper9")


def test_truncated_image(lapa_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(lapa_roots[False], tmp_path)
    bad = root / "train" / "images" / "train_0001.jpg"
    fx.truncate(bad)
    ds = open_dataset("lapa", root, "train")  # the index does not decode pixels
    ds[0]
    with pytest.raises(BadSampleError, match=r"train_0001\.jpg: unreadable or truncated image"):
        ds[1]
    skipping = open_dataset("lapa", root, "train", skip_bad=True)
    assert len(skipping) == 2
    assert skipping.skipped == [(str(bad), skipping.skipped[0][1])] and "truncated" in skipping.skipped[0][1]
    assert skipping.report()["n_skipped"] == 1


def test_unreadable_image(folder_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(folder_roots[False], tmp_path)
    (root / "images" / "face001.png").write_bytes(b"this is not a png")
    with pytest.raises(BadSampleError, match=r"face001\.png: unreadable"):
        open_dataset("folder", root, "all", native_taxonomy="lapa11")[1]


def test_mask_of_a_different_size(lapa_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(lapa_roots[False], tmp_path)
    label = root / "val" / "labels" / "val_0000.png"
    cv2.imwrite(str(label), np.zeros((32, 48), np.uint8))
    with pytest.raises(BadSampleError, match=r"val_0000\.png: label is 48x32 \(WxH\) but the image is 64x64"):
        open_dataset("lapa", root, "val")[0]
    ds = open_dataset("lapa", root, "val", skip_bad=True)
    assert len(ds) == 1 and ds.skipped[0][0] == str(label)


def test_celebamask_part_mask_of_a_different_size(celeb_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(celeb_roots[False], tmp_path)
    nose = root / "CelebAMask-HQ-mask-anno" / "0" / "01998_nose.png"
    cv2.imwrite(str(nose), np.zeros((16, 16), np.uint8))
    with pytest.raises(BadSampleError, match=r"01998_nose\.png: mask is 16x16 but 01998_skin\.png is 64x64"):
        open_dataset("celebamask_hq", root, "train")[0]


@pytest.mark.parametrize("taxonomy", [None, "paper9", "lapa11"])
def test_label_ids_outside_the_native_taxonomy_name_the_label_file(
    lapa_roots: dict[bool, Path], tmp_path: Path, taxonomy: str | None
) -> None:
    """Checked before any remap: LaPa id 11 would otherwise become 255 (ignore) under paper9."""
    root = copy_of(lapa_roots[False], tmp_path)
    label = poison_label(root / "test" / "labels" / "test_0001.png", 11)
    with pytest.raises(BadSampleError, match=r"labels/test_0001\.png: label ids \[11\] outside taxonomy 'lapa11' \(0\.\.10, 255\)"):
        open_dataset("lapa", root, "test", taxonomy=taxonomy, check_sides=False)[1]
    ds = open_dataset("lapa", root, "test", taxonomy=taxonomy, skip_bad=True)
    assert len(ds) == 1 and ds.skipped == [(str(label), "label ids [11] outside taxonomy 'lapa11' (0..10, 255)")]
    assert ds.report()["n_skipped"] == 1


def test_facesynthetics_id_19_is_refused_before_the_paper9_remap(fs_roots: dict[bool, Path], tmp_path: Path) -> None:
    poison_label(copy_of(fs_roots[False], tmp_path) / "000001_seg.png", 19)
    root = tmp_path / "copy"
    with pytest.raises(BadSampleError, match=r"000001_seg\.png: label ids \[19\] outside taxonomy 'facesynthetics19'"):
        open_dataset("facesynthetics", root, "all", taxonomy="paper9", check_sides=False)[1]
    ds = open_dataset("facesynthetics", root, "all", taxonomy="paper9", skip_bad=True)
    assert len(ds) == 2 and [Path(p).name for p, _ in ds.skipped] == ["000001_seg.png"]


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_pts_with_a_non_finite_coordinate_is_refused_at_open(w300_roots: dict[bool, Path], tmp_path: Path, bad: str) -> None:
    root = copy_of(w300_roots[False], tmp_path)
    pts = root / "ibug" / "image_001.pts"
    lines = pts.read_text().splitlines()
    lines[3] = f"{bad} 12.0"  # the first point
    pts.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadSampleError, match=rf"ibug/image_001\.pts: non-finite coordinate '{bad}' \(number 1 in the file\)"):
        open_dataset("w300", root, "challenging")  # at open, not when the sample is read
    ds = open_dataset("w300", root, "full", skip_bad=True)
    assert [Path(p).name for p, _ in ds.skipped] == ["image_001.pts"] and str(pts) == ds.skipped[0][0]


def test_non_finite_landmarks_name_the_landmark_file(fs_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(fs_roots[False], tmp_path)
    ldmks = root / "000001_ldmks.txt"
    lines = ldmks.read_text().splitlines()
    lines[5] = "nan 3.0"
    ldmks.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadSampleError, match=r"000001_ldmks\.txt: non-finite coordinate 'nan' \(number 11"):
        open_dataset("facesynthetics", root, "all")[1]


def test_a_sample_error_names_the_file_of_the_key_at_fault(folder_roots: dict[bool, Path], tmp_path: Path) -> None:
    """Past the readers' own checks, validation errors still name the label's file, not the image."""
    from casestudies.data.readers import Folder

    class Shifted(Folder):  # a reader whose points leave the float range: caught by validate_sample
        def _load(self, item):
            sample = super()._load(item)
            sample["landmarks"] = sample["landmarks"] * np.float32(np.inf)
            return sample

    root = copy_of(folder_roots[False], tmp_path)
    ds = Shifted(root, "all", native_taxonomy="lapa11", check_sides=False)
    with pytest.raises(BadSampleError, match=r"landmarks/face000\.pts: sample\['landmarks'\] holds non-finite values"):
        ds[0]


def test_pts_with_the_wrong_point_count(w300_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(w300_roots[False], tmp_path)
    pts = root / "ibug" / "image_001.pts"
    lines = pts.read_text().splitlines()
    pts.write_text("\n".join(lines[:3] + lines[4:]) + "\n")  # drop one point, header still says 68
    with pytest.raises(BadSampleError, match=r"image_001\.pts: header says n_points: 68 but the file lists 67"):
        open_dataset("w300", root, "challenging")
    pts.write_text("\n".join(["version: 1", "n_points: 67"] + lines[2:3] + lines[4:]) + "\n")
    with pytest.raises(BadSampleError, match=r"image_001\.pts: has 67 points, expected 68"):
        open_dataset("w300", root, "challenging")
    ds = open_dataset("w300", root, "full", skip_bad=True)
    assert len(ds) == 2 and ds.skipped == [(str(pts), "has 67 points, expected 68")]


def test_annotation_without_image_and_image_without_annotation(w300_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(w300_roots[False], tmp_path)
    (root / "afw" / "image_001.jpg").unlink()
    with pytest.raises(BadSampleError, match=r"afw/image_001\.pts: no image with the same name"):
        open_dataset("w300", root, "train3148")
    shutil.copy(root / "ibug" / "image_001.jpg", root / "ibug" / "extra.jpg")
    with pytest.raises(BadSampleError, match=r"ibug/extra\.jpg: image has no \.pts file"):
        open_dataset("w300", root, "challenging")


def test_facesynthetics_wrong_landmark_count_and_manifest(fs_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(fs_roots[False], tmp_path)
    ldmks = root / "000001_ldmks.txt"
    ldmks.write_text("\n".join(ldmks.read_text().splitlines()[:68]) + "\n")
    with pytest.raises(BadSampleError, match=r"000001_ldmks\.txt: has 68 points, expected 70"):
        open_dataset("facesynthetics", root, "all")[1]
    (root / "000002.png").unlink()
    with pytest.raises(BadSampleError, match=r"000002\.png: id listed in manifest\.json but the image is missing"):
        open_dataset("facesynthetics", root, "all")
    ds = open_dataset("facesynthetics", root, "all", skip_bad=True)
    assert len(ds) == 1 and {Path(p).name for p, _ in ds.skipped} == {"000002.png", "000001_ldmks.txt"}


def test_matte_without_alpha_channel(tmp_path: Path) -> None:
    groups = {f"g{g}": fx.scenes(1, 40 + g) for g in range(3)}
    fx.write_aisegment(tmp_path, groups)
    matte = tmp_path / "matting" / "g1" / "matting_00000000" / "g1-00000000.png"
    cv2.imwrite(str(matte), cv2.imread(str(matte), cv2.IMREAD_COLOR))  # RGB only
    with pytest.raises(BadSampleError, match=r"g1-00000000\.png: matte has no alpha channel"):
        open_dataset("aisegment_matting", tmp_path, "all")[1]
    ds = open_dataset("aisegment_matting", tmp_path, "all", skip_bad=True)
    assert len(ds) == 2 and ds.skipped[0][0] == str(matte)


def test_unpaired_clip_and_photomatte_without_alpha(tmp_path: Path) -> None:
    fx.write_aisegment(tmp_path / "ai", {f"g{g}": fx.scenes(1, 50 + g) for g in range(3)})
    (tmp_path / "ai" / "matting" / "g2" / "matting_00000000" / "g2-00000000.png").unlink()
    with pytest.raises(BadSampleError, match=r"g2-00000000\.jpg: no matte"):
        open_dataset("aisegment_matting", tmp_path / "ai", "all")
    fx.write_photomatte85(tmp_path / "pm", fx.scenes(2, 51))
    cv2.imwrite(str(tmp_path / "pm" / "0001.png"), np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(BadSampleError, match=r"0001\.png: image has no alpha channel"):
        open_dataset("photomatte85", tmp_path / "pm", "test")[1]


def test_folder_missing_label_and_missing_taxonomy(folder_roots: dict[bool, Path], tmp_path: Path) -> None:
    root = copy_of(folder_roots[False], tmp_path)
    with pytest.raises(DatasetError, match=r"masks exists; pass native_taxonomy="):
        open_dataset("folder", root, "all")
    (root / "alpha" / "face002.png").unlink()
    with pytest.raises(BadSampleError, match=r"face002\.png: no file named face002\.\* in .*alpha"):
        open_dataset("folder", root, "all", native_taxonomy="lapa11")


def test_skip_bad_on_an_all_bad_split_is_an_error(tmp_path: Path) -> None:
    fx.write_folder(tmp_path, fx.scenes(1, 60))
    fx.truncate(tmp_path / "images" / "face000.png", 0.3)
    with pytest.raises(DatasetError, match=r"holds no samples \(1 skipped as bad\)"):
        open_dataset("folder", tmp_path, "all", native_taxonomy="lapa11", skip_bad=True)
