"""Pictures of generator output for notebooks: every layer of a sample, preset galleries, a knob explorer."""

from __future__ import annotations

import io

import cv2
import numpy as np

from casestudies.data.synth.disk import render_index
from casestudies.data.synth.identity import EXPRESSIONS, POPULATIONS
from casestudies.data.synth.knobs import INTEGER_KNOBS, KNOBS, default_params
from casestudies.data.synth.presets import PRESETS, sample_params
from casestudies.data.synth.render import render_sample
from casestudies.data.taxonomy import FACESYNTHETICS19

# a fixed colour per facesynthetics19 class (ignore = white)
PALETTE = np.array([
    [0, 0, 0], [255, 204, 170], [255, 120, 60], [60, 60, 255], [0, 200, 255], [120, 60, 0], [200, 120, 40],
    [255, 80, 160], [200, 60, 255], [120, 0, 0], [255, 40, 40], [200, 0, 80], [150, 150, 90], [110, 70, 30],
    [70, 120, 50], [60, 160, 160], [230, 230, 0], [255, 0, 255], [140, 200, 255],
] + [[255, 255, 255]] * (256 - FACESYNTHETICS19.num_classes), np.uint8)


def colour_seg(seg: np.ndarray) -> np.ndarray:
    return PALETTE[seg]


