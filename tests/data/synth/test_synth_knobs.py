"""Every knob at both ends of its range (every choice) renders a valid sample; presets sample valid params."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data.synth import (
    KNOBS,
    PRESETS,
    default_params,
    render_sample,
    sample_params,
    validate_params,
)
from casestudies.data.synth.backgrounds import SCENES
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS


def _cases():
    for name, k in KNOBS.items():
        for v in (k.choices if k.categorical else (k.lo, k.hi)):
            yield name, v


def _check(s: dict, size: int) -> None:
    assert s["image"].shape == (size, size, 3) and s["image"].dtype == np.uint8
    assert s["seg"].shape == (size, size) and s["seg"].max() < FS.num_classes
    assert s["alpha"].dtype == np.float32 and s["alpha"].min() >= 0 and s["alpha"].max() <= 1
    assert s["foreground"].shape == s["background"].shape == (size, size, 3)
    assert s["landmarks"].shape == (68, 2) and np.isfinite(s["landmarks"]).all()
    assert s["landmarks_visible"].shape == (68,) and s["pupils"].shape == (2, 2)
    assert np.isfinite(s["depth"]).all() and np.isfinite(s["normals"]).all()
    assert s["image"].std() > 5  # not blank
    assert (s["alpha"] > 0.5).mean() > 0.05  # a subject is in frame


@pytest.mark.parametrize("name,value", list(_cases()))
def test_knob_range_ends_render(name, value):
    p = default_params()
    p[name] = value
    _check(render_sample(p, size=48, seed=0), 48)


def test_unknown_or_out_of_range_knobs_fail():
    p = default_params()
    with pytest.raises(ValueError, match="outside"):
        validate_params(p | {"yaw": 500.0})
    with pytest.raises(ValueError, match="unknown"):
        validate_params(p | {"nope": 1})
    with pytest.raises(ValueError, match="valid"):
        validate_params(p | {"glasses": "monocle"})


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_sample_valid_params_and_mark_standins(preset):
    rng = np.random.default_rng(0)
    p = sample_params(preset, rng)
    validate_params(p)
    s = render_sample(p, size=48, seed=1, domain=preset)
    _check(s, 48)
    assert s["meta"]["domain"] == preset
    assert s["meta"]["is_standin"] == preset.startswith("standin")
    assert PRESETS[preset].is_standin == preset.startswith("standin")


def test_no_preset_exaggerates_the_scans_skin_detail():
    # the scan's detail is raised to 0.5 + texture_detail: above 0.5 it is more contrasted than the
    # scan's own skin (standin_real_b drew 0.3-1 before 0.12.0: blotchy skin, and more look-alikes)
    for name in PRESETS:
        rng = np.random.default_rng(3)
        draws = [sample_params(name, rng) for _ in range(300)]
        detail = [p["texture_detail"] for p in draws if p["skin_texture"] == "scan"]
        assert not detail or max(detail) <= 0.5, name


def test_standin_backgrounds_are_disjoint_from_synthetic():
    def pool(name):
        d = PRESETS[name].dists["bg_photo"]
        return {k for k, v in d[1].items() if v > 0}

    assert not pool("synthetic") & pool("standin_real_a")
    assert not pool("synthetic") & pool("standin_real_b")
    assert not pool("standin_real_a") & pool("standin_real_b")

    def scenes(name):  # the layered scenes a preset draws (since 0.11.0 the stand-ins have their own)
        d = PRESETS[name].dists
        if d["background"][0] == "const" and d["background"][1] == "photo":
            return set()
        return {k for k, v in d["bg_pattern"][1].items() if v > 0} & set(SCENES)

    assert scenes("standin_real_a") and scenes("standin_real_b")
    assert not scenes("synthetic") & scenes("standin_real_a")
    assert not scenes("synthetic") & scenes("standin_real_b")
    assert not scenes("standin_real_a") & scenes("standin_real_b")


def test_unknown_preset_lists_valid():
    with pytest.raises(KeyError, match="synthetic"):
        sample_params("nope", np.random.default_rng(0))
