"""Notebook pictures of the generator."""

from __future__ import annotations

import numpy as np

from casestudies.data.synth import viz


def test_notebook_scene_and_skin_pictures():
    g = viz.scene_light_grid(size=32)
    assert g.shape == (64, 128, 3)
    # the scene-lit row differs from the knob-lit row: the light followed the scene
    assert np.abs(g[:32].astype(int) - g[32:].astype(int)).mean() > 0.5
    assert viz.skin_grid(size=32).shape == (64, 96, 3)
