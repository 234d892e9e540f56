"""lstmkit._fused (forward(..., fused=True)) against the plain loops over the step functions (the default).

The chapters teach step_forward/step_backward and the loop over them; with fused=True, rnn and lstm
compute the same equations for a whole sequence at once (hoisted input projection, one tanh for the
four gates, one weight-gradient matmul over all steps), and backward follows the cache it is given.
Here the loop is the reference.
Tolerance: float64, rel_error < 1e-12. Only the order of floating-point sums differs (one matmul
over T*N rows instead of T sums of N rows), which costs a few ulps, ~1e-15 relative; 1e-12 leaves
room for cancellation and still catches any real mistake (a wrong term is off by > 1e-3).
"""
from functools import partial

import numpy as np
import pytest

from lstmkit import _fused, gru, lstm, rnn, variants
from lstmkit.gradcheck import rel_error

from conftest import SHAPES

TOL = 1e-12
FAST_SHAPES = SHAPES + [(7, 3, 5, 16), (12, 8, 1, 9)]


def rnn_problem(rng, T, N, D, H, dtype=np.float64):
    params = rnn.init_params(D, H, rng=rng, dtype=dtype)
    cast = lambda a: a.astype(dtype)  # noqa: E731
    return (params, cast(rng.standard_normal((T, N, D))), cast(rng.standard_normal((N, H))),
            cast(rng.standard_normal((T, N, H))))


def lstm_problem(rng, T, N, D, H, dtype=np.float64):
    params = lstm.init_params(D, H, rng=rng, dtype=dtype, forget_bias=1.0)
    cast = lambda a: a.astype(dtype)  # noqa: E731
    state0 = (cast(rng.standard_normal((N, H))), cast(rng.standard_normal((N, H))))
    dstate = (cast(rng.standard_normal((N, H))), cast(rng.standard_normal((N, H))))
    return params, cast(rng.standard_normal((T, N, D))), state0, cast(rng.standard_normal((T, N, H))), dstate


# ---- equal to the loop over the step functions ----------------------------------------------------------------

@pytest.mark.parametrize("shape", FAST_SHAPES)
@pytest.mark.parametrize("activation", sorted(rnn.ACTIVATIONS))
def test_rnn_fused_equals_step_loop(rng, shape, activation):
    params, x, h0, dhs = rnn_problem(rng, *shape)
    ref_hs, ref_hT, ref_cache = rnn.forward(x, h0, params, activation=activation)
    dhT = rng.standard_normal(h0.shape)
    ref_dx, ref_dh0, ref_grads = rnn.backward(dhs, ref_cache, dhT)

    # forward
    hs, hT, cache = rnn.forward(x, h0, params, activation=activation, fused=True)
    assert isinstance(cache, rnn.RNNCache) and isinstance(ref_cache, list)
    assert rel_error(hs, ref_hs) < TOL
    assert rel_error(hT, ref_hT) < TOL
    # backward
    dx, dh0, grads = rnn.backward(dhs, cache, dhT)
    assert rel_error(dx, ref_dx) < TOL
    assert rel_error(dh0, ref_dh0) < TOL
    for k in params:
        assert rel_error(grads[k], ref_grads[k]) < TOL, k


@pytest.mark.parametrize("shape", FAST_SHAPES)
@pytest.mark.parametrize("with_dstate", [False, True])
def test_lstm_fused_equals_step_loop(rng, shape, with_dstate):
    params, x, state0, dhs, dstate = lstm_problem(rng, *shape)
    if not with_dstate:
        dstate = (np.zeros_like(dstate[0]), np.zeros_like(dstate[1]))
    ref_hs, (ref_hT, ref_cT), ref_cache = lstm.forward(x, state0, params)
    ref_dx, (ref_dh0, ref_dc0), ref_grads = lstm.backward(dhs, ref_cache, dstate)

    # forward: outputs and final state
    hs, (hT, cT), cache = lstm.forward(x, state0, params, fused=True)
    assert isinstance(cache, lstm.LSTMCache) and isinstance(ref_cache, list)
    assert rel_error(hs, ref_hs) < TOL
    assert rel_error(hT, ref_hT) < TOL
    assert rel_error(cT, ref_cT) < TOL
    # backward: inputs, initial state, parameters
    dx, (dh0, dc0), grads = lstm.backward(dhs, cache, dstate if with_dstate else None)
    assert rel_error(dx, ref_dx) < TOL
    assert rel_error(dh0, ref_dh0) < TOL
    assert rel_error(dc0, ref_dc0) < TOL
    for k in params:
        assert rel_error(grads[k], ref_grads[k]) < TOL, k