def draw_landmarks(img: np.ndarray, lms: np.ndarray, visible: np.ndarray, pupils: np.ndarray | None = None) -> np.ndarray:
    """Green = visible, red = hidden, cyan = pupils (sub-pixel positions, drawn at 4x precision)."""
    out = img.copy()
    r = max(1, img.shape[0] // 128)
    for (x, y), v in zip(lms, visible):
        cv2.circle(out, (int(round(x * 4)), int(round(y * 4))), r * 4, (0, 255, 0) if v else (255, 0, 0), -1, cv2.LINE_AA, 2)
    if pupils is not None:
        for x, y in pupils:
            cv2.circle(out, (int(round(x * 4)), int(round(y * 4))), r * 4, (0, 255, 255), -1, cv2.LINE_AA, 2)
    return out


def layer_images(s: dict) -> dict[str, np.ndarray]:
    """One RGB uint8 picture per output layer of a sample (depth and normals normalised for display)."""
    d = s["depth"]
    surf = d > 0
    dd = np.zeros_like(d)
    if surf.any():
        lo, hi = d[surf].min(), d[surf].max()
        dd[surf] = 1 - (d[surf] - lo) / max(hi - lo, 1e-6) * 0.8
    grey = lambda a: np.repeat((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)[..., None], 3, 2)  # noqa: E731
    return {
        "image": s["image"], "segmentation": colour_seg(s["seg"]), "alpha": grey(s["alpha"]),
        "foreground": s["foreground"], "background": s["background"],
        "landmarks": draw_landmarks(s["image"], s["landmarks"], s["landmarks_visible"], s["pupils"]),
        "depth": grey(dd), "normals": ((s["normals"] * [1, -1, -1] * 0.5 + 0.5) * surf[..., None] * 255).astype(np.uint8),
    }


def grid(tiles: list[np.ndarray], cols: int) -> np.ndarray:
    tiles = list(tiles)
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    return np.concatenate([np.concatenate(tiles[i:i + cols], 1) for i in range(0, len(tiles), cols)], 0)


def preset_gallery(preset: str, n: int = 16, size: int = 128, seed: int = 0, cols: int = 8) -> np.ndarray:
    """Images ``0..n-1`` of the set (preset, seed, size) as one grid."""
    return grid([render_index(preset, seed, i, size)["image"] for i in range(n)], cols)


def _studio(**kw) -> dict:
    """A frontal, neutral, evenly lit portrait of a mean face (``individuality`` 0) with overrides."""
    p = default_params()
    p.update(face_size=0.55, hair_density=0.9, hair_length=0.06, fill_intensity=0.4, shadows="off",
             background="procedural", bg_pattern="gradient", bg_seed=0.3, env_light=0.0)
    p.update(kw)
    return p


def identity_grid(n_ids: int = 4, cols: int = 6, size: int = 128, preset: str = "synthetic", seed: int = 0) -> np.ndarray:
    """One row per identity (``identity_seed`` = seed + row), columns: the same person drawn again by
    ``preset`` under new pose, light, expression and scene (no mask or hat, so the face stays in view)."""
    tiles = []
    for r in range(n_ids):
        for c in range(cols):
            p = sample_params(preset, np.random.default_rng([seed, r, c]), identity_seed=seed + r)
            p.update(mask="none", hat="none", yaw=float(np.linspace(-35, 35, cols)[c]))
            tiles.append(render_sample(p, size=size, seed=seed + 100 * r + c, domain=preset)["image"])
    return grid(tiles, cols)


def age_sex_sweep(ages: tuple[float, ...] = (5, 10, 15, 25, 40, 60, 80), population: str = "european",
                  size: int = 128) -> np.ndarray:
    """Mean faces (individuality 0): women in the first row, men in the second, one column per age."""
    tiles = []
    for sex in (0.0, 1.0):
        for age in ages:
            grey = float(np.clip((age - 35) / 45, 0, 1))
            tiles.append(render_sample(_studio(
                sex=sex, age=float(age), population=population, hair_grey=grey,
                hair_style="short" if sex else "long_straight", hair_length=0.06 if sex else 0.22,
                hairline=float(np.clip((age - 25) / 60, 0, 1)) * sex, stubble=0.3 * sex * (age > 17),
                brow_density=0.8 if sex else 0.55), size=size, seed=1)["image"])
    return grid(tiles, len(ages))


def population_grid(size: int = 128) -> np.ndarray:
    """Mean adult faces per population: women in the first row, men in the second (typical tones)."""
    tone = {"african": 0.8, "east_asian": 0.27, "european": 0.12, "middle_eastern": 0.33, "south_asian": 0.55}
    tiles = []
    for sex in (0.0, 1.0):
        for pop in POPULATIONS:
            tiles.append(render_sample(_studio(
                sex=sex, age=30.0, population=pop, skin_tone=tone[pop], hair_colour=0.9, eye_colour=0.9,
                hair_style="short" if sex else "long_straight", hair_length=0.06 if sex else 0.22,
                hair_curl=0.9 if pop == "african" else 0.1), size=size, seed=1)["image"])
    return grid(tiles, len(POPULATIONS))


def expression_grid(intensities: tuple[float, ...] = (0.3, 0.6, 1.0), size: int = 128,
                    identity_seed: int = 7) -> np.ndarray:
    """One identity; one row per intensity, one column per expression of the set (neutral first)."""
    tiles = []
    for t in intensities:
        for e in EXPRESSIONS:
            tiles.append(render_sample(_studio(identity_seed=identity_seed, individuality=1.0, expression=e,
                                               expression_intensity=0.0 if e == "neutral" else float(t)),
                                       size=size, seed=1)["image"])
    return grid(tiles, len(EXPRESSIONS))


def scene_pool(preset: str, n: int = 16, size: int = 128, seed: int = 0, cols: int = 8) -> np.ndarray:
    """The background layers of the first ``n`` images of a preset's set: its pool of scenes."""
    return grid([render_index(preset, seed, i, size)["background"] for i in range(n)], cols)


def scene_light_grid(size: int = 128, identity_seed: int = 3,
                     scenes: tuple[str, ...] = ("room", "office", "street", "nature")) -> np.ndarray:
    """One face in each layered scene: first row lit by the knobs alone (``env_light`` 0), second row
    lit by its scene (``env_light`` 1: the key light takes the scene's dominant direction and colour)."""
    tiles = []
    for k in (0.0, 1.0):
        for c, kind in enumerate(scenes):
            tiles.append(render_sample(_studio(identity_seed=identity_seed, individuality=1.0, bg_pattern=kind,
                                               bg_seed=(0.1 + 0.2 * c) % 1.0, env_light=k, key_azimuth=0.0, shadows="on",
                                               fill_intensity=0.15), size=size, seed=2 + c)["image"])
    return grid(tiles, len(scenes))


def skin_grid(size: int = 128, identity_seed: int = 3) -> np.ndarray:
    """Skin shading under a side light: columns ``skin_oil`` 0, 0.5, 1 (the sheen lobe), for a light
    and a dark skin tone (rows); the wrapped diffuse softens and reddens the terminator."""
    tiles = []
    for tone in (0.15, 0.7):
        for oil in (0.0, 0.5, 1.0):
            tiles.append(render_sample(_studio(identity_seed=identity_seed, skin_tone=tone, skin_oil=oil,
                                               key_azimuth=55.0, key_elevation=25.0, fill_intensity=0.0,
                                               ambient=0.2, shadows="on"), size=size, seed=1)["image"])
    return grid(tiles, 3)


def show_picture(img: np.ndarray, title: str = "", figsize: tuple[float, float] = (14, 4)):
    """One image (e.g. a grid from this module) on its own axes, without ticks; returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    ax.imshow(img)
    if title:
        ax.set_title(title)
    ax.axis("off")
    return fig


def show_layers(s: dict, title: str = ""):
    """A matplotlib figure with every layer of ``s``."""
    import matplotlib.pyplot as plt

    imgs = layer_images(s)
    fig, axes = plt.subplots(1, len(imgs), figsize=(2.2 * len(imgs), 2.6))
    for ax, (name, im) in zip(axes, imgs.items()):
        ax.imshow(im)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def explorer(size: int = 128, seed: int = 0, preset: str | None = None):
    """An ipywidgets panel: one slider/dropdown per knob (grouped in tabs); the render updates on change."""
    import ipywidgets as W

    params = default_params() if preset is None else render_index(preset, seed, 0, 16)["meta"]["params"]
    out = W.Image(format="png")
    layer = W.Dropdown(options=list(layer_images(render_sample(params, 32)).keys()), value="image", description="layer")
    controls: dict[str, W.Widget] = {}
    groups: dict[str, list[W.Widget]] = {}
    for name, k in KNOBS.items():
        if k.categorical:
            w = W.Dropdown(options=list(k.choices), value=params[name], description=name)
        elif name in INTEGER_KNOBS:
            w = W.BoundedIntText(value=int(params[name]), min=int(k.lo), max=int(k.hi), description=name)
        else:
            w = W.FloatSlider(value=float(params[name]), min=k.lo, max=k.hi, step=(k.hi - k.lo) / 100,
                              description=name, continuous_update=False, tooltip=k.doc)
        controls[name] = w
        groups.setdefault(k.group, []).append(w)

    def update(*_):
        p = {n: w.value for n, w in controls.items()}
        s = render_sample(p, size=size, seed=seed)
        buf = io.BytesIO()
        ok, png = cv2.imencode(".png", layer_images(s)[layer.value][..., ::-1])
        buf.write(png.tobytes() if ok else b"")
        out.value = buf.getvalue()

    for w in [*controls.values(), layer]:
        w.observe(update, names="value")
    tabs = W.Tab(children=[W.VBox(ws) for ws in groups.values()])
    for i, g in enumerate(groups):
        tabs.set_title(i, g)
    update()
    return W.HBox([W.VBox([out, layer]), tabs])


def preset_table() -> list[dict]:
    """Name, stand-in flag and description of every preset."""
    return [{"preset": p.name, "stand-in": p.is_standin, "description": p.description} for p in PRESETS.values()]


def knob_table() -> list[dict]:
    """Every knob with its group, range or choices, and meaning."""
    return [{"knob": n, "group": k.group, "range": " | ".join(k.choices) if k.categorical else f"[{k.lo:g}, {k.hi:g}]",
             "meaning": k.doc} for n, k in KNOBS.items()]
