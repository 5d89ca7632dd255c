# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Synthetic faces: what the generator makes
#
# The project's own offline face generator renders a 3D head (menpo3d's template mesh with
# landmark-anchored blend shapes, eyeballs, hair strands and accessories) with a numba z-buffer
# rasteriser. Every label comes from the same render: segmentation (FaceSynthetics' 19 classes),
# soft alpha with sub-pixel hair, foreground/background layers, 68 landmarks with visibility, pupils,
# gaze, head pose, camera, depth and normals. The presets `standin_real_a` and `standin_real_b` are
# **stand-ins** for real datasets (shifted domains with rough human-style labels), never real data.
# Details, ranges and speed figures: `docs/generator.md`.

# %% tags=["parameters"]
size = 160  # render resolution of the galleries, pixels (the study trains at 128-256)
seed = 0  # set seed: image i of a preset is the same everywhere for the same seed
n_gallery = 16  # images per preset gallery
explorer_size = 192  # resolution of the interactive explorer's render

# %%
import matplotlib.pyplot as plt
import pandas as pd

from casestudies.data.synth import viz
from casestudies.data.synth.disk import render_index

pd.set_option("display.max_colwidth", 120)

# %% [markdown]
# ## Presets

# %%
pd.DataFrame(viz.preset_table())

# %% [markdown]
# ## Every output layer, one sample per preset
# Landmarks: green visible, red hidden (depth test against the render), cyan pupils.

# %%
for preset in ("synthetic", "standin_real_a", "standin_real_b"):
    viz.show_layers(render_index(preset, seed, 0, size), title=preset)
plt.show()

# %% [markdown]
# ## Galleries

# %%
for preset in ("synthetic", "standin_real_a", "standin_real_b"):
    fig, ax = plt.subplots(figsize=(14, 4))
    ax.imshow(viz.preset_gallery(preset, n_gallery, size, seed))
    ax.set_title(preset + ("  (STAND-IN, not real data)" if preset.startswith("standin") else ""))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The knobs and their ranges

# %%
pd.DataFrame(viz.knob_table())

# %% [markdown]
# ## Explorer
# Move a slider and the face re-renders (needs a live kernel; a static export shows the first frame).

# %%
viz.explorer(size=explorer_size, seed=seed)
