"""lstmkit.checks: each exercise check passes on a right answer and fails, clearly, on wrong ones.

For every check of every chapter module: (1) an implementation built from lstmkit itself passes and
prints one PASS line; (2) the exercise stub (raise NotImplementedError()) fails with one line,
NotImplementedYet "not implemented yet", naming the function to write; (3) at least three typical
mistakes (a missing f'(a), a transposed weight, the gates in CS231n's order, ...) fail with a report
that names the wrong output and the likely cause, in at most ten lines, with no line of the worked
solutions in it (for chapters 01-03 the whole "likely cause:" line of each wrong answer is asserted);
(4) complex values, an array where a number belongs, a non-callable and any other
exception raised by the reader's code give clear messages.
"""
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lstmkit import charlm, checks, gru, lstm, optim, readout, rnn, scan, tasks, variants
from lstmkit.rnn import sigmoid

ROOT = Path(__file__).resolve().parents[2]


def stub(*args, **kwargs):
    raise NotImplementedError()


# ------------------------------------------------------------ right answers, written with lstmkit
def rnn_step_forward(x_t, h_prev, params):
    return rnn.step_forward(x_t, h_prev, params, "tanh")


def rnn_backward(dhs, caches):
    grads = {k: np.zeros_like(v) for k, v in caches[0][3].items()}
    dh = np.zeros_like(dhs[0])
    dx = []
    for t in reversed(range(len(caches))):
        dx_t, dh, g = rnn.step_backward(dhs[t] + dh, caches[t])
        dx.insert(0, dx_t)
        for k in grads:
            grads[k] += g[k]
    return np.array(dx), dh, grads


def scalar_bptt(w_hh, w_ih, b, xs, h0, fprime=True, accumulate=True, weight=True, backward=True):
    hs = [h0]
    for x in xs:
        hs.append(math.tanh(w_hh * hs[-1] + w_ih * x + b))
    d = {"w_hh": 0.0, "w_ih": 0.0, "b": 0.0}
    dh = 1.0
    for t in (range(len(xs), 0, -1) if backward else range(1, len(xs) + 1)):
        delta = (1 - hs[t] ** 2) * dh if fprime else dh
        for k, v in (("w_hh", hs[t - 1]), ("w_ih", xs[t - 1]), ("b", 1.0)):
            d[k] = d[k] + delta * v if accumulate else delta * v
        dh = w_hh * delta if weight else delta
    return d | {"h0": dh}


def fixed_rnn_backward(dhs, caches):
    """checks.ch01.buggy_rnn_backward with its wrong line put right, the rest as given."""
    T = len(caches)
    params = caches[0][3]
    dx = np.empty((T,) + caches[0][0].shape)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(dhs[0])
    for t in reversed(range(T)):
        x_t, h_prev, a, params, activation = caches[t]
        da = (dhs[t] + dh_next) * (1.0 - np.tanh(a) ** 2)     # the fix: both parts through tanh'
        dx[t] = da @ params["weight_ih"]
        dh_next = da @ params["weight_hh"]
        grads["weight_ih"] += da.T @ x_t
        grads["weight_hh"] += da.T @ h_prev
        grads["bias_ih"] += da.sum(axis=0)
        grads["bias_hh"] += da.sum(axis=0)
    return dx, dh_next, grads


def sigmoid_prime(a):
    s = rnn.sigmoid(a)
    return s * (1 - s)


def largest_lag(sigma_max, gamma, threshold):
    r = gamma * sigma_max
    if r >= 1:
        return math.inf
    k = 0
    while r ** (k + 1) >= threshold:
        k += 1
    return k


def _dh_all(params, x, h0, dhT):
    """dL/dh_T, dL/dh_(T-1), ..., dL/dh_0 for L = sum(h_T * dhT)."""
    caches, h = [], h0
    for x_t in x:
        h, cache = rnn.step_forward(x_t, h, params)
        caches.append(cache)
    out = [dhT]
    for cache in reversed(caches):
        out.append(rnn.step_backward(out[-1], cache)[1])
    return out


def grad_norms(params, x, h0, dhT, which=1):
    caches, h = [], h0
    for x_t in x:
        h, cache = rnn.step_forward(x_t, h, params)
        caches.append(cache)
    dh, norms = dhT, [np.linalg.norm(dhT)]
    for cache in reversed(caches):
        out = rnn.step_backward(dh, cache)
        dh = out[1]
        norms.append(np.linalg.norm(out[which]))
    return np.array(norms)


def leaky_jacobian(x_t, h_prev, params, alpha, mistake=None):
    """d h_t / d h_(t-1) of h_t = (1 - alpha) h_(t-1) + alpha tanh(a_t), row i = unit i of h_t."""
    h_t, cache = rnn.step_forward(x_t, h_prev, params)
    slope = 1 - np.tanh(cache[2]) ** 2
    H, W = h_prev.shape[1], params["weight_hh"]
    if mistake == "1 - h^2":
        slope = 1 - ((1 - alpha) * h_prev + alpha * h_t) ** 2     # the leaky state's own h_t
    direct = {"no identity": 0.0, "identity 1": 1.0}.get(mistake, 1 - alpha) * np.eye(H)
    through = (1 if mistake == "no alpha" else alpha) * (
        W * slope[:, None, :] if mistake == "columns" else slope[:, :, None] * W)
    J = direct + through
    return np.swapaxes(J, 1, 2) if mistake == "transposed" else J


def lstm_gates(a):
    H = a.shape[1] // 4
    return (rnn.sigmoid(a[:, :H]), rnn.sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), rnn.sigmoid(a[:, 3 * H:]))


def gated_latch_params():
    # inputs [v, s]; rows i, f, g, o
    w_ih = np.array([[0.0, 20.0], [0.0, -20.0], [1.0, 0.0], [0.0, 0.0]])
    return {"weight_ih": w_ih, "weight_hh": np.zeros((4, 1)),
            "bias_ih": np.array([-10.0, 10.0, 0.0, 0.0]), "bias_hh": np.zeros(4)}


def peephole_cell_derivative(x_t, h_prev, c_prev, params, mistake=None):
    """d c_t / d c_(t-1) of the peephole cell, h_(t-1) held fixed, written out from its gates."""
    _, _, cache = variants.step_forward(x_t, h_prev, c_prev, params, "peephole")
    i, f, g = cache.i, cache.f, cache.g
    s_i, s_f = (i, f) if mistake == "no slope" else (i * (1 - i), f * (1 - f))
    through_f = 0 if mistake == "no forget route" else c_prev * s_f * params["peephole_f"]
    through_i = 0 if mistake == "no input route" else g * s_i * params["peephole_i"]
    return f if mistake == "f alone" else f + through_f + through_i


