"""Hair, beard and eyebrow strands as polylines (head frame, metres).

Strands are instanced from a fixed bank of pre-tessellated curl tiles (``CURL_TILES``): each strand
picks a tile, so per-image work is a few vectorised numpy operations over (strands x segments) and one
numba loop that grows the scalp strands (``_integrate``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from casestudies.data.synth.geometry import HeadModel

N_SEG = 7  # segments per scalp strand
N_TILES = 64
_rng = np.random.default_rng(1234)
# curl tiles: (tiles, N_SEG + 1, 2) offsets in the strand's normal plane, unit amplitude
_t = np.linspace(0, 1, N_SEG + 1)
_freq = _rng.uniform(1.5, 3.5, N_TILES)[:, None]
_ph = _rng.uniform(0, 2 * np.pi, N_TILES)[:, None]
CURL_TILES = np.stack([np.sin(2 * np.pi * _freq * _t + _ph), np.cos(2 * np.pi * _freq * _t + _ph)], -1) * _t[None, :, None] ** 0.5
CURL_TILES = CURL_TILES.astype(np.float32)
# unit directions for scalp roots (Fibonacci sphere), fixed
_n = 6000
_i = np.arange(_n) + 0.5
_phi = np.arccos(1 - 2 * _i / _n)
_th = np.pi * (1 + 5**0.5) * _i
SCALP_DIRS = np.stack([np.sin(_phi) * np.cos(_th), np.cos(_phi), np.sin(_phi) * np.sin(_th)], -1).astype(np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.sqrt((x * x).sum(-1, keepdims=True)) + 1e-12)


def hairline_height(x: np.ndarray, hairline: float) -> np.ndarray:
    """Height of the frontal hairline above the top of the brows (metres) at ``x``: 45-65 mm at the
    centre (``hairline`` 0..1), rising towards the temples."""
    return 0.045 + 0.02 * hairline + 3.0 * x**2


def hair_colour(melanin: float, red: float, grey: float = 0.0) -> np.ndarray:
    """Albedo (RGB in [0, 1]) from melanin (0 blond .. 1 black), red tint and the grey fraction."""
    blond = np.array([0.80, 0.68, 0.45])
    brown = np.array([0.30, 0.19, 0.11])
    black = np.array([0.05, 0.045, 0.04])
    base = blond + (brown - blond) * min(melanin / 0.6, 1) if melanin < 0.6 else brown + (black - brown) * (melanin - 0.6) / 0.4
    auburn = np.array([0.55, 0.20, 0.08]) * (1.0 - 0.7 * melanin)
    rgb = (1 - 0.6 * red) * base + 0.6 * red * auburn
    return (1 - grey) * rgb + grey * np.array([0.72, 0.71, 0.70])


# per style: (shell min, shell max) over the skull radii (volume), gravity pull per step, comb backwards
STYLE = {"short": (1.04, 1.09, 0.45, 0.7), "buzz": (1.02, 1.04, 0.45, 0.7), "curly": (1.06, 1.2, 0.3, 0.5),
         "afro": (1.1, 1.5, 0.04, 0.2), "bun": (1.02, 1.05, 0.45, 1.0), "ponytail": (1.02, 1.05, 0.45, 1.0),
         "long_straight": (1.04, 1.08, 0.55, 0.6)}
# curl amplitude of fringe strands relative to the rest: they lie flat on the forehead, where a full 6 mm
# curl drew a curly fringe as scribbles over the skin
BANG_CURL = 0.3
# strands per scalp root that falls forward as a fringe (one before 0.13.0: about 60 strands at 256 px
# over a 60 mm wide forehead, drawn as a comb of lines over bare skin)
BANG_DENSITY = 5
BANG_SPREAD = 0.004  # metres
BUN_CENTRE = np.array([0.0, 0.085, -0.085])  # on the crown, towards the back (head frame, metres)
TAIL_ROOT = np.array([0.0, 0.035, -0.105])  # where a ponytail is gathered


def scalp_strands(head: HeadModel, p: dict, rng: np.random.Generator, n_max: int,
                  hat_line: float | None) -> np.ndarray:
    """Scalp strands: (S, N_SEG + 1, 3) points in the (neutral) head frame, shaped by ``hair_style``."""
    length = float(p["hair_length"])
    n = int(n_max * float(p["hair_density"]))
    style = p["hair_style"]
    if length < 0.005 or n == 0:
        return np.zeros((0, N_SEG + 1, 3), np.float32)
    shell_lo, shell_hi, gravity, back = STYLE[style]
    if style == "afro":  # volume grows with length
        shell_hi = 1.05 + 3.0 * length
    c, r = head.skull_c, head.skull_r
    d = SCALP_DIRS
    pos = c + d * r
    # 1. where hair grows: above a line rising from the nape to the hairline, not over the ears
    t = np.clip((pos[:, 2] - c[2]) / r[2], -1, 1)
    y_min = np.where(t < 0, -0.045 + 0.03 * (t + 1), -0.015)
    grow = pos[:, 1] > y_min
    grow &= (pos[:, 2] < 0.03) | (pos[:, 1] - head.brow_top > hairline_height(pos[:, 0], float(p["hairline"])))
    grow &= ~((np.abs(pos[:, 0]) > 0.055) & (pos[:, 1] < 0.035) & (pos[:, 2] > -0.035))
    if hat_line is not None:
        grow &= pos[:, 1] < hat_line
    idx = np.nonzero(grow)[0]
    if len(idx) == 0:
        return np.zeros((0, N_SEG + 1, 3), np.float32)
    idx = rng.choice(idx, size=min(n, len(idx) * 3), replace=True)
    root = pos[idx] + rng.normal(0, 0.002, (len(idx), 3))
    front = (root[:, 2] > 0.045) & (root[:, 1] > head.brow_top + 0.02)
    bangs = front & (rng.random(len(idx)) < float(p["fringe"])) & (style != "afro")
    if bangs.any():  # a fringe is a dense layer over the forehead: BANG_DENSITY strands per falling root,
        # spread sideways (sd BANG_SPREAD) so that a partial fringe thins evenly instead of falling in clumps
        src = np.repeat(np.nonzero(bangs)[0], BANG_DENSITY - 1)
        root = np.concatenate([root, root[src] + rng.normal(0, 1.0, (len(src), 3)) * [BANG_SPREAD, 0.001, 0.001]])
        bangs = np.concatenate([bangs, np.ones(len(src), bool)])
    nrm = _unit((root - c) / r**2)
    # 2. initial direction: tangent to the scalp, combed away from a parting and backwards, lifted a little
    #    (straight out for an afro); fringe strands fall forward over the forehead, no lower than the brows
    side = np.where(root[:, 0] >= 0, 1.0, -1.0)
    comb = np.stack([0.5 * side * (1 - 0.5 * (back > 0.9)), np.zeros_like(side), -back + 0 * side], 1)
    comb[bangs] = [0.0, -0.6, 0.5]
    comb -= (comb * nrm).sum(1, keepdims=True) * nrm  # project onto the tangent plane
    d0 = _unit(_unit(comb) + (2.0 if style == "afro" else 0.25) * nrm)
    lengths = length * rng.uniform(0.6, 1.0, len(root))
    lengths[bangs] = np.minimum(lengths[bangs], np.maximum(root[bangs, 1] - head.brow_top - 0.004, 0.01))
    gathered = style in ("bun", "ponytail")
    goal = (BUN_CENTRE if style == "bun" else TAIL_ROOT) if gathered else np.zeros(3)
    if gathered:  # pulled back tight: strands run over the scalp towards the gather point
        lengths[~bangs] = np.linalg.norm(root[~bangs] - goal, axis=1)
    seg = (lengths / N_SEG)[:, None]
    # 3. integrate: bend towards gravity (or the gather point); stay on the style's shell outside the skull,
    #    beside (not over) the face; fringe strands lie on the forehead
    pts = _integrate(root, d0, seg[:, 0], bangs, c, r, shell_lo, shell_hi, gravity, gathered,
                     goal, head.fh_z, head.fh_origin, head.fh_step)
    # 4. curl from the tile bank, in the plane normal to the root normal
    amp = (0.006 + 0.006 * (style == "afro")) * float(p["hair_curl"]) * np.minimum(1.0, lengths / 0.05)
    amp[bangs] *= BANG_CURL
    tiles = CURL_TILES[rng.integers(0, N_TILES, len(root))]
    a = _unit(np.stack([-nrm[:, 2], np.zeros(len(nrm)), nrm[:, 0]], 1))  # nrm x (0, 1, 0)
    b = np.cross(nrm, a)
    pts += amp[:, None, None] * (tiles[..., :1] * a[:, None] + tiles[..., 1:] * b[:, None])
    if gathered:
        pts = np.concatenate([pts, _gathered(style, float(p["hair_length"]), float(p["hair_curl"]), n // 3, rng)])
    return pts


def _gathered(style: str, length: float, curl: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A bun (a ball of strands wound on a 3 cm sphere) or a ponytail (a tail falling from the gather point)."""
    pts = np.empty((n, N_SEG + 1, 3), np.float32)
    t = np.linspace(0, 1, N_SEG + 1)[None, :, None]
    if style == "bun":
        rad = 0.026 + 0.012 * min(length / 0.3, 1)
        a0, a1 = _unit(rng.normal(size=(n, 3))), _unit(rng.normal(size=(n, 3)))
        a1 = _unit(a1 - (a1 * a0).sum(1, keepdims=True) * a0)
        ang = rng.uniform(0, 2 * np.pi, (n, 1, 1)) + t * rng.uniform(1.0, 2.5, (n, 1, 1))
        pts[:] = BUN_CENTRE + rad * rng.uniform(0.9, 1.05, (n, 1, 1)) * (np.cos(ang) * a0[:, None] + np.sin(ang) * a1[:, None])
        return pts
    tail = max(length - 0.08, 0.06) * rng.uniform(0.7, 1.0, (n, 1, 1))
    spread = rng.normal(0, 1, (n, 1, 3)) * np.array([0.012, 0.0, 0.008]) * (0.4 + t)
    sway = np.array([0.0, -1.0, -0.25]) / np.hypot(1.0, 0.25)
    pts[:] = TAIL_ROOT + [0, 0, -0.01] + sway * tail * t + spread
    pts += 0.004 * curl * np.sin(t * rng.uniform(6, 12, (n, 1, 1)) + rng.uniform(0, 6, (n, 1, 1)))
    return pts


