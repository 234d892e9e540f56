"""Deprecated: ``lstmkit.models`` is now ``lstmkit.readout`` (a recurrent layer and its readout head).

Kept for one release so that notebooks written for lstmkit 0.2 still run: ``from lstmkit import
models`` gives the functions of ``lstmkit.readout`` and warns once. Removed in lstmkit 0.4.
"""
from lstmkit._plumbing import deprecated_alias

__getattr__, __dir__ = deprecated_alias(__name__, "lstmkit.readout")
