"""Procedural synthetic face generator: 3D-rendered faces with every label (see docs/generator.md)."""

from casestudies.data.synth.knobs import GENERATOR_VERSION, KNOBS, default_params, validate_params
from casestudies.data.synth.presets import PRESETS, get_preset, sample_params
from casestudies.data.synth.render import render_sample

__all__ = ["GENERATOR_VERSION", "KNOBS", "PRESETS", "default_params", "get_preset", "render_sample", "sample_params",
           "validate_params"]
