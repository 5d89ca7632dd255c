from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from casestudies.adapt import DomainBatchNorm2d, DomainOptimizedNorm2d, domain_layers
from casestudies.data.mixing import subset_size
from casestudies.names import UnknownNameError
from casestudies.training import SCHEDULES, run_schedule
from casestudies.training.schedules import RunInputs, pretrain_key


def _run(toy, schedule, **kw):
    args = dict(model=toy.spec, task=toy.task, config=toy.config, synthetic=toy.synthetic, real=toy.real, val=toy.val)
    return run_schedule(schedule, **{**args, **kw})


@pytest.mark.parametrize(
    ("schedule", "adapter", "stages", "layer"),
    [
        ("real_only", None, ["train", "train", "final"], None),
        ("synthetic_only", None, ["train", "train", "final"], None),
        ("mixed", None, ["train", "train", "final"], None),
        ("mixed", "adabn", ["train", "train", "final"], None),
        ("mixed", "dsbn", ["train", "train", "final"], DomainBatchNorm2d),
        ("mixed", "dson", ["train", "train", "final"], DomainOptimizedNorm2d),
        ("finetune", None, ["pretrain", "pretrain", "finetune", "final"], None),
    ],
)
def test_end_to_end(toy, schedule, adapter, stages, layer):
    log: list[dict] = []
    finetune = replace(toy.config, epochs=1, lr=1e-3)
    result = _run(toy, schedule, adapter=adapter, real_fraction=0.25, finetune=finetune, log=log.append)
    assert [r["stage"] for r in result.history] == stages and log == result.history
    assert [r["epoch"] for r in result.history[:-1]] == list(range(1, len(stages)))
    assert 0.0 <= result.metrics["miou"] <= 1.0 and result.history[-1]["val_miou"] == result.metrics["miou"]
    n_real = subset_size(len(toy.real), 0.25)
    expected_train = {
        "real_only": n_real, "synthetic_only": len(toy.synthetic), "mixed": len(toy.synthetic) + n_real,
    }.get(schedule, n_real)
    assert result.history[-2]["n_train"] == expected_train
    assert result.info["schedule"] == schedule and result.info["adapter"] == adapter
    kinds = {type(m) for m in domain_layers(result.model)}
    assert kinds == ({layer} if layer else set())
    assert not result.model.training and all(m.domain == 1 for m in domain_layers(result.model))


def test_adabn_schedule_sets_real_statistics(toy):
    plain = _run(toy, "mixed", real_fraction=0.5, seed=1)
    adapted = _run(toy, "mixed", adapter="adabn", real_fraction=0.5, seed=1)
    a, b = plain.model.state_dict(), adapted.model.state_dict()
    changed = {k for k in a if not torch.equal(a[k], b[k])}
    assert changed and all(k.endswith(("running_mean", "running_var", "num_batches_tracked")) for k in changed)


def test_refusals_are_clear(toy):
    with pytest.raises(ValueError, match="synthetic_only"):
        _run(toy, "real_only", real_fraction=0.0)
    with pytest.raises(ValueError, match="synthetic_only"):
        _run(toy, "finetune", real_size=0)
    with pytest.raises(UnknownNameError, match=r"valid: 'finetune', 'mixed', 'real_only', 'synthetic_only'"):
        _run(toy, "hybrid", real_fraction=0.5)
    with pytest.raises(UnknownNameError, match=r"unknown adapter .*; valid: 'adabn', 'dsbn', 'dson', 'none'"):
        _run(toy, "mixed", adapter="coral", real_fraction=0.5)
    with pytest.raises(ValueError, match="'mixed' schedule only"):
        _run(toy, "real_only", adapter="dsbn", real_fraction=0.5)
    with pytest.raises(ValueError, match="needs real"):
        _run(toy, "mixed", adapter="dsbn", real_fraction=0.0)
    with pytest.raises(ValueError, match="not both"):
        _run(toy, "mixed", real_fraction=0.5, real_size=3)
    assert set(SCHEDULES) == {"real_only", "synthetic_only", "mixed", "finetune"}


def test_mixed_at_zero_is_synthetic_only(toy, without_timing):
    a = _run(toy, "mixed", real_fraction=0.0)
    b = _run(toy, "synthetic_only", real_fraction=0.0)
    assert without_timing(a.history) == without_timing(b.history)
    assert a.info["n_real"] == 0


