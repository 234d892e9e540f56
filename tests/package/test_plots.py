"""lstmkit.plots.new_figure: lines that colour tells apart also differ by line style or marker."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lstmkit import plots

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed


def test_lines_differ_without_their_colour():
    fig, axes = plots.new_figure(1, 2)
    try:
        for ax in axes:
            lines = [ax.plot(np.arange(50), k * np.ones(50))[0] for k in range(len(plots.LINE_CYCLE))]
            styles = [(line.get_linestyle(), line.get_marker()) for line in lines]
            colours = [line.get_color() for line in lines]
            # seen in greyscale (or by a colour-blind reader) every line still has its own look
            assert len(set(styles)) == len(lines), styles
            assert len(set(colours)) == len(lines), colours
    finally:
        plt.close(fig)


def test_a_single_axes_figure_gets_the_cycle_too():
    fig, ax = plots.new_figure()
    try:
        first, second = ax.plot([0, 1]), ax.plot([1, 0])
        assert first[0].get_linestyle() != second[0].get_linestyle()
    finally:
        plt.close(fig)
