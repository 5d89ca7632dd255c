"""Backgrounds: procedural textures, layered procedural scenes (room, office, street, nature; and the
stand-ins' studio backdrop, press wall, interior, night street and park) and crops of photographs (no
faces in the photo pool), and the dominant light a background implies (``dominant_light``) and the
irradiance it sheds (``environment_irradiance``), so the subject can be lit by its scene."""

from __future__ import annotations

import cv2
import numpy as np

from casestudies.data.synth.assets import load_photo


def _smooth_noise(rng: np.random.Generator, size: int, cells: int, ch: int = 3) -> np.ndarray:
    g = rng.random((cells, cells, ch)).astype(np.float32)
    return cv2.resize(g, (size, size), interpolation=cv2.INTER_CUBIC).reshape(size, size, ch)


def procedural(pattern: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A procedural texture (HxWx3 uint8): ``noise``, ``gradient``, ``stripes`` or ``blobs``."""
    base = rng.random(3) * 0.8 + 0.1
    other = rng.random(3) * 0.8 + 0.1
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    if pattern == "noise":
        n = 0.6 * _smooth_noise(rng, size, 4) + 0.4 * _smooth_noise(rng, size, 16)
        img = base * (1 - n) + other * n
    elif pattern == "gradient":
        a = rng.uniform(0, 2 * np.pi)
        t = (np.cos(a) * xx + np.sin(a) * yy)[..., None]
        t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
        img = base * (1 - t) + other * t + 0.05 * _smooth_noise(rng, size, 32)
    elif pattern == "stripes":
        a = rng.uniform(0, np.pi)
        f = rng.uniform(3, 12)
        t = (0.5 + 0.5 * np.sin(2 * np.pi * f * (np.cos(a) * xx + np.sin(a) * yy)))[..., None]
        img = base * (1 - t) + other * t
    elif pattern == "blobs":
        n = _smooth_noise(rng, size, 6, 1)
        t = (n > 0.5).astype(np.float32)
        t = cv2.GaussianBlur(t, (0, 0), max(size / 100, 0.6))[..., None]
        img = base * (1 - t) + other * t
    elif pattern in SCENES:
        return SCENES[pattern](size, rng)
    else:
        raise KeyError(f"unknown pattern {pattern!r}; valid: noise, gradient, stripes, blobs, {', '.join(SCENES)}")
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def _rect(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, rgb) -> None:
    """Fill a rectangle given in fractions of the side (in place), clipped to the image: a rectangle
    wholly outside it paints nothing (before 0.11.0 an end left of or above the image became a negative
    index, and a street's off-image windows painted a band across the whole picture)."""
    n = img.shape[0]
    ya, yb = (int(min(max(v, 0.0), 1.0) * n) for v in (y0, y1))
    xa, xb = (int(min(max(v, 0.0), 1.0) * n) for v in (x0, x1))
    img[ya:yb, xa:xb] = rgb


def _finish_scene(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = img.shape[0]
    img = img * (0.92 + 0.16 * _smooth_noise(rng, size, 5))  # uneven light and surface tone
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), max(size / 180, 0.5))
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def _window(img: np.ndarray, rng: np.random.Generator, x0: float, y0: float, w: float, h: float) -> None:
    sky = np.array([0.75, 0.85, 1.0]) * rng.uniform(0.9, 1.0)
    _rect(img, x0 - 0.015, y0 - 0.015, x0 + w + 0.015, y0 + h + 0.015, rng.uniform(0.6, 0.9, 3))  # frame
    _rect(img, x0, y0, x0 + w, y0 + h, sky)
    _rect(img, x0 + w / 2 - 0.008, y0, x0 + w / 2 + 0.008, y0 + h, [0.7, 0.7, 0.7])  # mullion
    _rect(img, x0, y0 + h / 2 - 0.008, x0 + w, y0 + h / 2 + 0.008, [0.7, 0.7, 0.7])


def room(size: int, rng: np.random.Generator) -> np.ndarray:
    """A living room: a painted wall with a window on one side, a picture or shelf, a wooden floor."""
    yy = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    wall = rng.uniform(0.45, 0.9, 3) * np.array([1.0, 0.95, 0.85])
    img = np.broadcast_to(wall * (0.8 + 0.25 * yy), (size, size, 3)).copy()
    side = rng.choice([-1, 1])
    wx = 0.03 if side < 0 else 0.97 - 0.3
    _window(img, rng, wx + rng.uniform(-0.02, 0.02), rng.uniform(0.08, 0.2), 0.3, rng.uniform(0.35, 0.5))
    px = 0.62 if side < 0 else 0.08
    _rect(img, px, 0.15, px + 0.25, 0.35, rng.uniform(0.1, 0.8, 3))  # a picture
    horizon = rng.uniform(0.72, 0.86)
    floor = rng.uniform(0.25, 0.5) * np.array([1.0, 0.7, 0.45])
    fl = yy[:, 0, 0] >= horizon
    img[fl] = floor * (0.85 + 0.3 * np.sin(np.linspace(0, 60, size))[None, :, None].repeat(fl.sum(), 0)[:, :, 0:1] * 0.2)
    return _finish_scene(img, rng)


def office(size: int, rng: np.random.Generator) -> np.ndarray:
    """An office: pale wall or glass partition, ceiling light strips, desks and monitors below."""
    yy = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    wall = rng.uniform(0.6, 0.85) * np.array([0.95, 0.97, 1.0]) + rng.uniform(-0.05, 0.05, 3)
    img = np.broadcast_to(wall * (0.9 + 0.15 * yy), (size, size, 3)).copy()
    _rect(img, 0, 0, 1, 0.08, wall * 0.8)  # ceiling
    for x in np.arange(rng.uniform(0.0, 0.2), 1.0, rng.uniform(0.25, 0.4)):
        _rect(img, x, 0.02, x + 0.16, 0.05, [1.0, 1.0, 0.97])  # light strips
    for x in np.arange(rng.uniform(-0.1, 0.1), 1.0, 0.22):  # glass panels with mullions
        _rect(img, x, 0.12, x + 0.012, 0.62, wall * 0.6)
    desk = rng.uniform(0.2, 0.6, 3)
    _rect(img, 0, 0.68, 1, 1, desk * 0.6)
    for x in rng.uniform(0, 0.9, 3):
        _rect(img, x, 0.5, x + 0.14, 0.66, [0.08, 0.08, 0.1])  # monitors
        _rect(img, x + 0.01, 0.51, x + 0.13, 0.64, rng.uniform(0.2, 0.6, 3))
    return _finish_scene(img, rng)


def _facades(img: np.ndarray, rng: np.random.Generator, width: tuple[float, float], top: float, bottom: float,
             gap: float, facade, window) -> None:
    """A row of building facades from left to right (in place): widths drawn from ``width``, tops from
    [0, ``top``], all down to ``bottom``, up to ``gap`` apart; ``facade()`` gives a facade's colour and
    ``window(colour)`` each window's (``None``: a window not drawn), on a grid 0.08 wide and 0.1 high."""
    x = rng.uniform(-0.2, 0.0)
    while x < 1.0:
        w = rng.uniform(*width)
        t = rng.uniform(0.0, top)
        col = facade()
        _rect(img, x, t, x + w, bottom, col)
        for wy in np.arange(t + 0.05, bottom - 0.08, 0.1):
            for wxx in np.arange(x + 0.03, x + w - 0.05, 0.08):
                rgb = window(col)
                if rgb is not None:
                    _rect(img, wxx, wy, wxx + 0.045, wy + 0.055, rgb)
        x += w + rng.uniform(0.0, gap)


def street(size: int, rng: np.random.Generator) -> np.ndarray:
    """A street: sky, building facades with window grids, pavement."""
    yy = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    sky = np.array([0.55, 0.7, 0.95]) * rng.uniform(0.8, 1.1)
    img = np.broadcast_to(sky * (1.1 - 0.4 * yy), (size, size, 3)).copy()
    _facades(img, rng, (0.2, 0.45), 0.35, 0.8, 0.05,
             lambda: rng.uniform(0.3, 0.8) * np.array([1.0, 0.9, 0.8]) + rng.uniform(-0.1, 0.1, 3),
             lambda col: col * 0.45 + 0.15 * rng.random())
    _rect(img, 0, 0.8, 1, 1, [0.42, 0.42, 0.44])  # pavement
    return _finish_scene(img, rng)


def nature(size: int, rng: np.random.Generator) -> np.ndarray:
    """Outdoors: sky, hills, tree canopies, grass."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    sky = np.array([0.6, 0.75, 1.0]) * rng.uniform(0.85, 1.1)
    img = sky * (1.15 - 0.5 * yy[..., None])
    hill = rng.uniform(0.35, 0.55) + 0.06 * np.sin(2 * np.pi * (xx * rng.uniform(0.5, 1.5) + rng.random()))
    img = np.where((yy > hill)[..., None], np.array([0.3, 0.45, 0.3]) * rng.uniform(0.7, 1.1), img)
    trees = _smooth_noise(rng, size, 7, 1)[..., 0]
    canopy = (trees > 0.55) & (yy < hill + 0.25) & (yy > 0.1)
    leaf = np.array([0.2, 0.38, 0.15]) * (0.7 + 0.6 * _smooth_noise(rng, size, 24, 1))
    img = np.where(canopy[..., None], leaf, img)
    grass = yy > rng.uniform(0.7, 0.82)
    img = np.where(grass[..., None], np.array([0.35, 0.55, 0.2]) * (0.8 + 0.4 * _smooth_noise(rng, size, 32, 1)), img)
    return _finish_scene(img, rng)


def _disc(img: np.ndarray, cx: float, cy: float, r: float, rgb, soft: float = 0.25) -> None:
    """Add a soft-edged disc (centre and radius in fractions of the side) of light ``rgb`` (in place)."""
    n = img.shape[0]
    y0, y1 = max(int((cy - r - soft * r) * n), 0), min(int((cy + r + soft * r) * n) + 1, n)
    x0, x1 = max(int((cx - r - soft * r) * n), 0), min(int((cx + r + soft * r) * n) + 1, n)
    if y1 <= y0 or x1 <= x0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32) / n
    d = np.hypot(xx - cx, yy - cy) / max(r, 1e-4)
    w = np.clip((1 + soft - d) / max(soft, 1e-3), 0, 1)[..., None]
    img[y0:y1, x0:x1] += w * np.asarray(rgb, np.float32)


def backdrop(size: int, rng: np.random.Generator) -> np.ndarray:
    """A studio portrait backdrop: mottled painted canvas (grey, slate, brown, olive or teal), a
    spotlight pool behind the sitter falling off to dark corners, and a floor sweep below."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    palette = np.array([[0.5, 0.5, 0.5], [0.35, 0.42, 0.55], [0.45, 0.36, 0.28], [0.4, 0.42, 0.3],
                        [0.25, 0.4, 0.42]])
    base = palette[rng.integers(len(palette))] * rng.uniform(0.6, 1.3)
    mottle = 0.82 + 0.36 * _smooth_noise(rng, size, int(rng.integers(3, 7)), 1)
    img = base * mottle * (0.96 + 0.08 * _smooth_noise(rng, size, 48, 1))
    cx, cy = 0.5 + rng.uniform(-0.15, 0.15), rng.uniform(0.3, 0.55)
    fall = rng.uniform(0.6, 1.0)
    img = img * (1 + fall * (0.6 - np.hypot(xx - cx, yy - cy)))[..., None]
    sweep = yy > rng.uniform(0.82, 0.95)
    img = np.where(sweep[..., None], img * 0.85, img)
    return _finish_scene(img, rng)


