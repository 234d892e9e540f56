"""Every bad input raises a ValueError that names the argument and says what was expected."""
import numpy as np
import pytest

from lstmkit import lstm, rnn
from lstmkit._validate import ArgumentTypeError, check_positive_int
from lstmkit.gradcheck import numerical_gradient, rel_error
from lstmkit.optim import clip_grad_norm

rng = np.random.default_rng(0)
T, N, D, H = 3, 2, 4, 5
RP = rnn.init_params(D, H, rng=rng)
LP = lstm.init_params(D, H, rng=rng)
X = rng.standard_normal((T, N, D))
S = rng.standard_normal((N, H))


def with_nan(a):
    a = a.copy()
    a.flat[0] = np.nan
    return a


def without(params, key):
    return {k: v for k, v in params.items() if k != key}


def replaced(params, key, value):
    return {**params, key: value}


_, _, RCACHE = rnn.forward(X, None, RP)
_, _, LCACHE = lstm.forward(X, None, LP)

# (call, words the message must contain)
CASES = {
    "rnn x rank": (lambda: rnn.forward(X[0], None, RP), ["x", "3 dimensions", "(2, 4)"]),
    "rnn x D": (lambda: rnn.forward(X[..., :3], None, RP), ["x", "D=4", "(3, 2, 3)"]),
    "rnn x int": (lambda: rnn.forward(X.astype(int), None, RP), ["x", "floating", "int"]),
    "rnn x float32": (lambda: rnn.forward(X.astype(np.float32), None, RP), ["x", "float64", "float32"]),
    "rnn x nan": (lambda: rnn.forward(with_nan(X), None, RP), ["x", "finite", "NaN"]),
    "rnn x inf": (lambda: rnn.forward(X * np.inf, None, RP), ["x", "finite"]),
    "rnn x list": (lambda: rnn.forward(X.tolist(), None, RP), ["x", "numpy array", "list"]),
    "rnn h0 batch": (lambda: rnn.forward(X, S[:1], RP), ["h0", "N=2", "(1, 5)"]),
    "rnn h0 H": (lambda: rnn.forward(X, S[:, :2], RP), ["h0", "H=5", "(2, 2)"]),
    "rnn activation": (lambda: rnn.forward(X, None, RP, activation="softplus"),
                       ["activation", "tanh", "identity", "softplus"]),
    "rnn missing key": (lambda: rnn.forward(X, None, without(RP, "bias_hh")), ["params", "bias_hh", "missing"]),
    "rnn extra key": (lambda: rnn.forward(X, None, {**RP, "weight_ih_l0": RP["weight_ih"]}),
                      ["params", "weight_ih_l0", "extra"]),
    "rnn not dict": (lambda: rnn.forward(X, None, list(RP.values())), ["params", "dict", "list"]),
    "rnn lstm params": (lambda: rnn.forward(X, None, LP), ["weight_hh", "(1*H, H)", "(20, 5)"]),
    "rnn bias shape": (lambda: rnn.forward(X, None, replaced(RP, "bias_ih", np.zeros(4))), ["bias_ih", "(5,)", "(4,)"]),
    "rnn param dtype": (lambda: rnn.forward(X, None, replaced(RP, "bias_ih", RP["bias_ih"].astype(np.float32))),
                        ["bias_ih", "float64", "float32"]),
    "rnn param nan": (lambda: rnn.forward(X, None, replaced(RP, "weight_hh", with_nan(RP["weight_hh"]))),
                      ["weight_hh", "finite"]),
    "rnn step x_t": (lambda: rnn.step_forward(X, S, RP), ["x_t", "2 dimensions"]),
    "rnn step h_prev": (lambda: rnn.step_forward(X[0], S.T, RP), ["h_prev", "(5, 2)"]),
    "rnn dhs shape": (lambda: rnn.backward(np.zeros((T + 1, N, H)), RCACHE), ["dhs", "T=3", "(4, 2, 5)"]),
    "rnn dhs nan": (lambda: rnn.backward(with_nan(np.zeros((T, N, H))), RCACHE), ["dhs", "finite"]),
    "rnn step dh": (lambda: rnn.step_backward(np.zeros((N, H + 1)), RCACHE[0]), ["dh", "(2, 6)"]),
    "rnn init size": (lambda: rnn.init_params(0, 3, rng=rng), ["input_size", "positive integer", "0"]),
    "rnn init rng": (lambda: rnn.init_params(2, 3, rng=0), ["rng", "Generator", "int"]),
    "rnn init dtype": (lambda: rnn.init_params(2, 3, rng=rng, dtype=np.int64), ["dtype", "floating", "int64"]),
    "lstm x D": (lambda: lstm.forward(X[..., :1], None, LP), ["x", "D=4", "(3, 2, 1)"]),
    "lstm state0 type": (lambda: lstm.forward(X, S, LP), ["state0", "tuple", "ndarray"]),
    "lstm c0 batch": (lambda: lstm.forward(X, (S, S[:1]), LP), ["c0", "N=2", "(1, 5)"]),
    "lstm h0 dtype": (lambda: lstm.forward(X, (S.astype(np.float32), S), LP), ["h0", "float64", "float32"]),
    "lstm rnn params": (lambda: lstm.forward(X, None, RP), ["weight_hh", "(4*H, H)", "(5, 5)"]),
    "lstm step c_prev": (lambda: lstm.step_forward(X[0], S, S[:, :1], LP), ["c_prev", "H=5", "(2, 1)"]),
    "lstm dstate type": (lambda: lstm.backward(None, LCACHE, S), ["dstate", "tuple"]),
    "lstm dstate shape": (lambda: lstm.backward(None, LCACHE, (S, S[:1])), ["dcT", "(1, 5)"]),
    "lstm dhs rank": (lambda: lstm.backward(np.zeros((N, H)), LCACHE), ["dhs", "3 dimensions"]),
    "lstm step dc": (lambda: lstm.step_backward(S, with_nan(S), LCACHE[0]), ["dc", "finite"]),
    "lstm forget_bias": (lambda: lstm.init_params(2, 3, rng=rng, forget_bias=np.nan), ["forget_bias", "finite"]),
    "lstm hidden_size": (lambda: lstm.init_params(2, 2.5, rng=rng), ["hidden_size", "positive integer", "2.5"]),
    "rel_error shapes": (lambda: rel_error(np.zeros(3), np.zeros(4)), ["b", "(3,)", "(4,)"]),
    "numgrad int x": (lambda: numerical_gradient(np.sum, np.arange(3), 1.0), ["x", "floating"]),
    "clip max_norm": (lambda: clip_grad_norm({"w": np.ones(3)}, -1.0), ["max_norm", "positive", "-1.0"]),
    "clip grads": (lambda: clip_grad_norm({}, 1.0), ["grads", "non-empty"]),
    "clip nan": (lambda: clip_grad_norm({"w": np.array([np.nan])}, 1.0), ["grads", "finite"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_raises_a_clear_value_error(name):
    call, words = CASES[name]
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_no_overflow_warning_at_large_inputs():
    big = np.full((1, N, D), 1e4)
    params = {k: np.full_like(v, 1.0) for k, v in LP.items()}
    with np.errstate(all="raise"):
        hs, (hT, cT), cache = lstm.forward(big, None, params)
        lstm.backward(np.ones_like(hs), cache)
        for act in rnn.ACTIVATIONS:
            hs, _, cache = rnn.forward(-big, None, {k: np.full_like(v, 1.0) for k, v in RP.items()}, activation=act)
            rnn.backward(np.ones_like(hs), cache)
    assert np.all(np.isfinite(hT)) and np.all(np.isfinite(cT))


@pytest.mark.parametrize("value", ["5", 5.0, True, None, [5]])
def test_a_size_of_the_wrong_type_is_an_argument_type_error(value):
    # _validate's promise: the wrong type is a TypeError (Python's convention) and a ValueError (ours)
    with pytest.raises(ArgumentTypeError, match=r"T: expected a positive integer, got \w+ ") as info:
        check_positive_int("T", value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", [0, -3, np.int64(0)])
def test_a_size_out_of_range_is_a_value_error_only(value):
    with pytest.raises(ValueError, match=r"T: expected a positive integer, got ") as info:
        check_positive_int("T", value)
    assert not isinstance(info.value, TypeError)


def test_a_good_size_comes_back_as_an_int():
    assert type(check_positive_int("T", np.int64(5))) is int and check_positive_int("T", 5) == 5
