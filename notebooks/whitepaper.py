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
# # Does synthetic face data help computer vision, and how should it be mixed in?
#
# *A re-run, with every number's interval and every conclusion checked, of the case studies in Synthesis AI's
# whitepaper "Synthetic Data Case Studies: It Just Works".* Three tasks — face segmentation, background
# matting and facial landmarks — train the same model on real data, on synthetic faces, and on mixtures of
# the two, with batch-norm domain adaptation and with synthetic pretraining. Every number below, except the
# source's own (labelled as such), is read from a run record in `runs/` (mean and 95 % t-interval over seeds);
# the executed notebook of each run is linked from its section. The source's five claims are checked by a rule stated below, and the verdicts are computed
# from the records, never written by hand.

# %% tags=["parameters", "remove_cell"]
runs_dir = "../runs"  # the run store this report reads (only records, never training code)
selection_file = ""  # JSON file naming the run ids of one profile per case; empty for every run
profile = "default"  # profile the report was built for (shown in the provenance block)
run_pages = "runs"  # relative folder holding each run's rendered notebook
companions = ""  # comma-separated companion pages rendered next to this report, e.g. 00_synthetic_faces
figures_dir = ""  # folder where every figure is also saved as PNG and SVG; empty for none
project_root = ".."  # the project root relative to this notebook; paths are shown relative to it
benchmarks_dir = "../benchmarks/_out"  # where casestudies bench generator wrote bench_generator.json
gallery_size = 96  # render size of the data-generation gallery, pixels; 0 for no gallery
gallery_samples = 1  # renders per generator preset in the gallery

# %% tags=["remove_cell"]
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from casestudies import buildlog, claims, report_budget, source_numbers
from casestudies import report_overview as ov
from casestudies import reportparts as rp
from casestudies.aggregate import provenance
from casestudies.data.synth.disk import cache_root
from casestudies.store import load_records

rp.set_figures_dir(figures_dir or None)
selection = rp.load_selection(selection_file)
records = rp.select(load_records(runs_dir), selection)
failed_all = load_records(runs_dir, include_failed=True)
failed = rp.select(failed_all[failed_all["status"] == "failed"], selection) if not failed_all.empty else failed_all
pd.set_option("display.max_colwidth", 80)
verdicts = claims.evaluate_claims(records, claims.notebook_defaults(Path(project_root) / "notebooks"))
has_gallery_page = "00_synthetic_faces" in companions.split(",")
table = ov.html_table


# %% [markdown]
# ## What was run

# %% tags=["hide_input"]
total = ov.wall_seconds(records) if not records.empty else 0.0
display(Markdown(
    f"Profile **{profile}**, {len(records)} done runs" + (f" and {len(failed)} failed" if len(failed) else "")
    + f" read from `{ov.display_path(runs_dir, project_root)}`; summed run time {rp.fmt_seconds(total)} "
    "(runs execute in parallel, so the sweeps' wall clock is shorter)."
))
if (line := buildlog.build_sentence(Path(runs_dir), profile)) is not None:
    display(Markdown(line + " [Per stage](#provenance)."))
if records.empty:
    display(Markdown("**No run records yet**: nothing has been trained, so this report shows no results; every "
                     "claim below is *not run*."))
elif (line := ov.standin_statement(records)) is not None:
    display(Markdown(line))
display(table(ov.run_facts(records, failed, project_root)))

# %% [markdown]
# ## The source's five claims, checked
#
# Each verdict follows from the records by the rule in [Conclusions](#conclusions): *reproduced*, *not
# reproduced*, *inconclusive*, or *not run* when its runs are missing.

# %% tags=["hide_input"]
display(Markdown("\n".join(v.line() for v in verdicts)))

# %% [markdown]
# Contents: [Data generation](#data-generation) · [Adaptation methods](#adaptation-methods) ·
# the three case studies · [Training budget](#training-budget) · [Conclusions](#conclusions) ·
# [The source's numbers beside ours](#source-numbers) · [Provenance](#provenance)