def lstm_step_backward_with(dh, dc, cache, *, g_slope=None, route=True, order=(0, 1, 2, 3), fprime=True,
                            route_slope=None, dc_prev_first=False):
    """The step backward written out, with switches for the typical mistakes."""
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, params = cache
    do = dh * tanh_c
    dc_prev_early = dc * f                    # dc_prev_first: multiplied before the route through h_t is added
    if route:
        dc = dc + dh * o * ((1 - tanh_c ** 2) if route_slope is None else route_slope(tanh_c))
    df, di, dg, dc_prev = dc * c_prev, dc * g, dc * i, dc * f
    if dc_prev_first:
        dc_prev = dc_prev_early
    slopes = [i * (1 - i), f * (1 - f), (1 - g ** 2) if g_slope is None else g_slope(g), o * (1 - o)]
    if not fprime:
        slopes = [np.ones_like(s) for s in slopes]
    parts = [di * slopes[0], df * slopes[1], dg * slopes[2], do * slopes[3]]
    da = np.concatenate([parts[k] for k in order], axis=1)
    dh_prev = da @ params["weight_hh"]
    grads = {"weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(0), "bias_hh": da.sum(0)}
    return da @ params["weight_ih"], dh_prev, dc_prev, grads


def cell_gradients(x, state0, params, total=True):
    caches, (h, c) = [], state0
    for x_t in x:
        h, c, cache = lstm.step_forward(x_t, h, c, params)
        caches.append(cache)
    dh, dc = np.zeros_like(c), np.ones_like(c)
    dcs = [dc]
    for t in reversed(range(len(caches))):
        _, dh, dc, _ = lstm.step_backward(dh, dc, caches[t])
        if total and t > 0:
            o, tanh_c = caches[t - 1][6], caches[t - 1][7]
            dcs.insert(0, dc + dh * o * (1 - tanh_c ** 2))
        else:
            dcs.insert(0, dc)
    return np.array(dcs)


def forget_bias_for_retention(keep, T):
    p = keep ** (1 / T)
    return math.log(p / (1 - p))


def adding_target(x, variant):
    values, markers = x[..., 0], x[..., 1]
    total = np.sum(values * (markers == 1), axis=0)
    return total if variant == "fixed" else 0.5 + total / 4


def marker_gradient(params, batch):
    y, cache = readout.forward(batch.x, params, "lstm", batch.lengths)
    dx, _ = readout.backward(np.ones_like(y), cache)
    return np.array([np.linalg.norm(dx[batch.marks[n, 0], n]) for n in range(len(y))])


def marker_gradient_by_forget_bias(forget_biases, T, variant="fixed", reduce=np.mean):
    out = []
    for b in forget_biases:
        params = readout.init_params("lstm", 2, 16, rng=np.random.default_rng(0), forget_bias=b)
        batch = tasks.adding_problem(32, T, rng=np.random.default_rng(1), variant=variant)
        out.append(reduce(marker_gradient(params, batch)))
    return np.array(out)


def plateau_accuracy(variant, tol, two_sided=True, rescaled=True, low=None, triangle=True):
    a = tol if variant == "fixed" or not rescaled else 4 * tol      # the tolerance on X1 + X2
    low = (0.0 if variant == "fixed" else -1.0) if low is None else low
    peak = 1 / (1 - low)                                            # X1 + X2's density at its mean
    inside = 2 * a * peak - (a * peak) ** 2 if triangle else 2 * a * peak
    return inside if two_sided else inside / 2


def coupled_step_forward(x_t, h_prev, c_prev, params):
    h, c, _ = variants.step_forward(x_t, h_prev, c_prev, params, "coupled")
    return h, c


def coupled_forget_gradient(dc, c_prev, f, g):
    return dc * (c_prev - g) * f * (1 - f)


def scan_forward(a, b, h0, combine):
    A, B = a.copy(), b.copy()
    B[0], A[0] = a[0] * h0 + b[0], 0.0
    d = 1
    while d < len(A):
        A[d:], B[d:] = combine((A[:-d], B[:-d]), (A[d:], B[d:]))
        d *= 2
    return B


def closed_form_breakdown(a, dtype):
    return (math.log(float(np.finfo(dtype).max)) + math.log(1.0 - a)) / -math.log(a)


RIGHT = {
    checks.ch01.rnn_step_forward: rnn_step_forward,
    checks.ch01.rnn_step_backward: rnn.step_backward,
    checks.ch01.rnn_backward: rnn_backward,
    checks.ch01.scalar_bptt: scalar_bptt,
    checks.ch01.fixed_rnn_backward: fixed_rnn_backward,
    checks.ch02.sigmoid_prime: sigmoid_prime,
    checks.ch02.largest_lag: largest_lag,
    checks.ch02.grad_norms: grad_norms,
    checks.ch02.clip_grad_norm: optim.clip_grad_norm,
    checks.ch02.leaky_jacobian: leaky_jacobian,
    checks.ch03.lstm_gates: lstm_gates,
    checks.ch03.lstm_step_forward: lstm.step_forward,
    checks.ch03.gated_latch_params: gated_latch_params,
    checks.ch03.peephole_cell_derivative: peephole_cell_derivative,
    checks.ch04.lstm_step_backward: lstm.step_backward,
    checks.ch04.cell_gradients: cell_gradients,
    checks.ch04.forget_bias_for_retention: forget_bias_for_retention,
    checks.ch04.peephole_step_backward: variants.step_backward,
    checks.ch05.adding_target: adding_target,
    checks.ch05.marker_gradient: marker_gradient,
    checks.ch05.marker_gradient_by_forget_bias: marker_gradient_by_forget_bias,
    checks.ch05.plateau_accuracy: plateau_accuracy,
    checks.ch06.gru_step_forward: gru.step_forward,
    checks.ch06.gru_step_backward: gru.step_backward,
    checks.ch06.coupled_step_forward: coupled_step_forward,
    checks.ch06.cross_entropy: charlm.cross_entropy,
    checks.ch06.coupled_forget_gradient: coupled_forget_gradient,
    checks.ch07.scan_operator: scan.combine,
    checks.ch07.scan_forward: scan_forward,
    checks.ch07.scan_backward: lambda dhs, a, hs, h0: scan.backward(dhs, a, hs, h0),
    checks.ch07.closed_form_breakdown: closed_form_breakdown,
}
ALL = list(RIGHT)


def _id(check):
    return f"{check.__module__.rsplit('.', 1)[1]}.{check.__name__}"


def test_every_check_is_covered_and_named_by_its_chapter():
    public = [getattr(m, n) for m in checks.CHAPTERS for n in m.__all__]
    assert sorted(map(_id, public)) == sorted(map(_id, ALL))
    assert [m.__name__ for m in checks.CHAPTERS] == [f"lstmkit.checks.ch0{k}" for k in range(1, 8)]


@pytest.mark.parametrize("check", ALL, ids=_id)
def test_check_passes_on_the_right_answer(check, capsys):
    check(RIGHT[check])
    out = capsys.readouterr().out
    assert out.startswith("PASS ") and out.count("PASS") == 1, out


@pytest.mark.parametrize("check", ALL, ids=_id)
def test_check_says_not_implemented_on_the_stub_in_one_line(check):
    with pytest.raises(checks.NotImplementedYet, match="not implemented yet") as info:
        check(stub)
    message = str(info.value)
    assert "\n" not in message and "in stub (" in message and "raise NotImplementedError()" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__   # no chained traceback
    assert info.value._render_traceback_()[1:] == []


@pytest.mark.parametrize("check", ALL, ids=_id)
def test_check_reports_other_exceptions_with_the_readers_line(check):
    def broken(*args):
        raise KeyError("weight_hh_l0")

    with pytest.raises(checks.CheckFailed, match="raised KeyError") as info:
        check(broken)
    assert not isinstance(info.value, checks.NotImplementedYet)
    assert isinstance(info.value.__cause__, KeyError)             # plain Python still shows the reader's traceback
    rendered = info.value._render_traceback_()
    assert any('raise KeyError("weight_hh_l0")' in line for line in rendered)   # the reader's own line
    assert not any("lstmkit" in line for line in rendered[1:])


@pytest.mark.parametrize("check", ALL, ids=_id)
@pytest.mark.parametrize("fn", [None, 42, "rnn_step_forward"])
def test_check_rejects_a_non_callable(check, fn):
    with pytest.raises(ValueError, match="fn: expected the function you wrote"):
        check(fn)


@pytest.mark.parametrize("check", ALL, ids=_id)
def test_check_rejects_complex_values(check):
    def complex_answer(*args):
        out = RIGHT[check](*args)
        if isinstance(out, dict) and "weight_ih" in out:      # gated_latch_params
            return {k: v.astype(complex) for k, v in out.items()}
        if isinstance(out, dict):
            return {k: complex(v) + 1e-3j for k, v in out.items()}
        if isinstance(out, tuple):
            return (np.asarray(out[0]) + 1e-3j,) + tuple(out[1:])
        return np.asarray(out) + 1e-3j

    with pytest.raises((checks.CheckFailed, ValueError)) as info:
        check(complex_answer)
    assert "complex" in str(info.value), str(info.value)


# ------------------------------------------------------------ typical mistakes
def rnn_forward_transposed_w_hh(x_t, h_prev, params):
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"] + params["bias_hh"]
    return np.tanh(a), (x_t, h_prev, a, params, "tanh")


def rnn_forward_no_bias_hh(x_t, h_prev, params):
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T
    return np.tanh(a), (x_t, h_prev, a, params, "tanh")


def rnn_forward_bias_ih_twice(x_t, h_prev, params):
    return rnn_step_forward(x_t, h_prev, dict(params, bias_ih=2 * params["bias_ih"]))


def rnn_forward_caches_h(x_t, h_prev, params):
    h, cache = rnn.step_forward(x_t, h_prev, params)
    return h, cache[:2] + (h,) + cache[3:]


def rnn_forward_sigmoid(x_t, h_prev, params):
    h, cache = rnn.step_forward(x_t, h_prev, params)
    return sigmoid(cache[2]), cache


def rnn_step_backward_with(dh, cache, *, fprime=True, transposed=False, bias=np.sum, sign=1.0, act=None):
    x_t, h_prev, a, params, activation = cache
    da = sign * dh * (rnn.ACTIVATIONS[act or activation][1](a) if fprime else 1.0)
    W_hh = params["weight_hh"]
    return da @ params["weight_ih"], da @ (W_hh.T if transposed else W_hh), {
        "weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": bias(da, axis=0), "bias_hh": bias(da, axis=0)}


def rnn_backward_no_dh_next(dhs, caches):
    dx, dh, grads = [], None, None
    for t in reversed(range(len(caches))):
        dx_t, dh, grads_t = rnn.step_backward(dhs[t], caches[t])
        dx.insert(0, dx_t)
        grads = grads or grads_t
    return np.array(dx), dh, grads


def rnn_backward_overwrites(dhs, caches):
    dh, dx = np.zeros_like(dhs[0]), []
    for t in reversed(range(len(caches))):
        dx_t, dh, grads = rnn.step_backward(dhs[t] + dh, caches[t])
        dx.insert(0, dx_t)
    return np.array(dx), dh, grads


def rnn_backward_in_time_order(dhs, caches):
    grads = {k: np.zeros_like(v) for k, v in caches[0][3].items()}
    dh, dx = np.zeros_like(dhs[0]), []
    for t in range(len(caches)):                 # forward in time: step t+1 has not been done yet
        dx_t, dh, g = rnn.step_backward(dhs[t] + dh, caches[t])
        dx.append(dx_t)
        for k in grads:
            grads[k] += g[k]
    return np.array(dx), dh, grads


def rnn_backward_last_dx_with_dh_next(dhs, caches):
    dx, dh0, grads = rnn_backward(dhs, caches)
    x_t, h_prev, a, params, activation = caches[-1]
    dx[-1] = (dhs[-1] + dhs[-2 if len(dhs) > 1 else -1]) * (1 - np.tanh(a) ** 2) @ params["weight_ih"]
    return dx, dh0, grads


def fixed_wrong_line(dhs, caches):
    """The given function with a transpose 'fixed' into dh_next (da @ W_hh.T) instead of the real bug."""
    swapped = [c._replace(params=dict(c.params, weight_hh=c.params["weight_hh"].T)) for c in caches]
    return checks.ch01.buggy_rnn_backward(dhs, swapped)


def fixed_by_rewriting(dhs, caches):
    """Right numbers, but the whole loop rewritten around rnn.step_backward: the bug is never located."""
    return rnn_backward(dhs, caches)


def rnn_backward_dh0_is_local(dhs, caches):
    dx, _, grads = rnn_backward(dhs, caches)
    return dx, dhs[0], grads


def scalar_bptt_last_step_only(w_hh, w_ih, b, xs, h0):
    return scalar_bptt(w_hh, w_ih, b, xs[-1:], h0 if len(xs) == 1 else 0.0)


def sigmoid_prime_overflows(a):
    e = np.exp(-a)
    return e / (1 + e) ** 2


def largest_lag_first_below(sigma_max, gamma, threshold):
    k = largest_lag(sigma_max, gamma, threshold)
    return k if k == math.inf else k + 1


def largest_lag_unfloored(sigma_max, gamma, threshold):
    r = gamma * sigma_max
    return math.inf if r >= 1 else math.log(threshold) / math.log(r) if r > 0 else 0


def clip_per_array(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    return {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}, norm


def clip_in_place(grads, max_norm):
    clipped, norm = optim.clip_grad_norm(grads, max_norm)
    for k in grads:
        grads[k] *= min(1.0, max_norm / norm)
    return clipped, norm


def clip_norm_after(grads, max_norm):
    clipped, _ = optim.clip_grad_norm(grads, max_norm)
    return clipped, math.sqrt(sum(float(np.sum(g ** 2)) for g in clipped.values()))


def clip_scales_up(grads, max_norm):
    _, norm = optim.clip_grad_norm(grads, max_norm)
    return {k: g * (max_norm / norm) for k, g in grads.items()}, norm


def clip_norm_of_norms(grads, max_norm):
    norm = sum(float(np.linalg.norm(g)) for g in grads.values())
    return {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}, norm


def lstm_gates_cs231n_order(a):
    i, f, g, o = lstm_gates(a)
    H = a.shape[1] // 4
    return i, f, np.tanh(a[:, 3 * H:]), rnn.sigmoid(a[:, 2 * H:3 * H])


def lstm_gates_all_sigmoid(a):
    return tuple(rnn.sigmoid(b) for b in np.split(a, 4, axis=1))


def lstm_gates_if_swapped(a):
    i, f, g, o = lstm_gates(a)
    return f, i, g, o


def lstm_step_forward_no_tanh(x_t, h_prev, c_prev, params):
    h, c, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
    return cache[6] * c, c, cache


def lstm_step_forward_transposed_w_hh(x_t, h_prev, c_prev, params):
    W = params["weight_hh"]
    if W.shape[1] * 4 == W.shape[0] and W.shape[1] == 1:
        return lstm.step_forward(x_t, h_prev, c_prev, params)
    p = dict(params, weight_hh=np.concatenate([blk.T for blk in np.split(W, 4)], axis=0))
    h, c, cache = lstm.step_forward(x_t, h_prev, c_prev, p)
    return h, c, cache[:8] + (params,)


def lstm_step_forward_no_input_gate(x_t, h_prev, c_prev, params):
    h, c, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
    i, f, g, o = cache[3:7]
    c = f * c_prev + g
    return o * np.tanh(c), c, cache[:7] + (np.tanh(c), params)


def lstm_step_forward_old_cell_out(x_t, h_prev, c_prev, params):
    h, c, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
    return cache[6] * np.tanh(c_prev), c, cache[:7] + (np.tanh(c_prev), params)


def lstm_step_forward_if_roles_swapped(x_t, h_prev, c_prev, params):
    h, c, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
    i, f, g, o = cache[3:7]
    c = i * c_prev + f * g
    return o * np.tanh(c), c, cache[:7] + (np.tanh(c), params)


def gated_latch_candidate_reads_store(x_t=None):
    p = gated_latch_params()
    p["weight_ih"][2] = [0.0, 1.0]   # g = tanh(s): the candidate reads the store signal, not the value
    return p


def gated_latch_forget_bias_zero():
    p = gated_latch_params()
    p["bias_ih"][1] = 0.0
    return p


def gated_latch_without_erase():
    p = gated_latch_params()
    p["weight_ih"][1, 1] = 0.0   # the store signal no longer closes the forget gate: old + new
    return p


def gated_latch_weak():
    p = gated_latch_params()
    p["bias_ih"][1] = 5.0     # the forget gate only at 0.993 while holding: the cell leaks
    return p


def lstm_step_backward_no_dh_into_dc(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, route=False)


def lstm_step_backward_cs231n_order(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, order=(0, 1, 3, 2))


def lstm_step_backward_if_swapped(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, order=(1, 0, 2, 3))


def lstm_step_backward_sigma_prime_for_g(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, g_slope=lambda g: g * (1 - g))


def lstm_step_backward_no_fprime(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, fprime=False)


def lstm_step_backward_weight_hh_from_x(dh, dc, cache):
    dx, dh_prev, dc_prev, grads = lstm.step_backward(dh, dc, cache)   # dW_hh taken against x_t, not h_prev
    return dx, dh_prev, dc_prev, {**grads, "weight_hh": grads["weight_ih"]}


def lstm_step_backward_tanh_sign(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, route_slope=lambda t: 1 + t ** 2)


def lstm_step_backward_tanh_sign_flipped(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, route_slope=lambda t: t ** 2 - 1)


def lstm_step_backward_route_without_tanh_prime(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, route_slope=np.ones_like)


def lstm_step_backward_dc_prev_before_route(dh, dc, cache):
    return lstm_step_backward_with(dh, dc, cache, dc_prev_first=True)


def cell_gradients_carousel_only(x, state0, params):
    caches, (h, c) = [], state0
    for x_t in x:
        h, c, cache = lstm.step_forward(x_t, h, c, params)
        caches.append(cache)
    dcs = [np.ones_like(c)]
    for cache in reversed(caches):
        dcs.insert(0, dcs[0] * cache[4])
    return np.array(dcs)


def cell_gradients_h_held_fixed(x, state0, params):
    return cell_gradients(x, state0, params, total=False)


def cell_gradients_reversed(x, state0, params):
    return cell_gradients(x, state0, params)[::-1]


def cell_gradients_one_cache_late(x, state0, params):   # the route c_t -> h_t through step t+1's gates
    caches, (h, c) = [], state0
    for x_t in x:
        h, c, cache = lstm.step_forward(x_t, h, c, params)
        caches.append(cache)
    dh, dc = np.zeros_like(c), np.ones_like(c)
    dcs = [dc]
    for t in reversed(range(len(caches))):
        _, dh, dc, _ = lstm.step_backward(dh, dc, caches[t])
        dcs.insert(0, dc + dh * caches[t].o * (1 - caches[t].tanh_c ** 2) if t > 0 else dc)
    return np.array(dcs)


def forget_bias_per_step(keep, T):
    return math.log(keep / (1 - keep))


def forget_bias_wrong_sign(keep, T):
    return -forget_bias_for_retention(keep, T)


def forget_bias_no_logit(keep, T):
    return keep ** (1 / T)


def peephole_backward_with(dh, dc, cache, *, o_route=True, prev_routes=True, o_cell="c", slope=True, summed=True):
    """The peephole LSTM's step backward written out, with switches for the typical mistakes of 4.4."""
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, c, params, _ = cache
    p_i, p_f, p_o = params["peephole_i"], params["peephole_f"], params["peephole_o"]
    do = dh * tanh_c
    da_o = do * o * (1 - o)
    dc = dc + dh * o * (1 - tanh_c ** 2)
    if o_route:
        dc = dc + da_o * p_o
    di, df, dg = dc * g, dc * c_prev, dc * i
    da_i, da_f, da_g = di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2)
    dc_prev = dc * f + (da_i * p_i + da_f * p_f if prev_routes else 0)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    gi, gf, go = (da_i, da_f, da_o) if slope else (di, df, do)
    total = (lambda a: a.sum(0)) if summed else (lambda a: a)
    grads = {"weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(0), "bias_hh": da.sum(0),
             "peephole_i": total(gi * c_prev), "peephole_f": total(gf * c_prev),
             "peephole_o": total(go * (c if o_cell == "c" else c_prev))}
    return da @ params["weight_ih"], da @ params["weight_hh"], dc_prev, grads


def adding_target_any_marker(x, variant):
    total = np.sum(x[..., 0] * x[..., 1], axis=0)   # the 1997 variant's -1 end markers subtract
    return total if variant == "fixed" else 0.5 + total / 4


def adding_target_no_rescale(x, variant):
    return adding_target(x, "fixed")


def adding_target_mean(x, variant):
    return adding_target(x, variant) / 2


def marker_gradient_ignores_lengths(params, batch):
    y, cache = readout.forward(batch.x, params, "lstm")
    dx, _ = readout.backward(np.ones_like(y), cache)
    return np.array([np.linalg.norm(dx[batch.marks[n, 0], n]) for n in range(len(y))])


def marker_gradient_second_mark(params, batch):
    y, cache = readout.forward(batch.x, params, "lstm", batch.lengths)
    dx, _ = readout.backward(np.ones_like(y), cache)
    return np.array([np.linalg.norm(dx[batch.marks[n, 1], n]) for n in range(len(y))])


def marker_gradient_value_channel_only(params, batch):
    y, cache = readout.forward(batch.x, params, "lstm", batch.lengths)
    dx, _ = readout.backward(np.ones_like(y), cache)
    return np.array([abs(dx[batch.marks[n, 0], n, 0]) for n in range(len(y))])


def marker_gradient_same_rng(forget_biases, T):
    out = []
    for b in forget_biases:
        rng = np.random.default_rng(0)
        params = readout.init_params("lstm", 2, 16, rng=rng, forget_bias=b)
        out.append(marker_gradient(params, tasks.adding_problem(32, T, rng=rng)).mean())
    return np.array(out)


def marker_gradient_1997(forget_biases, T):
    return marker_gradient_by_forget_bias(forget_biases, T, variant="hochreiter1997")


def marker_gradient_sum(forget_biases, T):
    return marker_gradient_by_forget_bias(forget_biases, T, reduce=np.sum)


def adding_target_no_offset(x, variant):
    return adding_target(x, "fixed") / (1 if variant == "fixed" else 4)


def adding_target_over_batch(x, variant):
    return np.sum(x[..., 0] * (x[..., 1] == 1), axis=1)   # one number per step, not per sequence


def marker_gradient_loss_gradient(params, batch):   # the backward of the loss, as in training
    y, cache = readout.forward(batch.x, params, "lstm", batch.lengths)
    dx, _ = readout.backward(readout.mse_loss(y, batch.target)[1], cache)
    return np.array([np.linalg.norm(dx[batch.marks[n, 0], n]) for n in range(len(y))])


def plateau_one_sided(variant, tol):
    return plateau_accuracy(variant, tol, two_sided=False)


def plateau_unscaled_tol(variant, tol):
    return plateau_accuracy(variant, tol, rescaled=False)


def plateau_fixed_density(variant, tol):   # the values drawn from [0, 1] in both variants
    return plateau_accuracy(variant, tol, low=0.0)


def plateau_flat_density(variant, tol):
    return plateau_accuracy(variant, tol, triangle=False)


def marker_gradient_generators_once(forget_biases, T):
    rng_params, rng_batch, out = np.random.default_rng(0), np.random.default_rng(1), []
    for b in forget_biases:
        params = readout.init_params("lstm", 2, 16, rng=rng_params, forget_bias=b)
        out.append(marker_gradient(params, tasks.adding_problem(32, T, rng=rng_batch)).mean())
    return np.array(out)


def gru_reset_before_matmul(x_t, h_prev, params):   # Cho et al.'s placement of r, not torch's
    H = h_prev.shape[1]
    W_ih, W_hh, b_ih, b_hh = (params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    gi = x_t @ W_ih.T + b_ih
    gh = h_prev @ W_hh[:2 * H].T + b_hh[:2 * H]
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:])
    hn = h_prev @ W_hh[2 * H:].T + b_hh[2 * H:]
    n = np.tanh(gi[:, 2 * H:] + (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:])
    return (1 - z) * n + z * h_prev, (x_t, h_prev, r, z, n, hn, params)


