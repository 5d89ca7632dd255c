"""Headless Chromium for tests, driven over the DevTools protocol (CDP) with ``websocket-client``.

Uses Debian's ``/usr/bin/chromium`` (``CASESTUDIES_CHROMIUM`` overrides the path); never downloads a
browser. Each :class:`Browser` gets a fresh profile directory, its own process group, and is closed
(then killed if need be) on exit. Console errors, uncaught exceptions and failed loads are collected
while the page runs.

    with Browser() as b:
        b.goto("file:///.../whitepaper.html")
        assert not b.errors(), b.errors()
        b.screenshot(tmp_path / "page.png")
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CASESTUDIES_CHROMIUM", "/usr/bin/chromium")
# No network beyond what the page asks for, no first-run UI, no GPU, no sandbox (CI runs as root).
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--no-default-browser-check", "--password-store=basic",
)


def chromium_or_skip() -> str:
    """The Chromium executable, or skip the calling test with the reason."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run does this)")
    return CHROMIUM


class BrowserError(RuntimeError):
    pass


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid`` (Linux /proc)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(d.name))
    return pids


class Browser:
    """One headless Chromium with one page; methods block with a timeout (seconds)."""

    def __init__(self, width: int = 1280, height: int = 900, timeout: float = 30.0, executable: str | None = None):
        self.width, self.height, self.timeout = width, height, timeout
        self.executable = executable or chromium_or_skip()
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._proc: subprocess.Popen | None = None
        self._ws = None
        self._profile = ""
        self.pgid: int | None = None  # Chromium's process group (all its helpers), once started

    # --- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Browser:
        import websocket  # websocket-client (a jupyter_server dependency)

        self._profile = tempfile.mkdtemp(prefix="cs-chromium-")
        self._log = open(Path(self._profile).with_suffix(".log"), "wb")  # noqa: SIM115 (closed in __exit__)
        try:
            self._proc = subprocess.Popen(
                [self.executable, *FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-port=0",
                 f"--window-size={self.width},{self.height}", "about:blank"],
                stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
            self.pgid = self._proc.pid
            port = self._wait_port()
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
            page = next(t for t in targets if t.get("type") == "page")
            self._ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=self.timeout,
                                                   suppress_origin=True, enable_multithread=False)
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setFocusEmulationEnabled", enabled=True)  # the page behaves as focused
            self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                      deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_port(self) -> int:
        """Chromium writes the chosen debugging port to ``<profile>/DevToolsActivePort``."""
        f = Path(self._profile) / "DevToolsActivePort"
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrowserError(f"chromium exited with {self._proc.returncode}: {self.log_tail()}")
            if f.exists() and f.read_text().strip():
                return int(f.read_text().split()[0])
            time.sleep(0.05)
        raise BrowserError(f"chromium did not open its debugging port in {self.timeout} s: {self.log_tail()}")

    def log_tail(self, n: int = 2000) -> str:
        p = Path(self._profile).with_suffix(".log")
        return p.read_text(errors="replace")[-n:] if p.exists() else ""

    def __exit__(self, *exc: object) -> None:
        try:
            if self._ws is not None:
                with contextlib.suppress(Exception):  # closing anyway
                    self._ws.send(json.dumps({"id": next(self._ids), "method": "Browser.close"}))
                self._ws.close()
        finally:
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=5)
                with contextlib.suppress(ProcessLookupError):  # renderer, GPU and zygote share the group
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)
            if getattr(self, "_log", None):
                self._log.close()
                Path(self._log.name).unlink(missing_ok=True)
            if self._profile:
                shutil.rmtree(self._profile, ignore_errors=True)

    # --- protocol --------------------------------------------------------------------------------
    def _recv(self, until: float) -> dict[str, Any]:
        import websocket

        self._ws.settimeout(max(0.01, until - time.monotonic()))
        try:
            msg = json.loads(self._ws.recv())
        except websocket.WebSocketTimeoutException:
            raise TimeoutError("no message from chromium in time") from None
        if "method" in msg:
            self.events.append(msg)
        return msg

    def send(self, method: str, timeout: float | None = None, **params: Any) -> dict[str, Any]:
        """Send one CDP command and return its ``result``; a protocol error raises :class:`BrowserError`."""
        i = next(self._ids)
        self._ws.send(json.dumps({"id": i, "method": method, "params": params}))
        until = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._recv(until)
            if msg.get("id") == i:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def goto(self, url: str, timeout: float | None = None) -> None:
        """Navigate and wait for the page's ``load`` event."""
        n = len(self.events)
        res = self.send("Page.navigate", url=url)
        if res.get("errorText"):
            raise BrowserError(f"navigating to {url}: {res['errorText']}")
        until = time.monotonic() + (timeout or self.timeout)
        while not any(e["method"] == "Page.loadEventFired" for e in self.events[n:]):
            self._recv(until)

    def eval(self, expression: str, timeout: float | None = None) -> Any:
        """Evaluate JavaScript in the page (promises awaited) and return its JSON value."""
        res = self.send("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                        awaitPromise=True, userGesture=True)
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise BrowserError(f"JavaScript error: {d.get('exception', {}).get('description') or d.get('text')}")
        return res.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float | None = None, every: float = 0.2) -> Any:
        """Poll ``expression`` until it is truthy; return its value (TimeoutError with the last one)."""
        end = time.monotonic() + (timeout or self.timeout)
        last = None
        while time.monotonic() < end:
            last = self.eval(expression)
            if last:
                return last
            self.pump(every)
        raise TimeoutError(f"{expression!r} still {last!r} after {timeout or self.timeout} s")

    def pump(self, seconds: float) -> None:
        """Collect events for ``seconds`` (console messages arrive asynchronously)."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            try:
                self._recv(until)
            except TimeoutError:
                break

    # --- what tests look at ----------------------------------------------------------------------
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far, one line each."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                entry = p["entry"]
                out.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
        return out

    def images(self) -> list[dict[str, Any]]:
        """Every ``<img>``: its ``src`` (first 80 characters), ``complete`` and ``naturalWidth``."""
        return self.eval(
            "Array.from(document.images).map(i => ({src: (i.getAttribute('src') || '').slice(0, 80),"
            " complete: i.complete, naturalWidth: i.naturalWidth}))"
        )

    def links(self) -> list[dict[str, str]]:
        """Every ``<a href>``: the attribute as written and the URL the browser resolved it to."""
        return self.eval("Array.from(document.querySelectorAll('a[href]')).map(a => ({href: a.getAttribute('href'), url: a.href}))")

    def element_ids(self) -> set[str]:
        return set(self.eval("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))

    def named_anchors(self) -> set[str]:
        return set(self.eval("Array.from(document.querySelectorAll('a[name]')).map(e => e.getAttribute('name'))"))

    def screenshot(self, path: str | Path, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or the whole page) to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            m = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": m["width"], "height": m["height"], "scale": 1})
        data = self.send("Page.captureScreenshot", **params)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
