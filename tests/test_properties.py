"""hypothesis draws the sizes T, N, D, H (1 included) and checks torch parity and shapes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmkit import lstm, rnn
from lstmkit.gradcheck import rel_error

torch = pytest.importorskip("torch")
from lstmkit import interop  # noqa: E402

sizes = st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(1, 6))
TOL = 1e-9   # float64 against float64: only summation order differs


@settings(max_examples=25, deadline=None)
@given(sizes=sizes, seed=st.integers(0, 2**32 - 1))
def test_lstm_parity_and_shapes(sizes, seed):
    T, N, D, H = sizes
    rng = np.random.default_rng(seed)
    params = lstm.init_params(D, H, rng=rng)
    x, dhs = rng.standard_normal((T, N, D)), rng.standard_normal((T, N, H))
    hs, (hT, cT), cache = lstm.forward(x, None, params)
    dx, (dh0, dc0), grads = lstm.backward(dhs, cache)
    assert hs.shape == (T, N, H) and dx.shape == (T, N, D) and dh0.shape == dc0.shape == (N, H)
    assert all(grads[k].shape == params[k].shape for k in params)

    module = interop.lstm_to_torch(params)
    xt = torch.tensor(x, requires_grad=True)
    out, _ = module(xt)
    (out * torch.tensor(dhs)).sum().backward()
    assert rel_error(hs, out.detach().numpy()) < TOL
    assert rel_error(dx, xt.grad.numpy()) < TOL
    for k in params:
        assert rel_error(grads[k], getattr(module, f"{k}_l0").grad.numpy()) < TOL


@settings(max_examples=25, deadline=None)
@given(sizes=sizes, seed=st.integers(0, 2**32 - 1))
def test_rnn_parity_and_shapes(sizes, seed):
    T, N, D, H = sizes
    rng = np.random.default_rng(seed)
    params = rnn.init_params(D, H, rng=rng)
    x, dhs = rng.standard_normal((T, N, D)), rng.standard_normal((T, N, H))
    hs, _, cache = rnn.forward(x, None, params)
    dx, dh0, grads = rnn.backward(dhs, cache)
    assert hs.shape == (T, N, H) and dx.shape == (T, N, D) and dh0.shape == (N, H)

    module = interop.rnn_to_torch(params)
    xt = torch.tensor(x, requires_grad=True)
    out, _ = module(xt)
    (out * torch.tensor(dhs)).sum().backward()
    assert rel_error(hs, out.detach().numpy()) < TOL
    assert rel_error(dx, xt.grad.numpy()) < TOL
    for k in params:
        assert rel_error(grads[k], getattr(module, f"{k}_l0").grad.numpy()) < TOL