def gru_swapped_z(x_t, h_prev, params):   # h = z * n + (1 - z) * h_prev
    h, cache = gru.step_forward(x_t, h_prev, params)
    z, n = cache[3], cache[4]
    return z * n + (1 - z) * h_prev, cache


def gru_rz_swapped(x_t, h_prev, params):
    H = h_prev.shape[1]
    swap = np.r_[H:2 * H, 0:H, 2 * H:3 * H]
    h, cache = gru.step_forward(x_t, h_prev, {k: v[swap] for k, v in params.items()})
    return h, cache[:6] + (params,)


def gru_backward_no_direct_path(dh, cache):
    dx, dh_prev, grads = gru.step_backward(dh, cache)
    return dx, dh_prev - cache[3] * dh, grads


def gru_backward_hh_bias_like_ih(dh, cache):
    dx, dh_prev, grads = gru.step_backward(dh, cache)
    return dx, dh_prev, {**grads, "bias_hh": grads["bias_ih"]}


def gru_backward_rz_swapped(dh, cache):
    dx, dh_prev, grads = gru.step_backward(dh, cache)
    H = cache[1].shape[1]
    swap = np.r_[H:2 * H, 0:H, 2 * H:3 * H]
    return dx, dh_prev, {k: v[swap] for k, v in grads.items()}


def coupled_uses_input_rows(x_t, h_prev, c_prev, params):   # the plain LSTM: i from rows 0:H
    h, c, _ = lstm.step_forward(x_t, h_prev, c_prev, params)
    return h, c


