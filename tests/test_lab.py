"""Interactive use: JupyterLab as ``make lab`` starts it, driven through its REST and kernel APIs and
in headless Chromium.

One server for the module, on a free loopback port with a token, serving a copy of ``notebooks/*.py``
with the project's ``jupytext.toml`` and ``jupyter/overrides.json``
(so the working tree is never written). Its config, data and runtime folders are private, so only the
environment's own kernel and settings are seen. The last test stops it and checks no process is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import jupytext
import pytest

from tests.browser import Browser, chromium_or_skip, group_members

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "00_synthetic_faces.py"  # the one driven in the browser
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.py"))  # every one opens and saves cleanly
TITLE = "Synthetic faces: what the generator makes"
START_TIMEOUT = 90.0  # s; JupyterLab starts in 3-10 s on an idle 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_with_env(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (the server and every kernel it started)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if marker.encode() in (d / "environ").read_bytes() and b"State:\tZ" not in (d / "status").read_bytes():
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


class Lab:
    """A JupyterLab server in its own process group; ``stop()`` shuts it down and reaps everything."""

    def __init__(self, base: Path):
        self.root = base / "root"
        self.root.mkdir(parents=True)
        for name in NOTEBOOKS:
            shutil.copy(REPO / "notebooks" / name, self.root / name)
        shutil.copy(REPO / "jupytext.toml", self.root / "jupytext.toml")
        self.token = uuid.uuid4().hex
        self.marker = f"CASESTUDIES_LAB_TEST={uuid.uuid4().hex}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_DATA_DIR": str(base / "data"),
               "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "IPYTHONDIR": str(base / "ipython"),
               "JUPYTER_PREFER_ENV_PATH": "1", "JUPYTER_PLATFORM_DIRS": "1", "OMP_NUM_THREADS": "1",
               "NUMBA_NUM_THREADS": "1"}
        env.update([self.marker.split("=", 1)])
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", f"--LabApp.app_settings_dir={REPO / 'jupyter'}",
               f"--LabServerApp.user_settings_dir={base / 'user-settings'}",
               f"--LabServerApp.workspaces_dir={base / 'workspaces'}", "--LabApp.expose_app_in_browser=True"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = base / "lab.log"
        self._log = open(self.log, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.stopped = False
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        end = time.monotonic() + START_TIMEOUT
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise TimeoutError(f"jupyter lab not up after {START_TIMEOUT} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        req = urllib.request.Request(
            self.url + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            data = r.read()
        return json.loads(data) if data else None

    def stop(self) -> None:
        """Shut down through the API (kernels first), then signal the group; idempotent."""
        if self.stopped:
            return
        self.stopped = True
        try:
            if self.proc.poll() is None:
                try:
                    self.api("POST", "/api/shutdown", timeout=10)
                    self.proc.wait(timeout=20)
                except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
                    pass
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not group_members(self.proc.pid):
                    break
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                end = time.monotonic() + 5
                while group_members(self.proc.pid) and time.monotonic() < end:
                    time.sleep(0.1)
            self.proc.wait(timeout=10)
        finally:
            self._log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()
        for pid in processes_with_env(server.marker):  # a failed test must not leave kernels behind
            os.kill(pid, signal.SIGKILL)


def cells_of_file(path: Path) -> list[dict[str, Any]]:
    return [{"cell_type": c.cell_type, "source": c.source, "tags": c.metadata.get("tags", [])}
            for c in jupytext.read(path).cells]


# --- contents API: the .py opens as a paired notebook and saving keeps the .py clean -----------------

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_py_opens_as_notebook_through_contents_api(lab: Lab, name: str) -> None:
    model = lab.api("GET", f"/api/contents/{name}?type=notebook&content=1")
    assert model["type"] == "notebook" and model["format"] == "json"
    nb = model["content"]
    assert nb["metadata"]["jupytext"]["formats"] == "ipynb,py:percent"  # the pairing is active
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    got = [{"cell_type": c["cell_type"], "source": c["source"], "tags": c["metadata"].get("tags", [])} for c in nb["cells"]]
    assert got == cells_of_file(lab.root / name)
    first_code = next(c for c in got if c["cell_type"] == "code")
    assert "parameters" in first_code["tags"], f"{name}: the first code cell is not tagged parameters"
    if name == NOTEBOOK:
        assert "size = 160" in first_code["source"] and got[0]["source"].startswith(f"# {TITLE}")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_saving_writes_outputs_to_the_paired_ipynb_only(lab: Lab, name: str) -> None:
    path = lab.root / name
    before = path.read_bytes()
    nb = lab.api("GET", f"/api/contents/{name}?type=notebook&content=1")["content"]
    spec = lab.api("GET", "/api/kernelspecs")["kernelspecs"]["python3"]["spec"]
    # what JupyterLab saves after a run: the kernel's own spec in the metadata, outputs in the cells
    nb["metadata"]["kernelspec"] = {"display_name": spec["display_name"], "language": spec["language"], "name": "python3"}
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "import" in c["source"])
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "OUTPUT-MARKER-7f3a\n"}]
    code["execution_count"] = 1
    lab.api("PUT", f"/api/contents/{name}", {"type": "notebook", "format": "json", "content": nb})

    assert path.read_bytes() == before, f"saving {name} from JupyterLab changed the reviewed .py (header or cells)"
    paired = path.with_suffix(".ipynb")
    assert "OUTPUT-MARKER-7f3a" in paired.read_text(), "outputs belong in the paired .ipynb"
    again = lab.api("GET", f"/api/contents/{name}?type=notebook&content=1")["content"]
    assert any("OUTPUT-MARKER-7f3a" in json.dumps(c.get("outputs", [])) for c in again["cells"])  # reopened with outputs
    if shutil.which("git") and (REPO / ".git").exists():  # and that .ipynb is never committed
        r = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", f"notebooks/{paired.name}"])
        assert r.returncode == 0, f"notebooks/{paired.name} is not git-ignored"
    paired.unlink()


# --- kernel API: the project's kernel runs the notebook's first cells ---------------------------------

def _execute(ws, session: str, code: str, timeout: float = 120.0) -> tuple[str, str, str]:
    """Run ``code`` over the kernel websocket; (reply status, stdout, error text)."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": session,
                   "date": "", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    status, out, err, idle = None, [], [], False
    end = time.monotonic() + timeout
    while status is None or not idle:
        ws.settimeout(max(0.1, end - time.monotonic()))
        raw = ws.recv()
        if time.monotonic() > end:
            raise TimeoutError(f"no reply to {code[:60]!r} in {timeout} s")
        if isinstance(raw, bytes):  # binary frames carry buffers (widgets); nothing of ours
            continue
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            err.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "execute_reply":
            status = content["status"]
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
    return status, "".join(out), "\n".join(err)


