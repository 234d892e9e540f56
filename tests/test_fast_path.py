"""The fused sequence functions (rnn/lstm.forward, .backward) against the step functions they fuse.

The chapters teach step_forward/step_backward; forward/backward compute the same equations for a
whole sequence at once (hoisted input projection, one tanh for the four gates, one weight-gradient
matmul over all steps). Here a plain loop over the public step functions is the reference.
Tolerance: float64, rel_error < 1e-12. Only the order of floating-point sums differs (one matmul
over T*N rows instead of T sums of N rows), which costs a few ulps, ~1e-15 relative; 1e-12 leaves
room for cancellation and still catches any real mistake (a wrong term is off by > 1e-3).
"""
import numpy as np
import pytest
from conftest import SHAPES

from lstmkit import lstm, rnn
from lstmkit.gradcheck import rel_error

TOL = 1e-12
FAST_SHAPES = SHAPES + [(7, 3, 5, 16), (12, 8, 1, 9)]


# ---- references: loops over the public step functions --------------------------------------

def rnn_step_loop(x, h0, dhs, params, activation):
    h, caches, hs = h0, [], []
    for t in range(len(x)):
        h, cache = rnn.step_forward(x[t], h, params, activation)
        hs.append(h)
        caches.append(cache)
    dx, grads, dh = np.zeros_like(x), {k: np.zeros_like(v) for k, v in params.items()}, np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dx[t], dh, step_grads = rnn.step_backward(dhs[t] + dh, caches[t])
        for k in grads:
            grads[k] += step_grads[k]
    return np.stack(hs), caches, dx, dh, grads


def lstm_step_loop(x, state0, dhs, dstate, params):
    (h, c), caches, hs = state0, [], []
    for t in range(len(x)):
        h, c, cache = lstm.step_forward(x[t], h, c, params)
        hs.append(h)
        caches.append(cache)
    hT, cT = h, c
    dh, dc = dstate
    dx, grads = np.zeros_like(x), {k: np.zeros_like(v) for k, v in params.items()}
    for t in reversed(range(len(x))):
        dx[t], dh, dc, step_grads = lstm.step_backward(dhs[t] + dh, dc, caches[t])
        for k in grads:
            grads[k] += step_grads[k]
    return np.stack(hs), (hT, cT), caches, dx, (dh, dc), grads


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


# ---- equal to the step loop ----------------------------------------------------------------

@pytest.mark.parametrize("shape", FAST_SHAPES)
@pytest.mark.parametrize("activation", sorted(rnn.ACTIVATIONS))
def test_rnn_fused_equals_step_loop(rng, shape, activation):
    params, x, h0, dhs = rnn_problem(rng, *shape)
    ref_hs, _, ref_dx, ref_dh0, ref_grads = rnn_step_loop(x, h0, dhs, params, activation)

    # forward
    hs, cache = rnn.forward(x, h0, params, activation)
    assert rel_error(hs, ref_hs) < TOL
    # backward
    dx, dh0, grads = rnn.backward(dhs, cache)
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
    ref = lstm_step_loop(x, state0, dhs, dstate, params)
    ref_hs, (ref_hT, ref_cT), _, ref_dx, (ref_dh0, ref_dc0), ref_grads = ref

    # forward: outputs and final state
    hs, (hT, cT), cache = lstm.forward(x, state0, params)
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
    monkeypatch.setattr(lstm, "_CHUNK_BYTES", chunk_steps * N * 4 * H * 8)
    params, x, state0, dhs, dstate = lstm_problem(rng, T, N, D, H)
    *_, ref_dx, (ref_dh0, ref_dc0), ref_grads = lstm_step_loop(x, state0, dhs, dstate, params)
    _, _, cache = lstm.forward(x, state0, params)
    dx, (dh0, dc0), grads = lstm.backward(dhs, cache, dstate)
    assert rel_error(dx, ref_dx) < TOL
    assert rel_error(dh0, ref_dh0) < TOL and rel_error(dc0, ref_dc0) < TOL
    for k in params:
        assert rel_error(grads[k], ref_grads[k]) < TOL, k


# ---- the sequence cache still reads as a list of step caches -------------------------------

def test_rnn_cache_indexes_like_step_caches(rng):
    params, x, h0, dhs = rnn_problem(rng, 4, 3, 2, 5)
    _, ref_caches, *_ = rnn_step_loop(x, h0, dhs, params, "tanh")
    _, cache = rnn.forward(x, h0, params)
    assert len(cache) == len(ref_caches) == 4
    for t, ref in enumerate(ref_caches):
        got = cache[t]
        for a, b in zip(got[:3], ref[:3]):   # x_t, h_prev, a
            assert rel_error(a, b) < TOL
        assert got[3] is params and got[4] == "tanh"
        # a step of backward accepts it
        assert rel_error(rnn.step_backward(dhs[t], got)[0], rnn.step_backward(dhs[t], ref)[0]) < TOL
    assert rel_error(cache[-1][1], ref_caches[-1][1]) < TOL
    with pytest.raises(IndexError):
        cache[4]


