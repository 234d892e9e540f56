"""lstmkit: the numpy code behind the lstmkit course on recurrent networks and the LSTM.

Layers, imported one way, downward (see the README):
- core, numpy only: ``rnn``, ``lstm``, ``gru``, ``variants``, ``gradcheck``, ``decay``, ``cell``;
- experiments: ``tasks``, ``models``, ``train``, ``optim``, ``ablation``, ``charlm``, ``checks``;
- bridges to torch, imported inside their functions: ``interop``, ``torch_train``;
- presentation: ``plots``, ``widgets`` (matplotlib, ipywidgets).
``import lstmkit`` loads the three modules every chapter uses and never torch.
"""
from lstmkit import gradcheck, gru, lstm, rnn

__version__ = "0.2.0"   # the one place the version is set; pyproject.toml and CITATION.cff read or match it
__all__ = ["rnn", "lstm", "gru", "gradcheck"]
