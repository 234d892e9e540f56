"""lstmkit.decay: Jacobians against finite differences, the decay bound on random draws, and errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmkit import decay, rnn, train
from lstmkit.gradcheck import numerical_gradient, rel_error

# Centred differences (h = 1e-5, float64) of these smooth maps are good to ~1e-9 relative; 1e-7
# leaves room for cancellation, as in test_rnn.py. Exact identities are held to rounding (1e-12).
FD_TOL, EXACT = 1e-7, 1e-12
ACTS = ["tanh", "sigmoid", "relu", "identity"]


def problem(rng, T, N, D, H, scale=1.0):
    params = rnn.init_params(D, H, rng=rng)
    x = scale * rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    return params, x, h0


def matrix_error(a, b):
    """max|a - b| relative to the largest entry: products of sigmoid Jacobians have entries ~1e-6,
    where the ~1e-11 absolute rounding of centred differences spoils an entrywise relative error."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b)))


def numerical_dhT_dh0(x, h0, params, activation):
    """dh_T/dh_0 (N, H, H) by finite differences of rnn.forward, one output unit at a time."""
    N, H = h0.shape
    rows = []
    for i in range(H):
        df = np.zeros((N, H))
        df[:, i] = 1.0   # sequences are independent, so one pass gives row i for every n
        rows.append(numerical_gradient(lambda _: rnn.forward(x, h0, params, activation=activation)[0][-1], h0, df))
    return np.stack(rows, axis=1)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("T", [1, 4])
def test_jacobian_product_matches_finite_differences(rng, activation, T):
    params, x, h0 = problem(rng, T, 3, 2, 4)
    J = decay.jacobians(x, h0, params, activation)
    assert J.shape == (T, 3, 4, 4)
    P = J[-1]
    for t in range(T - 2, -1, -1):
        P = P @ J[t]                      # J_T ... J_1 = dh_T/dh_0
    assert matrix_error(P, numerical_dhT_dh0(x, h0, params, activation)) < FD_TOL


def test_jacobians_default_h0_is_zeros(rng):
    params, x, h0 = problem(rng, 3, 2, 2, 3)
    np.testing.assert_array_equal(decay.jacobians(x, None, params), decay.jacobians(x, 0 * h0, params))


@pytest.mark.parametrize("activation", ACTS)
def test_product_norms_are_spectral_norms_of_the_products(rng, activation):
    params, x, h0 = problem(rng, 5, 2, 3, 4)
    J = decay.jacobians(x, h0, params, activation)
    norms = decay.product_norms(J)
    assert norms.shape == (6, 2)
    np.testing.assert_allclose(norms[0], 1.0)
    for n in range(2):
        P = np.eye(4)
        for k in range(1, 6):
            P = P @ J[5 - k, n]
            assert abs(norms[k, n] - np.linalg.svd(P, compute_uv=False)[0]) <= EXACT * norms[k, n]
    # the longest lag is the whole chain, checked independently by finite differences
    num = numerical_dhT_dh0(x, h0, params, activation)
    np.testing.assert_allclose(norms[-1], np.linalg.norm(num, 2, axis=(1, 2)), rtol=1e-6)


