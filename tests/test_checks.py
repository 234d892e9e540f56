"""lstmkit.checks: each exercise check passes on a right answer and fails, clearly, on wrong ones.

For every check: (1) an implementation built from lstmkit itself passes and prints one PASS line;
(2) the exercise stub (raise NotImplementedError()) fails with NotImplementedYet saying "not
implemented yet"; (3) plausible mistakes (a forgotten term, the gates in CS231n's order, a transposed
weight, ...) fail with a message naming the wrong output; (4) any other exception raised by the
reader's code is chained, not swallowed.
"""
import math

import numpy as np
import pytest

from lstmkit import checks, lstm, models, optim, rnn, tasks


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


def scalar_bptt(w_hh, w_ih, b, xs, h0):
    hs = [h0]
    for x in xs:
        hs.append(math.tanh(w_hh * hs[-1] + w_ih * x + b))
    d = {"w_hh": 0.0, "w_ih": 0.0, "b": 0.0}
    dh = 1.0
    for t in range(len(xs), 0, -1):
        delta = (1 - hs[t] ** 2) * dh
        d["w_hh"] += delta * hs[t - 1]
        d["w_ih"] += delta * xs[t - 1]
        d["b"] += delta
        dh = w_hh * delta
    return d | {"h0": dh}


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


def grad_norms(params, x, h0, dhT):
    caches, h = [], h0
    for x_t in x:
        h, cache = rnn.step_forward(x_t, h, params)
        caches.append(cache)
    dh, norms = dhT, [np.linalg.norm(dhT)]
    for cache in reversed(caches):
        dh = rnn.step_backward(dh, cache)[1]
        norms.append(np.linalg.norm(dh))
    return np.array(norms)


def lstm_gates(a):
    H = a.shape[1] // 4
    return (rnn.sigmoid(a[:, :H]), rnn.sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), rnn.sigmoid(a[:, 3 * H:]))


def gated_latch_params():
    # inputs [v, s]; rows i, f, g, o
    w_ih = np.array([[0.0, 20.0], [0.0, -20.0], [1.0, 0.0], [0.0, 0.0]])
    return {"weight_ih": w_ih, "weight_hh": np.zeros((4, 1)),
            "bias_ih": np.array([-10.0, 10.0, 0.0, 0.0]), "bias_hh": np.zeros(4)}


def cell_gradients(x, state0, params):
    caches, (h, c) = [], state0
    for x_t in x:
        h, c, cache = lstm.step_forward(x_t, h, c, params)
        caches.append(cache)
    dh, dc = np.zeros_like(c), np.ones_like(c)
    dcs = [dc]
    for cache in reversed(caches):
        _, dh, dc, _ = lstm.step_backward(dh, dc, cache)
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
    y, cache = models.forward(batch.x, params, "lstm", batch.lengths)
    dx, _ = models.backward(np.ones_like(y), cache)
    return np.array([np.linalg.norm(dx[batch.marks[n, 0], n]) for n in range(len(y))])


def marker_gradient_by_forget_bias(forget_biases, T):
    out = []
    for b in forget_biases:
        params = models.init_params("lstm", 2, 16, rng=np.random.default_rng(0), forget_bias=b)
        batch = tasks.adding_problem(32, T, rng=np.random.default_rng(1))
        out.append(marker_gradient(params, batch).mean())
    return np.array(out)


RIGHT = {
    "check_rnn_step_forward": rnn_step_forward,
    "check_rnn_step_backward": rnn.step_backward,
    "check_rnn_backward": rnn_backward,
    "check_scalar_bptt": scalar_bptt,
    "check_sigmoid_prime": sigmoid_prime,
    "check_largest_lag": largest_lag,
    "check_grad_norms": grad_norms,
    "check_clip_grad_norm": optim.clip_grad_norm,
    "check_lstm_gates": lstm_gates,
    "check_lstm_step_forward": lstm.step_forward,
    "check_gated_latch_params": gated_latch_params,
    "check_lstm_step_backward": lstm.step_backward,
    "check_cell_gradients": cell_gradients,
    "check_forget_bias_for_retention": forget_bias_for_retention,
    "check_adding_target": adding_target,
    "check_marker_gradient": marker_gradient,
    "check_marker_gradient_by_forget_bias": marker_gradient_by_forget_bias,
}


def test_every_check_is_covered():
    assert sorted(RIGHT) == sorted(n for n in dir(checks) if n.startswith("check_"))


@pytest.mark.parametrize("check", list(RIGHT))
def test_check_passes_on_the_right_answer(check, capsys):
    getattr(checks, check)(RIGHT[check])
    out = capsys.readouterr().out
    assert out.startswith("PASS ") and out.count("PASS") == 1, out


@pytest.mark.parametrize("check", list(RIGHT))
def test_check_says_not_implemented_on_the_stub(check):
    with pytest.raises(checks.NotImplementedYet, match="not implemented yet") as info:
        getattr(checks, check)(stub)
    assert isinstance(info.value.__cause__, NotImplementedError)   # the reader's traceback is kept