def event(size: int, rng: np.random.Generator) -> np.ndarray:
    """A press wall at an event (step-and-repeat): a light wall tiled with sponsors' logos in staggered
    rows, lit by flash from the front."""
    wall = rng.uniform(0.75, 0.95) * np.array([1.0, 1.0, 1.0]) + rng.uniform(-0.05, 0.05, 3)
    img = np.broadcast_to(wall, (size, size, 3)).astype(np.float32).copy()
    logos = rng.uniform(0.05, 0.8, (int(rng.integers(2, 4)), 3))
    pitch = rng.uniform(0.2, 0.32)
    w, h = pitch * rng.uniform(0.4, 0.6), pitch * rng.uniform(0.2, 0.3)
    ox, oy = rng.uniform(0, pitch, 2)
    for r, y in enumerate(np.arange(oy - pitch, 1.0, 0.6 * pitch)):
        for c, x in enumerate(np.arange(ox - pitch + (r % 2) * pitch / 2, 1.0, pitch)):
            col = logos[(r + 2 * c) % len(logos)]
            _rect(img, x, y, x + w, y + h, col)
            _rect(img, x + 0.15 * w, y + 0.35 * h, x + 0.85 * w, y + 0.65 * h, col * 0.5 + wall * 0.5)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    img = img * (1.05 - 0.35 * np.hypot(xx - 0.5, yy - 0.45))[..., None]  # the flash falls off
    return _finish_scene(img, rng)


