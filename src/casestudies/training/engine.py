"""The training loop: one ``fit`` for every task and schedule, and ``evaluate``.

* Device ``"auto"``: CUDA when present, with autocast (bfloat16 where supported, else float16 with a
  gradient scaler) and channels-last memory; the CPU runs float32, contiguous.
* Determinism: ``fit`` seeds Python, NumPy and torch from ``seed``; batch order comes from seeded
  samplers (``data.mixing``), loader workers are seeded from the loader's own generator
  (``data.loading.make_loader``, the one loader factory), and
  ``torch.use_deterministic_algorithms`` is on during the call (``warn_only``; restored afterwards).
  CPU runs with the same parameters and thread count are bit-identical.
* History: after each epoch one flat dict of scalars is passed to ``log`` (nothing is written to disk).
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
import torch.utils.deterministic
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from casestudies.adapt import domain_layers, set_domain, use_domain
from casestudies.data.loading import make_loader
from casestudies.data.mixing import DOMAIN_POLICIES, DomainBatchSampler, RandomBatchSampler
from casestudies.names import check_names, lookup
from casestudies.training.tasks import Task

Log = Callable[[dict[str, Any]], None]


def _cosine(total_steps: int) -> Callable[[int], float]:
    # lr factor: 1. progress t = step / total in [0, 1]; 2. half a cosine from 1 down to 0
    return lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step / max(total_steps, 1), 1.0)))


LR_SCHEDULES: dict[str, Callable[[int], Callable[[int], float]]] = {
    "constant": lambda total_steps: lambda step: 1.0,
    "cosine": _cosine,  # per step, no warm-up
}

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adamw": lambda params, lr, weight_decay: torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay),
    "sgd": lambda params, lr, weight_decay: torch.optim.SGD(
        params, lr=lr, momentum=0.9, weight_decay=weight_decay, nesterov=True
    ),
}


@dataclass(frozen=True)
class TrainConfig:
    """One training stage. Fields below ``domain_policy`` do not change what is learned."""

    epochs: int = 10  # passes over the training set; ignored when ``steps`` is set
    steps: int | None = None  # optimizer steps of this stage (a budget in steps: epochs follow from it)
    lr: float = 1e-3
    batch_size: int = 8
    optimizer: str = "adamw"  # OPTIMIZERS
    weight_decay: float = 1e-4
    lr_schedule: str = "cosine"  # LR_SCHEDULES, stepped per batch
    grad_clip: float | None = None  # max global gradient norm; None = no clipping
    amp: bool = True  # autocast on CUDA (ignored on the CPU)
    channels_last: bool | None = None  # None: on CUDA only
    deterministic: bool = True
    domain_policy: str = "shuffle"  # data.mixing.DOMAIN_POLICIES, for domain-homogeneous batches
    # -- not part of the result's identity --
    num_workers: int = 0
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", ...
    eval_every: int = 1  # history records between validations (the last one is always validated)
    log_every: int | None = None  # with ``steps``: steps per history record; None = about 10 records
    progress: bool = True  # tqdm bar on stderr

    _NOT_IDENTITY = ("num_workers", "device", "eval_every", "log_every", "progress")

    def __post_init__(self) -> None:
        lookup("optimizer", self.optimizer, OPTIMIZERS)
        lookup("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        lookup("domain_policy", self.domain_policy, DOMAIN_POLICIES)
        if self.epochs < 0 or self.batch_size < 1:
            raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {self.epochs}, {self.batch_size}")
        if self.steps is not None and self.steps < 0:
            raise ValueError(f"need steps >= 0 or None, got {self.steps}")
        if self.log_every is not None and self.log_every < 1:
            raise ValueError(f"need log_every >= 1 or None, got {self.log_every}")

    def total_steps(self, steps_per_epoch: int) -> int:
        """Optimizer steps of the stage: ``steps`` when set, else ``epochs`` x steps per epoch."""
        return self.steps if self.steps is not None else self.epochs * steps_per_epoch

    def record_steps(self, steps_per_epoch: int) -> int:
        """Steps per history record: one epoch, or ``log_every`` (default about a tenth) with ``steps``."""
        if self.steps is None:
            return max(steps_per_epoch, 1)
        return self.log_every or max(1, math.ceil(self.steps / 10))

    def identity(self) -> dict[str, Any]:
        """The fields that determine the trained weights (cache keys use these)."""
        return {k: v for k, v in asdict(self).items() if k not in self._NOT_IDENTITY}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Build from a mapping (e.g. notebook parameters); an unknown key is an error."""
        check_names("TrainConfig key", values, {f.name for f in fields(cls)})
        return cls(**values)