def test_kernel_runs_first_code_cells(lab: Lab) -> None:
    import websocket

    cells = [c["source"] for c in cells_of_file(lab.root / NOTEBOOK) if c["cell_type"] == "code"]
    sess = lab.api("POST", "/api/sessions", {"path": NOTEBOOK, "name": NOTEBOOK, "type": "notebook",
                                             "kernel": {"name": "python3"}})
    kid = sess["kernel"]["id"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{lab.port}/api/kernels/{kid}/channels?session_id={uuid.uuid4().hex}",
        header=[f"Authorization: token {lab.token}"], timeout=60,
    )
    try:
        session = uuid.uuid4().hex
        for code in cells[:3]:  # parameters, imports, the preset table
            status, _, err = _execute(ws, session, code)
            assert status == "ok", f"cell failed in the lab kernel:\n{code}\n{err}"
        status, out, err = _execute(ws, session, (
            "import json, os, sys, casestudies\n"
            "print(json.dumps({'file': casestudies.__file__, 'prefix': sys.prefix, 'cwd': os.getcwd(),"
            " 'size': size, 'presets': len(pd.DataFrame(viz.preset_table()))}))"))
        assert status == "ok", err
        probe = json.loads(out.strip().splitlines()[-1])
    finally:
        ws.close()
        lab.api("DELETE", f"/api/sessions/{sess['id']}")
    assert Path(probe["file"]).resolve().is_relative_to(REPO / "src"), f"kernel imports {probe['file']}, not this checkout"
    assert Path(probe["prefix"]).resolve() == Path(sys.prefix).resolve(), "the kernel is not the project's environment"
    assert Path(probe["cwd"]).resolve() == lab.root.resolve() and probe["size"] == 160 and probe["presets"] >= 3
    assert lab.api("GET", "/api/kernels") == []


# --- a real browser: the notebook renders, its cells run, the explorer's widgets answer ---------------

# the notebook's panel in JupyterLab's main area (window.jupyterapp: --LabApp.expose_app_in_browser)
JS_PANEL = ("(window.jupyterapp && Array.from(jupyterapp.shell.widgets('main'))"
            f".find(w => w.context && w.context.path === {json.dumps(NOTEBOOK)}))")


