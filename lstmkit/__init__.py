"""lstmkit: the numpy code behind the lstmkit course on recurrent networks and the LSTM.

The layers, from the bottom up; a module imports only from its own layer and the ones above it
in this list, never from a layer below, and no modules import each other around a circle:

- core, numpy only: ``functional``, ``_validate`` (argument checks), ``_plumbing`` (parameter draws, cache
  copies, the decorator that runs a check), ``_fused``, ``rnn``, ``lstm``, ``gru``, ``variants``,
  ``gradcheck``, ``decay`` (the RNN's gradient decay), ``cell_demos`` (the LSTM cell's gates and
  gradient paths measured), ``cell`` (deprecated name of cell_demos), ``scan`` (the linear
  recurrence h_t = a_t h_{t-1} + b_t as a loop and as scans), ``minlstm``, ``slstm``
- bridges, torch imported inside their functions: ``interop``
- experiments, the core and tqdm (torch inside functions): ``tasks``, ``readout`` (a recurrent
  layer and its linear readout head), ``models`` (deprecated name of readout), ``optim``,
  ``train``, ``ablation``, ``charlm``, ``torch_train``, ``sweeps``, ``checks`` (the exercise
  checks), ``progress``
- presentation, matplotlib and ipywidgets: ``plots``, ``widgets``

Each recurrent layer (``rnn``, ``lstm``, ``gru``, ``variants``, ``minlstm``) reads top to bottom: the
step, its backward, then the sequence as a loop over the step, with one contract for all five:
``forward(x, state0, params, *, fused=False) -> (hs, stateT, cache)`` (rnn's ``activation`` and
variants' ``variant`` are keyword options beside ``fused``) and ``backward(dhs, cache, dstate=None)
-> (dx, dstate0, grads)``, the state being ``h`` or ``(h, c)``. ``forward`` runs the loop its module
shows; ``fused=True`` runs ``_fused``, the same equations fused for speed, where that measured at
least 10 % faster than the loop (rnn and lstm, in median; gru and variants run their loop either
way; benchmarks/README.md; minlstm's runs its gates in one matmul and the recurrence by
``scan``), and ``backward`` follows the cache it is given. What the layers share
(the sigmoid, the activations and their derivatives) lives below them in ``functional``.
Every layer refuses bad input the same way (``_validate`` states the rules): float32 or float64
arrays only, every size T, N, D, H at least 1 (an empty sequence, batch, input or hidden layer is a
ValueError that names the array), and caches that keep their own copies of what backward needs.
``import lstmkit`` loads ``rnn``, ``lstm``, ``gru`` and ``gradcheck`` (its ``__all__``) with the core
modules they import, and never torch.
"""
from lstmkit import gradcheck, gru, lstm, rnn

__version__ = "0.2.0"   # the one place the version is set; pyproject.toml and CITATION.cff read or match it
__all__ = ["rnn", "lstm", "gru", "gradcheck"]