def test_lstm_cache_indexes_like_step_caches(rng):
    params, x, state0, dhs, _ = lstm_problem(rng, 4, 3, 2, 5)
    _, _, ref_caches, *_ = lstm_step_loop(x, state0, dhs, state0, params)
    _, _, cache = lstm.forward(x, state0, params)
    assert len(cache) == len(ref_caches) == 4
    for t, ref in enumerate(ref_caches):
        got = cache[t]
        for a, b in zip(got[:8], ref[:8]):   # x_t, h_prev, c_prev, i, f, g, o, tanh_c
            assert rel_error(a, b) < TOL
        assert got[8] is params
        dc = np.ones_like(state0[1])
        for a, b in zip(lstm.step_backward(dhs[t], dc, got)[:3], lstm.step_backward(dhs[t], dc, ref)[:3]):
            assert rel_error(a, b) < TOL


# ---- no aliasing: backward leaves its inputs alone, outputs do not share the cache ----------

def test_lstm_backward_is_repeatable_and_leaves_inputs_alone(rng):
    params, x, state0, dhs, dstate = lstm_problem(rng, 5, 2, 3, 4)
    hs, _, cache = lstm.forward(x, state0, params)
    kept = [a.copy() for a in (dhs, *dstate, *state0, x)]
    first = lstm.backward(dhs, cache, dstate)
    hs *= 0.0                                 # editing the returned hs must not reach the cache
    second = lstm.backward(dhs, cache, dstate)
    for a, b in zip(kept, (dhs, *dstate, *state0, x)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1][0], second[1][0])
    np.testing.assert_array_equal(first[1][1], second[1][1])
    assert all(np.array_equal(first[2][k], second[2][k]) for k in params)
    assert first[2]["bias_ih"] is not first[2]["bias_hh"]   # two arrays: editing one leaves the other


def test_rnn_backward_is_repeatable_and_leaves_inputs_alone(rng):
    params, x, h0, dhs = rnn_problem(rng, 5, 2, 3, 4)
    hs, cache = rnn.forward(x, h0, params, "sigmoid")
    kept = [a.copy() for a in (dhs, h0, x)]
    first = rnn.backward(dhs, cache)
    hs *= 0.0
    second = rnn.backward(dhs, cache)
    for a, b in zip(kept, (dhs, h0, x)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert all(np.array_equal(first[2][k], second[2][k]) for k in params)
    assert first[2]["bias_ih"] is not first[2]["bias_hh"]


# ---- float32 end to end ---------------------------------------------------------------------

def test_float32_stays_float32_and_close_to_float64(rng):
    # float32 has eps ~6e-8; over T = 20 steps the gradients drift by ~1e-6 relative to their scale
    params, x, state0, dhs, dstate = lstm_problem(rng, 20, 4, 3, 8, np.float32)
    hs, (hT, cT), cache = lstm.forward(x, state0, params)
    dx, (dh0, dc0), grads = lstm.backward(dhs, cache, dstate)
    out32 = [hs, hT, cT, dx, dh0, dc0, *grads.values()]
    assert {a.dtype for a in out32} == {np.dtype(np.float32)}
    up = lambda a: a.astype(np.float64)  # noqa: E731
    p64 = {k: up(v) for k, v in params.items()}
    hs, (hT, cT), cache = lstm.forward(up(x), (up(state0[0]), up(state0[1])), p64)
    dx, (dh0, dc0), grads = lstm.backward(up(dhs), cache, (up(dstate[0]), up(dstate[1])))
    for a, b in zip(out32, [hs, hT, cT, dx, dh0, dc0, *grads.values()]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max())

    rparams, x, h0, dhs = rnn_problem(rng, 20, 4, 3, 8, np.float32)
    hs, cache = rnn.forward(x, h0, rparams)
    dx, dh0, grads = rnn.backward(dhs, cache)
    assert {a.dtype for a in [hs, dx, dh0, *grads.values()]} == {np.dtype(np.float32)}


# ---- a cache that forward did not return is refused with a clear message --------------------

_, _, LCACHE = lstm.forward(np.zeros((2, 1, 1)), None, lstm.init_params(1, 2, rng=np.random.default_rng(0)))
_, RCACHE = rnn.forward(np.zeros((2, 1, 1)), None, rnn.init_params(1, 2, rng=np.random.default_rng(0)))

BAD_CACHES = {
    "lstm list of step caches": (lambda: lstm.backward(None, [LCACHE[0], LCACHE[1]]),
                                 ["cache", "lstm.forward", "list"]),
    "lstm rnn cache": (lambda: lstm.backward(None, RCACHE), ["cache", "lstm.forward", "_RNNCache"]),
    "lstm None": (lambda: lstm.backward(None, None), ["cache", "lstm.forward", "NoneType"]),
    "rnn list of step caches": (lambda: rnn.backward(np.zeros((2, 1, 2)), list(RCACHE)),
                                ["cache", "rnn.forward", "list"]),
    "rnn lstm cache": (lambda: rnn.backward(np.zeros((2, 1, 2)), LCACHE), ["cache", "rnn.forward", "_LSTMCache"]),
}


@pytest.mark.parametrize("name", list(BAD_CACHES))
def test_backward_refuses_a_foreign_cache(name):
    call, words = BAD_CACHES[name]
    with pytest.raises(ValueError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)
