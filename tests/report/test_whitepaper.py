"""notebooks/whitepaper.py builds from the toy fixture records and from an empty store: every claim's verdict
line appears (*not run* when its case studies have no runs), anchors resolve, no machine paths leak."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from casestudies import claims
from casestudies.project import Project
from casestudies.report import build_report

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def build(tmp_path: Path, runs: Path) -> str:
    (tmp_path / "proj").mkdir(parents=True)
    out = build_report(Project(tmp_path / "proj", runs), profile="tiny", out_dir=tmp_path / "build",
                       run_pages=False, progress=False, companions=False)
    text = out.read_text()
    assert (tmp_path / "build" / "figures" / "whitepaper_generator_gallery.png").exists()
    assert (tmp_path / "build" / "figures" / "whitepaper_generator_gallery.svg").exists()
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "IMG", text)


def check_common(page: str, tmp_path: Path) -> None:
    for n, claim in claims.CLAIMS.items():
        line = f"{html.escape(claim, quote=False)} <strong>not run</strong>"
        assert line in page, f"claim {n}'s verdict line missing"
        assert f'href="#claim-{n}"' in page and f'id="claim-{n}"' in page
    ids = set(re.findall(r'id="([^"]+)"', page))
    for target in set(re.findall(r'href="#([^"]+)"', page)):
        assert target in ids, f"internal link #{target} has no target"
    for path in (str(REPO), str(tmp_path)):
        assert path not in page, f"machine path {path} in the report"
    assert "Adaptation methods" in page and "Li et al. 2016" in page and "Seo et al. 2020" in page
    assert "0.8367" in page and "16.8 %" in page  # the source's numbers, labelled as the source's
    assert "jaw_width [-1, 1]" in page  # the generator's knobs


def test_whitepaper_from_toy_records_and_empty_store(tmp_path: Path) -> None:
    page = build(tmp_path / "toy", REPO / "tests" / "golden" / "runs")  # only read
    check_common(page, tmp_path)
    assert "9 done runs read from <code>" in page and "toy_case" in page  # store outside the project: no machine path
    assert "<em>not run</em>" in page  # training budget of the three missing case studies
    assert "No runs yet for <code>face_segmentation</code>" in page

    empty = tmp_path / "empty"
    empty.mkdir()
    page = build(tmp_path / "e", empty)
    check_common(page, tmp_path)
    assert "No run records yet" in page
    assert "face segmentation <em>not run</em>" in page  # our side of the source's table


def test_unchanged_inputs_reuse_the_page_and_a_changed_record_does_not(tmp_path: Path) -> None:
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(REPO / "tests" / "golden" / "runs", runs)
    proj = Project(tmp_path / "proj", runs)
    (tmp_path / "proj").mkdir()

    def go(**kw) -> int:
        out = build_report(proj, profile="tiny", out_dir=tmp_path / "build", run_pages=False, progress=False,
                           companions=False, screenshot=False, **kw)
        return (out.parent / "whitepaper.ipynb").stat().st_mtime_ns

    first = go()
    # nothing changed: reused, not executed again (with make report's build id, the parts before the
    # whitepaper are logged as its stages all the same)
    build_report(proj, profile="tiny", out_dir=tmp_path / "build", progress=False, companions=False,
                 screenshot=False, build_id="B")
    assert (tmp_path / "build" / "whitepaper.ipynb").stat().st_mtime_ns == first
    record = next(runs.rglob("record.json"))
    record.write_text(record.read_text() + " ")  # a record rewritten (a run re-done)
    assert go() != first
    from casestudies.buildlog import LOG, read_lines

    assert [(r["build"], r["stage"]) for r in read_lines(runs / LOG)] == [("B", "report: run pages")]
