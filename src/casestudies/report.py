"""Build the HTML whitepaper: execute ``notebooks/whitepaper.py`` on the records, render it and every
run's executed notebook with nbconvert (cells tagged ``hide_input`` lose their input, cells tagged
``remove_cell`` disappear), into ``report/_build/``. Images are embedded, so the HTML is one file
(plus the linked per-run pages). No torch here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import casestudies
from casestudies.params import ParameterError, resolve
from casestudies.project import Project
from casestudies.store import NOTEBOOK, RECORD, atomic_write_json, atomic_write_text, iter_runs

WHITEPAPER = "whitepaper.py"
# Notebooks rendered next to the whitepaper and linked from it (executed with their own defaults).
COMPANIONS = ("00_synthetic_faces",)
# nbconvert's lab template, minus the CDN scripts the report never uses (require.js unless widgets need
# it, MathJax; render_html drops saved widgets): the HTML opens offline without failed loads.
TEMPLATE = "casestudies_report.html.j2"
TEMPLATE_SOURCE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- if "widgets" in nb.metadata -%}{{ super() }}{%- endif -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
"""
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
FIRST_SCREEN = "first_screen.png"


def html_exporter(hide_parameters: bool = True):
    """An nbconvert HTML exporter honouring the report's cell tags, with images embedded.

    ``hide_parameters=False`` keeps papermill's injected-parameters cell (run pages show what ran).
    """
    from jinja2 import DictLoader
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
    c.HTMLExporter.template_file = TEMPLATE
    exporter = HTMLExporter(config=c, extra_loaders=[DictLoader({TEMPLATE: TEMPLATE_SOURCE})])
    exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    return exporter


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="casestudies-widget-note"><em>An interactive widget is here when this notebook runs '
               'in JupyterLab (<code>make lab</code>, then open it from <code>notebooks/</code>): it re-renders '
               'from a live kernel, which a static page does not have.</em></p>')


def static_widgets(nb) -> int:
    """Replace widget outputs with a note and drop the saved widget state, in place; returns how many.

    A saved widget needs require.js and the widget manager from a CDN, and without a kernel its controls
    do nothing: the static page says where the live widget is instead, and opens offline.
    """
    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                out["data"] = {"text/html": WIDGET_NOTE}
                n += 1
    nb.metadata.pop("widgets", None)
    return n


def render_html(nb_path: Path, out_path: Path, hide_parameters: bool = True) -> None:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    static_widgets(nb)
    body, _ = html_exporter(hide_parameters).from_notebook_node(nb)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_path, body)


def project_relative(path: Path, root: Path) -> str:
    """``path`` relative to the project ``root`` (``..`` when outside it): no machine paths in the report."""
    return os.path.relpath(Path(path).resolve(), Path(root).resolve())


def find_chromium() -> str | None:
    """Chromium's executable (env ``CASESTUDIES_CHROMIUM``, else the first of :data:`CHROMIUM` on PATH)."""
    env = os.environ.get("CASESTUDIES_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    return next((p for p in map(shutil.which, CHROMIUM) if p), None)


def screenshot_first_screen(html_path: Path, png_path: Path, width: int = 1280, height: int = 900,
                            timeout: float = 60.0) -> str | None:
    """Save what a reader sees first (``width`` x ``height`` CSS pixels) with headless Chromium.

    Returns None when saved, else a one-line note why not; never raises (a missing or failing browser
    must not fail the build).
    """
    exe = find_chromium()
    if exe is None:
        return f"first-screen screenshot skipped: no Chromium on PATH (apt-get install chromium); {png_path.name} not written"
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="cs-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={png_path}", Path(html_path).resolve().as_uri()]
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, start_new_session=True)
        except OSError as e:
            return f"first-screen screenshot failed ({e}); the report itself is fine"
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            err = f"no screenshot after {timeout:.0f} s"
        finally:  # chromium's helper processes share its group: none outlives the call
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if not png_path.exists() or png_path.stat().st_size == 0:
        tail = (err.strip().splitlines() or ["no output"])[-1]
        return f"first-screen screenshot failed (chromium: {tail}); the report itself is fine"
    return None