def test_finetune_starts_from_the_cached_pretrain_weights(toy, tmp_path):
    starts: dict[str, dict] = {}

    def capture(stage, model):
        starts[stage] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    ft = replace(toy.config, epochs=1, lr=1e-3)
    first = _run(toy, "finetune", real_fraction=0.5, finetune=ft, cache_dir=tmp_path, on_stage_start=capture)
    path = first.info["pretrain_checkpoint"]
    assert first.info["pretrain_cached"] is False and path.startswith(str(tmp_path))
    ckpt = torch.load(path, weights_only=True)
    # before the first fine-tune step every parameter equals the pretrained checkpoint ...
    assert all(torch.equal(starts["finetune"][k], ckpt["state_dict"][k]) for k in ckpt["state_dict"])
    # ... which is not the initial model, and fine-tuning then moves it
    assert not torch.equal(starts["pretrain"]["0.0.weight"], ckpt["state_dict"]["0.0.weight"])
    assert not torch.equal(first.model.state_dict()["0.0.weight"], ckpt["state_dict"]["0.0.weight"])

    # a run differing only in the fine-tune stage and the real subset reuses the checkpoint
    mtime = torch.load(path, weights_only=True)["history"], (tmp_path / "pretrain").stat().st_mtime_ns
    starts.clear()
    log: list[dict] = []
    second = _run(
        toy, "finetune", real_fraction=0.25, finetune=replace(ft, lr=5e-3), cache_dir=tmp_path,
        on_stage_start=capture, log=log.append,
    )
    assert second.info["pretrain_cached"] is True and second.info["pretrain_checkpoint"] == path
    assert "pretrain" not in starts  # no pretraining happened
    assert all(torch.equal(starts["finetune"][k], ckpt["state_dict"][k]) for k in ckpt["state_dict"])
    assert [r.get("cached", False) for r in log] == [True, True, False, False]
    assert not any(k.startswith("val_") for r in log if r.get("cached") for k in r)  # not replayed
    assert (tmp_path / "pretrain").stat().st_mtime_ns == mtime[1]
    assert [p.name for p in (tmp_path / "pretrain").glob("*.pt")] == [first.info["pretrain_checkpoint"].split("/")[-1]]


def test_concurrent_finetunes_pretrain_once(toy, tmp_path):
    """Two runs needing the same pretrain at once: one trains it, the other waits and reuses it."""
    import threading

    pretrains = []
    ft = replace(toy.config, epochs=1, lr=1e-3)
    results = {}

    def one(name, fraction):
        results[name] = _run(toy, "finetune", real_fraction=fraction, finetune=ft, cache_dir=tmp_path,
                             on_stage_start=lambda stage, model: pretrains.append(stage) if stage == "pretrain" else None)

    threads = [threading.Thread(target=one, args=(n, f)) for n, f in (("a", 0.25), ("b", 0.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert pretrains == ["pretrain"]
    assert sorted(r.info["pretrain_cached"] for r in results.values()) == [False, True]


def _inputs(toy, **kw) -> RunInputs:
    base = dict(
        schedule="finetune", model=toy.spec, task=toy.task, config=toy.config, finetune=toy.config,
        synthetic=toy.synthetic, real=toy.real, val=toy.val, real_fraction=0.5, real_size=None,
        adapter=None, seed=0, subset_seed=0, log=None, cache_dir=None, synthetic_key="syn-a",
        on_stage_start=None,
    )
    return RunInputs(**{**base, **kw})


def test_pretrain_key_covers_exactly_what_determines_the_weights(toy):
    key = pretrain_key(_inputs(toy))
    same = [
        dict(finetune=replace(toy.config, lr=0.5)), dict(real_fraction=0.1), dict(subset_seed=9),
        dict(config=replace(toy.config, num_workers=2, progress=True, eval_every=5)),
    ]
    for kw in same:
        assert pretrain_key(_inputs(toy, **kw)) == key, kw
    different = [
        dict(config=replace(toy.config, lr=0.5)), dict(config=replace(toy.config, epochs=3)), dict(seed=1),
        dict(synthetic_key="syn-b"), dict(model=replace(toy.spec, kwargs={"classes": 3, "width": 8})),
        dict(task=replace(toy.task, num_classes=3, class_names=None)),
    ]
    for kw in different:
        assert pretrain_key(_inputs(toy, **kw)) != key, kw