def short_strands(roots: np.ndarray, normals: np.ndarray, direction: np.ndarray, length: float,
                  rng: np.random.Generator, n_seg: int = 2) -> np.ndarray:
    """Short strands (brows, beard): (S, n_seg + 1, 3) from roots along normal + ``direction``."""
    if len(roots) == 0:
        return np.zeros((0, n_seg + 1, 3), np.float32)
    d = _unit(normals * 0.35 + direction + rng.normal(0, 0.25, roots.shape))
    lengths = length * rng.uniform(0.6, 1.0, len(roots))[:, None]
    t = np.linspace(0, 1, n_seg + 1)[None, :, None]
    droop = np.array([0.0, -1.0, 0.0]) * 0.3 * t**2
    return (roots[:, None] + (d[:, None] * t + droop) * lengths[:, :, None]).astype(np.float32)


@njit(cache=True, nogil=True)
def _integrate(root, d0, seg, bangs, c, r, shell_lo, shell_hi, gravity, gathered, goal, fh_z, fh_origin, fh_step):
    """Step 3 of ``scalp_strands``: (S, N_SEG + 1, 3) float32 points from roots ``root``, initial unit
    directions ``d0`` and segment lengths ``seg`` (metres). Each step bends towards gravity (or, for a
    gathered style, towards ``goal``; fringe strands always fall), keeps the point on the style's shell
    (radii ``shell_lo .. shell_hi`` of the skull ellipsoid ``c, r``; no upper bound below the skull's
    centre), lays fringe strands 2.5 mm over the forehead height map and keeps other strands beside,
    not over, the face (|x| >= 82 mm below y = 15 mm in front)."""
    ns = root.shape[0]
    pts = np.empty((ns, N_SEG + 1, 3), np.float32)
    ni, nj = fh_z.shape
    for s in range(ns):
        x, y, z = root[s, 0], root[s, 1], root[s, 2]
        dx, dy, dz = d0[s, 0], d0[s, 1], d0[s, 2]
        pts[s, 0, 0], pts[s, 0, 1], pts[s, 0, 2] = x, y, z
        for k in range(1, N_SEG + 1):
            if gathered and not bangs[s]:
                gx, gy, gz = goal[0] - x, goal[1] - y, goal[2] - z
                gn = math.sqrt(gx * gx + gy * gy + gz * gz) + 1e-12
                dx, dy, dz = dx + 2.0 * (gx / gn), dy + 2.0 * (gy / gn), dz + 2.0 * (gz / gn)
            else:
                dy = dy - gravity
            dn = math.sqrt(dx * dx + dy * dy + dz * dz) + 1e-12
            dx, dy, dz = dx / dn, dy / dn, dz / dn
            x, y, z = x + dx * seg[s], y + dy * seg[s], z + dz * seg[s]
            qx, qy, qz = (x - c[0]) / r[0], (y - c[1]) / r[1], (z - c[2]) / r[2]
            rad = math.sqrt(qx * qx + qy * qy + qz * qz)
            lim = max(rad, shell_lo)
            if y > c[1] - 0.01:
                lim = min(lim, shell_hi)
            x, y, z = c[0] + qx / rad * lim * r[0], c[1] + qy / rad * lim * r[1], c[2] + qz / rad * lim * r[2]
            if bangs[s]:
                i = min(max(int(math.floor((x - fh_origin[0]) / fh_step)), 0), ni - 1)
                j = min(max(int(math.floor((y - fh_origin[1]) / fh_step)), 0), nj - 1)
                z = max(z, fh_z[i, j] + 0.0025)
            elif y < 0.015 and z > 0.0 and abs(x) < 0.082:
                x = 0.082 if x >= 0 else -0.082
            pts[s, k, 0], pts[s, k, 1], pts[s, k, 2] = x, y, z
    return pts
