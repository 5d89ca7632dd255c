"""Accessory meshes built per image around the deformed head (head frame, metres).

Each builder returns a ``Piece`` (vertices, triangles, per-vertex albedo, label, material). Clear lenses
are returned separately: they are drawn as a see-through layer, not into the z-buffer.
"""

from __future__ import annotations

import colorsys
import functools
from dataclasses import dataclass

import numpy as np

from casestudies.data.synth.geometry import MAT_CLOTH, MAT_GLOSSY, MAT_LENS, HeadModel
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

MM = 1e-3


@dataclass
class Piece:
    """A mesh with per-vertex look; ``body`` pieces follow the torso, not the head."""

    verts: np.ndarray
    tris: np.ndarray
    albedo: np.ndarray
    label: int
    material: int
    body: bool = False


# the cap's visor: metres it reaches forward at its centre, and its downward slope (drop per metre of
# reach); 75 mm sloping 0.12 shaded the eyes of a lowered head: dlib found 35 of 46 capped faces with
# abs(yaw) < 30, 37 with a 60 mm flat visor
CAP_VISOR_REACH = 0.06
CAP_VISOR_DROP = 0.0


def accessory_rgb(hue: float, value: float, sat: float = 0.55) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(hue % 1.0, sat, value))


def _piece(v: np.ndarray, t: np.ndarray, rgb: np.ndarray, label: str, mat: int, body: bool = False) -> Piece:
    return Piece(v.astype(np.float32), t.astype(np.int32), np.tile(rgb, (len(v), 1)).astype(np.float32),
                 FS.index(label), mat, body)


