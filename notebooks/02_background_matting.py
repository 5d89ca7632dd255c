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
# # Case study 2: background matting
#
# A BackgroundMattingV2-style model (Lin et al. 2020: MobileNetV2 base on a downsampled image +
# clean-plate pair, then a refiner on full-resolution patches) trained on real, synthetic or mixed
# composites, with batch-norm adaptation, refined or rough real mattes, or synthetic pretraining and
# real fine-tuning. One run = one schedule and one seed; the whitepaper aggregates the runs.
#
# Data (embedded default): the *real* set is the generator's `standin_real_a` preset, a **stand-in**
# for a real portrait set, with human-style rough mattes (its exact alpha is kept aside to measure
# label quality only); the *synthetic* set is the generator's clean `synthetic` preset with exact
# alpha and foreground, about a third the size of the real set; the *test* set is a held-out
# `standin_real_a` split with exact alpha, composited on two background sets: training-style
# backgrounds (`bg_train`) and held-out photographs no training image used (`bg_photo`). The `paper`
# profile reads AISegment (real) and PhotoMatte85 (test) instead.

# %% tags=["parameters"]
schedule = "real_only"  # real_only | synthetic_only | mixed | finetune
adapter = "none"  # none, or adabn / dsbn / dson (mixed only)
real_fraction = 1.0  # share of the real training set used (mixed: plus the whole synthetic set)
seed = 0  # initialisation, batch order, augmentation and the nested real subset
refine_mattes = True  # real training mattes re-solved with pymatting (the whitepaper refined its real mattes)
refine_trimap_px = 3  # half-width of the unknown band around the rough matte's edge for refinement, px
real_dataset = "standin_real_a"  # generator stand-in preset, or the reader aisegment_matting
real_root = ""  # folder of the real reader (unused for the stand-in)
test_dataset = "standin_real_a"  # held-out stand-in split with exact alpha, or the reader photomatte85
test_root = ""  # folder of the test reader (unused for the stand-in)
image_size = 96  # composite side, px (divisible by 4); set by the CPU budget (docs/background_matting.md)
base_scale = 0.25  # base network input scale (BGMv2 uses 1/4 for HD training)
refine_patches = 64  # 4x4 patches the refiner re-predicts per image in training (sampling mode)
n_real = 240  # real training images (stand-in), or a cap on the reader's train split (0: all)
n_val = 16  # real validation images (training curve only; never used for the reported metrics)
n_test = 40  # test images per background set (stand-in), or a cap on PhotoMatte85 (0: all)
synthetic_share = 0.333  # synthetic set size as a share of the real set (whitepaper ~10k vs ~30k)
data_seed = 0  # seed of the generated sets and of the evaluation composites
steps = 90  # optimizer steps of every schedule (finetune splits them); set by the CPU budget
finetune_pretrain_share = 0.5  # share of the step budget spent on synthetic pretraining (finetune)
batch_size = 8  # images per step, every schedule
lr = 0.0005  # AdamW learning rate, cosine decay per step
weight_decay = 0.0001  # AdamW weight decay
records = 6  # history records per stage (validation on every other one and on the last)
prep_workers = 2  # processes for generating the sets (once, cached)
baseline_threshold = 0.1  # trivial baseline: alpha is 1 where the max RGB difference of image and plate exceeds this
gallery_items = 2  # hair crops stored for the whitepaper's gallery
gallery_crop = 48  # side of each gallery crop, px

# %%
import base64
import io
import time

import numpy as np
from PIL import Image

from casestudies import runlog
from casestudies.adapt import domain_layers
from casestudies.budget import training_summary
from casestudies.data.composites import MattingComposites, background_image, check_disjoint
from casestudies.data.matting import composite, evaluation_trimap
from casestudies.data.matting_sets import generator_mattes, hair_crops, reader_mattes, split_blocks
from casestudies.data.mixing import REAL
from casestudies.data.refine import labelled_set
from casestudies.data.synth.disk import cache_root
from casestudies.metrics.matting import gradient_error, sad
from casestudies.models import ModelSpec
from casestudies.training.engine import TrainConfig, evaluate
from casestudies.training.matting import MattingTask, evaluate_baseline
from casestudies.training.schedules import run_schedule

