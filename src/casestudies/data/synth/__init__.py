"""Procedural synthetic face generator: 3D-rendered faces with every label (see docs/generator.md)."""

from casestudies.data.synth.knobs import GENERATOR_VERSION, KNOBS, default_params, validate_params
from casestudies.data.synth.render import render_sample

__all__ = ["GENERATOR_VERSION", "KNOBS", "default_params", "render_sample", "validate_params"]
