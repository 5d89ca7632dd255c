"""Preset draws: truncated (not clipped) normals, integer and mixture distributions, identities by seed."""

from __future__ import annotations

import numpy as np

from casestudies.data.synth.presets import IDENTITY_KNOBS, _draw, sample_params


def test_normal_knobs_do_not_pile_up_at_the_range_ends():
    # standin_real_b draws yaw ~ N(0, 30) on [-60, 60]: clipping put 6.5 % of faces at exactly +-60
    rng = np.random.default_rng(0)
    yaws = np.array([_draw("yaw", ("normal", 0, 30), rng) for _ in range(4000)])
    assert np.abs(yaws).max() < 60 and (np.abs(yaws) > 59).mean() < 0.005
    assert 0.26 < (np.abs(yaws) > 30).mean() < 0.31  # the normal shape inside: (0.317 - 0.046) / 0.954 = 0.285
    yaws = [sample_params("standin_real_b", np.random.default_rng(i))["yaw"] for i in range(300)]
    assert not np.isin(np.abs(yaws), [60.0]).any()


def test_integer_and_mixture_distributions():
    rng = np.random.default_rng(1)
    ids = {_draw("identity_seed", ("integer", 0, 4), rng) for _ in range(200)}
    assert ids == {0, 1, 2, 3, 4} and all(isinstance(i, int) for i in ids)
    mix = ("mixture", ((0.6, ("uniform", 0.7, 1.0)), (0.2, ("uniform", 0.1, 0.3)), (0.2, ("const", 0.0))))
    v = np.array([_draw("expression_intensity", mix, rng) for _ in range(3000)])
    assert abs((v >= 0.7).mean() - 0.6) < 0.03 and abs(((v >= 0.1) & (v <= 0.3)).mean() - 0.2) < 0.03
    assert abs((v == 0).mean() - 0.2) < 0.03


def test_identity_seed_fixes_the_person_not_the_picture():
    a = sample_params("synthetic", np.random.default_rng(1), identity_seed=42)
    b = sample_params("synthetic", np.random.default_rng(2), identity_seed=42)
    c = sample_params("synthetic", np.random.default_rng(1), identity_seed=43)
    assert all(a[k] == b[k] for k in IDENTITY_KNOBS)
    assert a["yaw"] != b["yaw"] and a["key_azimuth"] != b["key_azimuth"]
    assert any(a[k] != c[k] for k in IDENTITY_KNOBS)


def test_population_priors_are_joint_and_plausible():
    ps = [sample_params("synthetic", np.random.default_rng(i)) for i in range(400)]
    tone = {pop: np.mean([p["skin_tone"] for p in ps if p["population"] == pop]) for pop in ("african", "european")}
    assert tone["african"] > tone["european"] + 0.4
    kids = [p for p in ps if p["age"] < 16]
    assert kids and all(p["beard"] == 0 and p["stubble"] == 0 for p in kids)
    assert all(p["makeup"] == 0 for p in ps if p["sex"] == 1.0)
    assert all((p["expression"] == "neutral") == (p["expression_intensity"] == 0) for p in ps)
    assert len({p["identity_seed"] for p in ps}) == len(ps)


def test_long_straight_hair_is_straight_in_every_population():
    # African hair was tightly curled (0.75-1) in every cut: long "straight" strands drawn as wire
    ps = [sample_params("synthetic", np.random.default_rng(i)) for i in range(1500)]
    long = [p for p in ps if p["hair_style"] == "long_straight"]
    assert any(p["population"] == "african" for p in long)
    assert all(p["hair_curl"] <= 0.35 for p in long)
    coiled = [p["hair_curl"] for p in ps if p["population"] == "african" and p["hair_style"] in ("short", "buzz")]
    assert coiled and min(coiled) >= 0.75  # short African hair stays coiled


def test_knobs_added_later_leave_the_other_draws_as_they_were(monkeypatch):
    # LATE_KNOBS are drawn after everything else: a seed keeps its person, pose and scene, as it was
    # before they existed (drawn in KNOBS order, the new knob shifted every identity_seed)
    from casestudies.data.synth import presets as P

    now = {pr: sample_params(pr, np.random.default_rng(5)) for pr in ("synthetic", "synthetic_landmarks")}
    monkeypatch.setattr(P, "KNOBS", {k: v for k, v in P.KNOBS.items() if k not in P.LATE_KNOBS})
    monkeypatch.setattr(P, "LATE_KNOBS", ())
    monkeypatch.setattr(P, "validate_params", lambda p: None)
    for pr, p in now.items():
        before = sample_params(pr, np.random.default_rng(5))
        assert before == {k: p[k] for k in before}
        assert set(p) - set(before) == {"shadow_fill"}
