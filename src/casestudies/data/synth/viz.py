"""Pictures of generator output for notebooks: every layer of a sample, preset galleries, a knob explorer."""

from __future__ import annotations

import io

import cv2
import numpy as np

from casestudies.data.synth.disk import render_index
from casestudies.data.synth.knobs import KNOBS, default_params
from casestudies.data.synth.presets import PRESETS
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
