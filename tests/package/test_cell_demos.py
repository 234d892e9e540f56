"""lstmkit.cell_demos: the gate simulations of chapter 03 and the gradient-path measurements of chapter 04.

The simulations are checked against their closed forms and against lstm.forward; every gradient
norm is checked against an independent computation (lstm.backward / rnn.backward started at step t
from the state the forward reached there), so the measurement cannot drift from the package.
"""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmkit import cell_demos, lstm, rnn
from lstmkit.rnn import sigmoid

EXACT = 1e-12   # float64 recomputations of the same arithmetic in a different order


def test_simulate_gates_closed_form():
    f, i, o, g, T, w = 0.9, 0.8, 0.7, 0.6, 40, 5
    d = cell_demos.simulate_gates(f=f, i=i, o=o, g=g, T=T, write_step=w)
    t = d["t"]
    # nothing is written before the pulse; afterwards the stored i*g decays as f^(t - w)
    want_c = np.where(t >= w, i * g * f ** np.maximum(t - w, 0), 0.0)
    np.testing.assert_allclose(d["c"], want_c, rtol=EXACT, atol=0)
    np.testing.assert_allclose(d["h"], o * np.tanh(want_c), rtol=EXACT, atol=0)
    np.testing.assert_allclose(d["dcT_dct"], f ** (T - t), rtol=EXACT)
    assert d["dcT_dc0"] == pytest.approx(f ** T, rel=EXACT)
    assert np.isnan(d["f"][0]) and np.all(d["f"][1:] == f)
    assert d["i"][w] == i and np.sum(d["i"][1:] != 0) == 1   # the input gate opens exactly once


def test_the_chapter_number_for_forget_0_9():
    # chapter 03 quotes 0.9^50 ~ 5e-3 and the browser test reads the readout at the default slider
    assert f"{cell_demos.simulate_gates(f=0.9, T=50)['dcT_dc0']:.3e}" == "5.154e-03"


def test_forget_one_holds_the_cell_exactly():
    d = cell_demos.simulate_gates(f=1.0, i=0.0, T=1000, c0=0.37)
    assert np.all(d["c"] == 0.37) and d["dcT_dc0"] == 1.0


def test_run_cell_matches_lstm_forward_and_the_gate_equations(rng):
    T, N, D, H = 6, 3, 2, 4
    params = lstm.init_params(D, H, rng=rng)
    x = rng.standard_normal((T, N, D))
    state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    rec = cell_demos.run_cell(params, x, state0)
    hs, (hT, cT), _ = lstm.forward(x, state0, params)
    np.testing.assert_array_equal(rec["h"][1:], hs)
    np.testing.assert_array_equal(rec["c"][-1], cT)
    # each gate from its own block of rows, recomputed by hand
    a = x @ params["weight_ih"].T + params["bias_ih"] + rec["h"][:-1] @ params["weight_hh"].T + params["bias_hh"]
    for k, (name, act) in enumerate((("i", sigmoid), ("f", sigmoid), ("g", np.tanh), ("o", sigmoid))):
        np.testing.assert_allclose(rec[name], act(a[..., k * H:(k + 1) * H]), rtol=EXACT, atol=EXACT)


def test_simulate_biases_runs_the_real_cell():
    d = cell_demos.simulate_biases(b_f=2.0, b_i=-3.0, b_o=1.0, b_g=0.5, T=30, write_step=4, noise=0.3, seed=7)
    x = cell_demos.latch_input(30, 4, 0.3, 7)
    hs, (hT, cT), _ = lstm.forward(x, None, cell_demos.latch_params(b_i=-3.0, b_f=2.0, b_g=0.5, b_o=1.0))
    np.testing.assert_array_equal(d["h"][1:], hs[:, 0, 0])
    assert d["c"][-1] == cT[0, 0]
    assert d["x"][4] == 1.0
    w = cell_demos.LATCH_WEIGHTS   # the gates are the biases plus the input weights times x_t
    np.testing.assert_allclose(d["f"][1:], sigmoid(2.0 + w["f"] * d["x"][1:]), rtol=EXACT)
    np.testing.assert_allclose(d["i"][1:], sigmoid(-3.0 + w["i"] * d["x"][1:]), rtol=EXACT)
    np.testing.assert_allclose(d["dcT_dct"][0], np.prod(d["f"][1:]), rtol=EXACT)


