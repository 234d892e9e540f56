"""Parameters move to torch and back exactly, and run the same there (tests/parity.py); import lstmkit
never loads torch."""
import subprocess
import sys

import numpy as np
import pytest

from lstmkit import lstm, rnn

from parity import LAYERS, check_against_torch, lstmkit_gradients, make_problem, torch_reference

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


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_a_module_torch_initialised_runs_the_same_forward_and_backward(rng, kind):
    # the other direction: a module torch initialised, read into lstmkit, runs the same forward
    # (to 1e-14 in every entry) and, against that very module, the same backward (tests/parity.py)
    layer = next(layer for layer in LAYERS if layer.name == kind)
    torch.manual_seed(0)
    module = getattr(torch.nn, kind.upper())(2, 3).double()
    params = getattr(interop, f"{kind}_from_torch")(module)
    _, x, state0, dhs, dstate = make_problem(layer, rng, 4, 2, 2, 3)
    ref = torch_reference(layer, params, x, None, dhs, None, module)
    np.testing.assert_allclose(layer.forward(x, None, params)[0], ref["hs"], rtol=0, atol=1e-14)
    check_against_torch(layer, params, x, state0, dhs, dstate, module)


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
    layer = next(layer for layer in LAYERS if layer.name == "lstm")
    params = lstm.init_params(3, 5, rng=rng, forget_bias=1.0)
    _, x, state0, dhs, dstate = make_problem(layer, rng, 4, 2, 3, 5)
    module = interop.lstm_to_torch(params)
    ref = interop.torch_gradients(module, x, state0, dhs, dstate)
    again = interop.torch_gradients(module, x, state0, dhs, dstate)   # the module's old .grad is not added
    ours = lstmkit_gradients(layer, params, x, state0, dhs, dstate)   # hs, hT, cT, x, h0, c0 and the grads
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