# %% [markdown]
# <a id="data-generation"></a>
# ## Data generation
#
# The source used a commercial generator; no such service exists here, so the project renders its own faces:
# a procedural 3D head (identity and expression blend shapes, eyeballs with gaze, hair strands, accessories,
# two lights with shadows, photographic or procedural backgrounds, camera noise and JPEG), with every label
# from the same render — RGB, 19-class segmentation, soft alpha, foreground and background layers, 68
# landmarks with visibility, pupils, depth and normals. Two presets, `standin_real_a` and `standin_real_b`,
# **stand in** for real datasets when none is given (scanned skin texture, held-out photo backgrounds,
# degraded cameras, rough human-style labels); they are never called real. Below, image 0 of each preset's set
# as the sweeps generate it, every layer (landmarks: green visible, red hidden).

# %% tags=["hide_input"]
if gallery_size > 0:
    rp.show_figure(ov.gallery_figure(gallery_size, gallery_samples), "whitepaper_generator_gallery")
speed = ov.generator_speed(benchmarks_dir)
display(Markdown(speed or "No generator benchmark recorded (`casestudies bench generator` writes one); "
                 "`docs/generator.md` lists measured figures."))
display(Markdown("The generator's knobs and their ranges (`casestudies.data.synth.knobs.KNOBS`; presets decide how "
                 "each is drawn):"))
display(table(ov.knob_groups()))
if has_gallery_page:
    display(Markdown("Every layer and preset, galleries and an interactive explorer: the "
                     "[generator page](00_synthetic_faces.html)."))

# %% [markdown]
# <a id="adaptation-methods"></a>
# ## Adaptation methods
#
# The `mixed` schedule may adapt batch normalisation to the real (target) domain
# (`casestudies.adapt`; domain 0 = synthetic, 1 = real). The model is always evaluated in the real domain.
#
# - **AdaBN** (Li et al. 2016, "Revisiting Batch Normalization for Practical Domain Adaptation"): train as
#   usual on mixed batches; afterwards, with no labels and no gradients, every BN layer's running mean and
#   variance are replaced by the pooled per-channel statistics of the real training images (exact pooled
#   moments, independent of momentum and batching). Weights are unchanged.
# - **DSBN** (Chang et al. 2019, "Domain-Specific Batch Normalization for Unsupervised Domain Adaptation"):
#   every BN layer becomes one BN per domain — its own running statistics *and* affine parameters — and each
#   training batch comes from one domain, which selects the branch; the test uses the real branch.
# - **DSON** (Seo et al. 2020, "Learning to Optimize Domain Specific Normalization for Domain
#   Generalization"): as DSBN, but each domain's layer normalises with a learned mix of batch and instance
#   statistics, `mu = w0 mu_BN + w1 mu_IN`, `var = v0 var_BN + v1 var_IN`, with per-layer, per-domain softmax
#   weights starting at one half each and trained with the network (weights (1, 0) give BN, (0, 1) IN).
#
# The source also cites AdaIN (Huang and Belongie 2017) as motivation; it is not an option here.

# %% tags=["hide_input"]
ran = []
for case in ("face_segmentation", "background_matting", "facial_landmarks"):
    part = records[records["case"] == case] if not records.empty else records
    col = part["params.adapter"].dropna() if "params.adapter" in part else pd.Series(dtype=object)
    used = sorted({str(a) for a in col} - {"none"})
    ran.append({"case study": ov.TITLES[case], "adapters in its records": ", ".join(used) or
                ("none" if not part.empty else "not run")})
display(table(pd.DataFrame(ran)))

# %% tags=["hide_input"]
for case in rp.cases_in_order(records):
    rp.show_case(records, failed, case, profile, run_pages)

# %% [markdown]
# <a id="training-budget"></a>
# ## Training budget
#
# Within a case every schedule trains for the same number of optimizer steps with the same batch size
# (`finetune` splits them between its two stages), so "images seen" compares data budgets directly. A
# verdict that rests on runs whose validation curve had not flattened says so in the Conclusions.

