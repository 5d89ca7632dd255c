"""Build the HTML whitepaper: execute ``notebooks/whitepaper.py`` on the records, render it and every
run's executed notebook with nbconvert (cells tagged ``hide_input`` lose their input, cells tagged
``remove_cell`` disappear), into ``report/_build/``. Images are embedded, so the HTML is one file
(plus the linked per-run pages). No torch here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import casestudies
from casestudies.params import ParameterError, resolve
from casestudies.project import Project
from casestudies.store import NOTEBOOK, atomic_write_json, atomic_write_text, iter_runs

WHITEPAPER = "whitepaper.py"
# Notebooks rendered next to the whitepaper and linked from it (executed with their own defaults).
COMPANIONS = ("00_synthetic_faces",)


def html_exporter(hide_parameters: bool = True):
    """An nbconvert HTML exporter honouring the report's cell tags, with images embedded.

    ``hide_parameters=False`` keeps papermill's injected-parameters cell (run pages show what ran).
    """
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    removed = ("remove_cell", "injected-run-context") + (("injected-parameters",) if hide_parameters else ())
    c.TagRemovePreprocessor.remove_cell_tags = removed
    c.TagRemovePreprocessor.remove_input_tags = ("hide_input",)
    c.TagRemovePreprocessor.remove_all_outputs_tags = ("remove_output",)
    c.HTMLExporter.embed_images = True
    exporter = HTMLExporter(config=c)
    exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    return exporter


def render_html(nb_path: Path, out_path: Path, hide_parameters: bool = True) -> None:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    body, _ = html_exporter(hide_parameters).from_notebook_node(nb)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_path, body)


def whitepaper_source(proj: Project) -> Path:
    """``<root>/notebooks/whitepaper.py``, else the one next to the installed package (editable installs)."""
    for cand in (proj.notebooks / WHITEPAPER, Path(casestudies.__file__).resolve().parents[2] / "notebooks" / WHITEPAPER):
        if cand.exists():
            return cand
    raise FileNotFoundError(f"{proj.notebooks / WHITEPAPER} not found")


def selection_for(proj: Project, profile: str) -> dict[str, list[str]]:
    """Run ids each case's params plan at ``profile`` (cases whose plan fails to resolve keep all runs)."""
    sel = {}
    for case in proj.cases():
        try:
            plan = resolve(case, proj.notebook(case), proj.params_file(case), profile)
        except (ParameterError, KeyError):
            continue
        sel[case] = [rid for rid, _ in plan.runs]
    return sel


def build_report(
    proj: Project, profile: str = "default", out_dir: Path | None = None, run_pages: bool = True,
    progress: bool = True, companions: bool = True,
) -> Path:
    """Render the whitepaper, the per-run pages and the companion notebooks it links to; returns its path."""
    import jupytext
    import papermill as pm
    from tqdm.auto import tqdm

    out = Path(out_dir or proj.build).resolve()
    out.mkdir(parents=True, exist_ok=True)
    selection = selection_for(proj, profile)
    atomic_write_json(out / "selection.json", selection)

    # 1. one HTML page per run (done or failed), re-rendered only when its notebook changed
    runs = [
        rs for rs in iter_runs(proj.runs)
        if rs.state in ("done", "failed") and (rs.case not in selection or rs.run_id in selection[rs.case])
        and (rs.path / NOTEBOOK).exists()
    ]
    if run_pages:
        for rs in tqdm(runs, desc="run pages", unit="page", disable=not progress or not runs):
            page = out / "runs" / rs.case / f"{rs.run_id}.html"
            if not page.exists() or page.stat().st_mtime < (rs.path / NOTEBOOK).stat().st_mtime:
                render_html(rs.path / NOTEBOOK, page, hide_parameters=False)

    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")

    # 2. companion notebooks (e.g. the generator gallery) executed with their defaults
    built = []
    if companions:
        for name in COMPANIONS:
            src = proj.notebooks / f"{name}.py"
            if src.exists():
                executed = out / f"{name}.ipynb"
                pm.execute_notebook(
                    jupytext.read(src), str(executed), kernel_name="python3", progress_bar=progress,
                    log_output=False, cwd=str(src.parent), extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
                render_html(executed, out / f"{name}.html")
                built.append(name)

    # 3. execute the whitepaper notebook on the records, then render it
    src = whitepaper_source(proj)
    nb = jupytext.read(src)
    executed = out / "whitepaper.ipynb"
    pm.execute_notebook(
        nb, str(executed), kernel_name="python3", progress_bar=progress, log_output=False, cwd=str(src.parent),
        parameters={"runs_dir": str(proj.runs), "selection_file": str(out / "selection.json"), "profile": profile,
                    "run_pages": "runs", "companions": ",".join(built), "figures_dir": str(out / "figures")},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    html_path = out / "whitepaper.html"
    render_html(executed, html_path)
    atomic_write_text(out / "build.json", json.dumps({"profile": profile, "runs": len(runs), "companions": built}) + "\n")
    return html_path
