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
# gaze, head pose, camera, depth and normals. Faces are a population: an identity space with sex, age and
# population variation from published facial anthropometry, individual structure and asymmetry, seeded
# by `identity_seed`; expressions with an intensity; hair styles; garments; skin that ages.
# The presets `standin_real_a` and `standin_real_b` are **stand-ins** for real datasets (shifted domains
# with rough human-style labels), never real data. Details, sources, ranges and measured figures:
# `docs/generator.md`.

# %% tags=["parameters"]
size = 160  # render resolution of the galleries, pixels (the study trains at 128-256)
seed = 0  # set seed: image i of a preset is the same everywhere for the same seed
n_gallery = 16  # images per preset gallery
explorer_size = 192  # resolution of the interactive explorer's render
n_identities = 4  # rows of the identity grid
identity_cols = 6  # renders per identity (new pose, light, expression, scene)
sweep_population = "european"  # population of the age and sex sweep

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
    label = preset + ("  (STAND-IN, not real data)" if preset.startswith("standin") else "")
    viz.show_picture(viz.preset_gallery(preset, n_gallery, size, seed), label, figsize=(14, 4))
plt.show()

# %% [markdown]
# ## Identities
# One row per `identity_seed`; each column draws the same person again from `synthetic`: new head pose,
# light, expression, accessories and scene. The shape, skin marks, brows, irises and hair stay those of
# the identity.

# %%
viz.show_picture(viz.identity_grid(n_identities, identity_cols, size, seed=seed), "same identity per row", figsize=(14, 2.4 * n_identities))
plt.show()

# %% [markdown]
# ## Age and sex
# Mean faces (`individuality = 0`) of one population: women above, men below, ages 5 to 80. Growth
# follows the published fractions of adult size (the face small under an adult-sized cranium), ageing
# adds jowls, thinner lips, wrinkles and grey hair.

# %%
viz.show_picture(viz.age_sex_sweep(population=sweep_population, size=size), f"{sweep_population}: ages 5, 10, 15, 25, 40, 60, 80", figsize=(14, 4.4))
plt.show()

# %% [markdown]
# Mean adult faces of the five population groups (women above, men below), from the population ratios
# of the anthropometric measurements and typical skin tones.

# %%
viz.show_picture(viz.population_grid(size=size), "african, east_asian, european, middle_eastern, south_asian", figsize=(11, 4.4))
plt.show()

# %% [markdown]
# ## Expressions at three intensities
# Columns: neutral, happy, sad, surprise, anger, disgust, fear (FACS action-unit prototypes); rows:
# `expression_intensity` 0.3, 0.6 and 1.0.

# %%
viz.show_picture(viz.expression_grid((0.3, 0.6, 1.0), size=size), figsize=(14, 6.4))
plt.show()

# %% [markdown]
# ## Scenes and the light they cast
# `synthetic`'s four layered procedural scenes (a room with a window, an office with ceiling lights, a
# street, nature) and two of the stand-ins' (a studio backdrop, a night street). Top row: the face lit
# by the light knobs alone; bottom row: `env_light = 1`, the key light moved to the scene's dominant
# light (the brightest part of the background: direction and colour) and the ambient term taken from
# the scene's first-order irradiance (its colour, and more light on the planes that face its bright
# parts), so subject and scene agree.

# %%
scenes = ("room", "office", "street", "nature", "backdrop", "night")
viz.show_picture(viz.scene_light_grid(size=size, scenes=scenes), ", ".join(scenes) + ": knob light (top) and scene light (bottom)",
                 figsize=(14, 5))
plt.show()

# %% [markdown]
# ## Skin shading
# A side light on a light and a dark skin tone, `skin_oil` 0, 0.5 and 1: wrapped diffuse (light reaches
# past the terminator, red furthest: a cheap stand-in for subsurface scattering) and a sharp sheen lobe on
# oily skin.

# %%
viz.show_picture(viz.skin_grid(size=size), figsize=(8, 5.4))
plt.show()

# %% [markdown]
# ## Scene pools
# The background layer of the first images of each preset: procedural textures, layered scenes and
# photographs. The presets draw from disjoint pools: `synthetic` has rooms, offices, streets and nature,
# `standin_real_a` studio backdrops and press walls, `standin_real_b` interiors, night streets and parks,
# and no two share a photograph.

# %%
for preset in ("synthetic", "standin_real_a", "standin_real_b"):
    label = preset + ("  (STAND-IN, not real data)" if preset.startswith("standin") else "")
    viz.show_picture(viz.scene_pool(preset, 16, 96, seed), label, figsize=(14, 4))
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
