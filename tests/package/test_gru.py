"""lstmkit.gru's step against centred finite differences, its sequence against the step loop; interop.

The sequence against both references (finite differences, torch.nn.GRU autograd, sizes drawn by
hypothesis) runs in test_layers.py and test_properties.py, through tests/parity.py; its bad inputs are
in test_bad_input.py's table."""
import numpy as np
import pytest

from lstmkit import gru
from lstmkit.gradcheck import numerical_gradient, rel_error

from parity import FD_TOL, needs_torch, torch  # the tolerances and their reasons


def make_problem(rng, T, N, D, H):
    params = gru.init_params(D, H, rng=rng)
    params = {k: 2.0 * v for k, v in params.items()}   # larger weights: gates away from 0.5 show more bugs
    x = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    dhs = rng.standard_normal((T, N, H))
    return params, x, h0, dhs


def test_step_backward_matches_finite_differences(rng):
    params, x, h0, dhs = make_problem(rng, 1, 3, 4, 5)
    h, cache = gru.step_forward(x[0], h0, params)
    dx, dh_prev, grads = gru.step_backward(dhs[0], cache)

    def out(_):
        return gru.step_forward(x[0], h0, params)[0]

    assert rel_error(dx, numerical_gradient(out, x[0], dhs[0])) < FD_TOL
    assert rel_error(dh_prev, numerical_gradient(out, h0, dhs[0])) < FD_TOL
    for k in params:
        assert rel_error(grads[k], numerical_gradient(out, params[k], dhs[0])) < FD_TOL, k


def test_sequence_equals_step_loop(rng):
    # forward and backward are the loop over the step functions (the GRU has no fused path): the
    # sequence run by hand step by step is the reference
    params, x, h0, dhs = make_problem(rng, 5, 3, 2, 4)
    hs, _, cache = gru.forward(x, h0, params)
    dx, dh0, grads = gru.backward(dhs, cache)
    h, caches = h0, []
    for t in range(len(x)):
        h, c = gru.step_forward(x[t], h, params)
        np.testing.assert_array_equal(hs[t], h)   # forward: bit for bit the step loop
        caches.append(c)
    ref = {k: np.zeros_like(v) for k, v in params.items()}
    dh = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dx_t, dh, g = gru.step_backward(dhs[t] + dh, caches[t])
        assert rel_error(dx[t], dx_t) < 1e-12
        for k in ref:
            ref[k] += g[k]
    assert rel_error(dh0, dh) < 1e-12
    for k in ref:
        assert rel_error(grads[k], ref[k]) < 1e-12, k


def test_h0_none_means_zeros_and_dhs_none_means_zeros(rng):
    params, x, _, _ = make_problem(rng, 3, 2, 3, 4)
    hs, _, cache = gru.forward(x, None, params)
    np.testing.assert_array_equal(hs, gru.forward(x, np.zeros((2, 4)), params)[0])
    a, b = gru.backward(None, cache), gru.backward(np.zeros((3, 2, 4)), cache)
    np.testing.assert_array_equal(a[0], b[0])


def test_update_gate_is_the_direct_gradient_path(rng):
    # dh_prev = z * dh + (terms through W_hh); with weight_hh = 0 only the direct path diag(z_t)
    # remains: the GRU's counterpart of the LSTM's dc_prev = f * dc (chapter 06).
    params, x, h0, _ = make_problem(rng, 1, 2, 3, 4)
    params["weight_hh"][:] = 0.0
    _, cache = gru.step_forward(x[0], h0, params)
    dh = rng.standard_normal((2, 4))
    _, dh_prev, _ = gru.step_backward(dh, cache)
    z = cache[3]
    np.testing.assert_allclose(dh_prev, dh * z, rtol=0, atol=0)


def test_init_params_layout_and_update_bias(rng):
    params = gru.init_params(3, 5, rng=rng, update_bias=2.0)
    assert {k: v.shape for k, v in params.items()} == {
        "weight_ih": (15, 3), "weight_hh": (15, 5), "bias_ih": (15,), "bias_hh": (15,)}
    np.testing.assert_array_equal(params["bias_ih"][5:10], 2.0)   # rows H:2H are the update gate z
    np.testing.assert_array_equal(params["bias_hh"][5:10], 0.0)
    _, cache = gru.step_forward(np.zeros((1, 3)), np.zeros((1, 5)), params)
    np.testing.assert_allclose(cache[3], 1 / (1 + np.exp(-2.0)), rtol=1e-15)
    bound = 1 / np.sqrt(5)
    assert np.abs(gru.init_params(3, 5, rng=rng)["weight_hh"]).max() <= bound


def test_float32_stays_float32(rng):
    params = gru.init_params(2, 3, rng=rng, dtype=np.float32)
    x = rng.standard_normal((4, 2, 2)).astype(np.float32)
    hs, _, cache = gru.forward(x, None, params)
    dx, dh0, grads = gru.backward(np.ones_like(hs), cache)
    assert {a.dtype for a in [hs, dx, dh0, *grads.values()]} == {np.dtype(np.float32)}


def test_no_overflow_warning_at_large_inputs(rng):
    params = {k: np.full_like(v, 1.0) for k, v in gru.init_params(2, 3, rng=rng).items()}
    with np.errstate(all="raise"):
        hs, _, cache = gru.forward(np.full((2, 1, 2), -1e4), None, params)
        gru.backward(np.ones_like(hs), cache)
    assert np.all(np.isfinite(hs))


def test_dstate_is_the_gradient_on_the_final_state(rng):
    # hT is hs[-1], so a gradient on the final state must act exactly like one on the last output
    params, x, h0, _ = make_problem(rng, 4, 2, 3, 5)
    dhT = rng.standard_normal((2, 5))
    dhs = np.zeros((4, 2, 5))
    dhs[-1] = dhT
    _, hT, cache = gru.forward(x, h0, params)
    np.testing.assert_array_equal(hT, gru.forward(x, h0, params)[0][-1])
    via_state, via_outputs = gru.backward(None, cache, dhT), gru.backward(dhs, cache)
    for a, b in zip(via_state[:2], via_outputs[:2], strict=False):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="dstate"):
        gru.backward(None, cache, dhT[:1])


# ---- interop ---------------------------------------------------------

from lstmkit import interop  # noqa: E402


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_exact(rng, dtype):
    params = gru.init_params(3, 4, rng=rng, dtype=dtype)
    module = interop.gru_to_torch(params)
    assert module.weight_hh_l0.dtype == getattr(torch, np.dtype(dtype).name)
    back = interop.gru_from_torch(module)
    assert set(back) == set(params)
    for k in params:
        assert back[k].dtype == params[k].dtype
        np.testing.assert_array_equal(back[k], params[k])