def package_digest() -> str:
    """Hash of this package's source files (what the whitepaper's and companions' code is)."""
    h = hashlib.sha256()
    pkg = Path(casestudies.__file__).resolve().parent
    for f in sorted(pkg.rglob("*.py")):
        h.update(str(f.relative_to(pkg)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _stamp(path: Path) -> tuple[str, int, int] | None:
    return (path.name, path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


def _previous(out: Path) -> dict:
    try:
        return json.loads((out / "build.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


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
    progress: bool = True, companions: bool = True, screenshot: bool = True, force: bool = False,
    build_id: str | None = None,
) -> Path:
    """Render the whitepaper, the per-run pages and the companion notebooks it links to; returns its path.

    The whitepaper executes with the project root as working directory and sees project-relative
    paths only. ``screenshot`` saves ``first_screen.png`` next to it when Chromium is available.
    Nothing is executed again whose inputs did not change since the last build into ``out_dir``
    (``build.json`` keeps their digests): a run page is re-rendered when its notebook is newer, a
    companion when its source or this package changed, the whitepaper when its source, this package,
    the selected runs' records, the benchmark output or the arguments changed; ``force`` redoes all.
    The build log (``runs/build_log.jsonl``) is not an input: a page reused keeps the stage table of
    the build that wrote it. With ``build_id`` (``make report`` passes its own), the run pages and the
    companions are logged there as stages before the whitepaper executes, so its page shows them.
    """
    import jupytext
    import papermill as pm
    from tqdm.auto import tqdm

    out = Path(out_dir or proj.build).resolve()
    out.mkdir(parents=True, exist_ok=True)
    selection = selection_for(proj, profile)
    atomic_write_json(out / "selection.json", selection)

    # 1. one HTML page per run (done or failed), re-rendered only when its notebook changed
    selected = [rs for rs in iter_runs(proj.runs) if rs.case not in selection or rs.run_id in selection[rs.case]]
    runs = [rs for rs in selected if rs.state in ("done", "failed") and (rs.path / NOTEBOOK).exists()]
    from casestudies.buildlog import record_stage

    def stage(name: str, since: float) -> None:
        if build_id:
            record_stage(proj.runs, build_id, name, since, profile=profile)

    t0 = time.time()
    if run_pages:
        for rs in tqdm(runs, desc="run pages", unit="page", disable=not progress or not runs):
            page = out / "runs" / rs.case / f"{rs.run_id}.html"
            if not page.exists() or page.stat().st_mtime < (rs.path / NOTEBOOK).stat().st_mtime:
                render_html(rs.path / NOTEBOOK, page, hide_parameters=False)
        stage("report: run pages", t0)

    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")

    previous = {} if force else _previous(out)
    pkg = package_digest()

    # 2. companion notebooks (e.g. the generator gallery) executed with their defaults
    built, companion_digests = [], {}
    t0 = time.time()
    if companions:
        for name in COMPANIONS:
            src = proj.notebooks / f"{name}.py"
            if src.exists():
                key = digest(src.read_text(), pkg)
                companion_digests[name] = key
                if previous.get("companion_digests", {}).get(name) != key or not (out / f"{name}.html").exists():
                    executed = out / f"{name}.ipynb"
                    pm.execute_notebook(
                        jupytext.read(src), str(executed), kernel_name="python3", progress_bar=progress,
                        log_output=False, cwd=str(src.parent), extra_arguments=["--IPKernelApp.log_level=ERROR"],
                    )
                    render_html(executed, out / f"{name}.html")
                built.append(name)
        stage("report: companion pages", t0)

    # 3. execute the whitepaper notebook on the records (paths relative to the project root), then render it
    src = whitepaper_source(proj)
    records = [(rs.case, rs.run_id, rs.state, _stamp(rs.path / RECORD)) for rs in selected]
    inputs = digest(src.read_text(), pkg, records, selection, profile, built, str(out), project_relative(proj.runs, proj.root),
                    _stamp(proj.root / "benchmarks" / "_out" / "bench_generator.json"))
    html_path = out / "whitepaper.html"
    if previous.get("inputs") == inputs and html_path.exists():
        print("whitepaper: inputs unchanged since the last build, page reused (casestudies report --force redoes it)")
        return html_path
    nb = jupytext.read(src)
    executed = out / "whitepaper.ipynb"
    pm.execute_notebook(
        nb, str(executed), kernel_name="python3", progress_bar=progress, log_output=False, cwd=str(proj.root),
        parameters={"runs_dir": project_relative(proj.runs, proj.root),
                    "selection_file": project_relative(out / "selection.json", proj.root), "profile": profile,
                    "run_pages": "runs", "companions": ",".join(built),
                    "figures_dir": project_relative(out / "figures", proj.root), "project_root": ".",
                    "benchmarks_dir": project_relative(proj.root / "benchmarks" / "_out", proj.root)},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    render_html(executed, html_path)
    shot = None
    if screenshot:
        note = screenshot_first_screen(html_path, out / FIRST_SCREEN)
        if note is None:
            shot = FIRST_SCREEN
            print(f"first screen: {project_relative(out / FIRST_SCREEN, proj.root)}")
        else:
            print(note, file=sys.stderr)
    atomic_write_text(out / "build.json", json.dumps(
        {"profile": profile, "runs": len(runs), "companions": built, "first_screen": shot, "inputs": inputs,
         "companion_digests": companion_digests}) + "\n")
    return html_path