# %% tags=["hide_input"]
display(Markdown(report_budget.RULE))
for case in ("face_segmentation", "background_matting", "facial_landmarks"):
    part = records[records["case"] == case].dropna(axis=1, how="all") if not records.empty else records
    display(Markdown(f"**{ov.TITLES[case]}** (`{case}`)" + (": *not run*." if part.empty else "")))
    if part.empty:
        continue
    display(table(report_budget.budget_table(part)))
    bad = report_budget.unflattened_runs(part)
    if not bad.empty:
        display(Markdown(f"{len(bad)} of {len(part)} runs had not flattened or were not judged:"))
        display(table(bad))

# %% [markdown]
# <a id="conclusions"></a>
# ## Conclusions
#
# **The rule.** Seeds pair runs: the same seed trains on the same real subset in every schedule. For each
# point a claim covers (a real fraction, a metric, a test or background set), the per-seed difference is taken
# so that positive means the claimed side, and its 95 % interval is Student's t over seeds. A part of a claim
# is *reproduced* when the interval lies on the claimed side at every point, *not reproduced* when it lies on
# the other side at any point, and *inconclusive* otherwise (also with a single seed). A claim is *reproduced*
# when all its parts are, *not reproduced* when any part is, *not run* when none ran, and *inconclusive*
# otherwise — a claim with a part that did not run is at best inconclusive. Claim 2 asks for "about the same"
# gap: the difference of the two relative drops must lie within ±5 percentage points.

# %% tags=["hide_input"]
for v in verdicts:
    claims.show(v)

# %% [markdown]
# <a id="source-numbers"></a>
# ## The source's numbers beside ours
#
# The source's figures are on its own data — CelebAMask-HQ and LaPa with 200k commercial synthetic images,
# DeepLabV3+ with a DRN-56 backbone at 256 px — ours on the data named in *What was run*; the two are set side
# by side, not compared as equals. Our test set A plays CelebAMask-HQ's role (the real training set's own
# domain), test set B LaPa's.

# %% tags=["hide_input"]
display(Markdown(f"**The source's** face-segmentation mIoU ({source_numbers.SOURCE}; {source_numbers.SOURCE_SETUP}); "
                 "trained on CelebAMask-HQ, by real fraction (syn + real at 0 % is synthetic only):"))
display(table(source_numbers.source_segmentation_table()))
ours = source_numbers.our_segmentation_table(records)
if ours.empty:
    display(Markdown("**Ours**: face segmentation *not run*."))
else:
    display(Markdown("**Ours**, trained on real set A, mean ± 95 % CI over seeds (syn + real = `mixed` without "
                     "adapter; at 0 % `synthetic_only`; gain = paired per-seed difference):"))
    display(table(ours))
display(Markdown("Domain gaps: relative mIoU drop from the in-domain model (real only, 100 %) — the source's and ours:"))
display(table(source_numbers.domain_gap_table(records)))

# %% [markdown]
# <a id="provenance"></a>
# ## Provenance

# %% tags=["hide_input"]
display(Markdown(f"Built for profile **{profile}** from the records in `{ov.display_path(runs_dir, project_root)}`."))
if not records.empty:
    prov = provenance(records)
    prov["wall time total (s)"] = prov["wall time total (s)"].map(rp.fmt_seconds)
    prov = prov.rename(columns={"wall time total (s)": "wall time total"})
    display(HTML(prov.to_html(index=False, border=0)))
    for line in rp.mixed_code_warnings(records):
        display(Markdown(f"**Mixed code versions:** {line}"))
    cost = buildlog.run_cost_table(records)
    if not cost.empty:
        total_wall, total_fixed = cost["run time (s)"].sum(), cost["fixed (s)"].sum()
        display(Markdown(
            "Where the runs' time went (summed over runs, wall clock): training, test evaluation, the notebooks' "
            "figures, one-off data work inside the first runs (sets rendered, mattes refined, or waited for), "
            "and the fixed cost of a run (kernel start, imports, data preparation, papermill): "
            f"**{total_fixed / total_wall:.1%}** of the summed run time is fixed cost."))
        display(table(cost))
stages = buildlog.stage_table(Path(runs_dir), cache_root(), profile)
if not stages.empty:
    display(Markdown("Build stages of `make report` (wall clock; from `runs/build_log.jsonl`): the first build "
                     "logged in this run store (the one that ran every sweep, unless the store was filled "
                     "otherwise) and the latest one that wrote this page."))
    display(table(stages))