def tube(path: np.ndarray, radius: float, n_around: int = 6, closed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A tube of ``radius`` along the (K, 3) polyline ``path``."""
    tang = np.gradient(path, axis=0)
    if closed:
        tang = np.roll(path, -1, 0) - np.roll(path, 1, 0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True) + 1e-12
    ref = np.where(np.abs(tang[:, 1:2]) < 0.9, [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]])
    a = np.cross(tang, ref)
    a /= np.linalg.norm(a, axis=1, keepdims=True) + 1e-12
    b = np.cross(tang, a)
    ang = np.linspace(0, 2 * np.pi, n_around, endpoint=False)
    v = path[:, None] + radius * (np.cos(ang)[None, :, None] * a[:, None] + np.sin(ang)[None, :, None] * b[:, None])
    return v.reshape(-1, 3), _ring_tris(len(path), n_around, closed)


@functools.lru_cache(maxsize=64)
def _ring_tris(n_path: int, n_around: int, closed: bool) -> np.ndarray:
    """Triangles of a ring-by-ring tube grid (read-only, cached: every garment and frame reuses them)."""
    tris = []
    rows = n_path if closed else n_path - 1
    for i in range(rows):
        i2 = (i + 1) % n_path
        for j in range(n_around):
            j2 = (j + 1) % n_around
            a, b, c, d = i * n_around + j, i * n_around + j2, i2 * n_around + j, i2 * n_around + j2
            tris += [(a, c, b), (b, c, d)]
    out = np.array(tris, np.int32)
    out.flags.writeable = False
    return out


def _disc(centre: np.ndarray, ax: float, ay: float, n: int = 20, tilt: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rim = np.stack([ax * np.cos(ang), ay * np.sin(ang), -tilt * (ax * np.cos(ang)) ** 2 / ax], -1)
    v = np.concatenate([[[0.0, 0.0, 0.0]], rim]) + centre
    t = np.array([(0, 1 + i, 1 + (i + 1) % n) for i in range(n)], np.int32)
    return v, t


def glasses(lm: np.ndarray, kind: str, rgb: np.ndarray) -> tuple[list[Piece], list[Piece]]:
    """Frames (+ opaque lenses for ``sun``) and clear lenses, from the deformed landmarks."""
    pieces, lenses = [], []
    z = lm[27, 2] + 2 * MM
    fv, ft = [], []
    lens_c = []
    for idx in (range(36, 42), range(42, 48)):
        e = lm[list(idx)]
        c = np.array([e[:, 0].mean(), e[:, 1].mean() - 1.5 * MM, z - 2 * MM])
        ax = (np.ptp(e[:, 0]) / 2) + 6 * MM
        ay = 13 * MM if kind == "sun" else 11 * MM
        ang = np.linspace(0, 2 * np.pi, 28, endpoint=False)
        rim = c + np.stack([ax * np.cos(ang), ay * np.sin(ang), -4 * MM * (np.cos(ang) * np.sign(c[0])).clip(0) ** 2], -1)
        v, t = tube(rim, 1.3 * MM, 5, closed=True)
        fv.append(v)
        ft.append(t)
        lens_c.append((c, ax, ay))
        # temple arm back to the ear
        outer = c + [np.sign(c[0]) * ax, 2 * MM, -2 * MM]
        ear = np.array([np.sign(c[0]) * (abs(lm[0 if c[0] < 0 else 16, 0]) + 3 * MM), lm[0 if c[0] < 0 else 16, 1] + 4 * MM,
                        lm[0 if c[0] < 0 else 16, 2] - 15 * MM])
        arm = outer + np.linspace(0, 1, 6)[:, None] * (ear - outer)
        v, t = tube(arm, 1.0 * MM, 4)
        fv.append(v)
        ft.append(t)
    a, b = lens_c[0][0] + [lens_c[0][1], 3 * MM, 0], lens_c[1][0] - [lens_c[1][1], -3 * MM, 0]
    mid = (a + b) / 2 + [0, 2 * MM, 0]
    v, t = tube(np.stack([a, mid, b]), 1.0 * MM, 4)
    fv.append(v)
    ft.append(t)
    off = 0
    tris = []
    for v, t in zip(fv, ft):
        tris.append(t + off)
        off += len(v)
    pieces.append(_piece(np.concatenate(fv), np.concatenate(tris), rgb, "glasses", MAT_GLOSSY))
    for c, ax, ay in lens_c:
        v, t = _disc(c, ax, ay, tilt=0.004)
        if kind == "sun":
            pieces.append(_piece(v, t, np.array([0.05, 0.05, 0.06]), "glasses", MAT_LENS))
        else:
            lenses.append(_piece(v, t, np.array([0.9, 0.95, 1.0]), "glasses", MAT_GLOSSY))
    return pieces, lenses


def hat(head: HeadModel, lm: np.ndarray, kind: str, rgb: np.ndarray) -> tuple[Piece, float]:
    """A cap (dome + brim) or beanie over the skull; returns the piece and the height it covers from."""
    c, r = head.skull_c, head.skull_r * 1.07
    brow = lm[17:27, 1].max()
    # above the brows: a cap brim 26 mm up hid the brows of a lowered head (dlib missed 17 of 61 capped faces
    # with abs(yaw) < 30 over 1,000 renders, 10 at 36 mm, where a cap worn on the forehead sits)
    edge_front = brow + (36 * MM if kind == "cap" else 18 * MM)
    nu, nv = 14, 28
    th = np.linspace(0, 1, nu)
    ph = np.linspace(0, 2 * np.pi, nv, endpoint=False)
    tt, pp = np.meshgrid(th, ph, indexing="ij")
    # rim height: edge_front at the front, lower at the back
    rim_y = edge_front - 0.03 * (1 - np.sin(pp)) / 2
    top = c[1] + r[1]
    yy = top - (top - rim_y) * tt
    s = np.sqrt(np.clip(1 - ((yy - c[1]) / r[1]) ** 2, 0.0, 1))
    rz = r[2] * (1.0 + 0.11 * np.clip(np.sin(pp), 0, None))  # bulge forward over the forehead of the mask
    v = np.stack([c[0] + r[0] * s * np.cos(pp), yy, c[2] + rz * s * np.sin(pp)], -1).reshape(-1, 3)
    tris = [_ring_tris(nu, nv, False)]
    verts = [v]
    if kind == "cap":
        # the peak: a rounded visor in front, tilted down
        ang = np.linspace(np.pi * 0.2, np.pi * 0.8, 12)
        s_in = np.sqrt(np.clip(1 - ((edge_front - c[1]) / r[1]) ** 2, 0, 1)) * 0.98
        rz_in = r[2] * (1.0 + 0.11 * np.sin(ang))
        inner = np.stack([c[0] + r[0] * s_in * np.cos(ang), np.full_like(ang, edge_front), c[2] + rz_in * s_in * np.sin(ang)], -1)
        reach = CAP_VISOR_REACH * np.sin(ang) ** 0.7
        outer = inner + np.stack([0.35 * np.cos(ang) * reach, -CAP_VISOR_DROP * reach, reach], -1)
        bv = np.stack([inner, outer], 1).reshape(-1, 3)
        bt = np.array([(2 * i, 2 * i + 1, 2 * i + 2) for i in range(11)] + [(2 * i + 1, 2 * i + 3, 2 * i + 2) for i in range(11)], np.int32)
        tris.append(bt + len(v))
        verts.append(bv)
    piece = _piece(np.concatenate(verts), np.concatenate(tris), rgb, "headwear", MAT_CLOTH)
    return piece, edge_front - 0.03


def headphones(head: HeadModel, lm: np.ndarray, rgb: np.ndarray) -> Piece:
    """A band over the crown and two ear cups (headwear)."""
    c, r = head.skull_c, head.skull_r
    ang = np.linspace(0.05 * np.pi, 0.95 * np.pi, 16)
    band = np.stack([c[0] + (r[0] + 12 * MM) * np.cos(ang), c[1] + (r[1] + 10 * MM) * np.sin(ang), np.full_like(ang, -0.005)], -1)
    verts, tris = [], []
    v, t = tube(band, 5 * MM, 6)
    verts.append(v)
    tris.append(t)
    for sgn in (-1, 1):
        cc = np.array([sgn * (r[0] + 12 * MM), -0.005, -0.005])
        path = np.stack([cc - [sgn * 12 * MM, 0, 0], cc + [sgn * 8 * MM, 0, 0]])
        ring_v, ring_t = [], []
        for rad in (34 * MM, 30 * MM):
            v, t = tube(path, rad, 16)
            ring_v.append(v)
            ring_t.append(t)
        cap, capt = _disc(cc + [sgn * 8 * MM, 0, 0], 30 * MM, 30 * MM, 16)
        cap = cc + [sgn * 8 * MM, 0, 0] + (cap - cap[0])[:, [2, 1, 0]]
        for v, t in ((ring_v[0], ring_t[0]), (cap, capt)):
            verts.append(v)
            tris.append(t)
    off, out = 0, []
    for v, t in zip(verts, tris):
        out.append(t + off)
        off += len(v)
    return _piece(np.concatenate(verts), np.concatenate(out), rgb, "headwear", MAT_GLOSSY)


def face_mask(head: HeadModel, pts: np.ndarray, rgb: np.ndarray) -> Piece:
    """Surgical-style mask: the deformed mask grid (a ``HeadModel`` part)."""
    part = head.parts["mask"]
    return _piece(pts[part.start:part.stop], part.tris, rgb, "facewear", MAT_CLOTH)


def _annulus(y: float, r_in: tuple[float, float], r_out: tuple[float, float], z0: float,
             n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A flat elliptic ring at height ``y`` (radii (x, z) inside and outside), centred at ``z0``."""
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = [np.stack([r[0] * np.cos(ang), np.full_like(ang, y), r[1] * np.sin(ang) + z0], -1) for r in (r_in, r_out)]
    return np.concatenate(ring), _ring_tris(2, n, False)


def clothing(kind: str, rgb: np.ndarray, stripes: float, second: np.ndarray | None = None) -> Piece:
    """Torso garment from the neck base to below the shoulders (moves with the body, not the head).

    ``tshirt`` (crew neck), ``collar`` (shirt collar ring), ``hoodie`` (thicker, hood lying round the neck),
    ``jacket`` (open front showing a shirt of colour ``second``, collar), ``turtleneck`` (high, tight).
    A yoke ring closes the gap between the neck and the neckline, so nothing inside the garment shows.
    """
    second = np.array([0.85, 0.85, 0.82]) if second is None else second
    # neckline heights (head frame, m; the chin is at -0.100): collars, hoods and jackets 1.5 cm and the
    # turtleneck 1 cm lower than in 0.8 (-0.122 / -0.125 / -0.106), where a lowered head sank its chin into
    # the collar ring (dlib found 0.85 of lowered heads in collars, 0.98 in t-shirts)
    top = {"turtleneck": -0.116, "tshirt": -0.128, "collar": -0.137, "hoodie": -0.14, "jacket": -0.14}[kind]
    bulk = 0.012 if kind in ("hoodie", "jacket") else 0.0
    ys = np.linspace(top, -0.42, 13)
    ang = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    sh = np.clip((-0.14 - ys) / 0.09, 0, 1)
    sh = sh * sh * (3 - 2 * sh)
    neck_rx, neck_rz = (0.056, 0.052) if kind == "turtleneck" else (0.060, 0.056)
    rx = neck_rx + (0.215 + bulk - neck_rx) * sh
    rz = neck_rz + (0.115 + bulk - neck_rz) * sh
    v = np.stack([rx[:, None] * np.cos(ang), np.repeat(ys[:, None], len(ang), 1), rz[:, None] * np.sin(ang) - 0.005], -1)
    if kind == "tshirt":  # the crew neckline dips 2 cm at the front
        front = np.clip(np.sin(ang), 0, None) ** 2
        v[0, :, 1] -= 0.02 * front
    v = v.reshape(-1, 3)
    t = _ring_tris(len(ys), len(ang), False)
    alb = np.tile(rgb, (len(v), 1))
    if stripes > 0.5 and kind in ("tshirt", "turtleneck"):
        band = (np.floor(v[:, 1] / 0.025) % 2 == 0)
        alb[band] *= 0.55
    if kind == "jacket":  # open front: a V of shirt between the lapels
        half = 0.012 + 0.35 * np.clip(top - v[:, 1], 0, None)
        alb[(v[:, 2] > 0.02) & (np.abs(v[:, 0]) < half)] = second
    verts, tris, albs = [v], [t], [alb]

    def add(pv: np.ndarray, pt: np.ndarray, col: np.ndarray) -> None:
        tris.append(pt + sum(len(x) for x in verts))
        verts.append(pv)
        albs.append(np.tile(col, (len(pv), 1)))

    # the yoke: from just inside the neck tube to the neckline
    add(*_annulus(top - (0.02 if kind == "tshirt" else 0.0) + 0.001, (0.046, 0.042), (rx[0], rz[0]), -0.005), rgb * 0.8)
    neck = (0.052, 0.048)  # the neck tube's radii (geometry.HeadModel): collars hug it, leaving no gap
    if kind in ("collar", "jacket"):
        path = np.stack([(neck[0] + 0.0095) * np.cos(ang), np.full_like(ang, top + 0.006), (neck[1] + 0.0095) * np.sin(ang) - 0.003], -1)
        cv, ct = tube(path, 9 * MM, 6, closed=True)
        add(cv, ct, (second if kind == "collar" else rgb) * 1.05)
    if kind == "hoodie":  # the hood lying round the back of the neck
        w = 0.5 + 0.5 * np.clip(-np.sin(ang), 0, None)
        path = np.stack([(neck[0] + 0.017 + 0.02 * w) * np.cos(ang), top + 0.004 + 0.015 * w,
                         (neck[1] + 0.017 + 0.03 * w) * np.sin(ang) - 0.003 - 0.012 * w], -1)
        cv, ct = tube(path, 16 * MM, 8, closed=True)
        add(cv, ct, rgb * 0.9)
    return Piece(np.concatenate(verts).astype(np.float32), np.concatenate(tris).astype(np.int32),
                 np.clip(np.concatenate(albs), 0, 1).astype(np.float32), FS.index("clothing"), MAT_CLOTH, True)