@pytest.mark.parametrize("check", list(RIGHT))
def test_check_chains_other_exceptions(check):
    def broken(*args):
        raise KeyError("weight_hh_l0")

    with pytest.raises(AssertionError, match="raised KeyError") as info:
        getattr(checks, check)(broken)
    assert not isinstance(info.value, checks.NotImplementedYet)
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize("check", list(RIGHT))
@pytest.mark.parametrize("fn", [None, 42, "rnn_step_forward"])
def test_check_rejects_a_non_callable(check, fn):
    with pytest.raises(ValueError, match="fn: expected the function you wrote"):
        getattr(checks, check)(fn)


# ------------------------------------------------------------ plausible mistakes
def rnn_forward_transposed_w_hh(x_t, h_prev, params):
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"] + params["bias_hh"]
    return np.tanh(a), (x_t, h_prev, a, params, "tanh")


def rnn_forward_caches_h(x_t, h_prev, params):
    h, cache = rnn.step_forward(x_t, h_prev, params)
    return h, cache[:2] + (h,) + cache[3:]


def rnn_step_backward_no_fprime(dh, cache):
    x_t, h_prev, a, params, _ = cache
    da = dh
    return da @ params["weight_ih"], da @ params["weight_hh"], {
        "weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(0), "bias_hh": da.sum(0)}


def rnn_step_backward_transposed(dh, cache):
    dx, dh_prev, grads = rnn.step_backward(dh, cache)
    x_t, h_prev, a, params, act = cache
    da = dh * rnn.ACTIVATIONS[act][1](a)
    return dx, da @ params["weight_hh"].T, grads


def rnn_backward_no_dh_next(dhs, caches):
    dx, _, grads = rnn_backward(dhs, caches)
    return dx, rnn.step_backward(dhs[0], caches[0])[1], grads


def scalar_bptt_last_step_only(w_hh, w_ih, b, xs, h0):
    d = scalar_bptt(w_hh, w_ih, b, xs[-1:], h0 if len(xs) == 1 else 0.0)
    return d


def sigmoid_prime_overflows(a):
    e = np.exp(-a)
    return e / (1 + e) ** 2


def largest_lag_first_below(sigma_max, gamma, threshold):
    k = largest_lag(sigma_max, gamma, threshold)
    return k if k == math.inf else k + 1


def grad_norms_reversed(params, x, h0, dhT):
    return grad_norms(params, x, h0, dhT)[::-1]


def clip_per_array(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    return {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}, norm


def clip_in_place(grads, max_norm):
    clipped, norm = optim.clip_grad_norm(grads, max_norm)
    for k in grads:
        grads[k] *= min(1.0, max_norm / norm)
    return clipped, norm


def lstm_gates_cs231n_order(a):
    i, f, g, o = lstm_gates(a)
    H = a.shape[1] // 4
    return i, f, np.tanh(a[:, 3 * H:]), rnn.sigmoid(a[:, 2 * H:3 * H])


def lstm_step_forward_no_tanh(x_t, h_prev, c_prev, params):
    h, c, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
    return cache[6] * c, c, cache


def gated_latch_forget_bias_zero():
    p = gated_latch_params()
    p["bias_ih"][1] = 0.0
    return p


def gated_latch_without_erase():
    p = gated_latch_params()
    p["weight_ih"][1, 1] = 0.0   # the store signal no longer closes the forget gate: old + new
    return p


def lstm_step_backward_no_dh_into_dc(dh, dc, cache):
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, params = cache
    # as if h_t did not depend on c_t: the "dh * o * (1 - tanh_c**2)" term is forgotten
    dx, dh_prev, dc_prev, grads = lstm.step_backward(dh, dc, cache)
    return dx, dh_prev, dc * f, grads


def lstm_step_backward_cs231n_order(dh, dc, cache):
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, params = cache
    dx, dh_prev, dc_prev, grads = lstm.step_backward(dh, dc, cache)
    H = i.shape[1]
    swap = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
    return dx, dh_prev, dc_prev, {k: v[swap] for k, v in grads.items()}


def cell_gradients_carousel_only(x, state0, params):
    caches, (h, c) = [], state0
    for x_t in x:
        h, c, cache = lstm.step_forward(x_t, h, c, params)
        caches.append(cache)
    dcs = [np.ones_like(c)]
    for cache in reversed(caches):
        dcs.insert(0, dcs[0] * cache[4])
    return np.array(dcs)


def forget_bias_per_step(keep, T):
    return math.log(keep / (1 - keep))


def adding_target_any_marker(x, variant):
    total = np.sum(x[..., 0] * x[..., 1], axis=0)   # the 1997 variant's -1 end markers subtract
    return total if variant == "fixed" else 0.5 + total / 4


def marker_gradient_ignores_lengths(params, batch):
    y, cache = models.forward(batch.x, params, "lstm")
    dx, _ = models.backward(np.ones_like(y), cache)
    return np.array([np.linalg.norm(dx[batch.marks[n, 0], n]) for n in range(len(y))])


def marker_gradient_same_rng(forget_biases, T):
    out = []
    for b in forget_biases:
        rng = np.random.default_rng(0)
        params = models.init_params("lstm", 2, 16, rng=rng, forget_bias=b)
        out.append(marker_gradient(params, tasks.adding_problem(32, T, rng=rng)).mean())
    return np.array(out)


WRONG = [
    ("check_rnn_step_forward", rnn_forward_transposed_w_hh, ["h:", "max rel. error"]),
    ("check_rnn_step_forward", rnn_forward_caches_h, ["cache[2] (a)"]),
    ("check_rnn_step_backward", rnn_step_backward_no_fprime, ["dx:", "dh_prev:", "grads['weight_hh']"]),
    ("check_rnn_step_backward", rnn_step_backward_transposed, ["dh_prev:", "right: dx"]),
    ("check_rnn_backward", rnn_backward_no_dh_next, ["dh0:"]),
    ("check_scalar_bptt", scalar_bptt_last_step_only, ["w_hh:", "h0:"]),
    ("check_sigmoid_prime", sigmoid_prime_overflows, ["overflows at |a| = 1e4"]),
    ("check_largest_lag", largest_lag_first_below, ["got 5", "still >= threshold"]),
    ("check_grad_norms", grad_norms_reversed, ["norms:"]),
    ("check_clip_grad_norm", clip_per_array, ["clipped['weight_ih']"]),
    ("check_clip_grad_norm", clip_in_place, ["changed its input grads in place"]),
    ("check_lstm_gates", lstm_gates_cs231n_order, ["g:", "o:", "right: i, f"]),
    ("check_lstm_step_forward", lstm_step_forward_no_tanh, ["h:", "tanh(c)", "right: c"]),
    ("check_gated_latch_params", gated_latch_forget_bias_zero,
     ["at t=1, 1 step after the store at t=0", "f_t = 0.5000", "while holding"]),
    ("check_gated_latch_params", gated_latch_without_erase,
     ["at the store step t=60", "f_t = 1.0000", "on a store step"]),
    ("check_lstm_step_backward", lstm_step_backward_no_dh_into_dc, ["dc_prev:", "right: dx, dh_prev"]),
    ("check_lstm_step_backward", lstm_step_backward_cs231n_order, ["grads['weight_ih']", "order i, f, g, o"]),
    ("check_cell_gradients", cell_gradients_carousel_only, ["dcs:", "BOTH dh_prev and dc_prev"]),
    ("check_forget_bias_for_retention", forget_bias_per_step, ["b_f:"]),
    ("check_adding_target", adding_target_any_marker, ["variant='hochreiter1997'", "target:", "exactly 1"]),
    ("check_marker_gradient", marker_gradient_ignores_lengths, ["variant='hochreiter1997'", "marker gradient:"]),
    ("check_marker_gradient_by_forget_bias", marker_gradient_same_rng, ["mean marker gradients:"]),
]


@pytest.mark.parametrize("check, fn, words", WRONG, ids=[fn.__name__ for _, fn, _ in WRONG])
def test_check_names_the_wrong_output(check, fn, words):
    with pytest.raises(AssertionError) as info:
        getattr(checks, check)(fn)
    assert not isinstance(info.value, checks.NotImplementedYet)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in:\n{message}"


def test_wrong_shape_is_reported_with_both_shapes():
    def h_transposed(x_t, h_prev, params):
        h, cache = rnn.step_forward(x_t, h_prev, params)
        return h.T, cache

    with pytest.raises(AssertionError, match=r"h: shape \(4, 2\), expected \(2, 4\)"):
        checks.check_rnn_step_forward(h_transposed)


def test_wrong_return_structure_is_reported():
    with pytest.raises(AssertionError, match=r"should return a tuple \(dx, dh_prev, grads\), got ndarray"):
        checks.check_rnn_step_backward(lambda dh, cache: dh)


def test_inputs_are_copies_so_a_mutating_answer_cannot_corrupt_the_reference():
    def mutates(dh, cache):
        out = rnn.step_backward(dh, cache)
        cache[3]["weight_hh"][...] = 0.0
        dh[...] = 0.0
        return out

    checks.check_rnn_step_backward(mutates)   # passes: its outputs were computed before the damage


@pytest.mark.parametrize("got, words", [(np.array([4]), "non-negative int or math.inf"), (-1, "non-negative"),
                                        (4.5, "non-negative int"), (math.inf, "finitely many steps")])
def test_largest_lag_reports_a_bad_return_value(got, words):
    with pytest.raises(AssertionError, match=words):
        checks.check_largest_lag(lambda sigma_max, gamma, threshold: got)


def test_checks_stay_in_the_experiments_layer():
    """lstmkit.checks imports numpy and lstmkit only: no torch, matplotlib or ipywidgets."""
    import subprocess
    import sys

    code = ("import sys, lstmkit.checks; bad = {'torch', 'matplotlib', 'ipywidgets'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
