"""Interactive explorers for the chapters (presentation layer: ipywidgets + matplotlib).

Each explorer is a thin wrapper around a pure function in a lower layer, which can be called
directly; the builder returns the widget, so code can set slider values and read what changed.
"""
from lstmkit.widgets.decay import decay_explorer  # noqa: F401  chapter 02
from lstmkit.widgets.gates import gate_explorer  # noqa: F401  chapter 03
