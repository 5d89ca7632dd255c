"""Shared 64-px renders for the generator tests (seeded, built in code)."""

from __future__ import annotations

import pytest

from casestudies.data.synth import default_params, render_sample
from tests.data.synth.synth_fixtures import SIZE, bare_params


@pytest.fixture(scope="session")
def frontal() -> dict:
    return render_sample(bare_params(), size=SIZE, seed=1, domain="synthetic")


@pytest.fixture(scope="session")
def hairy() -> dict:
    p = default_params()
    p.update(hair_length=0.25, hair_density=1.0, face_size=0.6)
    return render_sample(p, size=SIZE, seed=2, domain="synthetic")
