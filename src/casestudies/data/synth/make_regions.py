"""Derive per-vertex region labels (and scan-texture UVs) for the head template; writes ``regions.npz``.

Run ``python -m casestudies.data.synth.make_regions`` to regenerate the file stored with the code.
Labels are FaceSynthetics-19 ids decided by geometric rules on the 68 3D landmarks (iBUG order;
``right`` = the subject's right, negative ``x``) of the neutral template:

1. eyes: inside the eyelid polygons 36-41 / 42-47 (frontal x-y projection, front surface only);
2. brows: a band around the brow landmarks 17-21 / 22-26, tapered at the tails;
3. nose: bridge from 27 widening to the alae beside 31 and 35, down to the base 31-35;
4. lips: outer contour 48-59 split by the inner contour 60-67 into top and bottom lip;
   the inner contour itself is the mouth interior;
5. ears: lateral of the jaw's top points 0 / 16 and behind them, between brow and jaw-corner height;
6. neck: below the jaw line 0-16 (interpolated along x) and beside/behind the jaw corners;
7. everything else is skin.

AO: per-vertex ambient occlusion from 64 orthographic depth maps (``ambient_occlusion``).

UVs: the template is aligned to the menpo3d ``james`` scan by a similarity fit of the 68 landmarks and
each vertex takes the texture coordinate of the closest point on the scan's surface.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from casestudies.data.synth.assets import load_scan, load_template
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

REGIONS_PATH = Path(__file__).with_name("regions.npz")
MM = 1e-3


def points_in_polygon(pts: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd rule: which of the (N, 2) points lie inside the closed (K, 2) polygon."""
    from matplotlib.path import Path as MplPath

    return MplPath(poly).contains_points(pts)


def _interp_curve(x: np.ndarray, curve: np.ndarray) -> np.ndarray:
    order = np.argsort(curve[:, 0])
    return np.interp(x, curve[order, 0], curve[order, 1])


