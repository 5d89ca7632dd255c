"""Saved widgets become a note on static pages: no CDN script, no widget state, the rest kept."""

from __future__ import annotations

from pathlib import Path

import nbformat

from casestudies.report import WIDGET_VIEW, render_html, static_widgets


def _notebook_with_widget() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    widget = nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "abc123"},
        "text/plain": "VBox(children=(IntSlider(value=3),))",
    })
    plain = nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=2)
    nb.cells = [nbformat.v4.new_code_cell("explorer()", outputs=[widget]),
                nbformat.v4.new_code_cell("6 * 7", outputs=[plain], execution_count=2)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"abc123": {}}}}
    return nb


def test_static_widgets_rewrites_only_widget_outputs() -> None:
    nb = _notebook_with_widget()
    assert static_widgets(nb) == 1
    assert "widgets" not in nb.metadata
    assert list(nb.cells[0].outputs[0]["data"]) == ["text/html"]
    assert nb.cells[1].outputs[0]["data"] == {"text/plain": "42"}


def test_rendered_page_loads_no_widget_scripts(tmp_path: Path) -> None:
    path = tmp_path / "gallery.ipynb"
    nbformat.write(_notebook_with_widget(), path)
    render_html(path, tmp_path / "gallery.html")
    page = (tmp_path / "gallery.html").read_text()
    assert "casestudies-widget-note" in page and "make lab" in page
    assert "require.js" not in page and "require.min.js" not in page
    assert "widget-state+json" not in page and "abc123" not in page
    assert "42" in page
