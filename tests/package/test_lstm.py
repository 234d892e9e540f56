"""lstmkit.lstm against centred finite differences and against torch.nn.LSTM autograd (float64)."""
import numpy as np

from lstmkit import lstm
from lstmkit.gradcheck import numerical_gradient, rel_error

from parity import FD_TOL  # the tolerances and their reasons


def make_problem(rng, T, N, D, H):
    params = lstm.init_params(D, H, rng=rng)
    x = rng.standard_normal((T, N, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dhs = rng.standard_normal((T, N, H))
    dhT, dcT = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    return params, x, (h0, c0), dhs, (dhT, dcT)


def test_step_backward_matches_finite_differences(rng):
    params, x, (h0, c0), dhs, (dhT, dcT) = make_problem(rng, 1, 3, 4, 5)
    h, c, cache = lstm.step_forward(x[0], h0, c0, params)
    dx, dh_prev, dc_prev, grads = lstm.step_backward(dhs[0], dcT, cache)

    def loss(_):   # both outputs of the step, each against its upstream gradient
        h, c, _ = lstm.step_forward(x[0], h0, c0, params)
        return np.sum(h * dhs[0]) + np.sum(c * dcT)

    assert rel_error(dx, numerical_gradient(loss, x[0], 1.0)) < FD_TOL
    assert rel_error(dh_prev, numerical_gradient(loss, h0, 1.0)) < FD_TOL
    assert rel_error(dc_prev, numerical_gradient(loss, c0, 1.0)) < FD_TOL
    for k in params:
        assert rel_error(grads[k], numerical_gradient(loss, params[k], 1.0)) < FD_TOL, k


def test_dhs_none_means_zeros(rng):
    params, x, state0, _, dstate = make_problem(rng, 3, 2, 2, 3)
    _, _, cache = lstm.forward(x, state0, params)
    a = lstm.backward(None, cache, dstate)
    b = lstm.backward(np.zeros((3, 2, 3)), cache, dstate)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1][1], b[1][1])


def test_forward_matches_step_loop(rng):
    # the loop is the step, bit for bit; the fused sequence path sums the same products, which BLAS may
    # order differently (1e-12, as issue 8 asks)
    params, x, (h, c), _, _ = make_problem(rng, 4, 2, 3, 5)
    hs, (hT, cT), _ = lstm.forward(x, (h, c), params, fused=True)
    hs_loop, (hT_loop, cT_loop), _ = lstm.forward(x, (h, c), params)
    for t in range(len(x)):
        h, c, _ = lstm.step_forward(x[t], h, c, params)
        np.testing.assert_allclose(hs[t], h, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(hs_loop[t], h)
    np.testing.assert_allclose(hT, h, rtol=1e-12, atol=0)
    np.testing.assert_allclose(cT, c, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(hT_loop, h)
    np.testing.assert_array_equal(cT_loop, c)


def test_cell_gradient_path_is_the_forget_gate(rng):
    # dc_{t-1} = dc_t * f_t when nothing reaches h_t: the carousel of chapter 04
    params, x, (h0, c0), _, _ = make_problem(rng, 1, 2, 3, 4)
    _, _, cache = lstm.step_forward(x[0], h0, c0, params)
    dc = rng.standard_normal((2, 4))
    _, _, dc_prev, _ = lstm.step_backward(np.zeros((2, 4)), dc, cache)
    f = cache[4]
    np.testing.assert_allclose(dc_prev, dc * f, rtol=0, atol=0)


def test_init_params_layout_and_forget_bias(rng):
    params = lstm.init_params(3, 5, rng=rng, forget_bias=1.0)
    assert {k: v.shape for k, v in params.items()} == {
        "weight_ih": (20, 3), "weight_hh": (20, 5), "bias_ih": (20,), "bias_hh": (20,)}
    np.testing.assert_array_equal(params["bias_ih"][5:10], 1.0)   # rows H:2H are the forget gate
    np.testing.assert_array_equal(params["bias_hh"][5:10], 0.0)
    assert np.all(params["bias_ih"][:5] != 1.0)
    # the forget gate with a zero input and state: sigmoid(1) for every unit
    _, c, cache = lstm.step_forward(np.zeros((1, 3)), np.zeros((1, 5)), np.ones((1, 5)), params)
    np.testing.assert_allclose(cache[4], 1 / (1 + np.exp(-1.0)), rtol=1e-15)


def test_float32_stays_float32(rng):
    params = lstm.init_params(2, 3, rng=rng, dtype=np.float32)
    x = rng.standard_normal((4, 2, 2)).astype(np.float32)
    hs, (hT, cT), cache = lstm.forward(x, None, params)
    dx, (dh0, dc0), grads = lstm.backward(np.ones_like(hs), cache)
    assert {a.dtype for a in [hs, hT, cT, dx, dh0, dc0, *grads.values()]} == {np.dtype(np.float32)}


# ---- torch autograd parity ------------------------------------------------------------------