def derive_labels(v: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """FaceSynthetics-19 label per vertex from geometric rules on landmarks (see module docstring)."""
    xy = v[:, :2]
    lab = np.full(len(v), FS.index("skin"), np.uint8)
    front = v[:, 2] > lm[0, 2] - 10 * MM

    # 6. neck: below the jaw line (and beside the jaw corners, lower than jaw point 4/12)
    jaw = lm[0:17, :2]
    below = (xy[:, 1] < _interp_curve(xy[:, 0], jaw) - 1 * MM) & (np.abs(xy[:, 0]) <= np.abs(jaw[[0, 16], 0]).max())
    side_low = (np.abs(xy[:, 0]) > np.abs(jaw[[4, 12], 0]).min()) & (xy[:, 1] < jaw[[4, 12], 1].max())
    lab[below | (side_low & (v[:, 2] < lm[4, 2]))] = FS.index("neck")

    # 5. ears: lateral of jaw points 0/16, behind them, between jaw-corner and brow height
    for side, (j, cls) in enumerate(((0, "right_ear"), (16, "left_ear"))):
        sgn = -1 if side == 0 else 1
        ear = (sgn * xy[:, 0] > sgn * lm[j, 0] - 3 * MM) & (v[:, 2] < lm[j, 2] + 2 * MM)
        ear &= (xy[:, 1] < lm[19, 1] + 8 * MM) & (xy[:, 1] > lm[3, 1] - 8 * MM)
        lab[ear] = FS.index(cls)

    # 3. nose
    b, l31, l35 = lm[27], lm[31], lm[35]
    nose = np.array([
        [b[0] - 8 * MM, b[1] + 2 * MM], [b[0] + 8 * MM, b[1] + 2 * MM],
        [l35[0] + 7 * MM, l35[1] + 5 * MM], [l35[0] + 3 * MM, l35[1] - 1.5 * MM],
        lm[34, :2], lm[33, :2] - [0, 1 * MM], lm[32, :2],
        [l31[0] - 3 * MM, l31[1] - 1.5 * MM], [l31[0] - 7 * MM, l31[1] + 5 * MM],
    ])
    lab[front & points_in_polygon(xy, nose)] = FS.index("nose")

    # 2. brows: band 3 mm below to 4 mm above the landmarks, thinner at the tails
    for idx, cls in ((range(17, 22), "right_brow"), (range(22, 27), "left_brow")):
        p = lm[list(idx), :2]
        taper = np.linspace(0.6, 1.0, 5) if cls == "right_brow" else np.linspace(1.0, 0.6, 5)
        upper = p + np.c_[np.zeros(5), 4.5 * MM * taper]
        lower = p - np.c_[np.zeros(5), 3.0 * MM * taper]
        poly = np.concatenate([upper, lower[::-1]])
        lab[front & points_in_polygon(xy, poly)] = FS.index(cls)

    # 1. eyes
    for idx, cls in ((range(36, 42), "right_eye"), (range(42, 48), "left_eye")):
        lab[front & points_in_polygon(xy, lm[list(idx), :2])] = FS.index(cls)

    # 4. lips and mouth interior
    top = lm[[48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60], :2]
    bottom = lm[[54, 55, 56, 57, 58, 59, 48, 60, 67, 66, 65, 64], :2]
    lab[front & points_in_polygon(xy, top)] = FS.index("top_lip")
    lab[front & points_in_polygon(xy, bottom)] = FS.index("bottom_lip")
    lab[front & points_in_polygon(xy, lm[60:68, :2])] = FS.index("mouth_interior")
    return lab


def scan_uvs(v: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Texture coordinates of the james scan for each template vertex (N x 2 in [0, 1])."""
    sv, suv, slm, _ = load_scan()
    # similarity (Umeyama) from template landmarks to scan landmarks, both centred
    a, b = lm.astype(np.float64), slm
    ma, mb = a.mean(0), b.mean(0)
    u, s, vt = np.linalg.svd((b - mb).T @ (a - ma))
    d = np.sign(np.linalg.det(u @ vt))
    rot = u @ np.diag([1, 1, d]) @ vt
    scale = (s * [1, 1, d]).sum() / ((a - ma) ** 2).sum()
    moved = (v - ma) @ rot.T * scale + mb
    return _closest_uv(moved, sv, _scan_faces(), suv)


def _scan_faces() -> np.ndarray:
    import trimesh

    from casestudies.data.synth.assets import menpo3d_data_dir

    return np.asarray(trimesh.load(menpo3d_data_dir() / "james.obj", process=False).faces)


def _closest_uv(pts: np.ndarray, sv: np.ndarray, faces: np.ndarray, suv: np.ndarray) -> np.ndarray:
    """UV of the closest point among the triangles around each point's nearest scan vertex."""
    from scipy.spatial import cKDTree

    _, near = cKDTree(sv).query(pts)
    inc: list[list[int]] = [[] for _ in range(len(sv))]
    for f, tri in enumerate(faces):
        for k in tri:
            inc[k].append(f)
    deg = max(len(x) for x in inc)
    table = np.array([x + [x[0]] * (deg - len(x)) if x else [0] * deg for x in inc])
    cand = table[near]  # (N, deg) triangle ids
    a, b, c = (sv[faces[cand][..., k]] for k in range(3))
    e0, e1, d = b - a, c - a, pts[:, None, :] - a
    d00, d01, d11 = (e0 * e0).sum(-1), (e0 * e1).sum(-1), (e1 * e1).sum(-1)
    d20, d21 = (d * e0).sum(-1), (d * e1).sum(-1)
    den = d00 * d11 - d01 * d01 + 1e-12
    w1 = np.clip((d11 * d20 - d01 * d21) / den, 0, 1)
    w2 = np.clip((d00 * d21 - d01 * d20) / den, 0, 1)
    tot = np.maximum(w1 + w2, 1.0)
    w1, w2 = w1 / tot, w2 / tot
    q = a + w1[..., None] * e0 + w2[..., None] * e1
    best = np.argmin(((q - pts[:, None, :]) ** 2).sum(-1), axis=1)
    rows = np.arange(len(pts))
    f = faces[cand[rows, best]]
    w = np.stack([1 - w1[rows, best] - w2[rows, best], w1[rows, best], w2[rows, best]], 1)
    uv = (suv[f] * w[..., None]).sum(1)
    return np.clip(uv, 0, 1)


def ambient_occlusion(v: np.ndarray, tris: np.ndarray, n_dirs: int = 64, res: int = 512) -> np.ndarray:
    """Per-vertex ambient occlusion of the template (1 = open sky, 0 = fully occluded).

    For ``n_dirs`` directions on the front hemisphere (the template is open at the back), the mesh is
    z-buffered orthographically along the direction; a vertex is lit from it when nothing lies more
    than 1 mm in front of it. Visibilities are averaged with cosine weights about the vertex normal.
    """
    from casestudies.data.synth.raster import raster_triangles, vertex_normals

    v32 = v.astype(np.float32)
    nrm = vertex_normals(v32, tris)
    i = np.arange(n_dirs) + 0.5
    phi = np.arccos(1 - i / n_dirs * 1.1)  # polar angle from +z, up to ~95 degrees
    th = np.pi * (1 + 5**0.5) * i
    dirs = np.stack([np.sin(phi) * np.cos(th), np.sin(phi) * np.sin(th), np.cos(phi)], -1)
    centre = v.mean(0)
    scale = res / 0.32
    acc = np.zeros(len(v))
    wsum = np.zeros(len(v))
    for d in dirs:
        w = -d  # depth increases away from the sky direction
        u = np.cross(w, [0.0, 1.0, 0.0] if abs(w[1]) < 0.9 else [1.0, 0.0, 0.0])
        u /= np.linalg.norm(u)
        b = np.cross(w, u)
        q = (v - centre) @ np.stack([u, b, w]).T
        qx = (q[:, 0] * scale + res / 2).astype(np.float32)
        qy = (q[:, 1] * scale + res / 2).astype(np.float32)
        qz = (q[:, 2] + 1.0).astype(np.float32)
        zb = np.full((res, res), np.inf, np.float32)
        raster_triangles(qx, qy, qz, tris, zb, np.full((res, res), -1, np.int32), np.zeros((res, res, 2), np.float32),
                         True, 0, False)
        ix = np.clip(np.round(qx).astype(int), 0, res - 1)
        iy = np.clip(np.round(qy).astype(int), 0, res - 1)
        lit = qz <= zb[iy, ix] + 1e-3
        cw = np.clip(nrm @ d, 0, None)
        acc += cw * lit
        wsum += cw
    return np.where(wsum > 0, acc / np.maximum(wsum, 1e-9), 1.0)


def main() -> None:
    v, tris, lm = load_template()
    labels = derive_labels(v.astype(np.float64), lm.astype(np.float64))
    uv = scan_uvs(v.astype(np.float64), lm.astype(np.float64))
    ao = ambient_occlusion(v.astype(np.float64), tris)
    np.savez_compressed(REGIONS_PATH, labels=labels, uv=uv.astype(np.float16), ao=np.round(ao * 255).astype(np.uint8))
    counts = {FS.classes[i]: int((labels == i).sum()) for i in np.unique(labels)}
    print(f"wrote {REGIONS_PATH} ({REGIONS_PATH.stat().st_size / 1024:.0f} KiB): {counts}")


if __name__ == "__main__":
    main()
