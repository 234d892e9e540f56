"""Deprecated: ``lstmkit.cell`` is now ``lstmkit.cell_demos`` (the cell itself is ``lstmkit.lstm``).

Kept for one release so that notebooks written for lstmkit 0.2 still run: ``from lstmkit import
cell`` gives the functions of ``lstmkit.cell_demos`` and warns once. Removed in lstmkit 0.4.
"""
from lstmkit._plumbing import deprecated_alias

__getattr__, __dir__ = deprecated_alias(__name__, "lstmkit.cell_demos")