run = runlog.current()
check_disjoint()
t_start = time.process_time()
cache = cache_root().parent
standin = real_dataset == "standin_real_a"
run.set_data_sources({
    "train_real": "standin_real_a (stand-in), rough mattes" if standin else f"{real_dataset} ({real_root})",
    "train_synthetic": "generator synthetic preset, exact alpha and foreground",
    "test": "standin_real_a held-out split (stand-in), exact alpha" if test_dataset == "standin_real_a"
    else f"{test_dataset} ({test_root})",
    "backgrounds": "bg_train: generator textures + synthetic photo pool; bg_photo: held-out photos",
})

# %% [markdown]
# ## Data: real, synthetic and test mattes
# Stand-in sets come from the generator's cache (made on first use). Real mattes are turned into
# training labels: foreground colours estimated from the photograph and the matte, after
# re-solving the matte with closed-form matting when `refine_mattes` is on (cached).

# %%
with run.timer("data"):
    if standin:
        pool = generator_mattes("standin_real_a", n_real + n_val + n_test, image_size, data_seed, rough=True,
                                workers=prep_workers)
        train_b, val_b, test_b = split_blocks(len(pool), (n_real / len(pool), n_val / len(pool), 1.0))
        real_src, val_src = pool.take(train_b, "train"), pool.take(val_b, "val")
        test_src = pool.take(test_b, "test") if test_dataset == "standin_real_a" else None
    else:
        real_src = reader_mattes(real_dataset, real_root, "train", image_size, n_real)
        val_src = reader_mattes(real_dataset, real_root, "val", image_size, n_val)
        test_src = None
    if test_src is None:
        test_src = reader_mattes(test_dataset, test_root, "test", image_size, n_test)
    n_synth = max(2, round(synthetic_share * len(real_src)))
    synth_src = generator_mattes("synthetic", n_synth, image_size, data_seed, rough=False, workers=prep_workers)

    labels = {}
    for variant in (False, True):
        alphas, fgs, hit = labelled_set(real_src.images, real_src.mattes, source_key=real_src.key, refine=variant,
                                        trimap_px=refine_trimap_px, cache_dir=cache)
        labels[variant] = (alphas, fgs)
        print(f"real labels ({'refined' if variant else 'rough'}): {'cache' if hit else 'computed'}")
    train_alphas, train_fgs = labels[refine_mattes]


def label_quality(alphas: np.ndarray) -> dict:
    """Mean SAD and Grad of training labels against the exact alpha, in its unknown band."""
    rows = []
    for a, exact in zip(alphas, real_src.exact):
        band = evaluation_trimap(exact) == 128
        rows.append((sad(a, exact, band), gradient_error(a, exact, band)))
    return dict(zip(("sad", "grad"), np.mean(rows, 0).tolist()))


label_metrics = None
if real_src.exact is not None:
    label_metrics = {"rough": label_quality(labels[False][0]), "refined": label_quality(labels[True][0])}
    print("label quality vs exact alpha:", label_metrics)
print(f"real {len(real_src)}, synthetic {len(synth_src)}, val {len(val_src)}, test {len(test_src)}")

# %% [markdown]
# ## Composites
# Training composites draw a fresh background and augmentation each time an item is drawn;
# validation and test composites are fixed. The val set uses exact alpha where the source has it.

# %%
real_train = MattingComposites(train_fgs, train_alphas, "bg_train", seed=data_seed * 1000 + 1,
                               pool_size=256, cache_key=real_src.key)
synth_train = MattingComposites(synth_src.foregrounds, synth_src.mattes, "bg_train", seed=data_seed * 1000 + 2,
                                pool_size=256, cache_key=f"{synth_src.key}/bg_train")
if val_src.exact is not None:
    val_alpha, val_fg = val_src.exact, val_src.foregrounds
else:  # a reader without exact alpha: its own mattes and estimated foregrounds
    val_alpha, val_fg, _ = labelled_set(val_src.images, val_src.mattes, source_key=val_src.key, refine=False,
                                        cache_dir=cache)
