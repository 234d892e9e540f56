"""Every recurrent layer against the two references, through the one contract (tests/parity.py)."""
import inspect

import numpy as np
import pytest

from lstmkit import gru, lstm, rnn, variants

from conftest import SHAPES
from parity import (
    FUSED_IDS,
    FUSED_LAYERS,
    LAYER_IDS,
    LAYERS,
    check_against_finite_differences,
    check_against_torch,
    make_problem,
    needs_torch,
    parts,
)

BOTH = LAYERS + FUSED_LAYERS          # the loop of every layer, and the fused path where there is one
BOTH_IDS = LAYER_IDS + FUSED_IDS
TORCH_LAYERS = [layer for layer in BOTH if layer.to_torch is not None]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layer", BOTH, ids=BOTH_IDS)
def test_backward_matches_finite_differences(rng, layer, shape):
    check_against_finite_differences(layer, *make_problem(layer, rng, *shape))


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layer", TORCH_LAYERS, ids=[layer.name for layer in TORCH_LAYERS])
def test_matches_torch_autograd(rng, layer, shape):
    check_against_torch(layer, *make_problem(layer, rng, *shape))


@pytest.mark.parametrize("layer", BOTH, ids=BOTH_IDS)
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


# ---- one signature: the same names, in the same places, for every layer -------------------------

MODULES = {"rnn": (rnn, ["activation"]), "lstm": (lstm, []), "gru": (gru, []), "variants": (variants, ["variant"])}


@pytest.mark.parametrize("name", list(MODULES))
def test_every_layer_has_the_one_signature(name):
    module, options = MODULES[name]
    P, K = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
    forward = inspect.signature(module.forward).parameters
    assert [(p.name, p.kind) for p in forward.values()] == (
        [("x", P), ("state0", P), ("params", P)] + [(o, K) for o in options] + [("fused", K)])
    assert forward["fused"].default is False        # the loop, as the module's source reads
    backward = inspect.signature(module.backward).parameters
    assert [(p.name, p.kind, p.default) for p in backward.values()] == [
        ("dhs", P, inspect.Parameter.empty), ("cache", P, inspect.Parameter.empty), ("dstate", P, None)]


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("layer", LAYERS, ids=LAYER_IDS)
def test_every_layer_is_called_by_keyword_with_the_same_names(rng, layer, fused):
    # the options (activation=, variant=) are keywords too: parity's layers carry them bound
    params, x, state0, dhs, dstate = make_problem(layer, rng, 3, 2, 4, 5)
    hs, stateT, cache = layer.forward(x=x, state0=state0, params=params, fused=fused)
    dx, dstate0, grads = layer.backward(dhs=dhs, cache=cache, dstate=dstate)
    # the same as by position, and the same on both paths up to rounding
    ref_hs, _, ref_cache = layer.forward(x, state0, params)
    ref_dx, _, ref_grads = layer.backward(dhs, ref_cache, dstate)
    np.testing.assert_allclose(hs, ref_hs, rtol=1e-12, atol=0)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-15)
    assert sorted(grads) == sorted(params)
    assert all(s.shape == (2, 5) for s in parts(stateT) + parts(dstate0))
