"""Parameters move to torch and back exactly; import lstmkit never loads torch."""
import subprocess
import sys

import numpy as np
import pytest

from lstmkit import lstm, rnn

torch = pytest.importorskip("torch")
from lstmkit import interop  # noqa: E402


@pytest.mark.parametrize("dtype, tdtype", [(np.float64, torch.float64), (np.float32, torch.float32)])
def test_lstm_round_trip_is_exact(rng, dtype, tdtype):
    params = lstm.init_params(3, 4, rng=rng, dtype=dtype)
    module = interop.lstm_to_torch(params)
    assert module.weight_hh_l0.dtype == tdtype
    back = interop.lstm_from_torch(module)
    assert set(back) == set(params)
    for k in params:
        assert back[k].dtype == params[k].dtype
        np.testing.assert_array_equal(back[k], params[k])


def test_lstm_from_torch_module_state_dict(rng):
    # the other direction: a module torch initialised, read into lstmkit, runs the same forward
    torch.manual_seed(0)
    module = torch.nn.LSTM(2, 3).double()
    params = interop.lstm_from_torch(module)
    x = rng.standard_normal((4, 1, 2))
    with torch.no_grad():
        out, _ = module(torch.tensor(x))
    np.testing.assert_allclose(lstm.forward(x, None, params)[0], out.numpy(), rtol=0, atol=1e-14)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_round_trip_is_exact(rng, activation):
    params = rnn.init_params(2, 5, rng=rng)
    module = interop.rnn_to_torch(params, activation)
    assert module.nonlinearity == activation
    back = interop.rnn_from_torch(module, activation)
    for k in params:
        np.testing.assert_array_equal(back[k], params[k])
    if activation == "relu":   # the dict cannot carry the nonlinearity: reading it as tanh is refused
        with pytest.raises(ValueError, match="activation: expected the module's nonlinearity 'relu'"):
            interop.rnn_from_torch(module)


def test_params_are_copied_not_shared(rng):
    params = rnn.init_params(2, 3, rng=rng)
    module = interop.rnn_to_torch(params)
    params["weight_hh"][0, 0] += 1.0
    assert module.weight_hh_l0[0, 0].item() != params["weight_hh"][0, 0]


def test_torch_gradients_are_what_lstm_forward_and_backward_return(rng):
    T, N, D, H = 4, 2, 3, 5
    params = lstm.init_params(D, H, rng=rng, forget_bias=1.0)
    x, dhs = rng.standard_normal((T, N, D)), rng.standard_normal((T, N, H))
    state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    dstate = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    module = interop.lstm_to_torch(params)
    ref = interop.torch_gradients(module, x, state0, dhs, dstate)
    again = interop.torch_gradients(module, x, state0, dhs, dstate)   # the module's old .grad is not added
    hs, (hT, cT), cache = lstm.forward(x, state0, params)
    dx, (dh0, dc0), grads = lstm.backward(dhs, cache, dstate)
    ours = {"hs": hs, "hT": hT, "cT": cT, "x": dx, "h0": dh0, "c0": dc0, **grads}
    assert sorted(ref) == sorted(ours)
    for k in ours:
        np.testing.assert_allclose(ref[k], ours[k], rtol=1e-9, atol=1e-12, err_msg=k)
        np.testing.assert_array_equal(again[k], ref[k], err_msg=k)


def test_torch_gradients_take_none_for_zero_states_as_the_layers_do(rng):
    params = lstm.init_params(3, 4, rng=rng)
    x, dhs = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 4))
    zeros = (np.zeros((2, 4)), np.zeros((2, 4)))
    module = interop.lstm_to_torch(params)
    implicit = interop.torch_gradients(module, x, None, dhs, None)
    explicit = interop.torch_gradients(module, x, zeros, dhs, zeros)
    for k in explicit:
        np.testing.assert_array_equal(implicit[k], explicit[k], err_msg=k)


@pytest.mark.parametrize("call, words", [
    (lambda p: interop.rnn_to_torch(p, "sigmoid"), ["activation", "relu", "sigmoid"]),
    (lambda p: interop.rnn_from_torch(torch.nn.LSTM(2, 3)), ["module", "RNN", "LSTM"]),
    (lambda p: interop.lstm_from_torch(torch.nn.LSTM(2, 3, num_layers=2)), ["module", "num_layers=2"]),
    (lambda p: interop.lstm_to_torch(p), ["weight_hh", "(4*H, H)"]),
])
def test_bad_input(rng, call, words):
    with pytest.raises(ValueError) as info:
        call(rnn.init_params(2, 3, rng=rng))
    assert all(w in str(info.value) for w in words), str(info.value)


def test_import_lstmkit_leaves_torch_out():
    code = ("import sys, time; t = time.perf_counter(); import lstmkit, lstmkit.interop, lstmkit.optim; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
