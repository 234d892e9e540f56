"""Every recurrent layer against the two references, through the one contract (tests/parity.py)."""
import numpy as np
import pytest

from conftest import SHAPES
from parity import (
    LAYER_IDS,
    LAYERS,
    check_against_finite_differences,
    check_against_torch,
    make_problem,
    needs_torch,
    parts,
)

TORCH_LAYERS = [layer for layer in LAYERS if layer.to_torch is not None]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layer", LAYERS, ids=LAYER_IDS)
def test_backward_matches_finite_differences(rng, layer, shape):
    check_against_finite_differences(layer, *make_problem(layer, rng, *shape))


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layer", TORCH_LAYERS, ids=[layer.name for layer in TORCH_LAYERS])
def test_matches_torch_autograd(rng, layer, shape):
    check_against_torch(layer, *make_problem(layer, rng, *shape))


@pytest.mark.parametrize("layer", LAYERS, ids=LAYER_IDS)
def test_one_contract(rng, layer):
    # the state in and out has one shape per layer; None means zeros on both sides
    params, x, state0, dhs, dstate = make_problem(layer, rng, 3, 2, 4, 5)
    hs, stateT, cache = layer.forward(x, state0, params)
    assert hs.shape == (3, 2, 5)
    assert isinstance(stateT, tuple) == layer.pair and all(s.shape == (2, 5) for s in parts(stateT))
    np.testing.assert_array_equal(parts(stateT)[0], hs[-1])          # h_T is the last output
    dx, dstate0, grads = layer.backward(dhs, cache, dstate)
    assert dx.shape == x.shape and isinstance(dstate0, tuple) == layer.pair
    assert all(d.shape == (2, 5) for d in parts(dstate0))

    zeros = (np.zeros((2, 5)), np.zeros((2, 5))) if layer.pair else np.zeros((2, 5))
    hs_none, _, cache_none = layer.forward(x, None, params)
    np.testing.assert_array_equal(hs_none, layer.forward(x, zeros, params)[0])
    a, b = layer.backward(None, cache_none), layer.backward(np.zeros_like(dhs), cache_none, zeros)
    np.testing.assert_array_equal(a[0], b[0])
    for k in params:
        np.testing.assert_array_equal(a[2][k], b[2][k])
