"""Numba kernels: triangle z-buffer rasterisation, deferred shading, anti-aliased strand lines, and the
per-vertex and per-point steps that numpy did several times slower (rigid transforms, the blend-shape
sum, skin albedo, strand segments, landmark visibility and the jaw outline's vertices).

Screen convention: a point projects to pixel coordinates ``(x, y)`` with the origin at the centre of
the top-left pixel (the project convention), so pixel ``(i, j)`` is sampled at ``(x, y) = (j, i)``.
Depth ``z`` is camera-space distance along the optical axis in metres (positive in front).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

NEAR = 1e-3


@njit(cache=True, nogil=True)
def affine(v, m, pre, post):
    """``(v - pre) @ m.T + post`` for (N, 3) points ``v`` and a 3 x 3 ``m``, in ``v``'s precision
    (a rigid transform to camera or light coordinates; numpy's matmul on N x 3 arrays is several times
    slower)."""
    out = np.empty(v.shape, v.dtype)
    for i in range(v.shape[0]):
        x = v[i, 0] - pre[0]
        y = v[i, 1] - pre[1]
        z = v[i, 2] - pre[2]
        for r in range(3):
            out[i, r] = m[r, 0] * x + m[r, 1] * y + m[r, 2] * z + post[r]
    return out


@njit(cache=True, nogil=True)
def masked_mean(x, lab, value):
    """Mean of the rows of (N, C) ``x`` whose ``lab`` equals ``value`` (float64 sums; zeros if none)."""
    acc = np.zeros(x.shape[1])
    n = 0
    for i in range(x.shape[0]):
        if lab[i] == value:
            n += 1
            for c in range(x.shape[1]):
                acc[c] += x[i, c]
    return (acc / max(n, 1)).astype(x.dtype)


@njit(cache=True, nogil=True)
def darken_rows(x, ids, weight, strength, rgb):
    """In place: ``x[ids[i]] *= 1 - strength * weight[i] * rgb`` (a per-vertex tint such as redness)."""
    for i in range(ids.shape[0]):
        k = strength * weight[i]
        for c in range(x.shape[1]):
            x[ids[i], c] *= 1 - k * rgb[c]


@njit(cache=True, nogil=True)
def skin_albedo(tone, tint, shade, td, blotch, det, red_field, red, scan_log, scan_exp):
    """Per-vertex skin albedo (N x 3 float32): ``tone * tint * (shade + td * (blotch * det - red_field))
    + td * red``, times ``exp(scan_exp * scan_log)`` (the scan's log detail raised to a contrast)
    when ``scan_log`` is not empty."""
    n = tint.shape[0]
    out = np.empty((n, 3), np.float32)
    use_scan = scan_log.shape[0] > 0
    for i in range(n):
        base = shade[i] + td * (blotch * det[i] - red_field[i, 0])
        for c in range(3):
            v = tone[c] * (tint[i, c] * base) + td * red[i, c]
            if use_scan:
                v *= math.exp(scan_exp * scan_log[i, c])
            out[i, c] = v
    return out


@njit(cache=True, nogil=True)
def visible(pts2, z, zbuf, hcov, tol, outline):
    """Depth test of points ``pts2`` (N x 2 pixels) at camera depths ``z`` (see ``render._visible``)."""
    h, w = zbuf.shape
    out = np.zeros(pts2.shape[0], np.bool_)
    for i in range(pts2.shape[0]):
        ix = int(np.rint(pts2[i, 0]))
        iy = int(np.rint(pts2[i, 1]))
        if not (0 <= ix < w and 0 <= iy < h) or hcov[iy, ix] >= 0.5:
            continue
        for yy in range(max(iy - 1, 0), min(iy + 2, h)):
            for xx in range(max(ix - 1, 0), min(ix + 2, w)):
                d = zbuf[yy, xx]
                if (outline and d > z[i] - tol) or (not outline and abs(d - z[i]) < tol):
                    out[i] = True
    return out


@njit(cache=True, nogil=True)
def contour_pick(pc, ptr, ids, d, f, cx, cy):
    """Per candidate set ``k`` (``ids[ptr[k]:ptr[k + 1]]``): the vertex of camera points ``pc`` whose
    projection lies furthest along the image direction ``d[k]`` (the first one on ties)."""
    out = np.empty(len(ptr) - 1, np.int64)
    for k in range(len(ptr) - 1):
        best = -np.inf
        for j in range(ptr[k], ptr[k + 1]):
            i = ids[j]
            x = np.float64(pc[i, 0])
            y = np.float64(pc[i, 1])
            z = np.float64(pc[i, 2])
            s = (x / z * f + cx) * d[k, 0] + (y / z * f + cy) * d[k, 1]
            if s > best:
                best = s
                out[k] = i
    return out


@njit(cache=True, nogil=True)
def raster_triangles(sx, sy, sz, tris, zbuf, tid, bary, ortho, tri_offset, cull=False):
    """Z-buffer triangles into ``zbuf`` (HxW, init +inf), ``tid`` (HxW int32) and ``bary`` (HxWx2).

    ``bary`` holds perspective-correct barycentrics of vertices 0 and 1 (vertex 2 = 1 - b0 - b1).
    ``ortho`` interpolates depth linearly (shadow maps); otherwise 1/z is interpolated.
    Triangle ids written are ``tri_offset + t``. With ``cull``, triangles whose vertices run clockwise
    in a right-handed world (anticlockwise on screen, ``y`` down) are skipped as back faces; otherwise
    both faces are drawn.
    """
    h, w = zbuf.shape
    for t in range(tris.shape[0]):
        i0 = tris[t, 0]
        i1 = tris[t, 1]
        i2 = tris[t, 2]
        z0 = sz[i0]
        z1 = sz[i1]
        z2 = sz[i2]
        if z0 < NEAR or z1 < NEAR or z2 < NEAR:
            continue
        x0 = sx[i0]
        y0 = sy[i0]
        x1 = sx[i1]
        y1 = sy[i1]
        x2 = sx[i2]
        y2 = sy[i2]
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if area == 0.0 or (cull and area > 0.0):
            continue
        xmin = max(int(math.ceil(min(x0, min(x1, x2)))), 0)
        xmax = min(int(math.floor(max(x0, max(x1, x2)))), w - 1)
        ymin = max(int(math.ceil(min(y0, min(y1, y2)))), 0)
        ymax = min(int(math.floor(max(y0, max(y1, y2)))), h - 1)
        if xmin > xmax or ymin > ymax:
            continue
        inv_area = 1.0 / area
        for py in range(ymin, ymax + 1):
            for px in range(xmin, xmax + 1):
                w0 = ((x1 - px) * (y2 - py) - (x2 - px) * (y1 - py)) * inv_area
                w1 = ((x2 - px) * (y0 - py) - (x0 - px) * (y2 - py)) * inv_area
                w2 = 1.0 - w0 - w1
                if w0 < 0.0 or w1 < 0.0 or w2 < 0.0:
                    continue
                if ortho:
                    z = w0 * z0 + w1 * z1 + w2 * z2
                    p0 = w0
                    p1 = w1
                else:
                    q0 = w0 / z0
                    q1 = w1 / z1
                    q2 = w2 / z2
                    z = 1.0 / (q0 + q1 + q2)
                    p0 = q0 * z
                    p1 = q1 * z
                if z < zbuf[py, px]:
                    zbuf[py, px] = z
                    tid[py, px] = tri_offset + t
                    bary[py, px, 0] = p0
                    bary[py, px, 1] = p1


@njit(cache=True, nogil=True)
def raster_coverage(sx, sy, sz, tris, mask, cull, vsel):
    """Mark ``mask`` (uint8) where any triangle covers a sample point (no depth test): a coverage pass
    run on a finer sample grid than the image for anti-aliased silhouettes. ``cull`` as in
    ``raster_triangles``; when ``vsel`` (uint8 per vertex) is non-empty, only triangles with a
    selected vertex are drawn."""
    h, w = mask.shape
    use_sel = vsel.shape[0] > 0
    for t in range(tris.shape[0]):
        i0 = tris[t, 0]
        i1 = tris[t, 1]
        i2 = tris[t, 2]
        if use_sel and vsel[i0] == 0 and vsel[i1] == 0 and vsel[i2] == 0:
            continue
        if sz[i0] < NEAR or sz[i1] < NEAR or sz[i2] < NEAR:
            continue
        x0 = sx[i0]
        y0 = sy[i0]
        x1 = sx[i1]
        y1 = sy[i1]
        x2 = sx[i2]
        y2 = sy[i2]
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if area == 0.0 or (cull and area > 0.0):
            continue
        xmin = max(int(math.ceil(min(x0, min(x1, x2)))), 0)
        xmax = min(int(math.floor(max(x0, max(x1, x2)))), w - 1)
        ymin = max(int(math.ceil(min(y0, min(y1, y2)))), 0)
        ymax = min(int(math.floor(max(y0, max(y1, y2)))), h - 1)
        inv_area = 1.0 / area
        for py in range(ymin, ymax + 1):
            for px in range(xmin, xmax + 1):
                if mask[py, px]:
                    continue
                w0 = ((x1 - px) * (y2 - py) - (x2 - px) * (y1 - py)) * inv_area
                w1 = ((x2 - px) * (y0 - py) - (x0 - px) * (y2 - py)) * inv_area
                if w0 >= 0.0 and w1 >= 0.0 and 1.0 - w0 - w1 >= 0.0:
                    mask[py, px] = 1


@njit(cache=True, nogil=True)
def vertex_normals(v, tris):
    """Area-weighted unit vertex normals of a triangle mesh (N x 3 float32)."""
    n = np.zeros(v.shape, dtype=np.float32)
    for t in range(tris.shape[0]):
        a = tris[t, 0]
        b = tris[t, 1]
        c = tris[t, 2]
        ux = v[b, 0] - v[a, 0]
        uy = v[b, 1] - v[a, 1]
        uz = v[b, 2] - v[a, 2]
        wx = v[c, 0] - v[a, 0]
        wy = v[c, 1] - v[a, 1]
        wz = v[c, 2] - v[a, 2]
        nx = uy * wz - uz * wy
        ny = uz * wx - ux * wz
        nz = ux * wy - uy * wx
        for k in (a, b, c):
            n[k, 0] += nx
            n[k, 1] += ny
            n[k, 2] += nz
    for i in range(n.shape[0]):
        s = math.sqrt(n[i, 0] ** 2 + n[i, 1] ** 2 + n[i, 2] ** 2)
        if s > 0:
            n[i, 0] /= s
            n[i, 1] /= s
            n[i, 2] /= s
    return n


@njit(cache=True, nogil=True)
def _shadow(p, basis, origin, scale, smap, bias, fill):
    """Fraction of light (0..1) reaching camera-space point ``p``: 3x3 PCF on an orthographic map; a fully
    shadowed point keeps ``fill`` of it (the part of an extended source the caster does not hide)."""
    s = smap.shape[0]
    u = ((p[0] - origin[0]) * basis[0, 0] + (p[1] - origin[1]) * basis[0, 1] + (p[2] - origin[2]) * basis[0, 2]) * scale + (s - 1) * 0.5
    v = ((p[0] - origin[0]) * basis[1, 0] + (p[1] - origin[1]) * basis[1, 1] + (p[2] - origin[2]) * basis[1, 2]) * scale + (s - 1) * 0.5
    d = (p[0] - origin[0]) * basis[2, 0] + (p[1] - origin[1]) * basis[2, 1] + (p[2] - origin[2]) * basis[2, 2]
    iu = int(round(u))
    iv = int(round(v))
    lit = 0.0
    for dv in range(-1, 2):
        for du in range(-1, 2):
            a = min(max(iv + dv, 0), s - 1)
            b = min(max(iu + du, 0), s - 1)
            if d <= smap[a, b] + bias:
                lit += 1.0
    return fill + (1.0 - fill) * lit / 9.0


# wrapped diffuse of skin per channel (a cheap subsurface-scattering approximation: light reaches past
# the terminator, red furthest): diffuse = max(0, (n.l + wrap) / (1 + wrap)). A wrap w moves the
# terminator by asin(w) on any surface: 0.3 (0.3.0-0.8.2) is 17 degrees, about 2 cm of a cheek, where
# skin's widest red scattering lobe is under 3 mm (d'Eon et al. 2007: sd 2.7 mm), 2-3 degrees of a cheek
# and 15 of the nose; 0.06 is 3.4 degrees. The flatter shading hid the face's shape (docs/generator.md, 0.9.0)
WRAP_R, WRAP_G, WRAP_B = 0.06, 0.025, 0.01


@njit(cache=True, nogil=True)
def shade(tid, bary, tris, pos, nrm, albedo, label, material, mat_spec, mat_shine,
          eye_centre, eye_gaze, eye_cos, iris_rgb, light_dir, light_rgb, ambient,
          smaps, sbasis, sorigin, sscale, sbias, sfill, gamma, fg, seg, depth, normals):
    """Deferred shading of every covered pixel (Lambert + Blinn-Phong, shadow-mapped lights).

    Materials: 0 skin (wrapped diffuse with a red-shifted terminator, ``WRAP_*``, and a second, sharp
    specular lobe ``mat_spec[7]`` / ``mat_shine[7]`` for oily skin), 1 eyeball (iris/pupil from the gaze),
    others Lambert with ``mat_spec``/``mat_shine``.
    ``eye_cos`` = (cos iris half-angle, cos pupil half-angle, limbal-ring darkening at the iris rim); ``ambient`` 4 x 3: RGB constant, then the
    RGB coefficients of the normal's x, y, z (first-order environment irradiance). ``sfill``: the share of a
    light that reaches a point its shadow map calls shadowed (``_shadow``). Interpolated albedo is linearised with
    ``** gamma`` (iris colours are passed linear). Writes linear RGB in ``fg``,
    labels in ``seg``, camera depth in ``depth`` and unit camera-space normals in ``normals``.
    """
    h, w = tid.shape
    nl = light_dir.shape[0]
    p = np.empty(3, dtype=np.float32)
    n = np.empty(3, dtype=np.float32)
    for y in range(h):
        for x in range(w):
            t = tid[y, x]
            if t < 0:
                continue
            a = tris[t, 0]
            b = tris[t, 1]
            c = tris[t, 2]
            w0 = bary[y, x, 0]
            w1 = bary[y, x, 1]
            w2 = 1.0 - w0 - w1
            for k in range(3):
                p[k] = w0 * pos[a, k] + w1 * pos[b, k] + w2 * pos[c, k]
                n[k] = w0 * nrm[a, k] + w1 * nrm[b, k] + w2 * nrm[c, k]
            s = math.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) + 1e-12
            vx = -p[0]
            vy = -p[1]
            vz = -p[2]
            vs = math.sqrt(vx * vx + vy * vy + vz * vz) + 1e-12
            vx /= vs
            vy /= vs
            vz /= vs
            for k in range(3):
                n[k] /= s
            if n[0] * vx + n[1] * vy + n[2] * vz < 0.0:  # back face seen: light its inside
                for k in range(3):
                    n[k] = -n[k]
            # label and material of the nearest vertex
            vid = a
            if w1 > w0 and w1 >= w2:
                vid = b
            elif w2 > w0 and w2 > w1:
                vid = c
            mat = material[vid]
            seg[y, x] = label[vid]
            r = w0 * albedo[a, 0] + w1 * albedo[b, 0] + w2 * albedo[c, 0]
            g = w0 * albedo[a, 1] + w1 * albedo[b, 1] + w2 * albedo[c, 1]
            bl = w0 * albedo[a, 2] + w1 * albedo[b, 2] + w2 * albedo[c, 2]
            r = r**gamma
            g = g**gamma
            bl = bl**gamma
            if mat == 1:
                e = 0 if label[vid] == 3 else 1
                dx = p[0] - eye_centre[e, 0]
                dy = p[1] - eye_centre[e, 1]
                dz = p[2] - eye_centre[e, 2]
                ds = math.sqrt(dx * dx + dy * dy + dz * dz) + 1e-12
                cg = (dx * eye_gaze[e, 0] + dy * eye_gaze[e, 1] + dz * eye_gaze[e, 2]) / ds
                if cg > eye_cos[1]:
                    r, g, bl = 0.02, 0.02, 0.02
                elif cg > eye_cos[0]:
                    f = (cg - eye_cos[0]) / (eye_cos[1] - eye_cos[0] + 1e-9)
                    ring = 1.0 - eye_cos[2] * (1.0 - min(1.0, 3.0 * f))
                    r = iris_rgb[e, 0] * ring
                    g = iris_rgb[e, 1] * ring
                    bl = iris_rgb[e, 2] * ring
                # the upper lid and lashes shade the top of the eyeball (camera y points down)
                lid = min(1.0, max(0.0, (dy / ds + 0.45) / 0.9))
                r *= 0.45 + 0.55 * lid
                g *= 0.45 + 0.55 * lid
                bl *= 0.45 + 0.55 * lid
            spec_k = mat_spec[mat]
            shine = mat_shine[mat]
            skin = mat == 0
            # ambient: a constant plus a first-order term in the normal (the scene's irradiance)
            cr = max(0.0, ambient[0, 0] + ambient[1, 0] * n[0] + ambient[2, 0] * n[1] + ambient[3, 0] * n[2]) * r
            cg2 = max(0.0, ambient[0, 1] + ambient[1, 1] * n[0] + ambient[2, 1] * n[1] + ambient[3, 1] * n[2]) * g
            cb = max(0.0, ambient[0, 2] + ambient[1, 2] * n[0] + ambient[2, 2] * n[1] + ambient[3, 2] * n[2]) * bl
            for li in range(nl):
                lx = light_dir[li, 0]
                ly = light_dir[li, 1]
                lz = light_dir[li, 2]
                ndl = n[0] * lx + n[1] * ly + n[2] * lz
                if ndl <= (-WRAP_R if skin else 0.0):
                    continue
                vis = _shadow(p, sbasis[li], sorigin[li], sscale[li], smaps[li], sbias, sfill)
                if vis <= 0.0:
                    continue
                hx = lx + vx
                hy = ly + vy
                hz = lz + vz
                hs = math.sqrt(hx * hx + hy * hy + hz * hz) + 1e-12
                ndh = max(0.0, (n[0] * hx + n[1] * hy + n[2] * hz) / hs)
                if skin:
                    # subsurface approximation: wrapped diffuse, wider in red than in blue, so the
                    # terminator is soft and reddish; a sharp second lobe for oily skin (mat_spec[7])
                    dr = max(0.0, (ndl + WRAP_R) / (1.0 + WRAP_R))
                    dg = max(0.0, (ndl + WRAP_G) / (1.0 + WRAP_G))
                    db = max(0.0, (ndl + WRAP_B) / (1.0 + WRAP_B))
                    sp = (spec_k * ndh ** shine + mat_spec[7] * ndh ** mat_shine[7]) if ndl > 0.0 else 0.0
                else:
                    dr = ndl
                    dg = ndl
                    db = ndl
                    sp = spec_k * ndh ** shine
                cr += vis * light_rgb[li, 0] * (dr * r + sp)
                cg2 += vis * light_rgb[li, 1] * (dg * g + sp)
                cb += vis * light_rgb[li, 2] * (db * bl + sp)
            fg[y, x, 0] = cr
            fg[y, x, 1] = cg2
            fg[y, x, 2] = cb
            depth[y, x] = p[2]
            normals[y, x, 0] = n[0]
            normals[y, x, 1] = n[1]
            normals[y, x, 2] = n[2]


@njit(cache=True, nogil=True)
def strand_segments(c, f, cx, cy, amb, light_dir, light_lum, col, jitter, out, o):
    """Segments of polylines ``c`` (S, K + 1, 3; camera frame, see ``affine``) into ``out`` (9, M) rows
    from ``o``: image x, y and camera z of both ends, then linear RGB. A segment's RGB is the strand's
    ``col`` x ``jitter`` x a tip factor (0.8 at the root .. 1.1 at the tip) x Kajiya-Kay-like shading:
    ``amb + sum_l light_lum[l] * (0.35 sin(tangent, light) + 0.25)``. Returns the next free row."""
    ns, kp, _ = c.shape
    nseg = kp - 1
    for i in range(ns):
        for k in range(nseg):
            px, py, pz = c[i, k, 0], c[i, k, 1], c[i, k, 2]
            qx, qy, qz = c[i, k + 1, 0], c[i, k + 1, 1], c[i, k + 1, 2]
            tx, ty, tz = qx - px, qy - py, qz - pz
            tn = math.sqrt(tx * tx + ty * ty + tz * tz) + 1e-12
            tx, ty, tz = tx / tn, ty / tn, tz / tn
            sh = amb
            for li in range(light_dir.shape[0]):
                d = tx * light_dir[li, 0] + ty * light_dir[li, 1] + tz * light_dir[li, 2]
                sh += light_lum[li] * (0.35 * math.sqrt(min(max(1.0 - d * d, 0.0), 1.0)) + 0.25)
            tip = 0.8 + 0.3 * k / (nseg - 1) if nseg > 1 else 0.8
            g = sh * tip * jitter[i]
            j = o + i * nseg + k
            out[0, j] = px / pz * f + cx
            out[1, j] = py / pz * f + cy
            out[2, j] = pz
            out[3, j] = qx / qz * f + cx
            out[4, j] = qy / qz * f + cy
            out[5, j] = qz
            out[6, j] = col[i, 0] * g
            out[7, j] = col[i, 1] * g
            out[8, j] = col[i, 2] * g
    return o + ns * nseg


@njit(cache=True, nogil=True)
def raster_strands(x0, y0, z0, x1, y1, z1, width, rgb, lab, zbuf, cov, acc, wsum, hlab, hbest):
    """Anti-aliased line segments (strands) with coverage, depth-tested against the mesh ``zbuf``.

    Coverage of a pixel at distance ``d`` from a segment of width ``wd`` px is ``wd * max(0, 1 - d)``
    for sub-pixel widths (a tent whose integral across the line is ``wd``), else
    ``clip(wd / 2 + 0.5 - d, 0, 1)``. Coverages accumulate order-independently:
    ``cov = 1 - prod(1 - c)``; colour is the coverage-weighted mean (``acc / wsum``);
    ``hlab`` keeps the label of the strongest fragment.
    """
    h, w = zbuf.shape
    for s in range(x0.shape[0]):
        ax = x0[s]
        ay = y0[s]
        bx = x1[s]
        by = y1[s]
        wd = width[s]
        r = max(1.0, 0.5 * wd + 0.5)  # coverage is zero beyond this distance
        r2 = r * r
        dx = bx - ax
        dy = by - ay
        inv_l2 = 1.0 / (dx * dx + dy * dy + 1e-12)
        xmajor = abs(dx) >= abs(dy)
        # walk the major axis; visit only the band of pixels within r of the segment
        if xmajor:
            lo = max(int(math.floor(min(ax, bx) - r)), 0)
            hi = min(int(math.ceil(max(ax, bx) + r)), w - 1)
            slope = dy / dx if dx != 0.0 else 0.0
        else:
            lo = max(int(math.floor(min(ay, by) - r)), 0)
            hi = min(int(math.ceil(max(ay, by) + r)), h - 1)
            slope = dx / dy if dy != 0.0 else 0.0
        half = r * math.sqrt(1.0 + slope * slope)
        for m in range(lo, hi + 1):
            if xmajor:
                mc = min(max(float(m), min(ax, bx)), max(ax, bx))
                cc = ay + (mc - ax) * slope
                n_lo = max(int(math.floor(cc - half)), 0)
                n_hi = min(int(math.ceil(cc + half)), h - 1)
            else:
                mc = min(max(float(m), min(ay, by)), max(ay, by))
                cc = ax + (mc - ay) * slope
                n_lo = max(int(math.floor(cc - half)), 0)
                n_hi = min(int(math.ceil(cc + half)), w - 1)
            for n in range(n_lo, n_hi + 1):
                if xmajor:
                    px = m
                    py = n
                else:
                    px = n
                    py = m
                t = ((px - ax) * dx + (py - ay) * dy) * inv_l2
                t = min(1.0, max(0.0, t))
                qx = ax + t * dx - px
                qy = ay + t * dy - py
                d2 = qx * qx + qy * qy
                if d2 >= r2:
                    continue
                d = math.sqrt(d2)
                if wd < 1.0:
                    c = wd * (1.0 - d)
                else:
                    c = min(1.0, 0.5 * wd + 0.5 - d)
                if c <= 0.0:
                    continue
                z = z0[s] + t * (z1[s] - z0[s])
                if z > zbuf[py, px]:
                    continue
                cov[py, px] = 1.0 - (1.0 - cov[py, px]) * (1.0 - c)
                acc[py, px, 0] += c * rgb[s, 0]
                acc[py, px, 1] += c * rgb[s, 1]
                acc[py, px, 2] += c * rgb[s, 2]
                wsum[py, px] += c
                if c > hbest[py, px]:
                    hbest[py, px] = c
                    hlab[py, px] = lab[s]


@njit(cache=True, nogil=True)
def blend_sparse(base, dense, dense_values, vptr, modes, values, scales, w):
    """``base + sum_k w[k] * B_k`` for (N, 3) ``base`` and int16-quantised modes (metres: value x
    ``scales[k]``). Modes ``dense`` are stored whole, ``dense_values[d]`` a flat (N * 3) row; the
    others vertex by vertex: point ``i`` moves by ``values[j] * scales[modes[j]] * w[modes[j]]`` for ``j``
    in ``vptr[i]:vptr[i + 1]``."""
    s_k = np.empty(len(w), np.float32)
    for k in range(len(w)):
        s_k[k] = w[k] * scales[k]
    out = base.copy()
    flat = out.reshape(-1)
    for d in range(len(dense)):
        s = s_k[dense[d]]
        if s == 0.0:
            continue
        row = dense_values[d]
        for i in range(flat.shape[0]):
            flat[i] += s * row[i]
    for i in range(len(vptr) - 1):
        x = out[i, 0]
        y = out[i, 1]
        z = out[i, 2]
        for j in range(vptr[i], vptr[i + 1]):
            s = s_k[modes[j]]
            x += s * values[j, 0]
            y += s * values[j, 1]
            z += s * values[j, 2]
        out[i, 0] = x
        out[i, 1] = y
        out[i, 2] = z
    return out
