"""Training schedules by name (``SCHEDULES``), run with :func:`run_schedule`.

* ``real_only``: the real subset at ``real_fraction`` (or ``real_size``) only; r = 0 is refused.
* ``synthetic_only``: the synthetic set only.
* ``mixed``: all of the synthetic set plus the real subset, optionally with a batch-norm adapter
  (``adapt.ADAPTERS``): ``dsbn``/``dson`` convert the model and train on domain-homogeneous
  batches, ``adabn`` re-estimates BN statistics on the real subset's images after training. The
  model is evaluated in the real (target) domain.
* ``finetune``: pretrain on the synthetic set with ``config``, then train on the real subset with
  ``finetune`` (its own epochs or step budget and learning rate; with step budgets the case study
  states how it splits its steps between the two stages). The pretrained weights are cached under
  ``cache_dir/pretrain/<hash>.pt``, the hash taken over exactly what determines them (model spec,
  task, synthetic set key, pretrain config identity, seed, device type, package version), so runs
  that differ only in the fine-tune stage or the real subset share one pretraining.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

import casestudies
from casestudies.adapt import Adapter, domain_layers, get_adapter, set_domain
from casestudies.data.loading import make_loader
from casestudies.data.mixing import REAL, RandomBatchSampler, mix, nested_subset
from casestudies.filelock import exclusive
from casestudies.models import ModelSpec
from casestudies.names import lookup
from casestudies.training.engine import (
    Log,
    TrainConfig,
    evaluate,
    fit,
    resolve_device,
    seed_everything,
)
from casestudies.training.tasks import Task

StageHook = Callable[[str, nn.Module], None]


@dataclass
class TrainResult:
    """A trained model (eval mode; DSBN/DSON models set to the real branch), its epoch records, final
    validation metrics and facts about the run."""

    model: nn.Module
    history: list[dict[str, Any]]
    metrics: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunInputs:
    """The resolved inputs of one run (built by :func:`run_schedule`)."""

    schedule: str
    model: ModelSpec
    task: Task
    config: TrainConfig
    finetune: TrainConfig
    synthetic: Dataset | None
    real: Dataset | None
    val: Dataset | None
    real_fraction: float | None
    real_size: int | None
    adapter: Adapter | None
    seed: int
    subset_seed: int
    log: Log | None
    cache_dir: Path | None
    synthetic_key: str | None
    on_stage_start: StageHook | None

    def n_real(self) -> int:
        if self.real is None or (self.real_fraction is None and self.real_size is None):
            return 0
        return len(self.real_subset())

    def real_subset(self) -> Any:
        return nested_subset(
            len(self.real), fraction=self.real_fraction, size=self.real_size, seed=self.subset_seed
        )


# ----------------------------------------------------------------------------------------------
# building blocks


def _require(inputs: RunInputs, synthetic: bool = False, real: bool = False, adapter_ok: bool = False) -> None:
    name = inputs.schedule
    if inputs.adapter is not None and not adapter_ok:
        raise ValueError(f"adapter {inputs.adapter.name!r} applies to the 'mixed' schedule only, not {name!r}")
    if synthetic and inputs.synthetic is None:
        raise ValueError(f"schedule {name!r} needs a synthetic training set")
    if real and inputs.real is None:
        raise ValueError(f"schedule {name!r} needs a real training set")
    if real and inputs.n_real() == 0:
        amount = f"real_fraction={inputs.real_fraction}" if inputs.real_size is None else f"real_size={inputs.real_size}"
        raise ValueError(
            f"schedule {name!r} trains on real images, but {amount} of {len(inputs.real)} leaves none; "
            "r = 0 means synthetic data only: use the 'synthetic_only' schedule (or 'mixed' at r = 0)"
        )


def _real_part(inputs: RunInputs) -> Dataset:
    return mix(real=inputs.real, real_fraction=inputs.real_fraction, real_size=inputs.real_size, seed=inputs.subset_seed)


def _new_model(inputs: RunInputs) -> nn.Module:
    seed_everything(inputs.seed)
    model = inputs.model.build()
    return inputs.adapter.prepare(model, num_domains=2) if inputs.adapter is not None else model


def _train(
    inputs: RunInputs, model: nn.Module, train_set: Dataset, config: TrainConfig, stage: str,
    after: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    hook = inputs.on_stage_start
    return fit(
        model,
        inputs.task,
        train_set,
        config,
        seed=inputs.seed,
        val_set=inputs.val,
        val_domain=REAL if domain_layers(model) else None,
        domain_batches=inputs.adapter is not None and inputs.adapter.domain_batches,
        log=inputs.log,
        stage=stage,
        epoch_offset=after["epoch"] if after else 0,
        step_offset=after.get("step", 0) if after else 0,
        on_start=None if hook is None else (lambda m: hook(stage, m)),
    )


class _Inputs(Dataset):
    """Only the model-input keys of each item (AdaBN sees no labels)."""

    def __init__(self, dataset: Dataset, keys: tuple[str, ...]) -> None:
        self.dataset, self.keys = dataset, keys

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = self.dataset[i]
        return {k: item[k] for k in self.keys}


def _target_batches(inputs: RunInputs) -> Iterator[dict[str, Any]]:
    """The real subset's images, unlabelled, in seeded batches (a trailing single image is dropped)."""
    images = _Inputs(_real_part(inputs), inputs.task.input_keys)
    sampler = RandomBatchSampler(len(images), inputs.config.batch_size, seed=inputs.seed)
    loader = make_loader(images, batch_sampler=sampler, num_workers=inputs.config.num_workers, seed=inputs.seed)
    return iter(loader)


