"""The torch version of the chapter-05 model follows the numpy one step for step.

Same initial parameters (drawn by lstmkit.readout.init_params from the same generator), same
batches, float64: the losses, gradient norms and test errors agree to 1e-9, with clipping active
and variable-length batches. torch autograd is the second reference for the numpy backward.
"""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmkit import interop, readout
from lstmkit.gradcheck import rel_error
from lstmkit.optim import SGD, Adam
from lstmkit.train import TrainConfig, train

torch = pytest.importorskip("torch")
from lstmkit import torch_train  # noqa: E402


@pytest.mark.parametrize("cell, forget_bias, variant, optimizer", [
    ("lstm", 1.0, "hochreiter1997", "adam"),
    ("lstm", None, "fixed", "sgd"),
    ("rnn", None, "hochreiter1997", "adam"),
])
def test_numpy_and_torch_take_the_same_steps(cell, forget_bias, variant, optimizer):
    # clip = 0.005 is below the gradient norms seen here, so clipping acts at every step
    config = TrainConfig(cell=cell, forget_bias=forget_bias, variant=variant, optimizer=optimizer, momentum=0.5,
                         T=12, hidden_size=5, batch_size=4, steps=8, eval_every=4, n_test=16, lr=0.05, clip=0.005)
    torch.manual_seed(0)   # unused by the learner (it copies numpy's draw), set for safety
    a = train(config, progress=False)
    b = torch_train.train(config, progress=False)
    assert min(a.grad_norm) > config.clip
    # forward: the same losses, to rounding error (float64; 8 steps of a chaotic map stay far below 1e-9)
    np.testing.assert_allclose(b.train_loss, a.train_loss, rtol=1e-9, atol=0)
    np.testing.assert_allclose(b.test_mse, a.test_mse, rtol=1e-9, atol=0)
    # backward: the same gradient norms (before clipping), so the same steps
    np.testing.assert_allclose(b.grad_norm, a.grad_norm, rtol=1e-9, atol=0)
    np.testing.assert_allclose(b.marker_grad, a.marker_grad, rtol=1e-9, atol=1e-15)
    for k in a.params:
        np.testing.assert_allclose(b.params[k], a.params[k], rtol=0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(sizes=st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 5)),
       cell=st.sampled_from(["rnn", "lstm"]), seed=st.integers(0, 2**32 - 1))
def test_model_shapes_and_gradients_match_torch_autograd(sizes, cell, seed):
    # the second reference for readout.backward (the first is the finite-difference test in
    # test_train.py): torch autograd in float64, weights copied by state_dict key, random lengths
    T, N, D, H = sizes
    rng = np.random.default_rng(seed)
    params = readout.init_params(cell, D, H, rng=rng)
    x, target = rng.standard_normal((T, N, D)), rng.standard_normal(N)
    lengths = rng.integers(1, T + 1, size=N)
    y, cache = readout.forward(x, params, cell, lengths)
    loss, dy = readout.mse_loss(y, target)
    dx, grads = readout.backward(dy, cache)
    assert y.shape == (N,) and dx.shape == (T, N, D)
    assert all(grads[k].shape == params[k].shape for k in params)

    recurrent = {k: v for k, v in params.items() if not k.startswith("readout.")}
    module = interop.rnn_to_torch(recurrent) if cell == "rnn" else interop.lstm_to_torch(recurrent)
    w, b = (torch.tensor(params[k], requires_grad=True) for k in ("readout.weight", "readout.bias"))
    xt = torch.tensor(x, requires_grad=True)
    hs, _ = module(xt)
    yt = (hs[torch.tensor(lengths - 1), torch.arange(N)] @ w.T + b)[:, 0]
    torch.mean((yt - torch.tensor(target)) ** 2).backward()
    # forward first, then backward; float64 on both sides, so only summation order differs: 1e-9
    assert rel_error(y, yt.detach().numpy()) < 1e-9
    assert rel_error(dx, xt.grad.numpy()) < 1e-9
    torch_grads = {"readout.weight": w.grad, "readout.bias": b.grad,
                   **{k: getattr(module, f"{k}_l0").grad for k in recurrent}}
    for k in params:
        assert rel_error(grads[k], torch_grads[k].numpy()) < 1e-9, k


@pytest.mark.parametrize("make_ours, make_torch", [
    (lambda: Adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    (lambda: SGD(0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
])
def test_optimisers_match_torch(rng, make_ours, make_torch):
    ours = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)}
    theirs = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in ours.items()}
    opt, topt = make_ours(), make_torch(list(theirs.values()))
    for _ in range(5):
        grads = {k: rng.standard_normal(v.shape) for k, v in ours.items()}
        for k, p in theirs.items():
            p.grad = torch.tensor(grads[k])
        opt.step(ours, grads)
        topt.step()
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k].detach().numpy(), rtol=0, atol=1e-14)


def test_float32_runs_and_returns_float32_params():
    config = TrainConfig(T=10, hidden_size=3, batch_size=2, steps=2, eval_every=1, n_test=4, dtype="float32")
    h = torch_train.train(config, progress=False)
    assert h.params["weight_hh"].dtype == np.float32 and len(h.train_loss) == 2


def test_import_torch_train_leaves_torch_out():
    code = "import sys, lstmkit.torch_train, lstmkit.train, lstmkit.tasks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_torch_learner_refuses_minlstm_by_name():
    # readout and TrainConfig take cell="minlstm" (chapter 07); torch has no such layer
    with pytest.raises(ValueError, match=r"config.cell: .*'rnn', 'lstm'.*got 'minlstm'"):
        torch_train.train(TrainConfig(cell="minlstm", T=10, steps=1), progress=False)