def coupled_i_equals_f(x_t, h_prev, c_prev, params):
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    _, a_f, a_g, a_o = np.split(a, 4, axis=1)
    f, g, o = sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + f * g
    return o * np.tanh(c), c


def coupled_no_tanh(x_t, h_prev, c_prev, params):
    h, c = coupled_step_forward(x_t, h_prev, c_prev, params)
    return h / np.tanh(c) * c, c


def gru_forward_with(x_t, h_prev, params, *, bias_outside=False, bias_hh=True):
    """torch's GRU step written out, with switches for two more typical mistakes of 6.1."""
    H = h_prev.shape[1]
    W_ih, W_hh, b_ih, b_hh = (params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    b_hh = b_hh if bias_hh else np.zeros_like(b_hh)
    gi, gh = x_t @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh
    r, z = sigmoid(gi[:, :H] + gh[:, :H]), sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    hn = gh[:, 2 * H:]
    inner = r * (h_prev @ W_hh[2 * H:].T) + b_hh[2 * H:] if bias_outside else r * hn
    n = np.tanh(gi[:, 2 * H:] + inner)
    return (1 - z) * n + z * h_prev, (x_t, h_prev, r, z, n, hn, params)


def gru_backward_with(dh, cache, *, r_in_hidden=True, z_sign=1.0, tanh_prime=True):
    """torch's GRU step backward written out, with switches for typical mistakes of 6.2."""
    x_t, h_prev, r, z, n, hn, params = cache
    da_n = dh * (1 - z) * ((1 - n ** 2) if tanh_prime else 1.0)
    da_r, da_z = da_n * hn * r * (1 - r), z_sign * dh * (h_prev - n) * z * (1 - z)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.concatenate([da_r, da_z, da_n * r if r_in_hidden else da_n], axis=1)
    grads = {"weight_ih": dgi.T @ x_t, "weight_hh": dgh.T @ h_prev, "bias_ih": dgi.sum(0), "bias_hh": dgh.sum(0)}
    return dgi @ params["weight_ih"], dh * z + dgh @ params["weight_hh"], grads


def coupled_swapped(x_t, h_prev, c_prev, params):   # c = (1 - f) * c_prev + f * g
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    _, a_f, a_g, a_o = np.split(a, 4, axis=1)
    f, g, o = sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = (1 - f) * c_prev + f * g
    return o * np.tanh(c), c


def cross_entropy_bits(logits, targets):
    loss, d = charlm.cross_entropy(logits, targets)
    return loss / math.log(2), d


def cross_entropy_no_onehot(logits, targets):
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return charlm.cross_entropy(logits, targets)[0], p / p.sum(-1, keepdims=True) / targets.size


def cross_entropy_sum(logits, targets):
    loss, d = charlm.cross_entropy(logits, targets)
    n = targets.size
    return loss * n, d * n


def cross_entropy_naive(logits, targets):   # no max subtraction: overflows at 1000
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    loss = -np.mean(np.log(np.take_along_axis(p, targets[..., None], -1)))
    d = p.copy()
    np.put_along_axis(d, targets[..., None], np.take_along_axis(d, targets[..., None], -1) - 1, -1)
    return loss, d / targets.size


def cross_entropy_grad_not_averaged(logits, targets):
    loss, d = charlm.cross_entropy(logits, targets)
    return loss, d * targets.size


def scan_forward_loop(a, b, h0, combine):
    out, state = [], (np.zeros_like(h0), h0)
    for t in range(len(a)):
        state = combine(state, (a[t], b[t]))
        out.append(state[1])
    return np.array(out)


def scan_forward_no_h0(a, b, h0, combine):
    return scan_forward(a, b, np.zeros_like(h0), combine)


def scan_forward_one_round_short(a, b, h0, combine):
    A, B = a.copy(), b.copy()
    B[0], A[0] = a[0] * h0 + b[0], 0.0
    d = 1
    while 2 * d < len(A):
        A[d:], B[d:] = combine((A[:-d], B[:-d]), (A[d:], B[d:]))
        d *= 2
    return B


def scan_backward_unshifted(dhs, a, hs, h0):
    g = scan.loop(a[::-1], dhs[::-1], np.zeros_like(h0))[::-1]   # a_t where a_(t+1) belongs
    return g * np.concatenate([h0[None], hs[:-1]]), g, a[0] * g[0]


def scan_backward_h_t(dhs, a, hs, h0):
    da, db, dh0 = scan.backward(dhs, a, hs, h0)
    return db * hs, db, dh0


def scan_backward_local(dhs, a, hs, h0):
    return dhs * np.concatenate([h0[None], hs[:-1]]), dhs, a[0] * dhs[0]


C1, C2, C3, C4, C5, C6 = checks.ch01, checks.ch02, checks.ch03, checks.ch04, checks.ch05, checks.ch06
TWO_ROUTES = ("the gradient on c_t has two routes, dc from c_(t+1) and the one through h_t = o_t * tanh(c_t); "
              "you used dc alone, so i, f, g and dc_prev are off and only o is right")
TANH_SIGN = ("the route c_t -> h_t is there, but a sign in its tanh'(c_t) is wrong: tanh' = 1 - tanh^2 "
             "(not 1 + tanh^2, not tanh^2 - 1)")
WRONG_04 = [   # (check, wrong answer, words its report must hold, words it must not, the exact likely cause)
    (C4.lstm_step_backward, lstm_step_backward_no_dh_into_dc,
     ["dc_prev (", "only in blocks i, f, g"], ["transpose"], TWO_ROUTES),
    (C4.lstm_step_backward, lstm_step_backward_tanh_sign, ["dc_prev (", "only in blocks i, f, g"], ["two routes"],
     TANH_SIGN),
    (C4.lstm_step_backward, lstm_step_backward_tanh_sign_flipped, ["dc_prev ("], ["two routes"], TANH_SIGN),
    (C4.lstm_step_backward, lstm_step_backward_route_without_tanh_prime, ["dc_prev ("], ["two routes"],
     "the route c_t -> h_t misses tanh'(c_t): dh * o_t is the gradient on tanh(c_t), not yet on c_t"),
    (C4.lstm_step_backward, lstm_step_backward_dc_prev_before_route, ["dc_prev (", "right: dx, dh_prev"],
     ["carousel's factor"],
     "dc_prev is the incoming dc times f_t: the factor f_t is right, the base is not; dc_prev passes on the "
     "total gradient on c_t, so add the route through h_t before you multiply"),
    (C4.lstm_step_backward, lstm_step_backward_cs231n_order, ["grads['weight_ih']", "blocks g and o trade places"], [],
     "blocks g and o of da trade places: stack the pre-activation gradients in torch's order i, f, g, o "
     "(CS231n's is i, f, o, g)"),
    (C4.lstm_step_backward, lstm_step_backward_if_swapped, ["blocks i and f trade places"], [],
     "blocks i and f of da trade places: stack the pre-activation gradients in torch's order i, f, g, o "
     "(CS231n's is i, f, o, g)"),
    (C4.lstm_step_backward, lstm_step_backward_sigma_prime_for_g, ["only in block g", "right: dc_prev"], [],
     "only block g is off: the candidate g = tanh(a_g) is the one gate without a sigmoid, so its derivative "
     "is tanh's"),
    (C4.lstm_step_backward, lstm_step_backward_no_fprime, ["right: dc_prev", "every block of da"], ["transpose"],
     "dc_prev is right, so the gradient on c_t is; every block of da is off: the gates' own derivatives, "
     "from the gate to its pre-activation"),
    (C4.lstm_step_backward, lstm_step_backward_weight_hh_from_x,
     ["grads['weight_hh']: shape (16, 3), expected (16, 4)"], [],
     "compare each output's shape with the shape of what it is the gradient (or value) of"),
    (C4.cell_gradients, cell_gradients_carousel_only, ["dcs ("], [],
     "this is the carousel alone, the product of the forget gates: c_t also reaches c_T through h_t and the "
     "gates of later steps, so carry dh back as well as dc"),
    (C4.cell_gradients, cell_gradients_h_held_fixed, ["dcs ("], [],
     "this is the gradient on c_t with h_t held fixed (what the backward of step t+1 returns as dc_prev); the "
     "exercise asks for the total dL/dc_t, which also counts the route c_t -> h_t = o_t * tanh(c_t)"),
    (C4.cell_gradients, cell_gradients_reversed, ["dcs ("], [],
     "the right numbers in reverse order: dcs[t] belongs to c_t, dcs[0] to c_0"),
    (C4.cell_gradients, cell_gradients_one_cache_late, ["dcs ("], [],
     "the route c_t -> h_t uses o and tanh(c) of step t+1, the cache you just went back through; "
     "h_t = o_t * tanh(c_t) is computed by step t, whose cache is one earlier"),
    (C4.forget_bias_for_retention, forget_bias_per_step, ["b_f ("], [],
     "sigmoid(b_f) = keep makes one step keep 0.9, so T = 50 steps keep 0.00515: the per-step factor is the "
     "T-th root"),
    (C4.forget_bias_for_retention, forget_bias_wrong_sign, ["sign is flipped"], [],
     "the sign: a missing minus, or a difference taken the other way round"),
    (C4.forget_bias_for_retention, forget_bias_no_logit, ["b_f ("], [],
     "an LSTM with this b_f keeps 1.532e-07 of its cell after T = 50 steps, not 0.9: first the per-step forget "
     "gate value, then the inverse of the sigmoid"),
    (C4.peephole_step_backward, lambda dh, dc, c: peephole_backward_with(dh, dc, c, o_route=False),
     ["dc_prev (", "right: grads['peephole_o']"], [],
     "the gradient on c_t misses a route: o_t looks at the new cell through p_o, so besides dc and the route "
     "through h_t, a third route meets at c_t, through a_o"),
    (C4.peephole_step_backward, lambda dh, dc, c: peephole_backward_with(dh, dc, c, prev_routes=False),
     ["dc_prev (", "right: dx, dh_prev, grads['weight_ih']"], [],
     "dc_prev is only the carousel's: c_(t-1) now also feeds i_t and f_t through p_i and p_f, two more routes "
     "back to c_(t-1)"),
    (C4.peephole_step_backward, lambda dh, dc, c: peephole_backward_with(dh, dc, c, o_route=False, prev_routes=False),
     ["dc_prev ("], [],
     "two routes are missing: the one to c_t through o_t's peephole and the two from c_(t-1) through i_t's "
     "and f_t's"),
    (C4.peephole_step_backward, lambda dh, dc, c: peephole_backward_with(dh, dc, c, o_cell="c_prev"),
     ["grads['peephole_o'] (4,)", "right: dx, dh_prev, dc_prev"], [],
     "o_t's peephole multiplies the new cell c_t, not c_(t-1): its gradient pairs da_o with c_t"),
    (C4.peephole_step_backward, lambda dh, dc, c: peephole_backward_with(dh, dc, c, slope=False),
     ["grads['peephole_i'] (4,)"], [],
     "the peepholes sit inside the sigmoids, beside a_i, a_f, a_o: their gradients start from the "
     "pre-activations' gradients, through sigma', not from the gates' own"),
    (C4.peephole_step_backward, lambda dh, dc, c: peephole_backward_with(dh, dc, c, summed=False),
     ["grads['peephole_i']: shape (2, 4), expected (4,)"], [],
     "grads['peephole_i'] has the wrong shape: a peephole is one weight per unit, (H,), shared by every "
     "example of the batch, so its gradient sums over N"),
]
def likely(cause):
    return f"  likely cause: {cause}"


SWAPPED_RZ = "blocks r and z trade places: torch's GRU rows are r, z, n"
WRONG_06 = [   # (check, wrong answer, words its report must hold, words it must not, its exact last line)
    (C6.gru_step_forward, gru_reset_before_matmul, ["cache[4] (n)", "right: cache[2] (r)"], [],
     likely("n is off: you reset h_prev before the matmul, as Cho et al. do; torch's GRU multiplies r with hn, "
            "after the matmul and its bias")),
    (C6.gru_step_forward, lambda x, h, p: gru_forward_with(x, h, p, bias_outside=True), ["cache[4] (n)"], [],
     likely("n is off: r multiplies hn = h_prev W_hn^T + b_hn, its bias included; you added b_hn after the reset")),
    (C6.gru_step_forward, gru_swapped_z, ["h (", "right: cache[2] (r), cache[3] (z), cache[4] (n)"], [],
     likely("r, z and n are right, h is not: z weighs the old state h_prev in torch's GRU, 1 - z the candidate")),
    (C6.gru_step_forward, gru_rz_swapped, ["cache[2] (r)"], [],
     likely("r and z trade places: torch's GRU rows are r, z, n, the reset gate first")),
    (C6.gru_step_forward, lambda x, h, p: gru_forward_with(x, h, p, bias_hh=False), ["cache[2] (r)"], [],
     likely("every gate is off: bias_hh is missing; torch's GRU adds both biases, b_ih and b_hh")),
    (C6.gru_step_backward, gru_backward_no_direct_path, ["dh_prev ("], [],
     likely("every gradient through the weights is right, dh_prev is not: h_prev also reaches h directly, "
            "through z")),
    (C6.gru_step_backward, gru_backward_hh_bias_like_ih, ["grads['bias_hh']", "only in block n"], [],
     likely("the input side is right, the hidden side is not (only in block n?): in the hidden projection r "
            "multiplies hn, so its n block gets another factor than the input projection's")),
    (C6.gru_step_backward, lambda dh, c: gru_backward_with(dh, c, r_in_hidden=False), ["grads['weight_hh']"], [],
     likely("the hidden projection's n block is off: r multiplies hn, so the hidden side's n block carries a "
            "factor that the input side's does not")),
    (C6.gru_step_backward, gru_backward_rz_swapped, ["blocks r and z trade places"], [], likely(SWAPPED_RZ)),
    (C6.gru_step_backward, lambda dh, c: gru_backward_with(dh, c, z_sign=-1.0), ["only in block z"], [],
     likely("block z has its sign flipped: which of n and h_prev does z weigh, and which gets 1 - z?")),
    (C6.gru_step_backward, lambda dh, c: gru_backward_with(dh, c, tanh_prime=False), ["dx ("], [],
     likely("n's nonlinearity is missing from the backward: n = tanh(gi_n + r * hn), so its pre-activation "
            "gets tanh'")),
    (C6.coupled_step_forward, coupled_uses_input_rows, ["c ("], [],
     likely("c is off: in the coupled cell the write gate is not computed from its own rows, it is tied to the "
            "forget gate (rows 0:H stay unused)")),
    (C6.coupled_step_forward, coupled_i_equals_f, ["c ("], ["own rows"],
     likely("c is off: the write gate is f itself; coupled means it writes what it does not keep")),
    (C6.coupled_step_forward, coupled_swapped, ["c ("], ["own rows"],
     likely("f and 1 - f trade places: the forget gate f keeps c_(t-1), and what is not kept, 1 - f, writes g")),
    (C6.coupled_step_forward, coupled_no_tanh, ["h (", "right: c"], [],
     likely("c is right, h is not: the output gate (rows 3H:4H) times the squashed cell")),
    (C6.cross_entropy, cross_entropy_sum, ["loss"], [],
     likely("6 times too large: a sum over the T*N = 6 positions where the mean is asked for")),
    (C6.cross_entropy, cross_entropy_naive, ["overflows"], [],
     "cross_entropy overflows at logits of 1000 (overflow encountered in exp): exp of a large logit is inf. "
     "Softmax does not change when the same number is subtracted from a row"),
    (C6.cross_entropy, cross_entropy_grad_not_averaged, ["dlogits (", "right: loss"], [],
     likely("6 times too large: a sum over the T*N = 6 positions where the mean is asked for")),
    (C6.cross_entropy, cross_entropy_bits, ["loss ("], [],
     likely("1.443 = 1 / ln 2 times the right loss: a logarithm to base 2 gives bits; the loss is in nats")),
    (C6.cross_entropy, cross_entropy_no_onehot, ["dlogits (", "right: loss"], [],
     likely("the loss is right, dlogits is the softmax alone: the one-hot target is not subtracted")),
    (C6.coupled_forget_gradient, lambda dc, c_prev, f, g: dc * c_prev * f * (1 - f), ["da_f ("], [],
     likely("only the keep route: f also sets the write, 1 - f, so a change of f moves c_t twice")),
    (C6.coupled_forget_gradient, lambda dc, c_prev, f, g: dc * (c_prev + g) * f * (1 - f), ["da_f ("], [],
     likely("the write's route enters with the wrong sign: the write gate is 1 - f, which falls when f rises")),
    (C6.coupled_forget_gradient, lambda dc, c_prev, f, g: dc * (c_prev - g), ["da_f ("], [],
     likely("no sigma': this is the gradient on the gate value f_t, not yet on its pre-activation a_f")),
    (C6.coupled_forget_gradient, lambda dc, c_prev, f, g: dc * (g - c_prev) * f * (1 - f),
     ["the sign is flipped"], [], likely("the sign: a missing minus, or a difference taken the other way round")),
]
C7 = checks.ch07
WRONG_07 = [   # (check, wrong answer, words its report must hold, words it must not, its exact last line)
    (C7.scan_operator, lambda s1, s2: (s1[0] * s2[0], s1[0] * s2[1] + s1[1]),
     ["b (", "right: a", "step 2 applied first"], [],
     likely('b is a1 b2 + b1: step 2 applied first. The pair (a1, b1) is the earlier step: h -> a2 (a1 h + b1) + b2')),
    (C7.scan_operator, lambda s1, s2: (s1[0] * s2[0], s1[1] + s2[1]), ["b (", "also multiplies"], [],
     likely('b is b1 + b2: the later step also multiplies what the earlier one added')),
    (C7.scan_operator, lambda s1, s2: (s1[0] * s2[0], s2[0] * s2[1] + s1[1]), ["b (", "its own b"], [],
     likely("b multiplies a step's a with its own b: which a scales b1 when step 2 runs?")),
    (C7.scan_forward, scan_forward_loop, ["called combine 5 times", "not one call per step"], [],
     "  a scan needs ceil(log2 T) = 3 rounds, each ONE call of combine on all positions at once (slices of a and b), "
     "not one call per step"),
    (C7.scan_forward, scan_forward_no_h0, ["hs (", "from h0 = 0"], [],
     likely('these are the states from h0 = 0: fold h0 into the first step (h_1 = a_1 h0 + b_1)')),
    (C7.scan_forward, scan_forward_one_round_short, ["hs (", "too few rounds", "first 4 states"], [],
     likely("the first 4 states are right, the later ones are not: too few rounds? position t needs the partner "
            "t - d for d = 1, 2, 4, ... up to T - 1 (here 3 rounds)")),
    (C7.scan_forward, lambda a, b, h0, combine: np.concatenate([h0[None], scan_forward(a, b, h0, combine)[:-1]]),
     ["hs (", "shifted by one step"], [],
     likely('hs is shifted by one step: hs[t] is h_(t+1), the state after step t+1 (hs[0] = h_1, not h0)')),
    (C7.scan_backward, scan_backward_unshifted, ["db (", "shifted by one step", "a_(t+1)"], [],
     likely("g_t was multiplied by a_t: what comes back from h_(t+1) passes step t+1, whose factor is a_(t+1); "
            "the reverse scan's factors are shifted by one step")),
    (C7.scan_backward, scan_backward_h_t, ["da (", "right: db, dh0", "h_(t-1)"], [],
     likely('da uses h_t; a_t multiplies the state before the step, h_(t-1) (h0 for the first step)')),
    (C7.scan_backward, scan_backward_local, ["db (", "comes back from h_(t+1)"], [],
     likely('db is only dhs: the gradient on h_t also comes back from h_(t+1), g_t = dhs_t + a_(t+1) g_(t+1)')),
    (C7.closed_form_breakdown, lambda a, d: math.log(float(np.finfo(d).max)) / -math.log(a),
     ["t: you predicted", "b_t / A_t alone", "running sum"], [],
     likely("that is where b_t / A_t alone passes the largest float; the running sum of the b_k / A_k is about "
            "1 / (1 - a) times larger, and overflows first")),
    (C7.closed_form_breakdown, lambda a, d: 745.13 / -math.log(a), ["A_t itself rounds to 0"], [],
     likely('that is where A_t itself rounds to 0; the terms b_k / A_k overflow earlier')),
    (C7.closed_form_breakdown, lambda a, d: math.log10(float(np.finfo(d).max)) / -math.log(a), ["base-10"], [],
     likely('a base-10 logarithm beside a natural one: a^t = exp(t ln a)')),
    (C7.closed_form_breakdown, lambda a, d: (709.78 + math.log(1 - a)) / -math.log(a), ["dtype=float32", "float64's"],
     [],
     likely("float64's limits? this case is float32: np.finfo(np.float32).max is about 3.4e38")),
]
WRONG = [   # (check, wrong answer, words its report must hold, words it must not hold)
    (C1.rnn_step_forward, rnn_forward_transposed_w_hh, ["h (", "cache[2] (a)", "which side",
      'likely cause: h and a are both off, so the error is in a, before the tanh: which side does each '
      'weight multiply, and is it transposed? (one case has D = H, where a missing .T keeps the shape)'], []),
    (C1.rnn_step_forward, rnn_forward_no_bias_hh, ["cache[2] (a)", "exactly -bias_hh", "is missing",
      'likely cause: a is off by the same vector for every example, exactly -bias_hh: a term of a_t that '
      'does not depend on the example is missing (a_t has two biases, b_ih and b_hh)'], []),
    (C1.rnn_step_forward, rnn_forward_bias_ih_twice, ["exactly +bias_ih", "counted twice",
      'likely cause: a is off by the same vector for every example, exactly +bias_ih: a term of a_t that '
      'does not depend on the example is counted twice (a_t has two biases, b_ih and b_hh)'], []),
    (C1.rnn_step_forward, rnn_forward_caches_h, ["cache[2] (a)", "right: h", "pre-activation",
      'likely cause: h is right; the cache must hold the pre-activation a at position 2, before the tanh'], []),
    (C1.rnn_step_forward, rnn_forward_sigmoid, ["h (", "right: cache[2] (a)", "nonlinearity",
      'likely cause: a is right but h is not: the nonlinearity applied to a'], []),
    (C1.rnn_step_backward, lambda dh, c: rnn_step_backward_with(dh, c, fprime=False),
     ["dx (", "dh_prev (", "grads['weight_hh']", "every output is off", "f'(a_t)",
      'likely cause: every output is off, and all of them pass through delta_t = dL/da_t: the factor '
      "f'(a_t) that turns dh into delta_t (rnn.ACTIVATIONS[activation][1] is f')"], ["transpose"]),
    (C1.rnn_step_backward, lambda dh, c: rnn_step_backward_with(dh, c, transposed=True),
     ["dh_prev (", "right: dx", "which side",
      'likely cause: dx is right, so delta_t is right; dh_prev is the product of delta_t with W_hh: which '
      'side, and transposed or not? (shape (N, H) either way when the matrix is square)'], ["f'(a_t)"]),
    (C1.rnn_step_backward, lambda dh, c: rnn_step_backward_with(dh, c, bias=np.mean),
     ["grads['bias_ih']", "every row",
      'likely cause: a bias is added to every row of the batch, so its gradient collects delta_t from every'
      ' row'], []),
    (C1.rnn_step_backward, lambda dh, c: rnn_step_backward_with(dh, c, act="tanh"),
     ["activation='sigmoid'", "every tanh case passed",
      'likely cause: every tanh case passed, every output is off with the sigmoid: the derivative must be '
      'the one of the activation named in the cache'], []),
    (C1.rnn_step_backward, lambda dh, c: rnn_step_backward_with(dh, c, sign=-1.0), ["sign is flipped", "the sign",
      'likely cause: the sign: a missing minus, or a difference taken the other way round'], []),
    (C1.rnn_backward, rnn_backward_no_dh_next, ["dx[:-1]", "right: dx[T-1]", "from step t+1",
      'likely cause: the last step is right, the earlier ones are not: the total gradient on h_t is the '
      'local dhs[t] plus what comes back from step t+1'], []),
    (C1.rnn_backward, rnn_backward_overwrites, ["grads['weight_ih']", "sum of every step",
      'likely cause: dx is right at every step; the same weights act at every step, so the weight gradients'
      " are the sum of every step's share (an overwrite keeps only one step's)"], []),
    (C1.rnn_backward, rnn_backward_dh0_is_local, ["dh0 (", "first step",
      'likely cause: dx is right at every step; dh0 is what the backward of the first step passes to h_0'], []),
    (C1.rnn_backward, rnn_backward_in_time_order, ["dx[T-1]", "forward in time",
      'likely cause: your dx is what a loop that runs forward in time gives: the total gradient on h_t '
      'needs what step t+1 sends back, so step t+1 must be done before step t'], []),
    (C1.rnn_backward, rnn_backward_last_dx_with_dh_next, ["right: dx[:-1]", "dhs[T-1] alone",
      "likely cause: only the last step's dx is off: there the total gradient on h_T is dhs[T-1] alone, "
      'since nothing comes back from beyond the last step'], []),
    (C1.scalar_bptt, scalar_bptt_last_step_only, ["w_hh (", "h0 (", "T = 1 was right",
      'likely cause: T = 1 was right, so one step is; the error is in what carries dL/dh_t back from step t'
      " to step t-1, or in summing every step's share into the parameters"], []),
    (C1.scalar_bptt, lambda *a: scalar_bptt(*a, fprime=False), ["T=1", "tanh'",
      "likely cause: every derivative is off: delta_t, the gradient on the pre-activation, tanh'(a_t) "
      'included'], []),
    (C1.scalar_bptt, lambda *a: scalar_bptt(*a, accumulate=False), ["T=3", "h0 is right", "one term per step",
      'likely cause: h0 is right, so the recursion back through time is; w_hh, w_ih and b are used at every'
      ' step, so each collects one term per step: add them all'], []),
    (C1.scalar_bptt, lambda *a: scalar_bptt(*a, weight=False), ["T=1", "right: w_hh, w_ih, b", "1/w_hh = 2",
      'likely cause: only h0 is off, by the factor 1/w_hh = 2: going back from delta_t to dL/dh_(t-1) '
      'crosses a weight, as it does at every step of the recursion'], []),
    (C1.scalar_bptt, lambda *a: scalar_bptt(*a, backward=False), ["T=3", "forward in time",
      'likely cause: your numbers are those of a loop that runs forward in time: delta_t needs dL/dh_t, '
      'which needs delta_{t+1} first, so the loop must start at t = T'], []),
    (C1.fixed_rnn_backward, checks.ch01.buggy_rnn_backward, ["right: dx[T-1]", "exactly those of the given",
      'likely cause: your outputs are exactly those of the given function, so the bug is still there. They '
      'are right at the last step and wrong before it: what does every earlier step receive that the last '
      'one does not?'], []),
    (C1.fixed_rnn_backward, fixed_wrong_line, ["right: dx[T-1]", "from step t+1",
      'likely cause: the last step is right, the earlier ones are not: the total gradient on h_t is the '
      'local dhs[t] plus what comes back from step t+1'], []),
    (C1.fixed_rnn_backward, fixed_by_rewriting, ["outputs are right", "change only that one",
      'likely cause: the bug sits in one line; change only that one and keep the others as they were, so '
      'that you know which line it was'], []),
    (C2.sigmoid_prime, sigmoid_prime_overflows, ["overflows at |a| = 1e4", "rnn.sigmoid",
     "sigmoid_prime overflows at |a| = 1e4 (overflow encountered in exp): exp(-a) is inf for a = -1e4. "
     "Build it on rnn.sigmoid, which never overflows"], []),
    (C2.sigmoid_prime, lambda a: rnn.sigmoid(a), ["sigma'(a) (3, 4)", "sigma(a) itself",
      'likely cause: your values are sigma(a) itself: the task asks for its derivative'], []),
    (C2.sigmoid_prime, lambda a: 4 * sigmoid_prime(a), ["4 times the right value",
      "likely cause: 4 times too large everywhere: sigma' peaks at 1/4, not 1"], []),
    (C2.largest_lag, largest_lag_first_below, ["got 5", "one step too far",
      'likely cause: the bound at k = 5 is 0.00032, already below the threshold: one step too far (the '
      'first k below it, not the last k at or above it)'], []),
    (C2.largest_lag, largest_lag_unfloored, ["non-negative integer",
     "largest_lag should return a non-negative integer or math.inf, got 4.29202967422018 "
     "(sigma_max=0.8, gamma=0.25, threshold=0.001)"], []),
    (C2.largest_lag, lambda s, g, t: 0 if g * s >= 1 else largest_lag(s, g, t), ["never falls",
      'likely cause: gamma * sigma_max >= 1 here: the bound never falls below the threshold'], []),
    (C2.grad_norms, lambda *a: grad_norms(*a)[::-1], ["norms (13,)", "reverse order",
      'likely cause: the right numbers in reverse order: norms[0] belongs to h_T, norms[T] to h_0'], []),
    (C2.grad_norms, lambda *a: grad_norms(*a, which=0), ["norms[1]", "dh_prev, not its dx",
      'likely cause: norms[0] is right, norms[1] is not: the first step back, from h_T to h_{T-1} (the '
      "backward step's dh_prev, not its dx)"], []),
    (C2.grad_norms, lambda *a: grad_norms(*a)[:-1], ["shape (12,), expected (13,)",
      'likely cause: your norms stop at h_1: the last entry, norms[T], is the norm of dL/dh_0, T steps back'], []),
    (C2.clip_grad_norm, clip_per_array, ["clipped['weight_ih']", "different factors",
      'likely cause: the norm is right, but the arrays are scaled by different factors: one factor, from '
      'the global norm, keeps the direction of the whole gradient'], []),
    (C2.clip_grad_norm, clip_in_place, ["changed its input grads in place",
     "clip_grad_norm changed its input grads in place: an in-place product writes into the caller's arrays; "
     "return new ones"], []),
    (C2.clip_grad_norm, clip_norm_after, ["norm (", "before clipping",
      'likely cause: the norm of every entry of every array together, before clipping'], []),
    (C2.clip_grad_norm, clip_scales_up, ["clipped['weight_ih']", "never enlarges",
      'likely cause: the gradient was scaled up to max_norm although its norm was below it: clipping only '
      'ever shrinks a gradient, never enlarges it'], []),
    (C2.clip_grad_norm, clip_norm_of_norms, ["norm (", "sum of each array's own norm",
      "likely cause: your norm is the sum of each array's own norm; the global norm is the root of the sum "
      'of every entry squared, over all arrays together'], []),
    (C2.sigmoid_prime, lambda a: 1 - rnn.sigmoid(a) ** 2, ["sigma'(a) (3, 4)", "1 - sigma(a)^2",
      "likely cause: you computed 1 - sigma(a)^2, the pattern of tanh' = 1 - tanh^2; the sigmoid's "
      'derivative is a different product of sigma'], []),
    (C2.sigmoid_prime, lambda a: 1 - np.tanh(a) ** 2, ["sigma'(a) (3, 4)", "tanh'(a)",
      "likely cause: those are the values of tanh'(a), not of sigma'(a)"], []),
    (C2.largest_lag, lambda s, g, t: largest_lag(s, 1.0, t), ["gamma=0.25", "sigma_max = 0.8 alone",
      'likely cause: your k is the one for sigma_max = 0.8 alone; the bound is (gamma * sigma_max)^k, and '
      "gamma = 0.25 caps f' at every step"], []),
    (C2.grad_norms, lambda *a: grad_norms(*a)[1:], ["shape (12,), expected (13,)", "one step back",
      'likely cause: your norms start one step back: norms[0] is the norm of dL/dh_T, which is dhT itself'], []),
    (C2.grad_norms, lambda p, x, h0, dhT: np.array([np.linalg.norm(v, 2) for v in _dh_all(p, x, h0, dhT)]),
     ["norms (13,)", "spectral norms",
      'likely cause: those are spectral norms (np.linalg.norm(.., 2) of a matrix is its largest singular '
      'value); the task asks for the Frobenius norm over every entry of the (N, H) array'], []),
    (C2.leaky_jacobian, lambda *a: leaky_jacobian(*a, mistake="no identity"), ["J (2, 4, 4)", "(1 - alpha) I",
      'likely cause: the (1 - alpha) I term is missing: h_(t-1) also reaches h_t directly, without passing '
      'through W_hh'], []),
    (C2.leaky_jacobian, lambda *a: leaky_jacobian(*a, mistake="no alpha"), ["J (2, 4, 4)", "its factor alpha",
      'likely cause: the W_hh part lacks its factor alpha'], []),
    (C2.leaky_jacobian, lambda *a: leaky_jacobian(*a, mistake="identity 1"), ["J (2, 4, 4)", "not 1",
      "likely cause: the direct path's factor is 1 - alpha, not 1"], []),
    (C2.leaky_jacobian, lambda *a: leaky_jacobian(*a, mistake="transposed"), ["J (2, 4, 4)", "the transpose",
      'likely cause: your J is the transpose: J[n, i, j] = d h_t[n, i] / d h_(t-1)[n, j], so row i belongs '
      'to unit i of h_t'], []),
    (C2.leaky_jacobian, lambda *a: leaky_jacobian(*a, mistake="columns"), ["J (2, 4, 4)", "scales row i",
      "likely cause: tanh'(a_t) scales the columns of W_hh in your J; it belongs to unit i of h_t, so it "
      'scales row i'], []),
    (C2.leaky_jacobian, lambda *a: leaky_jacobian(*a, mistake="1 - h^2"), ["J (2, 4, 4)", "1 - h_t^2",
      "likely cause: you used 1 - h_t^2 for tanh'(a_t); in the leaky RNN h_t is not tanh(a_t), so take "
      "tanh' of a_t itself"], []),
    (C3.lstm_gates, lstm_gates_cs231n_order, ["g (", "o (", "right: i, f", "your g is tanh of block o",
      'likely cause: your g is tanh of block o; your o is sigmoid of block g. The blocks are i, f, g, o in '
      "torch's order (CS231n's is i, f, o, g); g has tanh"], []),
    (C3.lstm_gates, lstm_gates_all_sigmoid, ["g (", "your g is sigmoid of block g",
      "likely cause: your g is sigmoid of block g. The blocks are i, f, g, o in torch's order (CS231n's is "
      'i, f, o, g); g has tanh'], []),
    (C3.lstm_gates, lstm_gates_if_swapped, ["your i is sigmoid of block f",
      'likely cause: your i is sigmoid of block f; your f is sigmoid of block i. The blocks are i, f, g, o '
      "in torch's order (CS231n's is i, f, o, g); g has tanh"], []),
    (C3.lstm_step_forward, lstm_step_forward_no_tanh, ["h (", "right: c", "squashed before",
      'likely cause: h is the output gate times c_t itself; the cell is squashed before the gate shows it'], []),
    (C3.lstm_step_forward, lstm_step_forward_transposed_w_hh, ["every gate is off", "which side",
      'likely cause: every gate is off, so the pre-activation a is: which side does each weight multiply, '
      'transposed or not? (one case has D = H, where a missing .T keeps the shape)'], []),
    (C3.lstm_step_forward, lstm_step_forward_no_input_gate, ["c (", "whole candidate",
      'likely cause: your c writes the whole candidate g_t: the input gate decides how much of it is '
      'written'], []),
    (C3.gated_latch_params, gated_latch_forget_bias_zero,
     ["at t=1, 1 step after the store at t=0", "f_t = 0.5000", "while holding",
      'likely cause: while holding, the cell may neither leak nor write, whatever v_t and h_(t-1) are: f_t '
      'is not saturated enough (60 steps of f_t must keep 99%)'], []),
    (C3.gated_latch_params, gated_latch_without_erase,
     ["at the store step t=60", "f_t = 1.0000", "f_t is not there",
      'likely cause: on a store step the cell must drop what it held and take the candidate: f_t is not '
      'there yet'], []),
    (C3.gated_latch_params, gated_latch_weak, ["while holding", "not saturated",
      'likely cause: while holding, the cell may neither leak nor write, whatever v_t and h_(t-1) are: f_t '
      'is not saturated enough (60 steps of f_t must keep 99%)'], []),
    (C3.lstm_gates, lambda a: tuple(np.tanh(b) for b in np.split(a, 4, axis=1)),
     ["i (", "your i is tanh of block i",
      'likely cause: your i is tanh of block i; your f is tanh of block f; your o is tanh of block o. The '
      "blocks are i, f, g, o in torch's order (CS231n's is i, f, o, g); g has tanh"], []),
    (C3.lstm_step_forward, lstm_step_forward_old_cell_out, ["h (", "right: c", "old cell",
      'likely cause: h uses the old cell c_(t-1); the output gate shows the new cell c_t'], []),
    (C3.lstm_step_forward, lstm_step_forward_if_roles_swapped, ["c (", "forget gate keeps",
      'likely cause: your c keeps i_t of the old cell and writes f_t of the candidate: the forget gate '
      'keeps, the input gate writes'], []),
    (C3.gated_latch_params, gated_latch_candidate_reads_store, ["at the store step t=0", "g_t is not there",
      'likely cause: on a store step the cell must drop what it held and take the candidate: g_t is not '
      'there yet'], []),
    (C3.peephole_cell_derivative, lambda *a: peephole_cell_derivative(*a, mistake="f alone"),
     ["dc_t/dc_(t-1) (2, 4)", "f_t alone",
      "likely cause: your derivative is f_t alone, the carousel's factor without peepholes; here the gates "
      'i_t and f_t read c_(t-1) too, and c_t depends on both of them'], []),
    (C3.peephole_cell_derivative, lambda *a: peephole_cell_derivative(*a, mistake="no input route"),
     ["dc_t/dc_(t-1) (2, 4)", "through the input gate",
      'likely cause: the route through the input gate is missing: i_t reads c_(t-1) through peephole_i, and'
      ' c_t holds i_t g_t'], []),
    (C3.peephole_cell_derivative, lambda *a: peephole_cell_derivative(*a, mistake="no forget route"),
     ["dc_t/dc_(t-1) (2, 4)", "through the forget gate",
      'likely cause: the route through the forget gate is missing: f_t reads c_(t-1) through peephole_f, '
      'and c_t holds f_t c_(t-1)'], []),
    (C3.peephole_cell_derivative, lambda *a: peephole_cell_derivative(*a, mistake="no slope"),
     ["dc_t/dc_(t-1) (2, 4)", "slope is missing",
      "likely cause: a gate's slope is missing: d sigma(z)/dz = sigma(z) (1 - sigma(z)), not sigma(z)"], []),
    *[entry[:4] for entry in WRONG_04],
    (C5.adding_target, adding_target_any_marker, ["variant='hochreiter1997'", "target (", "-1 end markers"], []),
    (C5.adding_target, adding_target_no_rescale, ["variant='hochreiter1997'", "rescales"], []),
    (C5.adding_target, adding_target_mean, ["0.5 times the right value"], []),
    (C5.adding_target, adding_target_no_offset, ["variant='hochreiter1997'", "0.5 + (X1 + X2)/4"], []),
    (C5.adding_target, adding_target_over_batch, ["target: shape (12,), expected (5,)", "axis 0"], []),
    (C5.marker_gradient, marker_gradient_ignores_lengths, ["variant='hochreiter1997'", "lengths[n] - 1"], []),
    (C5.marker_gradient, marker_gradient_second_mark, ["marker gradient (", "marks[n, 0]"], []),
    (C5.marker_gradient, marker_gradient_value_channel_only, ["marker gradient (", "both input channels"], []),
    (C5.marker_gradient, marker_gradient_loss_gradient, ["marker gradient (", "dy = 1"], []),
    (C5.marker_gradient_by_forget_bias, marker_gradient_same_rng, ["mean marker gradients (", "one generator"], []),
    (C5.marker_gradient_by_forget_bias, marker_gradient_1997, ["mean marker gradients (", "fixed variant"], []),
    (C5.marker_gradient_by_forget_bias, marker_gradient_sum, ["32 times the right value"], []),
    (C5.marker_gradient_by_forget_bias, marker_gradient_generators_once, ["the first bias is right"], []),
    (C5.plateau_accuracy, plateau_one_sided, ["fraction (", "either side"], []),
    (C5.plateau_accuracy, plateau_unscaled_tol, ["variant='hochreiter1997', tol=0.04", "four times larger, 0.16"], []),
    (C5.plateau_accuracy, plateau_fixed_density, ["variant='hochreiter1997'", "[-2, 2]"], []),
    (C5.plateau_accuracy, plateau_flat_density, ["variant='fixed'", "tol**2"], []),
    *[entry[:4] for entry in WRONG_06],
    *[entry[:4] for entry in WRONG_07],
]


def _wrong_id(entry):
    check, fn, _, _ = entry
    return f"{_id(check)}-{fn.__name__ if fn.__name__ != '<lambda>' else WRONG.index(entry)}"


def test_every_check_has_at_least_three_typical_mistakes():
    counts = {_id(c): 0 for c in ALL}
    for check, *_ in WRONG:
        counts[_id(check)] += 1
    assert min(counts.values()) >= 3, counts


def _solution_lines():
    """Every code line between the solution markers of the worked solutions (long enough to mean something)."""
    lines = set()
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                    inside = "BEGIN" in line
                elif inside and cell.cell_type == "code":
                    code = line.split("#")[0].strip()
                    if len(code) >= 12 and not code.startswith(("return", "def ")):
                        lines.add(code)
    return lines


SOLUTION_LINES = _solution_lines()


@pytest.mark.parametrize("entry", WRONG, ids=[_wrong_id(e) for e in WRONG])
def test_check_reports_the_wrong_output_and_its_likely_cause(entry):
    check, fn, words, absent = entry
    with pytest.raises(checks.CheckFailed) as info:
        check(fn)
    assert not isinstance(info.value, checks.NotImplementedYet)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in:\n{message}"
    for word in absent:
        assert word not in message, f"{word!r} in:\n{message}"
    assert len(message.splitlines()) <= 10, message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    leaked = [line for line in SOLUTION_LINES if line in message]
    assert not leaked, f"a solution line in the report: {leaked}"


EXACT = [(*e[:4], likely(e[4])) for e in WRONG_04] + WRONG_06 + WRONG_07   # exercises 04, 06 and 07


@pytest.mark.parametrize("entry", EXACT, ids=[_wrong_id(e[:4]) for e in EXACT])
def test_names_the_exact_cause_of_each_mistake(entry):
    """Exercises 04, 06 and 07: every typical mistake prints its own diagnosis, word for word, as the last line."""
    check, fn, _, _, last = entry
    with pytest.raises(checks.CheckFailed) as info:
        check(fn)
    assert info.value.lines[-1] == last, str(info.value)


@pytest.mark.parametrize("chapter", ["ch04", "ch06", "ch07"])
def test_every_wrong_answer_has_its_exact_cause(chapter):
    assert {id(e[1]) for e in WRONG if e[0].__module__.endswith(chapter)} == {
        id(e[1]) for e in EXACT if e[0].__module__.endswith(chapter)}


@pytest.mark.parametrize("chapter", ["ch02", "ch03"])
def test_every_wrong_answer_of_02_and_03_prints_its_exact_cause(chapter):
    """Exercises 02 and 03: the last line of each typical mistake's report is written out, word for word."""
    entries = [e for e in WRONG if e[0].__module__.endswith(chapter)]
    assert len(entries) >= 3 * len(getattr(checks, chapter).__all__)
    for check, fn, words, _ in entries:
        with pytest.raises(checks.CheckFailed) as info:
            check(fn)
        assert info.value.lines[-1].strip() in words, str(info.value)


def test_solution_lines_are_found():
    assert len(SOLUTION_LINES) > 40 and 'dx = da @ params["weight_ih"]         ' not in SOLUTION_LINES


def test_wrong_shape_is_reported_with_both_shapes():
    def h_transposed(x_t, h_prev, params):
        h, cache = rnn.step_forward(x_t, h_prev, params)
        return h.T, cache

    with pytest.raises(checks.CheckFailed, match=r"h: shape \(4, 2\), expected \(2, 4\)"):
        C1.rnn_step_forward(h_transposed)


def test_wrong_return_structure_is_reported():
    with pytest.raises(checks.CheckFailed, match=r"should return a tuple \(dx, dh_prev, grads\), got ndarray"):
        C1.rnn_step_backward(lambda dh, cache: dh)


def test_inputs_are_copies_so_a_mutating_answer_cannot_corrupt_the_reference():
    def mutates(dh, cache):
        out = rnn.step_backward(dh, cache)
        cache[3]["weight_hh"][...] = 0.0
        dh[...] = 0.0
        return out

    C1.rnn_step_backward(mutates)   # passes: its outputs were computed before the damage


@pytest.mark.parametrize("check, answer", [
    (C2.largest_lag, lambda *a: np.array([4, 5])), (C2.largest_lag, lambda *a: np.array([4])),
    (C4.forget_bias_for_retention, lambda keep, T: np.array([1.0, 2.0])),
    (C5.plateau_accuracy, lambda variant, tol: np.array([0.08, 0.15])),
    (C1.scalar_bptt, lambda *a: {"w_hh": np.ones(2), "w_ih": 0.0, "b": 0.0, "h0": 0.0}),
    (C6.cross_entropy, lambda lg, tg: (np.ones(2), charlm.cross_entropy(lg, tg)[1])),
    (C2.clip_grad_norm, lambda g, m: (optim.clip_grad_norm(g, m)[0], np.ones(3))),
])
def test_an_array_where_a_number_belongs_is_a_clear_failure(check, answer):
    array = r"should be a real number, got an array of shape|integer( or math.inf)?, got an arr"
    with pytest.raises(checks.CheckFailed, match=array):
        check(answer)


@pytest.mark.parametrize("got, words", [(-1, "non-negative"), (4.5, "non-negative integer"),
                                        (math.inf, "finitely many steps"),
                                        ("4", "should be a non-negative integer or math.inf, got str")])
def test_largest_lag_reports_a_bad_return_value(got, words):
    with pytest.raises(checks.CheckFailed, match=words):
        C2.largest_lag(lambda sigma_max, gamma, threshold: got)


def test_cell_gradients_reference_is_the_total_derivative_by_finite_differences():
    """dcs[t] of the check's reference against a nudge of c_t inside step t (so h_t moves with it)."""
    from lstmkit.checks.ch04 import _cell_gradients

    rng = np.random.default_rng(7)
    T, N, D, H = 4, 2, 3, 2
    params = {k: 2 * v for k, v in lstm.init_params(D, H, rng=rng).items()}
    x, state0 = rng.standard_normal((T, N, D)), (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    total, held, _, _ = _cell_gradients(x, state0, params)

    def loss(t, n, j, eps):
        h, c = state0
        c = c.copy()
        if t == 0:
            c[n, j] += eps
        for s in range(T):
            h, c, cache = lstm.step_forward(x[s], h, c, params)
            if s + 1 == t:                      # nudge c_t and recompute h_t = o_t * tanh(c_t) from it
                c = c.copy()
                c[n, j] += eps
                h = cache[6] * np.tanh(c)
        return c.sum()

    eps = 1e-6
    for t in range(T + 1):
        fd = np.array([[(loss(t, n, j, eps) - loss(t, n, j, -eps)) / (2 * eps) for j in range(H)] for n in range(N)])
        assert np.allclose(fd, total[t], rtol=1e-6, atol=1e-8), t   # centred differences: error ~ eps**2
    assert not np.allclose(total[1:T], held[1:T])                     # the two quantities differ inside


def test_leaky_jacobian_reference_is_the_derivative_by_finite_differences():
    from lstmkit.checks.ch02 import _leaky_jacobian
    from lstmkit.gradcheck import numerical_gradient

    rng = np.random.default_rng(8)
    N, D, H, alpha = 2, 3, 4, 0.3
    params = {k: 2 * v for k, v in rnn.init_params(D, H, rng=rng).items()}
    x_t, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))

    def step(hp):
        return (1 - alpha) * hp + alpha * rnn.step_forward(x_t, hp, params)[0]

    rows = [numerical_gradient(step, h_prev, np.eye(H)[i] * np.ones((N, 1))) for i in range(H)]   # row i
    assert np.allclose(_leaky_jacobian(x_t, h_prev, params, alpha), np.stack(rows, axis=1), rtol=0, atol=1e-9)