def interior(size: int, rng: np.random.Generator) -> np.ndarray:
    """A lived-in interior (a cafe, a kitchen, a home): a warm dim wall, shelves of books and jars, a
    lamp's glow on one side and a dark doorway."""
    yy = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    wall = rng.uniform(0.25, 0.55) * np.array([1.0, 0.85, 0.65]) + rng.uniform(-0.05, 0.05, 3)
    img = np.broadcast_to(wall * (0.85 + 0.2 * yy), (size, size, 3)).astype(np.float32).copy()
    side = rng.choice([-1, 1])
    span = rng.uniform(0.35, 0.6)
    x0 = rng.uniform(0.0, 0.1) if side > 0 else rng.uniform(0.9 - span, 1.0 - span)
    top = rng.uniform(0.05, 0.2)
    for y in np.arange(top, 0.85, rng.uniform(0.16, 0.22)):  # shelf boards and what stands on them
        _rect(img, x0, y + 0.13, x0 + span, y + 0.15, wall * 0.5)
        x = x0 + rng.uniform(0, 0.03)
        while x < x0 + span - 0.02:
            bw, bh = rng.uniform(0.012, 0.04), rng.uniform(0.07, 0.13)
            _rect(img, x, y + 0.13 - bh, x + bw, y + 0.13, rng.uniform(0.1, 0.7, 3))
            x += bw + rng.uniform(0.0, 0.02)
    if rng.random() < 0.6:
        dx, dw = rng.uniform(0.7, 0.85) if side > 0 else rng.uniform(0.0, 0.15), rng.uniform(0.12, 0.2)
        _rect(img, dx, rng.uniform(0.15, 0.3), dx + dw, 1.0, wall * 0.25)  # a doorway into a darker room
    lamp = np.array([1.0, 0.75, 0.45]) * rng.uniform(0.5, 0.9)
    lx = rng.uniform(0.75, 0.95) if side > 0 else rng.uniform(0.05, 0.25)
    _disc(img, lx, rng.uniform(0.1, 0.35), rng.uniform(0.08, 0.2), lamp, soft=1.5)
    return _finish_scene(img, rng)


