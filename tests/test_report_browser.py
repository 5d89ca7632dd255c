"""The built whitepaper as a reader gets it: opened in headless Chromium, every image loads, every
internal link resolves, the console stays clean, no machine path shows, and the build saves a
screenshot of the first screen. Built with ``casestudies report`` from the checked-in toy-case records
(``tests/golden/runs``), each given a small executed notebook so its run page exists.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import sys
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from casestudies.params import run_id
from tests.browser import Browser
from tests.conftest import cli, make_toy_root

GOLDEN = Path(__file__).parent / "golden" / "runs"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(project root, stderr of the report command) after building the report of the golden records."""
    root = make_toy_root(tmp_path_factory.mktemp("whitepaper") / "proj")
    shutil.copytree(GOLDEN, root / "runs")
    for run in sorted((root / "runs" / "toy_case").iterdir()):  # ids of today's data versions, as a sweep plans them
        record = json.loads((run / "record.json").read_text())
        record["run_id"] = run_id("toy_case", record["params"])
        (run / "record.json").write_text(json.dumps(record))
        run.rename(run.with_name(record["run_id"]))
    for run in sorted((root / "runs" / "toy_case").iterdir()):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# Run {run.name}"), nbformat.v4.new_code_cell("1 + 1")]
        nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
        nbformat.write(nb, run / "notebook.ipynb")
    r = cli(root, "report", "--profile", "default", "--no-progress", "--no-companions")
    assert r.returncode == 0, r.stdout + r.stderr
    return root, r.stderr


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_whitepaper_shows_no_machine_paths(built: tuple[Path, str]) -> None:
    root, _ = built
    html = (root / "report" / "_build" / "whitepaper.html").read_text()
    assert "runs/toy_case/" in html  # the report does name the records, relatively
    forbidden = {str(root), str(root.resolve()), "/tmp/", "/work/", "file://", sys.prefix}
    if str(Path.home()) != "/":
        forbidden.add(str(Path.home()) + "/")
    found = sorted(p for p in forbidden if p in html)
    assert not found, f"machine paths in whitepaper.html: {found}"
    assert "records in <code>runs</code>" in html


def test_whitepaper_in_chromium(built: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = built
    out = root / "report" / "_build"
    page = out / "whitepaper.html"
    with Browser(timeout=30) as b:
        b.goto(page.as_uri())
        b.pump(0.5)  # late console messages and image decodes
        images = b.images()
        links = b.links()
        ids = b.element_ids() | b.named_anchors()
        shot = b.screenshot(tmp_path / "whitepaper.png")
        errors = b.errors()
    assert not errors, "console errors:\n" + "\n".join(errors)

    assert images, "the whitepaper should show at least the toy case's plot"
    broken = [i for i in images if not (i["complete"] and i["naturalWidth"] > 0)]
    assert not broken, f"images that did not load: {broken}"

    checked, dangling = 0, []
    for link in links:
        href = link["href"]
        if urllib.parse.urlsplit(href).scheme in ("http", "https", "mailto"):
            continue  # external: not this test's business
        path, _, frag = href.partition("#")
        target = (out / urllib.parse.unquote(path)).resolve() if path else page
        if not target.is_file():
            dangling.append(f"{href} -> missing file {target.relative_to(out) if target.is_relative_to(out) else target}")
        elif frag:
            frag = urllib.parse.unquote(frag)
            found = frag in ids if target == page else bool(
                re.search(rf'(id|name)="{re.escape(frag)}"', target.read_text(errors="replace")))
            if not found:
                dangling.append(f"{href} -> no element #{frag}")
        checked += 1
    assert not dangling, "internal links that do not resolve:\n" + "\n".join(dangling)
    n_runs = len(list(GOLDEN.glob("toy_case/*/done")))
    assert checked >= n_runs + 1, f"only {checked} internal links checked; expected the {n_runs} run pages and anchors"
    assert _png_size(shot) == (1280, 900)


def test_report_saves_first_screen(built: tuple[Path, str]) -> None:
    from casestudies.report import find_chromium

    root, stderr = built
    out = root / "report" / "_build"
    build = json.loads((out / "build.json").read_text())
    if find_chromium() is None:
        assert "first-screen screenshot skipped: no Chromium" in stderr
        assert build["first_screen"] is None and not (out / "first_screen.png").exists()
        pytest.skip("no Chromium here: checked the build's one-line note instead of the screenshot")
    png = out / "first_screen.png"
    assert build["first_screen"] == "first_screen.png" and png.exists(), stderr
    assert _png_size(png) == (1280, 900)
    from PIL import Image

    img = Image.open(png).convert("L")
    lo, hi = img.getextrema()
    assert hi - lo > 100, "the first screen is blank"