def test_peephole_reference_is_the_derivative_by_finite_differences():
    """d c_t / d c_(t-1) of the check's reference against nudging c_(t-1), with x_t and h_(t-1) fixed."""
    from lstmkit.checks.ch03 import _peephole_derivative

    rng = np.random.default_rng(9)
    N, D, H = 2, 3, 4
    params = {k: 3 * v for k, v in variants.init_params(D, H, rng=rng, variant="peephole").items()}
    x_t, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), 2 * rng.standard_normal((N, H))
    eps = 1e-6

    def c_t(c):
        return variants.step_forward(x_t, h_prev, c, params, "peephole")[1]

    # each unit's c_t reads only its own c_(t-1) (the peepholes are diagonal): nudge all units at once
    fd = (c_t(c_prev + eps) - c_t(c_prev - eps)) / (2 * eps)
    assert np.allclose(_peephole_derivative(x_t, h_prev, c_prev, params), fd, rtol=1e-7, atol=1e-9)
    assert not np.allclose(fd, variants.step_forward(x_t, h_prev, c_prev, params, "peephole")[2].f)   # not f_t


def test_checks_stay_in_the_experiments_layer():
    """lstmkit.checks imports numpy and lstmkit only: no torch, matplotlib or ipywidgets."""
    import subprocess
    import sys

    code = ("import sys, lstmkit.checks; bad = {'torch', 'matplotlib', 'ipywidgets'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_report_renders_in_ipython_without_frames_of_lstmkit():
    """What Jupyter shows for a failing check: the report alone, its first line naming the exception."""
    with pytest.raises(checks.CheckFailed) as info:
        C4.lstm_step_backward(lstm_step_backward_sigma_prime_for_g)
    rendered = info.value._render_traceback_()
    assert re.sub(r"\x1b\[[0-9;]*m", "", rendered[0]).startswith("CheckFailed: lstm_step_backward is wrong for")
    assert rendered[1:] == info.value.lines[1:] and len(rendered) <= 10


# ------------------------------------------------------------ chapter 05: the exact diagnosis of each mistake
CAUSES_05 = {   # wrong answer -> the "likely cause" line its check must print, word for word
    adding_target_any_marker: "the values under the -1 end markers count too: only the markers equal to 1 select",
    adding_target_no_rescale: "X1 + X2 is right, but this variant rescales it (see the task)",
    adding_target_mean: "half the right value: the target is the sum of the two marked values, not their mean",
    adding_target_no_offset: "off by the same 0.5 in every sequence: this variant's target is 0.5 + (X1 + X2)/4",
    adding_target_over_batch: "one target per sequence: sum over time, axis 0 of the (T, N) values",
    marker_gradient_ignores_lengths: ("right when every sequence has length T, wrong here: in this variant sequence n "
                                      "ends, and is read out, at step lengths[n] - 1"),
    marker_gradient_second_mark: ("the sensitivity to the second marked input: the first marked step of sequence n "
                                  "is marks[n, 0]"),
    marker_gradient_value_channel_only: ("the value channel alone: the norm is over both input channels, "
                                         "value and marker"),
    marker_gradient_loss_gradient: ("the loss's gradient, which scales each sequence by its error: the sensitivity "
                                    "of y itself comes from a backward with dy = 1"),
    marker_gradient_same_rng: ("params and batch come from one generator: the batch needs its own, "
                               "np.random.default_rng(1), so that it is the same whatever the params drew"),
    marker_gradient_1997: "these are the 1997 variant's sequences: the task asks for the fixed variant, the default",
    marker_gradient_sum: ("32 times the right value: the sum over the batch's 32 sequences, where the mean is "
                          "asked for"),
    marker_gradient_generators_once: ("the first bias is right, the others are not: every bias must start from the "
                                      "same weights and batch, so each needs fresh generators seeded as the task says"),
    plateau_one_sided: "half the right value: the answer may miss on either side of the target, |y - y*| < tol",
    plateau_unscaled_tol: ("tol = 0.04 applies to 0.5 + (X1 + X2)/4, so on the sum X1 + X2 the tolerance is four "
                           "times larger, 0.16"),
    plateau_fixed_density: ("the density of the fixed variant's sum: here X1 and X2 are uniform on [-1, 1], so "
                            "X1 + X2 spreads over [-2, 2] and its triangle peaks at 1/2"),
    plateau_flat_density: ("a little too large: as if X1 + X2 were spread evenly at its peak density; the triangle "
                           "falls off linearly on both sides of its peak, which takes off a term in tol**2"),
}
WRONG_05 = [entry for entry in WRONG if entry[0] in (getattr(C5, n) for n in C5.__all__)]


def test_every_chapter_05_mistake_has_its_exact_diagnosis():
    assert {fn for _, fn, _, _ in WRONG_05} == set(CAUSES_05)
    per_check = {}
    for check, fn, _, _ in WRONG_05:
        per_check.setdefault(check.__name__, set()).add(CAUSES_05[fn])
    assert sorted(per_check) == sorted(C5.__all__)
    assert all(3 <= len(causes) <= 5 for causes in per_check.values()), per_check   # each its own message


@pytest.mark.parametrize("entry", WRONG_05, ids=[_wrong_id(e) for e in WRONG_05])
def test_chapter_05_check_prints_the_exact_cause(entry):
    check, fn, _, _ = entry
    with pytest.raises(checks.CheckFailed) as info:
        check(fn)
    causes = [line.strip() for line in str(info.value).splitlines() if line.strip().startswith("likely cause: ")]
    assert causes == [f"likely cause: {CAUSES_05[fn]}"], str(info.value)
