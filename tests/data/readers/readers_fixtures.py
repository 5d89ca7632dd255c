"""Seeded fixture builders: tiny face scenes written in each real dataset's exact on-disk layout.

A *scene* is the ground truth in this project's conventions (subject sides, 0-based pixel-centre
landmarks, ``lapa11`` ids plus neck / cloth masks and a soft alpha). Each ``write_*`` function
writes it the way that dataset stores it (its file names, its side naming, its coordinate origin),
so that reading it back must give the scene again. ``mirror_scene`` mirrors the truth; writing the
mirrored scene gives "the same dataset photographed in a mirror".
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from casestudies.data import taxonomy as tx
from casestudies.data.readers.landmarks import write_pts

SIZE = 64
L11 = {name: i for i, name in enumerate(tx.LAPA11.classes)}


def _template68() -> np.ndarray:
    """A left-right symmetric iBUG-68 shape in [-1, 1] (x right, y down); point 0 on the image left."""
    pts = np.zeros((68, 2))
    t = np.linspace(0, np.pi, 17)
    pts[:17] = np.stack([-0.9 * np.cos(t), 0.05 + 0.8 * np.sin(t)], 1)  # jaw, subject's right first
    pts[17:22] = np.stack([np.linspace(-0.7, -0.15, 5), [-0.42, -0.5, -0.52, -0.5, -0.45]], 1)
    pts[22:27] = pts[17:22][::-1] * [-1, 1]
    pts[27:31] = np.stack([np.zeros(4), np.linspace(-0.3, 0.08, 4)], 1)
    pts[31:36] = np.stack([np.linspace(-0.18, 0.18, 5), [0.2, 0.23, 0.25, 0.23, 0.2]], 1)
    pts[36:42] = [[-0.62, -0.25], [-0.5, -0.33], [-0.3, -0.33], [-0.18, -0.25], [-0.3, -0.17], [-0.5, -0.17]]
    pts[42:48] = pts[[39, 38, 37, 36, 41, 40]] * [-1, 1]
    pts[48:60] = [[-0.38, 0.5], [-0.22, 0.42], [-0.08, 0.39], [0, 0.41], [0.08, 0.39], [0.22, 0.42],
                  [0.38, 0.5], [0.22, 0.62], [0.08, 0.66], [0, 0.67], [-0.08, 0.66], [-0.22, 0.62]]
    pts[60:68] = [[-0.3, 0.5], [-0.1, 0.46], [0, 0.46], [0.1, 0.46], [0.3, 0.5], [0.1, 0.56], [0, 0.57], [-0.1, 0.56]]
    return pts


TEMPLATE68 = _template68()


def _poly(canvas: np.ndarray, points: np.ndarray, value: int) -> None:
    cv2.fillPoly(canvas, [np.round(points * 16).astype(np.int32)], value, lineType=cv2.LINE_8, shift=4)


def face_scene(seed: int, size: int = SIZE) -> dict:
    """One frontal face: image, lapa11 seg (subject sides), neck/cloth masks, alpha, 68 points, pupils."""
    rng = np.random.default_rng(seed)
    centre = np.array([size / 2, size * 0.45]) + rng.uniform(-2, 2, 2)
    scale = size * 0.28 * rng.uniform(0.92, 1.08)
    points = (centre + TEMPLATE68 * scale).astype(np.float32)
    seg = np.zeros((size, size), np.uint8)
    c = tuple(int(v) for v in np.round(centre - [0, scale * 0.55]))
    cv2.ellipse(seg, c, (int(scale * 1.05), int(scale * 0.75)), 0, 180, 360, L11["hair"], -1)
    forehead = points[26:16:-1] - [0, scale * 0.35]
    _poly(seg, np.concatenate([points[:17], forehead]), L11["skin"])
    for idx, cls in ((slice(17, 22), "right_brow"), (slice(22, 27), "left_brow")):
        brow = points[idx]
        _poly(seg, np.concatenate([brow - [0, 1.2], brow[::-1] + [0, 1.2]]), L11[cls])
    _poly(seg, points[36:42], L11["right_eye"])
    _poly(seg, points[42:48], L11["left_eye"])
    _poly(seg, points[[27, 31, 32, 33, 34, 35]], L11["nose"])
    _poly(seg, np.concatenate([points[48:55], points[[64, 63, 62, 61, 60]]]), L11["upper_lip"])
    _poly(seg, np.concatenate([points[[54, 55, 56, 57, 58, 59, 48]], points[[60, 67, 66, 65, 64]]]), L11["lower_lip"])
    _poly(seg, points[60:68], L11["inner_mouth"])
    neck = np.zeros_like(seg)
    x0, x1 = int(centre[0] - scale * 0.45), int(centre[0] + scale * 0.45)
    neck[int(points[8, 1]) - 2 : int(points[8, 1]) + 6, x0:x1] = 1
    neck &= seg == 0
    cloth = np.zeros_like(seg)
    cloth[int(points[8, 1]) + 6 :, int(centre[0] - scale * 1.2) : int(centre[0] + scale * 1.2)] = 1
    person = ((seg > 0) | (neck > 0) | (cloth > 0)).astype(np.float32)
    alpha = np.clip(cv2.GaussianBlur(person, (5, 5), 1.0), 0, 1).astype(np.float32)
    palette = rng.integers(30, 226, (11, 3))
    image = palette[seg].astype(np.float32)
    image[neck > 0] = palette[1] * 0.9
    image[cloth > 0] = [40, 60, 160]
    yy, xx = np.mgrid[0:size, 0:size]
    bg = np.stack([xx * 3 % 256, yy * 2 % 256, (xx + yy) % 256], -1).astype(np.float32)
    image = alpha[..., None] * image + (1 - alpha[..., None]) * bg + rng.normal(0, 3, image.shape)
    pupils = np.stack([points[36:42].mean(0), points[42:48].mean(0)]).astype(np.float32)
    surface = alpha > 0.5
    nx = np.clip((xx - centre[0]) / (1.3 * scale), -1, 1) * surface
    normals = np.stack([nx, np.zeros_like(nx), -np.sqrt(1 - nx**2) * surface], -1).astype(np.float32)
    return {
        "normals": normals, "depth": np.where(surface, 0.6 + 0.002 * yy, 0.0).astype(np.float32),
        "image": np.clip(np.rint(image), 0, 255).astype(np.uint8),
        "foreground": np.clip(palette[seg], 0, 255).astype(np.uint8),
        "background": bg.astype(np.uint8),
        "seg": seg, "neck": neck.astype(bool), "cloth": cloth.astype(bool), "alpha": alpha,
        "landmarks": points, "pupils": pupils, "visible": np.arange(68) % 5 != 0,
    }


def mirror_scene(scene: dict) -> dict:
    """The same scene seen in a mirror: arrays flipped, left/right classes and points swapped."""
    w = scene["image"].shape[1]
    out = {k: np.ascontiguousarray(v[:, ::-1]) for k, v in scene.items() if v.ndim >= 2 and v.shape[0] == w}
    out["seg"] = tx.flip_lut("lapa11")[out["seg"]]
    out["normals"][..., 0] *= -1
    out["landmarks"] = tx.flip_landmarks(scene["landmarks"], w)
    out["pupils"] = tx.flip_landmarks(scene["pupils"], w, tx.PUPILS_FLIP)
    out["visible"] = scene["visible"][tx.IBUG68_FLIP]
    return out


def scenes(n: int, seed: int = 0, mirror: bool = False) -> list[dict]:
    out = [face_scene(seed * 1000 + i) for i in range(n)]
    return [mirror_scene(s) for s in out] if mirror else out


def _rgb(path: Path, image: np.ndarray, quality: int = 98) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if path.suffix == ".jpg" else []
    assert cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params)


def _gray(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def _rgba(path: Path, rgb: np.ndarray, alpha: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    a = np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)
    assert cv2.imwrite(str(path), np.dstack([cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), a]))


# --- LaPa ------------------------------------------------------------------------------------------
def write_lapa(root: Path, split_scenes: dict[str, list[dict]]) -> Path:
    """LaPa: {split}/images/*.jpg, labels/*.png (ids name the IMAGE side), landmarks/*.txt (106)."""
    image_side = tx.flip_lut("lapa11")
    for split, items in split_scenes.items():
        for i, s in enumerate(items):
            name = f"{split}_{i:04d}"
            _rgb(root / split / "images" / f"{name}.jpg", s["image"])
            _gray(root / split / "labels" / f"{name}.png", image_side[s["seg"]])
            lm = root / split / "landmarks" / f"{name}.txt"
            lm.parent.mkdir(parents=True, exist_ok=True)
            pts = np.random.default_rng(i).uniform(10, 50, (106, 2))
            lm.write_text("106\n" + "\n".join(f"{x:.3f} {y:.3f}" for x, y in pts) + "\n")
    return root


# --- CelebAMask-HQ ----------------------------------------------------------------------------------
# Part file -> the scene region it holds; l_/r_ name the IMAGE side (l_eye = subject's right eye).
def celeb_parts(s: dict) -> dict[str, np.ndarray]:
    seg = s["seg"]
    return {
        "skin": (seg > 0) & (seg != L11["hair"]),
        "nose": seg == L11["nose"],
        "l_eye": seg == L11["right_eye"], "r_eye": seg == L11["left_eye"],
        "l_brow": seg == L11["right_brow"], "r_brow": seg == L11["left_brow"],
        "mouth": seg == L11["inner_mouth"], "u_lip": seg == L11["upper_lip"], "l_lip": seg == L11["lower_lip"],
        "hair": seg == L11["hair"], "neck": s["neck"], "cloth": s["cloth"],
    }


def write_celebamask_hq(root: Path, items: list[dict], orig_idx: list[int], first_k: int = 0) -> Path:
    """CelebA-HQ-img/{k}.jpg at 2x the mask size; masks in CelebAMask-HQ-mask-anno/{k//2000}/."""
    rows = ["idx orig_idx orig_file"]
    for j, (s, orig) in enumerate(zip(items, orig_idx)):
        k = first_k + j
        big = cv2.resize(s["image"], (2 * SIZE, 2 * SIZE), interpolation=cv2.INTER_LINEAR)
        _rgb(root / "CelebA-HQ-img" / f"{k}.jpg", big)
        for part, mask in celeb_parts(s).items():
            if mask.any():
                _gray(root / "CelebAMask-HQ-mask-anno" / str(k // 2000) / f"{k:05d}_{part}.png", mask.astype(np.uint8) * 255)
        rows.append(f"{k} {orig} {orig + 1:06d}.jpg")
    (root / "CelebA-HQ-to-CelebA-mapping.txt").write_text("\n".join(rows) + "\n")
    return root


# --- FaceSynthetics --------------------------------------------------------------------------------
FS19 = {name: i for i, name in enumerate(tx.FACESYNTHETICS19.classes)}
_L11_TO_FS19 = np.array([FS19[n] for n in (
    "background", "skin", "left_brow", "right_brow", "left_eye", "right_eye", "nose", "top_lip",
    "mouth_interior", "bottom_lip", "hair")], np.uint8)


def fs19_seg(s: dict) -> np.ndarray:
    seg = _L11_TO_FS19[s["seg"]]
    seg[s["neck"]] = FS19["neck"]
    seg[s["cloth"]] = FS19["clothing"]
    return seg


def write_facesynthetics(root: Path, items: list[dict], extras: bool = False, first_id: int = 0) -> Path:
    """{id:06d}.png, _seg.png, _ldmks.txt (70 lines, 0-based), and with ``extras`` the generator's layers."""
    root.mkdir(parents=True, exist_ok=True)
    ids = []
    for j, s in enumerate(items):
        i = first_id + j
        ids.append(i)
        stem = root / f"{i:06d}"
        _rgb(Path(f"{stem}.png"), s["image"])
        _gray(Path(f"{stem}_seg.png"), fs19_seg(s))
        pts = np.concatenate([s["landmarks"], s["pupils"]])
        Path(f"{stem}_ldmks.txt").write_text("\n".join(f"{x:.6f} {y:.6f}" for x, y in pts) + "\n")
        if extras:
            _gray(Path(f"{stem}_alpha.png"), np.rint(s["alpha"] * 65535).astype(np.uint16))
            _rgb(Path(f"{stem}_fg.png"), s["foreground"])
            _rgb(Path(f"{stem}_bg.png"), s["background"])
            np.save(f"{stem}_depth.npy", s["depth"])
            np.save(f"{stem}_normals.npy", s["normals"].astype(np.float16))
            meta = {"landmarks_visible": [bool(v) for v in s["visible"]],
                    "head_pose": {"yaw": 10.0, "pitch": -3.0, "roll": 2.0}, "gaze": [0.1, 0.0, -1.0]}
            Path(f"{stem}_meta.json").write_text(json.dumps(meta))
    if extras:
        (root / "manifest.json").write_text(json.dumps({"version": "test", "preset": "fixture", "seed": 0, "n": len(ids), "size": SIZE, "ids": ids}))
    return root


# --- 300W ------------------------------------------------------------------------------------------
W300_EXT = {"afw": ".jpg", "helen/trainset": ".jpg", "helen/testset": ".jpg", "lfpw/trainset": ".png",
            "lfpw/testset": ".png", "ibug": ".jpg", "300W/01_Indoor": ".png", "300W/02_Outdoor": ".png"}


def write_w300(root: Path, folder_scenes: dict[str, list[dict]]) -> Path:
    """300W sub-folders with images and 1-based .pts files of the same stem."""
    for sub, items in folder_scenes.items():
        prefix = {"300W/01_Indoor": "indoor", "300W/02_Outdoor": "outdoor"}.get(sub, "image")
        for i, s in enumerate(items):
            stem = f"{prefix}_{i + 1:03d}"
            _rgb(root / sub / f"{stem}{W300_EXT[sub]}", s["image"])
            (root / sub).mkdir(parents=True, exist_ok=True)
            write_pts(root / sub / f"{stem}.pts", s["landmarks"])
    return root


# --- AISegment, PhotoMatte85, folder ------------------------------------------------------------------
def write_aisegment(root: Path, groups: dict[str, list[dict]]) -> Path:
    for group, items in groups.items():
        for i, s in enumerate(items):
            name = f"{group}-{i:08d}"
            _rgb(root / "clip_img" / group / "clip_00000000" / f"{name}.jpg", s["image"])
            _rgba(root / "matting" / group / "matting_00000000" / f"{name}.png", s["image"], s["alpha"])
    return root


def write_photomatte85(root: Path, items: list[dict]) -> Path:
    for i, s in enumerate(items):
        _rgba(root / f"{i:04d}.png", s["foreground"], s["alpha"])
    return root


def write_folder(root: Path, items: list[dict], split: str | None = None) -> Path:
    base = root / split if split else root
    for i, s in enumerate(items):
        stem = f"face{i:03d}"
        _rgb(base / "images" / f"{stem}.png", s["image"])
        _gray(base / "masks" / f"{stem}.png", s["seg"])
        _gray(base / "alpha" / f"{stem}.png", np.rint(s["alpha"] * 255).astype(np.uint8))
        (base / "landmarks").mkdir(parents=True, exist_ok=True)
        write_pts(base / "landmarks" / f"{stem}.pts", s["landmarks"])
    return root


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