def test_latch_stores_and_holds_without_noise():
    # input gate shut except at the pulse, forget gate near 1: the pulse's candidate is kept
    d = cell_demos.simulate_biases(b_f=8.0, b_i=-4.0, b_o=8.0, b_g=0.0, T=100, write_step=10, noise=0.0)
    stored = d["c"][10]
    assert stored > 0.7 and d["c"][9] < 1e-3
    assert d["c"][-1] == pytest.approx(stored * np.prod(d["f"][11:]), rel=1e-6)
    assert d["c"][-1] > 0.95 * stored


def test_constant_error_carousel_is_exact_at_bias_40(rng):
    params = cell_demos.carousel_params(3, 5, bias=40.0)
    h0, c0 = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    _, (_, cT), _ = lstm.forward(rng.standard_normal((1000, 2, 3)), (h0, c0), params)
    np.testing.assert_array_equal(cT, c0)   # f rounds to 1 and i * g to exactly 0 in float64
    # at bias 10 the forget gate is 1 - 4.5e-5: the cell keeps sigmoid(10)^1000 of its value
    params = cell_demos.carousel_params(3, 5, bias=10.0)
    _, (_, cT), _ = lstm.forward(np.zeros((1000, 2, 3)), (h0, c0), params)
    np.testing.assert_allclose(cT, c0 * sigmoid(10.0) ** 1000, rtol=1e-10)


def _lstm_norms_by_restarting(params, x, state0, readout):
    """||dL/dh_t||, ||dL/dc_t|| by lag, each from lstm.backward on the sequence from step t+1.

    The restarted backward treats h_t and c_t as two inputs; the total dL/dc_t also counts that
    c_t made h_t = o_t * tanh(c_t) (for t >= 1; h_0 and c_0 really are independent inputs).
    """
    T = len(x)
    rec = cell_demos.run_cell(params, x, state0)
    dh_T = np.broadcast_to(readout, rec["h"][0].shape)
    nh, nc = [np.linalg.norm(dh_T)], [np.linalg.norm(dh_T * rec["o"][-1] * (1 - np.tanh(rec["c"][-1]) ** 2))]
    for t in reversed(range(T)):   # t = T-1 .. 0: the state after step t
        _, _, cache = lstm.forward(x[t:], (rec["h"][t], rec["c"][t]), params)
        dhs = np.zeros((T - t,) + rec["h"][0].shape)
        dhs[-1] = readout
        _, (dh, dc), _ = lstm.backward(dhs, cache)
        if t > 0:
            dc = dc + dh * rec["o"][t - 1] * (1 - np.tanh(rec["c"][t]) ** 2)
        nh.append(np.linalg.norm(dh))
        nc.append(np.linalg.norm(dc))
    return np.array(nh), np.array(nc)


@pytest.mark.parametrize("forget_bias", [None, 0.0, 3.0])
def test_lstm_gradient_norms_match_backward_restarted_at_each_step(rng, forget_bias):
    T, N, D, H = 7, 2, 3, 4
    params = lstm.init_params(D, H, rng=rng, forget_bias=forget_bias)
    x = rng.standard_normal((T, N, D))
    state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    readout = rng.standard_normal(H)
    got = cell_demos.state_gradient_norms(params, x, state0, readout)
    want_h, want_c = _lstm_norms_by_restarting(params, x, state0, readout)
    np.testing.assert_allclose(got["h"], want_h, rtol=EXACT)
    np.testing.assert_allclose(got["c"], want_c, rtol=EXACT)
    assert got["f_mean"] == pytest.approx(np.mean(cell_demos.run_cell(params, x, state0)["f"]))