def _finish(inputs: RunInputs, model: nn.Module, history: list[dict[str, Any]], info: dict[str, Any]) -> TrainResult:
    """Run the adapter's post-training step, evaluate on the target domain, log the final record."""
    finalized = inputs.adapter is not None and inputs.adapter.finalize is not None
    if finalized:
        inputs.adapter.finalize(model, _target_batches(inputs), inputs.task.forward)
    metrics: dict[str, float] = {}
    if inputs.val is not None:
        last = history[-1] if history else {}
        if not finalized and any(k.startswith("val_") for k in last):
            # fit validated this very model on ``val`` at its last step: reuse it instead of a second pass
            metrics = {k.removeprefix("val_"): v for k, v in last.items() if k.startswith("val_")}
        else:
            metrics = evaluate(
                model, inputs.task, inputs.val, batch_size=inputs.config.batch_size,
                domain=REAL if domain_layers(model) else None, amp=inputs.config.amp,
            )
        record = {
            "stage": "final",
            "epoch": history[-1]["epoch"] if history else 0,
            "step": history[-1].get("step", 0) if history else 0,
        }
        record.update({f"val_{k}": v for k, v in metrics.items()})
        history.append(record)
        if inputs.log is not None:
            inputs.log(record)
    if domain_layers(model):
        set_domain(model, REAL)  # inference defaults to the target domain's branch
    return TrainResult(model.eval(), history, metrics, info)


# ----------------------------------------------------------------------------------------------
# the fine-tune pretrain cache


def pretrain_key(inputs: RunInputs) -> dict[str, Any]:
    """Exactly what determines the pretrained weights of a ``finetune`` run."""
    return {
        "format": 1,
        "version": casestudies.__version__,
        "model": inputs.model.key(),
        "task": inputs.task.key(),
        "synthetic": inputs.synthetic_key,
        "config": inputs.config.identity(),
        "seed": inputs.seed,
        "device": resolve_device(inputs.config.device).type,
    }


def pretrain_path(inputs: RunInputs) -> Path | None:
    """``cache_dir/pretrain/<sha256[:16]>.pt``, or None when caching is off (no dir or no data key)."""
    if inputs.cache_dir is None or inputs.synthetic_key is None:
        return None
    digest = hashlib.sha256(json.dumps(pretrain_key(inputs), sort_keys=True, default=str).encode()).hexdigest()
    return inputs.cache_dir / "pretrain" / f"{digest[:16]}.pt"


