"""The nonlinearities every recurrent layer shares, with their derivatives: the bottom of lstmkit.

``rnn``, ``lstm``, ``gru``, ``variants`` and ``_fused`` all import from here and this module imports
only numpy, so the layers never import one another for a sigmoid (``from lstmkit.rnn import sigmoid``
still works: rnn re-exports it). Taught in chapters/01_rnn_bptt.ipynb and
chapters/02_vanishing_gradients.ipynb.
"""
import numpy as np


def sigmoid(a):
    """Logistic sigmoid through tanh, sigmoid(a) = (1 + tanh(a / 2)) / 2; no overflow warning at |a| = 1e4.

    The identity is exact and halving a is exact in floating point, so the result is accurate to a
    few ulps of 1 everywhere (absolute error < 1e-16). Far in the negative tail, where sigmoid(a)
    ~ exp(a) is tiny, the sum 1 + tanh cancels and the *relative* error grows: 1.7e-4 at a = -30,
    and at a = -40 the result is 0 (100 %). A gate that small is closed either way; a log-probability
    would need a different formula.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# name -> (f, f') with both written as functions of the pre-activation a
ACTIVATIONS = {
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (sigmoid, lambda a: sigmoid(a) * (1.0 - sigmoid(a))),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(a.dtype)),
    "identity": (lambda a: a, lambda a: np.ones_like(a)),
}