def test_cell_path_is_everything_when_the_gates_ignore_h(rng):
    # with weight_hh = 0, c_t reaches c_T only along the cell: dL/dc_t = dL/dc_T * prod f_k
    params = lstm.init_params(2, 3, rng=rng, forget_bias=1.0)
    params["weight_hh"][:] = 0.0
    got = cell_demos.state_gradient_norms(params, rng.standard_normal((12, 2, 2)))
    np.testing.assert_allclose(got["c"], got["cell_path"], rtol=EXACT)
    assert got["cell_path"][0] == got["c"][0]


def test_rnn_gradient_norms_match_backward_restarted_at_each_step(rng):
    T, N, D, H = 6, 2, 3, 4
    params = rnn.init_params(D, H, rng=rng)
    x = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    got = cell_demos.state_gradient_norms(params, x, h0, activation="tanh")
    assert set(got) == {"h"}
    hs, _, _ = rnn.forward(x, h0, params)
    hprev = np.concatenate([h0[None], hs])
    want = [np.sqrt(N * H)]   # readout all ones
    for t in reversed(range(T)):
        _, _, cache = rnn.forward(x[t:], hprev[t], params)
        dhs = np.zeros((T - t, N, H))
        dhs[-1] = 1.0
        want.append(np.linalg.norm(rnn.backward(dhs, cache)[1]))
    np.testing.assert_allclose(got["h"], want, rtol=EXACT)


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 6), N=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 4),
       seed=st.integers(0, 2 ** 32 - 1))
def test_shapes_and_the_cell_path_bound(T, N, D, H, seed):
    rng = np.random.default_rng(seed)
    params = lstm.init_params(D, H, rng=rng)
    x = rng.standard_normal((T, N, D))
    rec = cell_demos.run_cell(params, x)
    assert all(rec[k].shape == (T, N, H) for k in "ifgo")
    assert rec["h"].shape == rec["c"].shape == (T + 1, N, H)
    r = cell_demos.state_gradient_norms(params, x)
    assert all(r[k].shape == (T + 1,) for k in ("h", "c", "cell_path"))
    # every forget gate lies in (0, 1), so the cell path can only shrink as the lag grows
    assert np.all(np.diff(r["cell_path"]) <= 0) and r["cell_path"][0] == r["c"][0]
    assert r["h"][0] == pytest.approx(np.sqrt(N * H))   # dL/dh_T is the all-ones readout


def test_decay_factor_is_the_geometric_mean_ratio():
    norms = 3.0 * 0.8 ** np.arange(20)
    assert cell_demos.decay_factor(norms) == pytest.approx(0.8, rel=EXACT)
    wobbly = np.array([1.0, 0.5, 0.4, 0.1, 0.05])
    ratios = wobbly[2:] / wobbly[1:-1]
    assert cell_demos.decay_factor(wobbly, 1, 4) == pytest.approx(np.prod(ratios) ** (1 / 3), rel=EXACT)


def test_forget_bias_slows_the_measured_decay():
    # the chapter 04 claim in small: a larger forget bias gives a decay factor nearer 1
    x = np.random.default_rng(0).standard_normal((60, 8, 3))
    factors = [cell_demos.decay_factor(cell_demos.state_gradient_norms(
        lstm.init_params(3, 16, rng=np.random.default_rng(1), forget_bias=b), x)["cell_path"], 5, 55)
        for b in (0.0, 1.0, 3.0)]
    assert factors[0] < factors[1] < factors[2] < 1.0


def test_route_gains_are_the_local_derivatives():
    d = cell_demos.simulate_gates(f=0.8, i=0.6, o=0.7, g=0.5, T=12, write_step=3)
    gains = cell_demos.route_gains(d, t=3)
    c3 = 0.6 * 0.5
    assert gains == pytest.approx({"t": 3, "cell": 0.8, "write": 0.6, "out": 0.7 * (1 - np.tanh(c3) ** 2),
                                   "carousel": 0.8 ** 12}, rel=EXACT)
    # dh_t/dc_t by a centred difference of h = o tanh(c)
    eps = 1e-6
    fd = (0.7 * np.tanh(c3 + eps) - 0.7 * np.tanh(c3 - eps)) / (2 * eps)
    assert gains["out"] == pytest.approx(fd, rel=1e-8)
    assert cell_demos.route_gains(d)["t"] == 12 and cell_demos.route_gains(d)["write"] == 0.0   # holding: input shut


