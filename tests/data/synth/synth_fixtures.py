"""Seeded builders shared by the generator tests (64-px renders built in code)."""

from __future__ import annotations

from casestudies.data.synth import default_params

SIZE = 64


def bare_params(**kw) -> dict:
    """A frontal, bald, accessory-free face (near-symmetric), with overrides."""
    p = default_params()
    p.update(hair_density=0.0, beard=0.0, face_size=0.65, shadows="off", blur=0.0, noise=0.0)
    p.update(kw)
    return p
