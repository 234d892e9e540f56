"""lstmkit.checks_gru (chapter 06's exercise checks), as tests/test_checks.py tests lstmkit.checks:
a right answer passes with one PASS line, the stub says "not implemented yet", plausible mistakes
fail with a message naming the wrong output, other exceptions are chained."""
import numpy as np
import pytest

from lstmkit import charlm, checks_gru, gru, variants
from lstmkit.rnn import sigmoid


def stub(*args, **kwargs):
    raise NotImplementedError()


def coupled_step_forward(x_t, h_prev, c_prev, params):
    h, c, _ = variants.step_forward(x_t, h_prev, c_prev, params, "coupled")
    return h, c


RIGHT = {
    checks_gru.check_gru_step_forward: gru.step_forward,
    checks_gru.check_gru_step_backward: gru.step_backward,
    checks_gru.check_coupled_step_forward: coupled_step_forward,
    checks_gru.check_cross_entropy: charlm.cross_entropy,
}


def test_every_check_is_covered():
    assert set(RIGHT) == {getattr(checks_gru, n) for n in checks_gru.__all__ if n.startswith("check_")}


@pytest.mark.parametrize("check", RIGHT, ids=lambda c: c.__name__)
def test_check_passes_on_the_right_answer(check, capsys):
    check(RIGHT[check])
    out = capsys.readouterr().out
    assert out.startswith("PASS") and out.count("\n") == 1


@pytest.mark.parametrize("check", RIGHT, ids=lambda c: c.__name__)
def test_check_says_not_implemented_on_the_stub(check):
    with pytest.raises(checks_gru.NotImplementedYet, match="not implemented yet"):
        check(stub)


@pytest.mark.parametrize("check", RIGHT, ids=lambda c: c.__name__)
def test_check_chains_other_exceptions(check):
    def broken(*args):
        raise KeyError("oops")

    with pytest.raises(AssertionError) as info:
        check(broken)
    assert not isinstance(info.value, checks_gru.NotImplementedYet)
    assert isinstance(info.value.__cause__, KeyError)


# ------------------------------------------------------------ plausible mistakes
def gru_reset_before_matmul(x_t, h_prev, params):   # Cho et al.'s placement of r, not torch's
    H = h_prev.shape[1]
    W_ih, W_hh, b_ih, b_hh = (params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    gi = x_t @ W_ih.T + b_ih
    gh = h_prev @ W_hh[:2 * H].T + b_hh[:2 * H]
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:])
    hn = (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:]
    n = np.tanh(gi[:, 2 * H:] + hn)
    return (1 - z) * n + z * h_prev, (x_t, h_prev, r, z, n, hn, params)


def gru_swapped_z(x_t, h_prev, params):   # h = z * n + (1 - z) * h_prev
    h, cache = gru.step_forward(x_t, h_prev, params)
    z, n = cache[3], cache[4]
    return z * n + (1 - z) * h_prev, cache


def gru_backward_no_direct_path(dh, cache):
    dx, dh_prev, grads = gru.step_backward(dh, cache)
    return dx, dh_prev - cache[3] * dh, grads


def gru_backward_hh_bias_like_ih(dh, cache):
    dx, dh_prev, grads = gru.step_backward(dh, cache)
    return dx, dh_prev, {**grads, "bias_hh": grads["bias_ih"]}


def coupled_uses_input_rows(x_t, h_prev, c_prev, params):   # the plain LSTM: i from rows 0:H
    from lstmkit import lstm

    h, c, _ = lstm.step_forward(x_t, h_prev, c_prev, params)
    return h, c


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


@pytest.mark.parametrize("check, fn, words", [
    (checks_gru.check_gru_step_forward, gru_reset_before_matmul, ["gru_step_forward", "h:", "AFTER the matmul"]),
    (checks_gru.check_gru_step_forward, gru_swapped_z, ["h:", "z weighs the OLD state"]),
    (checks_gru.check_gru_step_backward, gru_backward_no_direct_path, ["dh_prev", "direct z * dh"]),
    (checks_gru.check_gru_step_backward, gru_backward_hh_bias_like_ih, ["grads['bias_hh']", "da_n * r"]),
    (checks_gru.check_coupled_step_forward, coupled_uses_input_rows, ["c:", "(1 - f) * g"]),
    (checks_gru.check_cross_entropy, cross_entropy_sum, ["loss", "MEAN"]),
    (checks_gru.check_cross_entropy, cross_entropy_naive, ["overflows", "largest logit"]),
])
def test_check_names_the_wrong_output(check, fn, words):
    with pytest.raises(AssertionError) as info:
        check(fn)
    assert not isinstance(info.value, checks_gru.NotImplementedYet)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_checks_stay_in_the_experiments_layer():
    import subprocess
    import sys

    code = "import sys, lstmkit.checks_gru; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