# ----------------------------------------------------------------------------------------------
# device, precision, determinism


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _autocast(device: torch.device, enabled: bool) -> tuple[AbstractContextManager, bool]:
    """(autocast context, needs a gradient scaler) for the device."""
    if device.type != "cuda" or not enabled:
        return nullcontext(), False
    bf16 = torch.cuda.is_bf16_supported()
    dtype = torch.bfloat16 if bf16 else torch.float16
    return torch.autocast("cuda", dtype=dtype), not bf16


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextmanager
def deterministic_algorithms(enabled: bool = True) -> Iterator[None]:
    """``torch.use_deterministic_algorithms`` (warn only) and no cuDNN autotuning, restored on exit.

    PyTorch's NaN-filling of fresh tensors (``fill_uninitialized_memory``, a debugging aid that
    costs about 3 % on a CPU DeepLabV3+ step) is switched off meanwhile.
    """
    fill = torch.utils.deterministic
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
        fill.fill_uninitialized_memory,
    )
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # effective before CUDA starts
        torch.use_deterministic_algorithms(True, warn_only=True)
        fill.fill_uninitialized_memory = False
    torch.backends.cudnn.benchmark = not enabled
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.benchmark = before[2]
        fill.fill_uninitialized_memory = before[3]


def to_device(batch: dict[str, Any], device: torch.device, channels_last: bool) -> dict[str, Any]:
    """Move a batch's tensors; 4-d floating tensors become channels-last when asked."""
    out = {}
    for k, v in batch.items():
        if isinstance(v, Tensor):
            v = v.to(device, non_blocking=True)
            if channels_last and v.dim() == 4 and v.is_floating_point():
                v = v.contiguous(memory_format=torch.channels_last)
        out[k] = v
    return out


# ----------------------------------------------------------------------------------------------
# evaluation


def evaluate(
    model: nn.Module,
    task: Task,
    dataset: Dataset,
    *,
    batch_size: int = 16,
    domain: int | None = None,
    device: torch.device | str | None = None,
    num_workers: int = 0,
    amp: bool = True,
) -> dict[str, float]:
    """Task metrics of ``model`` (eval mode) on ``dataset``: ``task.summarize`` of :func:`evaluation_stats`.

    Domain-specific models use ``domain`` when given, else each batch's ``"domain"`` ids.
    The model's train/eval mode is restored afterwards.
    """
    stats = evaluation_stats(
        model, task, dataset, batch_size=batch_size, domain=domain, device=device,
        num_workers=num_workers, amp=amp,
    )
    return task.summarize(stats)


