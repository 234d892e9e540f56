"""lstmkit: the numpy code behind the lstmkit course on recurrent networks and the LSTM.

The layers, from the bottom up; a module imports only from its own layer and the ones above it
in this list, never from a layer below:

- core, numpy only: ``_validate``, ``_fused``, ``rnn``, ``lstm``, ``gru``, ``variants``,
  ``gradcheck``, ``decay``, ``cell``, ``scan``, ``minlstm``, ``slstm``
- bridges, torch imported inside their functions: ``interop``
- experiments, the core and tqdm (torch inside functions): ``tasks``, ``models``, ``optim``,
  ``train``, ``ablation``, ``charlm``, ``torch_train``, ``sweeps``, ``checks``,
  ``progress``
- presentation, matplotlib and ipywidgets: ``plots``, ``widgets``

Each recurrent layer (``rnn``, ``lstm``, ``gru``, ``variants``, ``minlstm``) reads top to bottom: the step, its
backward, then the sequence as a loop over the step, with one contract for all of them:
``forward(x, state0, params) -> (hs, stateT, cache)`` and ``backward(dhs, cache, dstate=None) ->
(dx, dstate0, grads)``, the state being ``h`` or ``(h, c)``. ``_fused`` holds the same equations
fused for speed, which the sequence functions run by default.
Every layer refuses bad input the same way (``_validate`` states the rules): float32 or float64
arrays only, every size T, N, D, H at least 1 (an empty sequence, batch, input or hidden layer is a
ValueError that names the array), and caches that keep their own copies of what backward needs.
``import lstmkit`` loads the three modules every chapter uses and never torch.
"""
from lstmkit import gradcheck, gru, lstm, rnn

__version__ = "0.2.0"   # the one place the version is set; pyproject.toml and CITATION.cff read or match it
__all__ = ["rnn", "lstm", "gru", "gradcheck"]
