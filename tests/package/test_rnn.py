"""lstmkit.rnn against centred finite differences and against torch.nn.RNN autograd (float64)."""
import numpy as np
import pytest

from lstmkit import rnn
from lstmkit.gradcheck import numerical_gradient, rel_error

from parity import FD_TOL  # the tolerances and their reasons

# relu has a kink at 0 that finite differences can straddle; the random draws keep |a| >> h
SMOOTH = ["tanh", "sigmoid", "identity", "relu"]


def make_problem(rng, T, N, D, H):
    params = rnn.init_params(D, H, rng=rng)
    x = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    dhs = rng.standard_normal((T, N, H))
    return params, x, h0, dhs


@pytest.mark.parametrize("activation", SMOOTH)
def test_step_backward_matches_finite_differences(rng, activation):
    params, x, h0, dhs = make_problem(rng, 1, 3, 4, 5)
    h, cache = rnn.step_forward(x[0], h0, params, activation)
    dx, dh_prev, grads = rnn.step_backward(dhs[0], cache)

    def out(_):
        return rnn.step_forward(x[0], h0, params, activation)[0]

    assert rel_error(dx, numerical_gradient(out, x[0], dhs[0])) < FD_TOL
    assert rel_error(dh_prev, numerical_gradient(out, h0, dhs[0])) < FD_TOL
    for k in params:
        assert rel_error(grads[k], numerical_gradient(out, params[k], dhs[0])) < FD_TOL, k


def test_forward_matches_step_loop(rng):
    # the loop is the step, bit for bit; the fused sequence path sums the same products, which BLAS may
    # order differently (1e-12, as issue 8 asks)
    params, x, h0, _ = make_problem(rng, 4, 2, 3, 5)
    hs, _, _ = rnn.forward(x, h0, params)
    hs_fused, _, _ = rnn.forward(x, h0, params, fused=True)
    h = h0
    for t in range(len(x)):
        h, _ = rnn.step_forward(x[t], h, params)
        np.testing.assert_array_equal(hs[t], h)
        np.testing.assert_allclose(hs_fused[t], h, rtol=1e-12, atol=0)


def test_h0_none_means_zeros(rng):
    params, x, _, _ = make_problem(rng, 3, 2, 3, 4)
    np.testing.assert_array_equal(rnn.forward(x, None, params)[0],
                                  rnn.forward(x, np.zeros((2, 4)), params)[0])


def test_init_params_shapes_dtype_and_range(rng):
    params = rnn.init_params(3, 16, rng=rng, dtype=np.float32)
    assert {k: v.shape for k, v in params.items()} == {
        "weight_ih": (16, 3), "weight_hh": (16, 16), "bias_ih": (16,), "bias_hh": (16,)}
    assert all(v.dtype == np.float32 for v in params.values())
    bound = 1 / np.sqrt(16)
    assert all(np.abs(v).max() <= bound for v in params.values())
    # uniform on [-k, k]: the largest draw among 256 weights comes close to the bound
    assert np.abs(params["weight_hh"]).max() > 0.9 * bound


def test_init_params_is_seeded():
    a = rnn.init_params(2, 3, rng=np.random.default_rng(7))
    b = rnn.init_params(2, 3, rng=np.random.default_rng(7))
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_identity_init_is_the_irnn_start():
    # Le, Jaitly & Hinton (2015): weight_hh = I, biases 0; the input weights are torch's draw
    plain = rnn.init_params(3, 5, rng=np.random.default_rng(4))
    irnn = rnn.init_params(3, 5, rng=np.random.default_rng(4), identity=True)
    np.testing.assert_array_equal(irnn["weight_hh"], np.eye(5))
    assert not irnn["bias_ih"].any() and not irnn["bias_hh"].any()
    np.testing.assert_array_equal(irnn["weight_ih"], plain["weight_ih"])
    # with relu and no input the state is copied forward unchanged, whatever the lag
    h0 = np.abs(np.random.default_rng(1).standard_normal((2, 5)))
    hs, hT, _ = rnn.forward(np.zeros((40, 2, 3)), h0, irnn, activation="relu")
    np.testing.assert_array_equal(hT, h0)
    # and the generator advances as without it, so later draws do not shift
    a, b = np.random.default_rng(4), np.random.default_rng(4)
    rnn.init_params(3, 5, rng=a)
    rnn.init_params(3, 5, rng=b, identity=True)
    assert a.random() == b.random()


def test_identity_init_rejects_a_non_bool():
    with pytest.raises(ValueError, match=r"identity: expected True or False, got 'yes'"):
        rnn.init_params(3, 5, rng=np.random.default_rng(0), identity="yes")


def test_sigmoid_is_stable_at_large_inputs():
    with np.errstate(all="raise"):
        s = rnn.sigmoid(np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0], atol=0)


def test_sigmoid_and_activations_are_functionals_under_their_old_names():
    # the layers share them from lstmkit.functional; `from lstmkit.rnn import sigmoid` keeps working
    from lstmkit import functional
    from lstmkit.rnn import ACTIVATIONS, sigmoid

    assert sigmoid is functional.sigmoid and ACTIVATIONS is functional.ACTIVATIONS
    assert list(ACTIVATIONS) == ["tanh", "sigmoid", "relu", "identity"]   # the order chapter 02 plots them in


# ---- torch autograd parity ------------------------------------------------------------------