val_set = MattingComposites(val_fg, val_alpha, "bg_train", seed=data_seed * 1000 + 3, train=False)
test_fg = test_src.foregrounds if test_src.foregrounds is not None else test_src.images
test_sets = {
    kind: MattingComposites(test_fg, test_src.exact, kind, seed=data_seed * 1000 + 4, train=False)
    for kind in ("bg_train", "bg_photo")
}

# %% [markdown]
# ## Training
# Every schedule gets `steps` optimizer steps at `batch_size`; `finetune` spends
# `finetune_pretrain_share` of them on synthetic pretraining and the rest on the real subset.

# %%
log_every = max(1, steps // records)
pre_steps = round(finetune_pretrain_share * steps) if schedule == "finetune" else steps
common = dict(lr=lr, batch_size=batch_size, weight_decay=weight_decay, log_every=log_every, eval_every=2,
              progress=False)
config = TrainConfig(steps=pre_steps, **common)
finetune = TrainConfig(steps=steps - pre_steps, **common) if schedule == "finetune" else None
spec = ModelSpec("background_matting", "bgmv2_mobilenetv2",
                 {"base_scale": base_scale, "refine_patches": refine_patches})
t_train = time.process_time()
with run.timer("train"):
    result = run_schedule(
        schedule, model=spec, task=MattingTask(), config=config, finetune=finetune,
        synthetic=synth_train, real=real_train, val=val_set,
        real_fraction=None if schedule == "synthetic_only" else real_fraction,
        adapter=adapter, seed=seed, log=run.log, cache_dir=cache,
        synthetic_key=f"{synth_train.cache_key}/seed{data_seed}",
    )
train_cpu_s = time.process_time() - t_train
model = result.model
print(result.info)

# %% [markdown]
# ## Test: both background sets, and the trivial baseline

# %%
with run.timer("test"):
    domain = REAL if domain_layers(model) else None
    test_metrics = {kind: evaluate(model, MattingTask(), ds, batch_size=batch_size, domain=domain)
                    for kind, ds in test_sets.items()}
    baseline = {kind: evaluate_baseline(ds, baseline_threshold) for kind, ds in test_sets.items()}
for kind in test_sets:
    print(kind, {k: round(v, 4) for k, v in test_metrics[kind].items()})
    print(f"  baseline (|I - B| > {baseline_threshold})", {k: round(v, 4) for k, v in baseline[kind].items()})

# %% [markdown]
# ## Gallery: predicted mattes on hair, composited on a new background

# %%
import torch  # noqa: E402


def png_b64(rgb: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode()


photo_set = test_sets["bg_photo"]
crops = hair_crops(list(test_src.exact), gallery_items, gallery_crop)
gallery = []
new_bg = background_image("bg_photo", image_size, data_seed + 777, 0)
model.eval()
with torch.no_grad():
    for i, top, left in crops:
        item = photo_set[i]
        out = model(item["image"][None], item["background"][None])
        pha = out["pha"][0, 0].numpy()
        fgr = (out["fgr"][0].numpy().transpose(1, 2, 0) * 255).round().astype(np.uint8)
        comp = composite(fgr, pha, new_bg)[top:top + gallery_crop, left:left + gallery_crop]
        gallery.append(png_b64(np.ascontiguousarray(comp)))

# %%
summary = training_summary(result.history, "mse", higher_is_better=False)
metrics = {**test_metrics, "baseline": baseline, "train": summary, "gallery": {"bg_photo": gallery}}
if label_metrics is not None:
    metrics["labels"] = label_metrics
metrics["throughput"] = {
    "train_cpu_s": train_cpu_s,
    "cpu_s_per_step": train_cpu_s / max(summary["steps"], 1),
    "images_per_cpu_s": summary["images_seen"] / max(train_cpu_s, 1e-9),
    "run_cpu_s": time.process_time() - t_start,
}
run.set_metrics(metrics)
run.set("info", {k: v for k, v in result.info.items() if isinstance(v, (int, float, str, bool)) or v is None})
print(summary)
print(metrics["throughput"])