@torch.no_grad()
def evaluation_stats(
    model: nn.Module,
    task: Task,
    dataset: Dataset,
    *,
    batch_size: int = 16,
    domain: int | None = None,
    device: torch.device | str | None = None,
    num_workers: int = 0,
    amp: bool = True,
) -> dict[str, Tensor]:
    """The task's metric statistics over ``dataset``, concatenated along dim 0 (on the CPU), for
    callers that need more than the flat metrics (e.g. a segmentation confusion matrix)."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    channels_last = device.type == "cuda"
    was_training = model.training
    model.eval()
    layers = domain_layers(model)
    loader = make_loader(dataset, batch_size, num_workers=num_workers, pin_memory=device.type == "cuda")
    cast, _ = _autocast(device, amp)
    stats: dict[str, list[Tensor]] = defaultdict(list)
    fixed = use_domain(model, domain) if layers and domain is not None else nullcontext()
    try:
        with fixed:
            for cpu_batch in loader:
                if layers and domain is None:
                    set_domain(layers, cpu_batch["domain"])
                batch = to_device(cpu_batch, device, channels_last)
                with cast:
                    preds = task.predict(task.forward(model, batch))
                for k, v in task.metric_stats(preds, batch).items():
                    stats[k].append(v.detach().cpu())
    finally:
        model.train(was_training)
    if not stats:
        raise ValueError("evaluate: empty dataset")
    return {k: torch.cat(v) for k, v in stats.items()}


# ----------------------------------------------------------------------------------------------
# training


def fit(
    model: nn.Module,
    task: Task,
    train_set: Dataset,
    config: TrainConfig,
    *,
    seed: int = 0,
    val_set: Dataset | None = None,
    val_domain: int | None = None,
    domain_batches: bool = False,
    log: Log | None = None,
    stage: str = "train",
    epoch_offset: float = 0,
    step_offset: int = 0,
    on_start: Callable[[nn.Module], None] | None = None,
) -> list[dict[str, Any]]:
    """Train ``model`` in place on ``train_set``; returns the history records.

    The stage runs ``config.steps`` optimizer steps when set (epochs then follow from the set size,
    the last one possibly partial), else ``config.epochs`` full epochs. The LR schedule spans the
    stage's steps. ``domain_batches``: draw each batch from one domain (``train_set.domains``
    required); needed by DSBN/DSON models, whose active domain is set from each batch's ``"domain"``
    ids. ``on_start(model)`` runs once, after the model is on its device and before the first step.

    One record per epoch (or per ``config.record_steps`` steps with a step budget): ``stage``,
    ``step`` (global optimizer steps so far, counting from ``step_offset``), ``stage_step``,
    ``epoch`` (global passes over the data so far, counting from ``epoch_offset``; fractional with a
    step budget), ``stage_epoch``, ``images_seen`` (this stage), ``lr`` (at the record's first
    step), ``train_loss`` (mean per image over the record's steps), ``images_per_s``, ``seconds``,
    ``n_train``, and ``val_<metric>`` on validation records.
    """
    device = resolve_device(config.device)
    channels_last = device.type == "cuda" if config.channels_last is None else config.channels_last
    seed_everything(seed)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    layers = domain_layers(model)
    if layers and not domain_batches:
        raise ValueError("model has domain-specific layers: train it with domain_batches=True")
    if domain_batches:
        if not hasattr(train_set, "domains"):
            raise TypeError("domain_batches needs a dataset with per-item .domains (data.mixing.mix)")
        sampler: RandomBatchSampler | DomainBatchSampler = DomainBatchSampler(
            train_set.domains, config.batch_size, seed=seed, policy=config.domain_policy
        )
    else:
        sampler = RandomBatchSampler(len(train_set), config.batch_size, seed=seed)
    steps_per_epoch = len(sampler)
    total = config.total_steps(steps_per_epoch)
    if total and steps_per_epoch == 0:
        raise ValueError(f"no training batch: {len(train_set)} items at batch size {config.batch_size}")
    loader = make_loader(
        train_set, batch_sampler=sampler, num_workers=config.num_workers, seed=seed, pin_memory=device.type == "cuda"
    )
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = OPTIMIZERS[config.optimizer](params, config.lr, config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, LR_SCHEDULES[config.lr_schedule](total))
    cast, use_scaler = _autocast(device, config.amp)
    scaler = torch.amp.GradScaler("cuda") if use_scaler else None
    history: list[dict[str, Any]] = []
    per_record = config.record_steps(steps_per_epoch)
    batches = _epochs_of_batches(loader, sampler)
    step = images_seen = 0
    bar = tqdm(total=total, desc=stage, disable=not config.progress, leave=False)
    with deterministic_algorithms(config.deterministic), bar:
        if on_start is not None:
            on_start(model)
        while step < total:
            # 1. one record's worth of steps (an epoch, or per_record steps with a step budget)
            model.train()
            n_steps = min(per_record, total - step)
            lr = optimizer.param_groups[0]["lr"]
            loss_sum = torch.zeros((), device=device)
            n_images = 0
            t0 = time.perf_counter()
            for _ in range(n_steps):
                cpu_batch = next(batches)
                if layers:
                    set_domain(layers, cpu_batch["domain"])  # refuses a mixed-domain batch
                batch = to_device(cpu_batch, device, channels_last)
                optimizer.zero_grad(set_to_none=True)  # before the forward: old gradients freed first
                with cast:
                    loss = task.loss(task.forward(model, batch), batch)
                if scaler is None:
                    loss.backward()
                    if config.grad_clip is not None:
                        nn.utils.clip_grad_norm_(params, config.grad_clip)
                    optimizer.step()
                else:
                    scaler.scale(loss).backward()
                    if config.grad_clip is not None:
                        scaler.unscale_(optimizer)
                        nn.utils.clip_grad_norm_(params, config.grad_clip)
                    scaler.step(optimizer)
                    scaler.update()
                schedule.step()
                n = _batch_len(cpu_batch)
                loss_sum.add_(loss.detach(), alpha=n)
                n_images += n
                bar.update(1)
            seconds = time.perf_counter() - t0
            step += n_steps
            images_seen += n_images
            # 2. the record; epochs counted in passes over the data (whole numbers without a step budget)
            stage_epoch = step / steps_per_epoch if config.steps is not None else step // steps_per_epoch
            record: dict[str, Any] = {
                "stage": stage,
                "step": step_offset + step,
                "stage_step": step,
                "epoch": epoch_offset + stage_epoch,
                "stage_epoch": stage_epoch,
                "images_seen": images_seen,
                "lr": lr,
                "train_loss": loss_sum.item() / max(n_images, 1),
                "images_per_s": n_images / seconds if seconds > 0 else float("nan"),
                "seconds": seconds,
                "n_train": len(train_set),
            }
            # 3. validation every eval_every records and always on the last
            last = step >= total
            if val_set is not None and ((len(history) + 1) % config.eval_every == 0 or last):
                metrics = evaluate(
                    model, task, val_set, batch_size=config.batch_size, domain=val_domain,
                    num_workers=config.num_workers, amp=config.amp,
                )
                record.update({f"val_{k}": v for k, v in metrics.items()})
            bar.set_postfix(loss=f"{record['train_loss']:.4f}")
            history.append(record)
            if log is not None:
                log(record)
    return history


def _epochs_of_batches(loader: DataLoader, sampler: Any) -> Iterator[Any]:
    """Batches epoch after epoch; each epoch's order is set by ``sampler.set_epoch(epoch)``."""
    epoch = 0
    while True:
        sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


def _batch_len(batch: Mapping[str, Any]) -> int:
    for v in batch.values():
        if isinstance(v, Tensor) and v.dim() > 0:
            return int(v.shape[0])
    raise ValueError("cannot tell the batch size: no tensor in the batch")
