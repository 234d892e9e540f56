"""lstmkit: the numpy code behind the lstmkit course on recurrent networks and the LSTM.

The core (``rnn``, ``lstm``, ``gradcheck``) needs numpy only; ``interop`` imports torch inside its
functions, so ``import lstmkit`` never loads torch.
"""
from lstmkit import gradcheck, lstm, rnn

__version__ = "0.1.0"
__all__ = ["rnn", "lstm", "gradcheck"]