def test_identity_with_orthogonal_weight_keeps_norm_exactly_one(rng):
    """Linear RNN with orthogonal W_hh: every product is orthogonal, so nothing vanishes or explodes."""
    params, x, h0 = problem(rng, 30, 2, 3, 6)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    params["weight_hh"] = Q
    norms = decay.gradient_norms_by_lag(x, h0, params, "identity")
    np.testing.assert_allclose(norms, 1.0, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(T=st.integers(1, 12), N=st.integers(1, 3), H=st.integers(1, 6), sigma=st.floats(0.05, 3.0),
       scale=st.floats(0.0, 5.0), activation=st.sampled_from(ACTS), seed=st.integers(0, 2**32 - 1))
def test_bound_holds_on_random_draws(T, N, H, sigma, scale, activation, seed):
    """||dh_T/dh_{T-k}|| <= (gamma sigma_max)^k for any weights, inputs and activation."""
    rng = np.random.default_rng(seed)
    params, x, h0 = problem(rng, T, N, 2, H, scale)
    params["weight_hh"] = decay.scaled_weight(rng.standard_normal((H, H)), sigma)
    norms = decay.gradient_norms_by_lag(x, h0, params, activation)
    bound = decay.decay_bound(decay.ACTIVATION_GAMMA[activation], sigma, np.arange(T + 1))
    assert np.all(norms <= bound[:, None] * (1 + 1e-10) + 1e-300)


@pytest.mark.parametrize("activation", ACTS)
def test_gamma_is_the_maximum_of_the_derivative(activation):
    a = np.linspace(-10, 10, 200001)   # includes a = 0 where tanh' and sigmoid' peak
    _, df = rnn.ACTIVATIONS[activation]
    assert abs(df(a).max() - decay.ACTIVATION_GAMMA[activation]) < 1e-12


def test_scaled_weight_sets_largest_singular_value_and_keeps_direction(rng):
    W = rng.standard_normal((5, 5))
    V = decay.scaled_weight(W, 0.7)
    assert abs(np.linalg.svd(V, compute_uv=False)[0] - 0.7) < EXACT
    assert rel_error(V / np.linalg.norm(V), W / np.linalg.norm(W)) < EXACT
    assert decay.scaled_weight(W.astype(np.float32), 2.0).dtype == np.float32


def test_decay_bound_and_vanishing_lag():
    np.testing.assert_allclose(decay.decay_bound(0.25, 2.0, [0, 1, 3]), [1.0, 0.5, 0.125])
    assert decay.decay_bound(1.0, 10.0, [400])[0] == np.inf   # an exploding bound is honestly inf
    assert decay.vanishing_lag(np.array([1.0, 0.1, 1e-2, 9e-4, 1e-5])) == 3
    assert decay.vanishing_lag(np.array([1.0, 2.0, 3.0])) is None
    assert decay.vanishing_lag(np.array([1.0, 0.5]), threshold=0.6) == 1


def test_backpropagated_signal_matches_rnn_backward_from_every_step(rng):
    """dh[t] must be what rnn.backward returns as dh0 when the run starts at h_t."""
    T, N, H = 5, 2, 3
    params, x, h0 = problem(rng, T, N, 2, H)
    dh_T = rng.standard_normal((N, H))
    dh = decay.backpropagated_signal(decay.jacobians(x, h0, params), dh_T)
    assert dh.shape == (T + 1, N, H)
    hs, _, _ = rnn.forward(x, h0, params)
    states = np.concatenate([h0[None], hs])          # h_0 .. h_T
    for t in range(T):
        _, _, cache = rnn.forward(x[t:], states[t], params)
        dhs = np.zeros((T - t, N, H))
        dhs[-1] = dh_T
        _, dh_t, _ = rnn.backward(dhs, cache)
        assert rel_error(dh[t], dh_t) < EXACT, t
    np.testing.assert_array_equal(dh[T], dh_T)


@pytest.mark.parametrize("k", [1, 2, 3, 6, 7])
def test_truncated_gradients_match_finite_differences_of_the_detached_loss(rng, k):
    """Truncated BPTT is the exact gradient of a loss in which the boundary states are constants."""
    T, N, D, H = 6, 2, 3, 4
    params, x, h0 = problem(rng, T, N, D, H)
    dhs = rng.standard_normal((T, N, H))
    hs, _, _ = rnn.forward(x, h0, params)
    states = np.concatenate([h0[None], hs])
    boundary = {s: states[s].copy() for s in range(0, T, k)}   # computed once: not differentiated

    def surrogate(_):
        return sum(np.sum(rnn.forward(x[s:s + k], boundary[s], params)[0] * dhs[s:s + k]) for s in boundary)

    grads = decay.truncated_gradients(x, h0, params, dhs, k)
    for name in params:
        assert rel_error(grads[name], numerical_gradient(surrogate, params[name], 1.0)) < FD_TOL, name


def test_truncation_at_full_length_is_bptt(rng):
    params, x, h0 = problem(rng, 5, 2, 3, 4)
    dhs = rng.standard_normal((5, 2, 4))
    _, _, full = rnn.backward(dhs, rnn.forward(x, h0, params)[2])
    for k in (5, 50):
        trunc = decay.truncated_gradients(x, h0, params, dhs, k)
        assert all(rel_error(trunc[n], full[n]) < EXACT for n in params)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_last_step_regression_matches_finite_differences(rng, activation):
    T, N, D, H, K = 4, 3, 2, 5, 2
    params, x, h0 = problem(rng, T, N, D, H)
    w_out = rng.standard_normal((K, H))
    y = rng.standard_normal((N, K))
    loss, grads, dw_out = decay.last_step_regression(x, h0, params, w_out, y, activation)
    # forward: the loss is the mean over the batch of half the squared error
    hT = rnn.forward(x, h0, params, activation=activation)[0][-1]
    assert abs(loss - 0.5 * np.mean(np.sum((hT @ w_out.T - y) ** 2, axis=1))) < EXACT

    def f(_):
        return decay.last_step_regression(x, h0, params, w_out, y, activation)[0]

    # backward: every gradient against centred differences
    assert rel_error(dw_out, numerical_gradient(f, w_out, 1.0)) < FD_TOL
    for name in params:
        assert rel_error(grads[name], numerical_gradient(f, params[name], 1.0)) < FD_TOL, name


def test_decay_curve_shapes_bound_and_determinism():
    out = decay.decay_curve(0.5, 1.0, 20, "tanh", hidden_size=8, batch=4)
    assert out["norms"].shape == (21, 4) and out["median"].shape == (21,) and out["bound"].shape == (21,)
    np.testing.assert_array_equal(out["lags"], np.arange(21))
    assert np.all(out["norms"] <= out["bound"][:, None] * (1 + 1e-10))
    assert out["vanishing_lag"] is not None and out["vanishing_lag"] <= 10   # 0.5^10 < 1e-3
    again = decay.decay_curve(0.5, 1.0, 20, "tanh", hidden_size=8, batch=4)
    np.testing.assert_array_equal(out["norms"], again["norms"])
    # saturation: bigger inputs make f' smaller, so the gradient vanishes sooner
    big = decay.decay_curve(1.5, 3.0, 40, "tanh", hidden_size=8, batch=4)
    small = decay.decay_curve(1.5, 0.1, 40, "tanh", hidden_size=8, batch=4)
    assert big["median"][20] < small["median"][20]


def test_train_last_step_descends_and_clips(rng):
    T, N, D, H = 5, 8, 1, 4
    params, x, _ = problem(rng, T, N, D, H)
    w_out = rng.standard_normal((1, H))
    y = x[0].copy()                                   # remember the first input
    before = {k: v.copy() for k, v in params.items()}
    run = train.train_last_step(params, w_out, x, y, lr=0.1, steps=30)
    assert all(np.array_equal(before[k], params[k]) for k in params)   # inputs are not changed
    assert run["losses"].shape == run["norms"].shape == (30,)
    assert run["losses"][-1] < run["losses"][0]
    # one step by hand: the recorded loss and norm, and theta - lr * grad
    loss, grads, dw = decay.last_step_regression(x, None, params, w_out, y)
    one = train.train_last_step(params, w_out, x, y, lr=0.1, steps=1)
    assert one["losses"][0] == loss
    assert abs(one["norms"][0] - np.sqrt(sum(np.sum(g ** 2) for g in [*grads.values(), dw]))) < EXACT
    np.testing.assert_allclose(one["params"]["weight_hh"], params["weight_hh"] - 0.1 * grads["weight_hh"])
    # clip is applied to every gradient, w_out included, before the step
    seen = []

    def clip(g):
        seen.append(sorted(g))
        return {k: 0 * v for k, v in g.items()}, 0.0

    frozen = train.train_last_step(params, w_out, x, y, lr=0.1, steps=3, clip=clip)
    assert seen == [sorted([*params, "w_out"])] * 3
    np.testing.assert_array_equal(frozen["w_out"], w_out)
    assert np.all(frozen["losses"] == loss)
    assert not run["diverged"] and not frozen["diverged"]


def test_train_last_step_stops_a_diverging_run(rng):
    T, N, D, H = 5, 8, 1, 4
    params, x, _ = problem(rng, T, N, D, H)
    w_out = rng.standard_normal((1, H))
    y = x[0].copy()
    run = train.train_last_step(params, w_out, x, y, lr=50.0, steps=100, stop_above=1e6)   # lr far too large
    assert run["diverged"] and run["losses"][-1] > 1e6 and np.all(run["losses"][:-1] <= 1e6)
    assert run["losses"].shape == run["norms"].shape and len(run["losses"]) < 100


rng0 = np.random.default_rng(0)
P, X, H0 = problem(rng0, 3, 2, 2, 4)
J0 = decay.jacobians(X, H0, P)

# (call, words the message must contain)
CASES = {
    "scaled W not square": (lambda: decay.scaled_weight(np.ones((2, 3)), 1.0), ["W", "square", "(2, 3)"]),
    "scaled W zero": (lambda: decay.scaled_weight(np.zeros((2, 2)), 1.0), ["W", "non-zero"]),
    "scaled W int": (lambda: decay.scaled_weight(np.eye(2, dtype=int), 1.0), ["W", "floating"]),
    "scaled sigma": (lambda: decay.scaled_weight(np.eye(2), -1.0), ["sigma_max", ">= 0", "-1.0"]),
    "scaled sigma nan": (lambda: decay.scaled_weight(np.eye(2), np.nan), ["sigma_max", "finite"]),
    "jacobians x D": (lambda: decay.jacobians(X[..., :1], H0, P), ["x", "D=2", "(3, 2, 1)"]),
    "jacobians h0": (lambda: decay.jacobians(X, H0[:1], P), ["h0", "N=2", "(1, 4)"]),
    "jacobians act": (lambda: decay.jacobians(X, H0, P, "softplus"), ["activation", "tanh", "softplus"]),
    "jacobians params": (lambda: decay.jacobians(X, H0, {"weight_hh": P["weight_hh"]}), ["params", "missing"]),
    "product J rank": (lambda: decay.product_norms(J0[0]), ["J", "(T, N, H, H)", "(2, 4, 4)"]),
    "product J nan": (lambda: decay.product_norms(J0 * np.nan), ["J", "finite"]),
    "signal dh_T": (lambda: decay.backpropagated_signal(J0, np.ones((2, 3))), ["dh_T", "H=4", "(2, 3)"]),
    "bound gamma": (lambda: decay.decay_bound(0.0, 1.0, [1]), ["gamma", "> 0", "0.0"]),
    "bound lags float": (lambda: decay.decay_bound(1.0, 1.0, [0.5]), ["lags", "non-negative integers"]),
    "bound lags negative": (lambda: decay.decay_bound(1.0, 1.0, [-1]), ["lags", "non-negative"]),
    "vanishing rank": (lambda: decay.vanishing_lag(np.ones((2, 2))), ["norms", "(K,)", "(2, 2)"]),
    "vanishing threshold": (lambda: decay.vanishing_lag(np.ones(2), threshold=0), ["threshold", "> 0"]),
    "curve steps": (lambda: decay.decay_curve(1.0, 1.0, 0), ["steps", "positive integer", "0"]),
    "curve activation": (lambda: decay.decay_curve(1.0, 1.0, 5, "gelu"), ["activation", "sigmoid", "gelu"]),
    "curve input_scale": (lambda: decay.decay_curve(1.0, -2.0, 5), ["input_scale", ">= 0", "-2.0"]),
    "truncated k": (lambda: decay.truncated_gradients(X, H0, P, np.zeros((3, 2, 4)), 0), ["k", "positive integer"]),
    "truncated dhs": (lambda: decay.truncated_gradients(X, H0, P, np.zeros((2, 2, 4)), 1), ["dhs", "T=3", "(2, 2, 4)"]),
    "regression w_out": (lambda: decay.last_step_regression(X, H0, P, np.ones((1, 3)), np.ones((2, 1))),
                         ["w_out", "H=4", "(1, 3)"]),
    "train lr": (lambda: train.train_last_step(P, np.ones((1, 4)), X, np.ones((2, 1)), lr=-1, steps=1), ["lr", "> 0"]),
    "train steps": (lambda: train.train_last_step(P, np.ones((1, 4)), X, np.ones((2, 1)), lr=1, steps=0),
                    ["steps", "positive integer"]),
    "train clip": (lambda: train.train_last_step(P, np.ones((1, 4)), X, np.ones((2, 1)), lr=1, steps=1, clip=1.0),
                   ["clip", "function", "float"]),
    "train stop_above": (lambda: train.train_last_step(P, np.ones((1, 4)), X, np.ones((2, 1)), lr=1, steps=1,
                                                           stop_above=-1.0),
                         ["stop_above", "> 0"]),
    "regression y": (lambda: decay.last_step_regression(X, H0, P, np.ones((1, 4)), np.ones((3, 1))),
                     ["y", "N=2", "(3, 1)"]),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_inputs_raise_value_errors_that_say_what_went_wrong(case):
    call, words = CASES[case]
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_orthogonal_weight_has_every_singular_value_sigma(rng):
    Q = decay.orthogonal_weight(7, rng)
    np.testing.assert_allclose(Q.T @ Q, np.eye(7), atol=EXACT)
    W = decay.orthogonal_weight(7, np.random.default_rng(1), sigma_max=0.9)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 0.9, atol=EXACT)
    again = decay.orthogonal_weight(7, np.random.default_rng(1), sigma_max=0.9)
    np.testing.assert_array_equal(W, again)
    # uniform over the orthogonal group: the sign fix leaves no bias toward a positive diagonal of R
    diag_means = np.mean([np.diag(decay.orthogonal_weight(3, rng)) for _ in range(2000)], axis=0)
    assert np.all(np.abs(diag_means) < 0.1)


def test_orthogonal_decay_curve_isolates_the_activation_derivative():
    """With every singular value of W_hh equal to 1: identity keeps norm 1 at every lag, tanh decays,
    more the larger the inputs (saturation), and never faster than its f' product allows."""
    lin = decay.decay_curve(1.0, 1.0, 30, "identity", hidden_size=8, batch=4, init="orthogonal")
    np.testing.assert_allclose(lin["norms"], 1.0, rtol=0, atol=1e-12)
    assert lin["vanishing_lag"] is None
    medians = [decay.decay_curve(1.0, s, 30, "tanh", hidden_size=8, batch=4, init="orthogonal")["median"][30]
               for s in (0.0, 1.0, 4.0)]
    assert 1.0 > medians[0] > medians[1] > medians[2]
    # the same W_hh direction, drawn the default way, vanishes even when linear (its other singular values < 1)
    default = decay.decay_curve(1.0, 1.0, 30, "identity", hidden_size=8, batch=4)
    assert default["median"][30] < 1e-2


@pytest.mark.parametrize("activation", ACTS)
def test_derivative_bound_holds_for_orthogonal_weights(rng, activation):
    params, x, h0 = problem(rng, 15, 3, 2, 5, scale=2.0)
    params["weight_hh"] = decay.orthogonal_weight(5, rng)
    prods = decay.derivative_bound(x, h0, params, activation)
    norms = decay.gradient_norms_by_lag(x, h0, params, activation)
    assert prods.shape == norms.shape == (16, 3)
    assert np.all(norms <= prods * (1 + 1e-10) + 1e-300)
    # by hand: lag 2 is max_i |f'(a_{T,i})| * max_i |f'(a_{T-1,i})|, a_t from the states of the run
    _, df = rnn.ACTIVATIONS[activation]
    hs, _, _ = rnn.forward(x, h0, params, activation=activation)

    def fprime_max(t):   # t = 1..T; hs[t-2] is h_{t-1}
        a = x[t - 1] @ params["weight_ih"].T + params["bias_ih"] + hs[t - 2] @ params["weight_hh"].T + params["bias_hh"]
        return np.abs(df(a)).max(axis=1)
    np.testing.assert_allclose(prods[2], fprime_max(15) * fprime_max(14), rtol=EXACT)


@pytest.mark.parametrize("case", ["H", "rng", "sigma", "init"])
def test_orthogonal_bad_inputs(case):
    call, words = {
        "H": (lambda: decay.orthogonal_weight(0, np.random.default_rng(0)), ["H", "positive integer", "0"]),
        "rng": (lambda: decay.orthogonal_weight(3, 0), ["rng", "Generator", "int"]),
        "sigma": (lambda: decay.orthogonal_weight(3, np.random.default_rng(0), -1.0), ["sigma_max", ">= 0"]),
        "init": (lambda: decay.decay_curve(1.0, 1.0, 5, init="eye"), ["init", "orthogonal", "eye"]),
    }[case]
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value), (word, str(err.value))