@pytest.mark.parametrize("chunk_steps", [1, 2, 3, 7])
def test_lstm_backward_in_chunks_equals_step_loop(rng, monkeypatch, chunk_steps):
    # backward keeps da for K steps at a time (K from a byte budget: the whole sequence at these
    # sizes); shrink the budget so that T = 7 splits into chunks of K, the first one partial
    T, N, D, H = 7, 3, 2, 4
    monkeypatch.setattr(_fused, "CHUNK_BYTES", chunk_steps * N * 4 * H * 8)
    params, x, state0, dhs, dstate = lstm_problem(rng, T, N, D, H)
    ref_dx, (ref_dh0, ref_dc0), ref_grads = lstm.backward(dhs, lstm.forward(x, state0, params)[2], dstate)
    _, _, cache = lstm.forward(x, state0, params, fused=True)
    dx, (dh0, dc0), grads = lstm.backward(dhs, cache, dstate)
    assert rel_error(dx, ref_dx) < TOL
    assert rel_error(dh0, ref_dh0) < TOL and rel_error(dc0, ref_dc0) < TOL
    for k in params:
        assert rel_error(grads[k], ref_grads[k]) < TOL, k


@pytest.mark.parametrize("shape", FAST_SHAPES)
@pytest.mark.parametrize("name", ["gru"] + sorted(variants.LSTM_VARIANTS))
def test_without_a_fused_path_fused_runs_the_loop(rng, shape, name):
    # gru and the variants have no fused path (it measured less than 10 % faster, benchmarks/README.md):
    # fused=True takes the same arguments and runs the same loop, so everything is equal bit for bit
    T, N, D, H = shape
    if name == "gru":
        params, state0 = gru.init_params(D, H, rng=rng), rng.standard_normal((N, H))
        run, back = gru.forward, gru.backward
    else:
        params = variants.init_params(D, H, rng=rng, variant=name)
        state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
        run, back = partial(variants.forward, variant=name), variants.backward
    x, dhs = rng.standard_normal((T, N, D)), rng.standard_normal((T, N, H))
    ref_hs, stateT, ref_cache = run(x, state0, params)
    hs, _, cache = run(x, state0, params, fused=True)
    assert isinstance(cache, list) and isinstance(ref_cache, list)
    np.testing.assert_array_equal(hs, ref_hs)
    dstate = stateT   # any array of the state's shape will do as the final state's gradient
    ref_dx, ref_dstate0, ref_grads = back(dhs, ref_cache, dstate)
    dx, dstate0, grads = back(dhs, cache, dstate)
    np.testing.assert_array_equal(dx, ref_dx)
    for a, b in zip(np.atleast_1d(dstate0) if name == "gru" else dstate0,
                    np.atleast_1d(ref_dstate0) if name == "gru" else ref_dstate0, strict=False):
        np.testing.assert_array_equal(a, b)
    assert sorted(grads) == sorted(params)
    for k in params:
        np.testing.assert_array_equal(grads[k], ref_grads[k], err_msg=k)


# ---- the sequence cache still reads as a list of step caches -------------------------------

def test_rnn_cache_indexes_like_step_caches(rng):
    params, x, h0, dhs = rnn_problem(rng, 4, 3, 2, 5)
    *_, ref_caches = rnn.forward(x, h0, params)
    _, _, cache = rnn.forward(x, h0, params, fused=True)
    assert len(cache) == len(ref_caches) == 4
    for t, ref in enumerate(ref_caches):
        got = cache[t]
        assert isinstance(got, rnn.StepCache)
        for a, b in zip(got[:3], ref[:3], strict=False):   # x_t, h_prev, a
            assert rel_error(a, b) < TOL
        # one private copy of params for every step: the caller may edit theirs after forward
        assert got[3] is cache.params is not params and got[4] == "tanh"
        assert all(np.array_equal(got[3][k], params[k]) for k in params)
        # a step of backward accepts it
        assert rel_error(rnn.step_backward(dhs[t], got)[0], rnn.step_backward(dhs[t], ref)[0]) < TOL
    assert rel_error(cache[-1][1], ref_caches[-1][1]) < TOL
    with pytest.raises(IndexError):
        cache[4]


def test_lstm_cache_indexes_like_step_caches(rng):
    params, x, state0, dhs, _ = lstm_problem(rng, 4, 3, 2, 5)
    *_, ref_caches = lstm.forward(x, state0, params)
    _, _, cache = lstm.forward(x, state0, params, fused=True)
    assert len(cache) == len(ref_caches) == 4
    for t, ref in enumerate(ref_caches):
        got = cache[t]
        assert isinstance(got, lstm.StepCache) and got.f is got[4]
        for a, b in zip(got[:8], ref[:8], strict=False):   # x_t, h_prev, c_prev, i, f, g, o, tanh_c
            assert rel_error(a, b) < TOL
        assert got[8] is cache.params is not params   # a private copy, see the rnn test
        assert all(np.array_equal(got[8][k], params[k]) for k in params)
        dc = np.ones_like(state0[1])
        for a, b in zip(lstm.step_backward(dhs[t], dc, got)[:3], lstm.step_backward(dhs[t], dc, ref)[:3], strict=False):
            assert rel_error(a, b) < TOL


# ---- no aliasing: backward leaves its inputs alone, outputs do not share the cache ----------