def night(size: int, rng: np.random.Generator) -> np.ndarray:
    """A street at night: dark facades with a few lit windows, street and shop lights as bright discs
    (bokeh once the background is defocused), a wet road reflecting them."""
    yy = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    sky = np.array([0.05, 0.06, 0.12]) * rng.uniform(0.6, 1.5)
    img = np.broadcast_to(sky * (1.2 - 0.5 * yy), (size, size, 3)).astype(np.float32).copy()
    _facades(img, rng, (0.2, 0.4), 0.3, 0.78, 0.04,
             lambda: rng.uniform(0.04, 0.12) * np.array([1.0, 0.95, 0.9]),
             lambda col: np.array([0.9, 0.7, 0.35]) * rng.uniform(0.5, 1.0) if rng.random() < 0.3 else None)
    _rect(img, 0, 0.78, 1, 1, [0.06, 0.06, 0.07])  # road
    for _ in range(int(rng.integers(4, 10))):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0.2, 0.75), rng.uniform(0.015, 0.05)
        light = np.array([1.0, 0.8, 0.5]) if rng.random() < 0.6 else np.array([0.85, 0.9, 1.0])
        light = light * rng.uniform(0.6, 1.2)
        _disc(img, cx, cy, r, light)
        _disc(img, cx, 1.56 - cy, r * 0.8, light * 0.25)  # its reflection on the road
    return _finish_scene(np.clip(img, 0, 1), rng)


