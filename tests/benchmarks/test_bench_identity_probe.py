"""The identity probe's knob overrides: parsed with errors that name the bad item, applied to the
preset's draws (no dlib needed)."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data.synth.presets import PRESETS, sample_params
from tests.benchmarks.scripts import load_benchmark

probe = load_benchmark("identity_probe")


def test_set_parses_knob_and_distribution() -> None:
    assert probe.parse_set(['individuality=["const", 1.0]', "fringe=[\"uniform\", 0, 0.5]"]) == {
        "individuality": ["const", 1.0], "fringe": ["uniform", 0, 0.5]}
    for bad, why in (("individuality", "KNOB=DIST"), ("fringe=[uniform]", "not JSON"), ("fringe=[1]", "JSON list")):
        with pytest.raises(ValueError, match=why) as e:
            probe.parse_set([bad])
        assert bad in str(e.value)


def test_overrides_change_the_draw_and_name_unknown_knobs(monkeypatch) -> None:
    monkeypatch.setitem(PRESETS["standin_real_a"].__dict__, "dists", dict(PRESETS["standin_real_a"].dists))
    before = sample_params("standin_real_a", np.random.default_rng(3))
    probe.apply_overrides("standin_real_a", {"individuality": ["const", 1.0], "fringe": ["uniform", 0.9, 1.0]})
    after = sample_params("standin_real_a", np.random.default_rng(3))
    assert after["individuality"] == 1.0 and after["fringe"] >= 0.9
    # a draw of the same kind keeps the other knobs' draws: the probe stays paired
    assert after["yaw"] == before["yaw"] and after["identity_seed"] == before["identity_seed"]
    with pytest.raises(KeyError, match="nope"):
        probe.apply_overrides("standin_real_a", {"nope": ["const", 1.0]})