def test_route_gains_on_the_real_cell():
    d = cell_demos.simulate_biases(T=20, write_step=4)
    gains = cell_demos.route_gains(d, t=7)
    assert gains["cell"] == d["f"][7] and gains["write"] == d["i"][7]
    assert gains["carousel"] == pytest.approx(np.prod(d["f"][1:]), rel=EXACT)


def test_rnn_reference_path_is_the_product_of_the_scalar_rnns_jacobians():
    """cell_demos.rnn_reference_path against rnn.backward of the same one-unit RNN, started at every step t."""
    T, w, scale = 12, 0.9, 1.5
    path = cell_demos.rnn_reference_path(T, w_hh=w, input_scale=scale, seed=4)
    x = scale * np.random.default_rng(4).standard_normal(T).reshape(T, 1, 1)
    params = {"weight_ih": np.ones((1, 1)), "weight_hh": np.full((1, 1), w),
              "bias_ih": np.zeros(1), "bias_hh": np.zeros(1)}
    hs, _, _ = rnn.forward(x, np.zeros((1, 1)), params)
    states = np.concatenate([np.zeros((1, 1, 1)), hs])
    for t in range(T):                       # dh_T/dh_t: backprop the rest of the run, started at h_t
        _, _, cache = rnn.forward(x[t:], states[t], params)
        dhs = np.zeros((T - t, 1, 1))
        dhs[-1] = 1.0
        assert path[t] == pytest.approx(rnn.backward(dhs, cache)[1][0, 0], rel=EXACT)
    assert path[T] == 1.0 and np.all(np.diff(path) > 0)     # |w tanh'| < 1: it shrinks with the lag


def test_one_step_back_is_the_total_derivative_and_its_direct_part_is_f():
    rng = np.random.default_rng(5)
    N, D, H = 2, 3, 4
    params = {k: 2 * v for k, v in lstm.init_params(D, H, rng=rng).items()}
    x = rng.standard_normal((2, N, D))
    h1, c1, cache1 = lstm.step_forward(x[0], rng.standard_normal((N, H)), rng.standard_normal((N, H)), params)
    direct, through_h = cell_demos.one_step_back(params, x[1], (h1, c1), cache1[6])
    f = lstm.step_forward(x[1], h1, c1, params)[2][4]
    np.testing.assert_array_equal(direct, f[:, :, None] * np.eye(H))      # the cell path: diag(f_t)

    def c_next(c):                         # h_{t-1} follows the nudged c_{t-1} through o_{t-1} tanh
        return lstm.step_forward(x[1], cache1[6] * np.tanh(c), c, params)[1]

    eps = 1e-6
    fd = np.stack([(c_next(c1 + eps * e) - c_next(c1 - eps * e)) / (2 * eps) for e in np.eye(H)], axis=-1)
    np.testing.assert_allclose(direct + through_h, fd, rtol=1e-6, atol=1e-9)   # centred: error ~ eps**2
    assert np.abs(through_h).max() > 1e-3                                   # the h route is not nothing


@pytest.mark.parametrize("call, message", [
    (lambda p: cell_demos.rnn_reference_path(0), "T: expected a positive integer, got 0"),
    (lambda p: cell_demos.rnn_reference_path(5, input_scale=-1.0),
     "input_scale: expected a finite number >= 0, got -1.0"),
    (lambda p: cell_demos.rnn_reference_path(5, w_hh=float("nan")), "w_hh: expected a finite number, got nan"),
    (lambda p: cell_demos.one_step_back(p, np.zeros((2, 3)), (np.zeros((2, 4)), np.zeros((2, 4))), np.zeros((2, 5))),
     "o_prev: expected shape (N=2, H=4), got (2, 5)"),
    (lambda p: cell_demos.one_step_back(p, np.zeros((2, 2)), (np.zeros((2, 4)), np.zeros((2, 4))), np.zeros((2, 4))),
     "x_t: expected shape (N, D=3), got (2, 2)"),
])
def test_the_chapter_03_comparisons_name_a_bad_argument(call, message):
    params = lstm.init_params(3, 4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=re.escape(message)):
        call(params)