def test_notebook_renders_and_runs_in_chromium(lab: Lab, tmp_path: Path) -> None:
    chromium_or_skip()
    cells = cells_of_file(lab.root / NOTEBOOK)
    code_idx = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    explorer = next(i for i, c in enumerate(cells) if "viz.explorer(" in c["source"])
    run = [code_idx[0], code_idx[1], explorer]  # parameters, imports, the explorer

    with Browser(width=1400, height=1000, timeout=60) as b:
        try:
            # the token in the URL logs the browser in; the default viewer opens the .py as a notebook
            b.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}")
            n = b.wait_for(f"document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length >= {len(cells)}"
                           f" && document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length", timeout=90)
            assert n == len(cells)
            assert b.eval("document.querySelectorAll('.jp-FileEditor').length") == 0, "opened as text, not as a notebook"
            heading = b.wait_for(f"Array.from(document.querySelectorAll('.jp-MarkdownOutput h1')).map(h => h.textContent)"
                                 f".find(t => t.includes({json.dumps(TITLE)}))")
            assert TITLE in heading
            code_text = b.eval("Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea-editor'))"
                               ".map(e => e.textContent).join('\\n')")
            assert "n_gallery = 16" in code_text and "viz.explorer(" in code_text
            b.wait_for(f"{JS_PANEL} && {JS_PANEL}.sessionContext.session?.kernel?.name === 'python3'"
                       f" && {JS_PANEL}.sessionContext.session.kernel.status === 'idle'", timeout=90)
            b.screenshot(tmp_path / "lab_notebook.png")

            # run the cells as a user would (select, Shift+Enter's command) and wait for the explorer
            b.eval(f"""(async () => {{ const p = {JS_PANEL}; jupyterapp.shell.activateById(p.id);
                for (const i of {json.dumps(run)}) {{ p.content.activeCellIndex = i;
                  await jupyterapp.commands.execute('notebook:run-cell'); }} return true; }})()""", timeout=120)
            sel = f"{JS_PANEL}.content.widgets[{explorer}].node"
            first = b.wait_for(f"(() => {{ const i = {sel}.querySelector('img.widget-image');"
                               " return i && i.naturalWidth > 0 && i.src; })()", timeout=120)
            counts = b.eval(f"[{sel}.querySelectorAll('.widget-slider').length, {sel}.querySelectorAll('select').length]")
            assert counts[0] >= 5 and counts[1] >= 1, f"explorer controls missing: {counts}"
            # change the layer dropdown: the kernel re-renders and the image changes
            b.eval(f"""(() => {{ const s = Array.from({sel}.querySelectorAll('select'))
                  .find(s => Array.from(s.options).some(o => o.value === 'segmentation' || o.text === 'segmentation'));
                const o = Array.from(s.options).find(o => o.text === 'segmentation');
                s.value = o.value; s.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()""")
            b.wait_for(f"(() => {{ const i = {sel}.querySelector('img.widget-image');"
                       f" return i && i.naturalWidth > 0 && i.src !== {json.dumps(first)}; }})()", timeout=60)
            errs = b.eval(f"Array.from({JS_PANEL}.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="
                          "\"application/vnd.jupyter.stderr\"]')).map(e => e.textContent).filter(t => /Error|Traceback/.test(t))")
            assert not errs, f"errors in the notebook's outputs: {errs}"
            b.eval(f"{sel}.scrollIntoView({{block: 'start'}}) || true")
            b.pump(0.5)
            b.screenshot(tmp_path / "lab_explorer.png")
            # File > Save: the outputs go to the paired .ipynb, the reviewed .py stays byte for byte
            paired = (lab.root / NOTEBOOK).with_suffix(".ipynb")
            paired.unlink(missing_ok=True)
            b.eval(f"(async () => {{ jupyterapp.shell.activateById({JS_PANEL}.id);"
                   " await jupyterapp.commands.execute('docmanager:save'); return true; })()", timeout=60)
            b.wait_for(f"{JS_PANEL}.context.model.dirty === false", timeout=30)
        except (TimeoutError, AssertionError):
            b.screenshot(tmp_path / "lab_failure.png")
            raise
        pgid = b.pgid
    assert pgid is not None and not group_members(pgid), "chromium left processes behind"
    assert (lab.root / NOTEBOOK).read_bytes() == (REPO / "notebooks" / NOTEBOOK).read_bytes(), \
        "saving in JupyterLab changed the .py (is the kernel installed with the display name of the headers?)"
    saved = json.loads(paired.read_text())
    assert any(o.get("data", {}).get("application/vnd.jupyter.widget-view+json")
               for c in saved["cells"] for o in c.get("outputs", [])), "the explorer's output was not saved"
    paired.unlink()


# --- last: stopping leaves nothing behind -------------------------------------------------------------

def test_stop_leaves_no_processes(lab: Lab) -> None:
    assert processes_with_env(lab.marker), "the marker should find the running server"
    lab.stop()
    end = time.monotonic() + 15
    while processes_with_env(lab.marker) and time.monotonic() < end:
        time.sleep(0.2)
    left = processes_with_env(lab.marker)
    assert not left, f"processes left after stopping JupyterLab: {left}"
    assert lab.proc.returncode is not None