def _atomic_save(obj: Any, path: Path) -> None:
    """Write to a unique temporary name beside ``path``, then rename: readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _pretrained(inputs: RunInputs) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]], dict[str, Any]]:
    """Pretrained state dict and its history: from the cache when present, else trained (and cached)."""
    path = pretrain_path(inputs)
    if path is None:
        return _pretrained_unlocked(inputs)
    # concurrent runs needing the same pretrain wait for the first to write it instead of retraining
    with exclusive(path.with_name(path.name + ".lock")):
        return _pretrained_unlocked(inputs)


def _pretrained_unlocked(inputs: RunInputs) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]], dict[str, Any]]:
    path = pretrain_path(inputs)
    key = pretrain_key(inputs)
    if path is not None and path.exists():
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if ckpt.get("key") == key:
            # the stored curve's val_* numbers were measured on the first run's validation set,
            # which this run may not share: replay the training side only
            history = [{**{k: v for k, v in r.items() if not k.startswith("val_")}, "cached": True}
                       for r in ckpt["history"]]
            for record in history:
                if inputs.log is not None:
                    inputs.log(record)
            return ckpt["state_dict"], history, {"pretrain_checkpoint": str(path), "pretrain_cached": True}
    model = _new_model(inputs)
    history = _train(inputs, model, mix(synthetic=inputs.synthetic), inputs.config, "pretrain")
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    if path is not None:
        _atomic_save({"key": key, "state_dict": state, "history": history}, path)
    return state, history, {"pretrain_checkpoint": None if path is None else str(path), "pretrain_cached": False}


# ----------------------------------------------------------------------------------------------
# the schedules


def _real_only(inputs: RunInputs) -> TrainResult:
    _require(inputs, real=True)
    model = _new_model(inputs)
    return _finish(inputs, model, _train(inputs, model, _real_part(inputs), inputs.config, "train"), {})


def _synthetic_only(inputs: RunInputs) -> TrainResult:
    _require(inputs, synthetic=True)
    model = _new_model(inputs)
    return _finish(inputs, model, _train(inputs, model, mix(synthetic=inputs.synthetic), inputs.config, "train"), {})


def _mixed(inputs: RunInputs) -> TrainResult:
    _require(inputs, synthetic=True, adapter_ok=True)
    n_real = inputs.n_real()
    if inputs.adapter is not None and n_real == 0:
        raise ValueError(
            f"adapter {inputs.adapter.name!r} needs real (target-domain) images, but the real subset is empty "
            f"(real_fraction={inputs.real_fraction}, real_size={inputs.real_size})"
        )
    if inputs.real is None and (inputs.real_fraction or inputs.real_size):
        raise ValueError("schedule 'mixed' with a real fraction or size > 0 needs a real training set")
    if inputs.real is not None and inputs.real_fraction is None and inputs.real_size is None:
        raise ValueError("schedule 'mixed' with a real set needs real_fraction or real_size")
    train_set = mix(
        inputs.synthetic,
        inputs.real if n_real else None,
        real_fraction=inputs.real_fraction,
        real_size=inputs.real_size,
        seed=inputs.subset_seed,
    )
    model = _new_model(inputs)
    return _finish(inputs, model, _train(inputs, model, train_set, inputs.config, "train"), {})


def _finetune(inputs: RunInputs) -> TrainResult:
    _require(inputs, synthetic=True, real=True)
    state, history, info = _pretrained(inputs)
    model = _new_model(inputs)
    model.load_state_dict(state)
    after = history[-1] if history else None
    history = history + _train(inputs, model, _real_part(inputs), inputs.finetune, "finetune", after)
    return _finish(inputs, model, history, info)


SCHEDULES: dict[str, Callable[[RunInputs], TrainResult]] = {
    "real_only": _real_only,
    "synthetic_only": _synthetic_only,
    "mixed": _mixed,
    "finetune": _finetune,
}


def run_schedule(
    schedule: str,
    *,
    model: ModelSpec,
    task: Task,
    config: TrainConfig,
    synthetic: Dataset | None = None,
    real: Dataset | None = None,
    val: Dataset | None = None,
    real_fraction: float | None = None,
    real_size: int | None = None,
    adapter: str | None = None,
    finetune: TrainConfig | None = None,
    seed: int = 0,
    subset_seed: int | None = None,
    log: Log | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    synthetic_key: str | None = None,
    on_stage_start: StageHook | None = None,
) -> TrainResult:
    """Train ``model`` with the named schedule; returns the model, history and final val metrics.

    ``synthetic``/``real``/``val`` are datasets of dict items (``val`` is the real/target domain's
    validation set). The real subset is ``real_fraction`` of ``real`` (or ``real_size`` items), nested
    across fractions for ``subset_seed`` (default ``seed``). ``adapter`` is None/"none" or a name in
    ``adapt.ADAPTERS`` (``mixed`` only). ``finetune`` is the fine-tune stage's config (default
    ``config``). ``synthetic_key`` (default ``synthetic.cache_key`` if the dataset has one) names the
    synthetic set in the pretrain cache key; without it or ``cache_dir`` nothing is cached.
    ``on_stage_start(stage, model)`` runs before each stage's first step. A runnable example is in
    ``casestudies.training``.
    """
    train = lookup("schedule", schedule, SCHEDULES)
    adapt = get_adapter(adapter)
    if real_fraction is not None and real_size is not None:
        raise ValueError("give real_fraction or real_size, not both")
    inputs = RunInputs(
        schedule=schedule,
        model=model,
        task=task,
        config=config,
        finetune=finetune or config,
        synthetic=synthetic,
        real=real,
        val=val,
        real_fraction=real_fraction,
        real_size=real_size,
        adapter=adapt,
        seed=seed,
        subset_seed=seed if subset_seed is None else subset_seed,
        log=log,
        cache_dir=None if cache_dir is None else Path(cache_dir),
        synthetic_key=synthetic_key if synthetic_key is not None else getattr(synthetic, "cache_key", None),
        on_stage_start=on_stage_start,
    )
    result = train(inputs)
    counts = {"n_synthetic": len(synthetic) if schedule != "real_only" and synthetic is not None else 0}
    counts["n_real"] = inputs.n_real() if schedule != "synthetic_only" else 0
    result.info = {
        "schedule": schedule,
        "adapter": None if inputs.adapter is None else inputs.adapter.name,
        "device": resolve_device(config.device).type,
        **counts,
        **result.info,
    }
    return result
