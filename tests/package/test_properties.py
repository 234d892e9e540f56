"""hypothesis draws the sizes T, N, D, H (1 included) and checks shapes and torch parity (tests/parity.py).

Every layer torch has (rnn, lstm, gru), on the loop and, where there is one, on the fused path.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity import FUSED_LAYERS, LAYERS, check_against_torch, make_problem, parts

pytest.importorskip("torch")

sizes = st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(1, 6))
NAMES = ("rnn.tanh", "rnn.tanh.fused", "lstm", "lstm.fused", "gru")
TORCH_LAYERS = [layer for layer in LAYERS + FUSED_LAYERS if layer.name in NAMES]


@pytest.mark.parametrize("layer", TORCH_LAYERS, ids=[layer.name for layer in TORCH_LAYERS])
@settings(max_examples=25, deadline=None)
@given(sizes=sizes, seed=st.integers(0, 2**32 - 1))
def test_parity_and_shapes(layer, sizes, seed):
    T, N, D, H = sizes
    # weights doubled: gates away from 0.5 show more mistakes
    params, x, state0, dhs, dstate = make_problem(layer, np.random.default_rng(seed), T, N, D, H, scale=2.0)
    hs, stateT, cache = layer.forward(x, state0, params)
    dx, dstate0, grads = layer.backward(dhs, cache, dstate)
    assert hs.shape == (T, N, H) and dx.shape == (T, N, D)
    assert all(s.shape == (N, H) for s in parts(stateT) + parts(dstate0))
    assert all(grads[k].shape == params[k].shape for k in params)
    check_against_torch(layer, params, x, state0, dhs, dstate)