def test_lstm_backward_is_repeatable_and_leaves_inputs_alone(rng):
    params, x, state0, dhs, dstate = lstm_problem(rng, 5, 2, 3, 4)
    hs, _, cache = lstm.forward(x, state0, params, fused=True)
    kept = [a.copy() for a in (dhs, *dstate, *state0, x)]
    first = lstm.backward(dhs, cache, dstate)
    hs *= 0.0                                 # editing the returned hs must not reach the cache
    second = lstm.backward(dhs, cache, dstate)
    for a, b in zip(kept, (dhs, *dstate, *state0, x), strict=False):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1][0], second[1][0])
    np.testing.assert_array_equal(first[1][1], second[1][1])
    assert all(np.array_equal(first[2][k], second[2][k]) for k in params)
    assert first[2]["bias_ih"] is not first[2]["bias_hh"]   # two arrays: editing one leaves the other


def test_rnn_backward_is_repeatable_and_leaves_inputs_alone(rng):
    params, x, h0, dhs = rnn_problem(rng, 5, 2, 3, 4)
    hs, _, cache = rnn.forward(x, h0, params, activation="sigmoid", fused=True)
    kept = [a.copy() for a in (dhs, h0, x)]
    first = rnn.backward(dhs, cache)
    hs *= 0.0
    second = rnn.backward(dhs, cache)
    for a, b in zip(kept, (dhs, h0, x), strict=False):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert all(np.array_equal(first[2][k], second[2][k]) for k in params)
    assert first[2]["bias_ih"] is not first[2]["bias_hh"]


# ---- float32 end to end ---------------------------------------------------------------------

def test_float32_stays_float32_and_close_to_float64(rng):
    # float32 has eps ~6e-8; over T = 20 steps the gradients drift by ~1e-6 relative to their scale
    params, x, state0, dhs, dstate = lstm_problem(rng, 20, 4, 3, 8, np.float32)
    hs, (hT, cT), cache = lstm.forward(x, state0, params, fused=True)
    dx, (dh0, dc0), grads = lstm.backward(dhs, cache, dstate)
    out32 = [hs, hT, cT, dx, dh0, dc0, *grads.values()]
    assert {a.dtype for a in out32} == {np.dtype(np.float32)}
    up = lambda a: a.astype(np.float64)  # noqa: E731
    p64 = {k: up(v) for k, v in params.items()}
    hs, (hT, cT), cache = lstm.forward(up(x), (up(state0[0]), up(state0[1])), p64, fused=True)
    dx, (dh0, dc0), grads = lstm.backward(up(dhs), cache, (up(dstate[0]), up(dstate[1])))
    for a, b in zip(out32, [hs, hT, cT, dx, dh0, dc0, *grads.values()], strict=False):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max())

    rparams, x, h0, dhs = rnn_problem(rng, 20, 4, 3, 8, np.float32)
    hs, _, cache = rnn.forward(x, h0, rparams, fused=True)
    dx, dh0, grads = rnn.backward(dhs, cache)
    assert {a.dtype for a in [hs, dx, dh0, *grads.values()]} == {np.dtype(np.float32)}


# ---- a cache that forward did not return is refused with a clear message --------------------

_, _, LCACHE = lstm.forward(np.zeros((2, 1, 1)), None, lstm.init_params(1, 2, rng=np.random.default_rng(0)),
                            fused=True)
_, _, RCACHE = rnn.forward(np.zeros((2, 1, 1)), None, rnn.init_params(1, 2, rng=np.random.default_rng(0)),
                           fused=True)

BAD_CACHES = {
    "lstm list of rnn step caches": (lambda: lstm.backward(None, [RCACHE[0], RCACHE[1]]),
                                     ["cache", "lstm.forward", "list"]),
    "lstm empty list": (lambda: lstm.backward(None, []), ["cache", "lstm.forward", "list"]),
    "lstm rnn cache": (lambda: lstm.backward(None, RCACHE), ["cache", "lstm.forward", "RNNCache"]),
    "lstm None": (lambda: lstm.backward(None, None), ["cache", "lstm.forward", "NoneType"]),
    "rnn list of lstm step caches": (lambda: rnn.backward(np.zeros((2, 1, 2)), list(LCACHE)),
                                     ["cache", "rnn.forward", "list"]),
    "rnn lstm cache": (lambda: rnn.backward(np.zeros((2, 1, 2)), LCACHE), ["cache", "rnn.forward", "LSTMCache"]),
    "gru rnn cache": (lambda: gru.backward(None, RCACHE), ["cache", "gru.forward", "RNNCache"]),
    "variants lstm cache": (lambda: variants.backward(None, LCACHE), ["cache", "variants.forward", "LSTMCache"]),
}


@pytest.mark.parametrize("name", list(BAD_CACHES))
def test_backward_refuses_a_foreign_cache(name):
    call, words = BAD_CACHES[name]
    with pytest.raises(ValueError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)
