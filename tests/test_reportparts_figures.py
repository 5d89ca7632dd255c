from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from casestudies import reportparts as rp  # noqa: E402


def test_show_figure_saves_png_and_svg(tmp_path):
    rp.set_figures_dir(tmp_path / "figures")
    try:
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        rp.show_figure(fig, "demo_plot")
    finally:
        rp.set_figures_dir(None)
    png, svg = tmp_path / "figures" / "demo_plot.png", tmp_path / "figures" / "demo_plot.svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:500]
