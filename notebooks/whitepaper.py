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
# This report answers that question for three tasks — face segmentation, background matting and
# facial landmarks — by training the same model on real data, synthetic data, and mixtures of the
# two, and by comparing batch-norm domain adaptation and synthetic pretraining. Every number below
# is read from a run record in `runs/`; the executed notebook of each run is linked from its section.

# %% tags=["parameters", "remove_cell"]
runs_dir = "../runs"  # the run store this report reads (only records, never training code)
selection_file = ""  # JSON file naming the run ids of one profile per case; empty for every run
profile = "default"  # profile the report was built for (shown in the provenance block)
run_pages = "runs"  # relative folder holding each run's rendered notebook
companions = ""  # comma-separated companion pages rendered next to this report, e.g. 00_synthetic_faces
figures_dir = ""  # folder where every figure is also saved as PNG and SVG; empty for none

# %% tags=["remove_cell"]
import pandas as pd
from IPython.display import HTML, Markdown, display

from casestudies import reportparts as rp
from casestudies.aggregate import data_sources, provenance
from casestudies.store import load_records

rp.set_figures_dir(figures_dir or None)
selection = rp.load_selection(selection_file)
records = rp.select(load_records(runs_dir), selection)
failed_all = load_records(runs_dir, include_failed=True)
failed = rp.select(failed_all[failed_all["status"] == "failed"], selection) if not failed_all.empty else failed_all
pd.set_option("display.max_colwidth", 80)

# %% [markdown]
# ## What this report ran on

# %% tags=["hide_input"]
sources = data_sources(records) if not records.empty else pd.DataFrame()
if sources.empty:
    display(Markdown("**No run records yet**: nothing has been trained, so this report shows no results."))
else:
    n_standin = int(sources["stand_in"].sum())
    if n_standin:
        display(Markdown(
            f"**{n_standin} of the {len(sources)} data sources below are generator stand-ins for real "
            "datasets, not real photographs.** Results on them measure the gap between two synthetic "
            "domains, which only approximates the synthetic-to-real gap."
        ))
    display(HTML(sources.to_html(index=False, border=0)))
display(HTML(rp.coverage_table(records, failed).to_html(index=False, border=0)))
if "00_synthetic_faces" in companions.split(","):
    display(Markdown(
        "The synthetic faces and the stand-in presets are shown, layer by layer, in the "
        "[generator gallery](00_synthetic_faces.html)."
    ))

# %% tags=["hide_input"]
for case in rp.cases_in_order(records):
    rp.show_case(records, failed, case, profile, run_pages)

# %% [markdown]
# ## Provenance

# %% tags=["hide_input"]
display(Markdown(f"Built for profile **{profile}** from the records in `{runs_dir}`."))
if not records.empty:
    prov = provenance(records)
    prov["wall time total (s)"] = prov["wall time total (s)"].map(rp.fmt_seconds)
    prov = prov.rename(columns={"wall time total (s)": "wall time total"})
    display(HTML(prov.to_html(index=False, border=0)))
    for line in rp.mixed_code_warnings(records):
        display(Markdown(f"**Mixed code versions:** {line}"))