def park(size: int, rng: np.random.Generator) -> np.ndarray:
    """Under trees in sunshine: a canopy of leaves in hard light with bright gaps of sky, a sunlit lawn
    and the dark shade of trunks."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    sky = np.array([0.8, 0.88, 1.0]) * rng.uniform(0.9, 1.1)
    leaf = np.array([0.18, 0.3, 0.1]) * rng.uniform(0.7, 1.2)
    n = 0.6 * _smooth_noise(rng, size, 10, 1)[..., 0] + 0.4 * _smooth_noise(rng, size, 30, 1)[..., 0]
    sun = 0.6 + 1.2 * (_smooth_noise(rng, size, 18, 1)[..., 0] > 0.6)  # dappled sunlight on the leaves
    img = leaf * sun[..., None] * (0.7 + 0.6 * n[..., None])
    gaps = n > rng.uniform(0.68, 0.78)
    img = np.where(gaps[..., None], sky, img)
    for _ in range(int(rng.integers(1, 4))):
        tx, tw = rng.uniform(0, 1), rng.uniform(0.03, 0.08)
        img = np.where(((np.abs(xx - tx) < tw / 2) & (yy > rng.uniform(0.2, 0.5)))[..., None], leaf * 0.35, img)
    lawn = yy > rng.uniform(0.72, 0.85)
    grass = np.array([0.35, 0.55, 0.15]) * (0.9 + 0.5 * _smooth_noise(rng, size, 32, 1))
    img = np.where(lawn[..., None], grass, img)
    return _finish_scene(np.clip(img, 0, 1), rng)


SCENES = {"room": room, "office": office, "street": street, "nature": nature,
          # the stand-ins' own families (presets keep the pools disjoint): portrait studios and event walls
          # (standin_real_a), interiors, night streets and parks (standin_real_b)
          "backdrop": backdrop, "event": event, "interior": interior, "night": night, "park": park}


def dominant_light(bg: np.ndarray) -> tuple[float, float, np.ndarray]:
    """The main light a background implies: (azimuth, elevation in degrees, linear RGB normalised to a
    max of 1), from the pixels brighter than 92 % of a 32 x 32 copy (``bg`` HxWx3 float in [0, 1], display-encoded).

    The bright region's offset from the image centre gives the direction (image right = positive
    azimuth, as ``key_azimuth``; higher = larger elevation), its colour the light's colour.
    """
    small = cv2.resize(bg, (32, 32), interpolation=cv2.INTER_AREA)
    lum = small.mean(2)
    thr = np.quantile(lum, 0.92)
    m = lum > thr
    if not m.any():  # a flat background: light from the front, its colour
        rgb = small.reshape(-1, 3).mean(0).astype(np.float64) ** 1.5
        return 0.0, 30.0, rgb / max(float(rgb.max()), 1e-4)
    yy, xx = np.nonzero(m)
    dx = (xx.mean() - 15.5) / 16.0
    dy = (15.5 - yy.mean()) / 16.0
    rgb = small[m].mean(0).astype(np.float64) ** 1.5
    return float(np.clip(75 * dx, -70, 70)), float(np.clip(30 + 35 * dy, 5, 60)), rgb / max(float(rgb.max()), 1e-4)


def environment_irradiance(bg: np.ndarray, gamma: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """First-order (spherical-harmonic L1) irradiance of the scene a background implies: ``(a, b)`` with
    ``E(n) = a + b.T @ n`` for a unit camera-frame normal ``n`` (x right, y down, z into the scene), linear
    RGB, normalised by pi (a uniform environment of radiance L gives ``E = L``, ``b = 0``).

    The background (HxWx3 float in [0, 1], display-encoded; linearised by ``** gamma``) is the hemisphere
    in front of the camera, behind the subject: pixel (u, v) in [0, 1]^2 looks along
    ``(2u - 1, 2v - 1, sqrt(1 - r^2))`` (an orthographic map of the hemisphere, corners on its rim; pixels
    count equally, and the depth component is rescaled so that their mean direction is the hemisphere's,
    ``(0, 0, 1/2)``).
    The hemisphere behind the camera is unseen and taken as uniform at the background's mean. With
    radiance ``L(w) ~ a + 3 m.w`` (``m`` = the mean of ``L w`` over the sphere), the cosine lobe gives
    ``E(n) = a + 2 m.n``: a window on the left lights left-facing skin, a sky lights upward-facing
    skin, and a bright background rims the silhouette.
    """
    small = cv2.resize(bg, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float64) ** gamma
    c = (np.arange(16) + 0.5) / 8.0 - 1.0
    x, y = np.meshgrid(c, c)
    r = np.hypot(x, y)
    z = np.sqrt(np.clip(1.0 - r**2, 0.0, 1.0))
    scale = np.maximum(r, 1.0)  # corners: onto the rim
    z *= 0.5 / z.mean()  # pixels count equally: rescaled so the hemisphere's mean direction is exact
    w = np.stack([x / scale, y / scale, z], -1).reshape(-1, 3)
    rad = small.reshape(-1, 3)
    mean = rad.mean(0)
    m_front = w.T @ rad / len(rad)  # 3 (direction) x 3 (channel): mean of L w over the front hemisphere
    m_back = np.outer([0.0, 0.0, -0.5], mean)  # uniform hemisphere: its mean direction is half its axis
    return mean.astype(np.float32), (m_front + m_back).astype(np.float32)  # b = 2 m, m = half the sum


def photo_crop(name: str, size: int, zoom: float, rng: np.random.Generator) -> np.ndarray:
    """A random square crop (side = ``zoom`` x the photo's short side), resized to ``size``, maybe mirrored."""
    ph = load_photo(name)
    h, w = ph.shape[:2]
    side = max(8, int(min(h, w) * zoom))
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    crop = ph[y:y + side, x:x + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_AREA)


def background(params: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """The background layer (HxWx3 uint8) for ``params`` (kind, pattern/photo, zoom, defocus blur)."""
    if params["background"] == "photo":
        img = photo_crop(params["bg_photo"], size, float(params["bg_zoom"]), rng)
    else:
        img = procedural(params["bg_pattern"], size, rng)
    sigma = float(params["bg_blur"]) * size / 128
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    return img
