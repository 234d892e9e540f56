"""lstmkit.variants: every variant against centred finite differences and torch autograd (float64).

torch has no peephole or coupled LSTM, so the second reference is a ten-line torch cell written
from the equations in the module docstring and differentiated by autograd. The vanilla variant is
also checked against lstmkit.lstm, and each ablation against what it claims (f = 1, i = 1, o = 1,
i = 1 - f, unused rows get zero gradient).
"""
import numpy as np
import pytest

from lstmkit import lstm, variants
from lstmkit.gradcheck import numerical_gradient, rel_error

from conftest import SHAPES
from parity import FD_ATOL, FD_TOL, TORCH_TOL, needs_torch, torch  # the tolerances and their reasons


def fd_close(analytic, numeric):
    excess = np.abs(analytic - numeric) - FD_TOL * (np.abs(analytic) + np.abs(numeric)) - FD_ATOL
    return analytic.shape == numeric.shape and float(np.max(excess, initial=-1.0)) <= 0.0
NAMES = list(variants.LSTM_VARIANTS)
ALL = NAMES + ["peephole+coupled", "peephole+no_forget", "peephole+no_output_activation"]


def variant_of(name):
    if name == "peephole+coupled":
        return variants.Variant(peephole=True, coupled=True)
    if name == "peephole+no_forget":
        return variants.Variant(peephole=True, forget=False)
    if name == "peephole+no_output_activation":
        return variants.Variant(peephole=True, output_activation=False)
    return name


def make_problem(rng, name, T, N, D, H):
    params = variants.init_params(D, H, rng=rng, variant=variant_of(name))
    x = rng.standard_normal((T, N, D))
    state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    dhs = rng.standard_normal((T, N, H))
    dstate = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    return params, x, state0, dhs, dstate


@pytest.mark.parametrize("name", ALL)
def test_step_backward_matches_finite_differences(rng, name):
    v = variant_of(name)
    params, x, (h0, c0), dhs, (dhT, dcT) = make_problem(rng, name, 1, 3, 4, 5)
    _, _, cache = variants.step_forward(x[0], h0, c0, params, v)
    dx, dh_prev, dc_prev, grads = variants.step_backward(dhs[0], dcT, cache)

    def loss(_):
        h, c, _ = variants.step_forward(x[0], h0, c0, params, v)
        return np.sum(h * dhs[0]) + np.sum(c * dcT)

    assert fd_close(dx, numerical_gradient(loss, x[0], 1.0))
    assert fd_close(dh_prev, numerical_gradient(loss, h0, 1.0))
    assert fd_close(dc_prev, numerical_gradient(loss, c0, 1.0))
    assert set(grads) == set(params)
    for k in params:
        assert fd_close(grads[k], numerical_gradient(loss, params[k], 1.0)), k


def test_vanilla_is_lstm(rng):
    params, x, state0, dhs, dstate = make_problem(rng, "vanilla", 4, 3, 2, 5)
    hs, (hT, cT), cache = variants.forward(x, state0, params)
    ref_hs, (ref_hT, ref_cT), ref_cache = lstm.forward(x, state0, params, fused=True)
    # forward: lstm.forward(..., fused=True) evaluates sigmoid through one fused tanh, so equal to rounding only
    assert rel_error(hs, ref_hs) < 1e-12 and rel_error(cT, ref_cT) < 1e-12
    # backward
    dx, (dh0, dc0), grads = variants.backward(dhs, cache, dstate)
    ref_dx, (ref_dh0, ref_dc0), ref_grads = lstm.backward(dhs, ref_cache, dstate)
    assert rel_error(dx, ref_dx) < 1e-12 and rel_error(dc0, ref_dc0) < 1e-12
    for k in params:
        assert rel_error(grads[k], ref_grads[k]) < 1e-12, k


def test_zero_peepholes_are_vanilla(rng):
    params, x, state0, _, _ = make_problem(rng, "peephole", 3, 2, 2, 4)
    for k in variants.PEEPHOLES:
        params[k][:] = 0.0
    shared = {k: params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    np.testing.assert_array_equal(variants.forward(x, state0, params, variant="peephole")[0],
                                  variants.forward(x, state0, shared, variant="vanilla")[0])


@pytest.mark.parametrize("name, gate, value", [("no_forget", 4, 1.0), ("no_input", 3, 1.0), ("no_output", 6, 1.0)])
def test_removed_gate_is_one_and_its_rows_get_no_gradient(rng, name, gate, value):
    params, x, (h0, c0), dhs, (dhT, dcT) = make_problem(rng, name, 1, 3, 2, 4)
    _, _, cache = variants.step_forward(x[0], h0, c0, params, name)
    np.testing.assert_array_equal(cache[gate], value)   # cache = (x_t, h_prev, c_prev, i, f, g, o, ...)
    _, _, _, grads = variants.step_backward(dhs[0], dcT, cache)
    block = {3: 0, 4: 1, 6: 3}[gate]                    # the gate's rows in i, f, g, o order
    rows = slice(block * 4, (block + 1) * 4)
    for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        np.testing.assert_array_equal(grads[k][rows], 0.0)


def test_no_forget_gate_carries_the_cell_unchanged(rng):
    # f = 1: dc_prev = dc exactly when nothing reaches h_t (the 1997 carousel)
    params, x, (h0, c0), _, _ = make_problem(rng, "no_forget", 1, 2, 3, 4)
    _, _, cache = variants.step_forward(x[0], h0, c0, params, "no_forget")
    dc = rng.standard_normal((2, 4))
    _, _, dc_prev, _ = variants.step_backward(np.zeros((2, 4)), dc, cache)
    np.testing.assert_array_equal(dc_prev, dc)


def test_no_output_activation_shows_the_cell(rng):
    params, x, (h0, c0), _, _ = make_problem(rng, "no_output_activation", 1, 2, 3, 4)
    h, c, cache = variants.step_forward(x[0], h0, c0, params, "no_output_activation")
    np.testing.assert_array_equal(h, cache[6] * c)   # h = o * c


def test_coupled_gate_writes_what_it_forgets(rng):
    params, x, (h0, c0), _, _ = make_problem(rng, "coupled", 1, 2, 3, 4)
    _, _, cache = variants.step_forward(x[0], h0, c0, params, "coupled")
    i, f = cache[3], cache[4]
    np.testing.assert_allclose(i + f, 1.0, rtol=0, atol=1e-15)


# ---- torch autograd: the same equations, differentiated by torch -----------------------------



def torch_variant(x, state0, p, v):
    """The module docstring's equations in torch, one step at a time. Returns hs, (hT, cT)."""
    h, c = state0
    hs = []
    for x_t in x:
        a = x_t @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        a_i, a_f, a_g, a_o = a.chunk(4, dim=1)
        if v.peephole:
            a_i, a_f = a_i + p["peephole_i"] * c, a_f + p["peephole_f"] * c
        f = torch.sigmoid(a_f) if v.forget else torch.ones_like(c)
        i = 1 - f if v.coupled else (torch.sigmoid(a_i) if v.input else torch.ones_like(c))
        c = f * c + i * torch.tanh(a_g)
        if v.peephole:
            a_o = a_o + p["peephole_o"] * c
        o = torch.sigmoid(a_o) if v.output else torch.ones_like(c)
        h = o * (torch.tanh(c) if v.output_activation else c)
        hs.append(h)
    return torch.stack(hs), (h, c)


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ALL)
def test_matches_torch_autograd(rng, name, shape):
    v = variants.get_variant(variant_of(name))
    params, x, state0, dhs, dstate = make_problem(rng, name, *shape)
    pt = {k: torch.tensor(a, requires_grad=True) for k, a in params.items()}
    xt = torch.tensor(x, requires_grad=True)
    s0 = tuple(torch.tensor(a, requires_grad=True) for a in state0)
    out, (hTt, cTt) = torch_variant(xt, s0, pt, v)
    loss = ((out * torch.tensor(dhs)).sum() + (hTt * torch.tensor(dstate[0])).sum()
            + (cTt * torch.tensor(dstate[1])).sum())
    loss.backward()

    # forward
    hs, (hT, cT), cache = variants.forward(x, state0, params, variant=v)
    assert rel_error(hs, out.detach().numpy()) < TORCH_TOL
    assert rel_error(cT, cTt.detach().numpy()) < TORCH_TOL
    # backward
    dx, (dh0, dc0), grads = variants.backward(dhs, cache, dstate)
    assert rel_error(dx, xt.grad.numpy()) < TORCH_TOL
    assert rel_error(dh0, s0[0].grad.numpy()) < TORCH_TOL
    assert rel_error(dc0, s0[1].grad.numpy()) < TORCH_TOL
    for k in params:   # torch leaves .grad None for a parameter the variant never uses
        want = pt[k].grad.numpy() if pt[k].grad is not None else np.zeros_like(params[k])
        assert rel_error(grads[k], want) < TORCH_TOL, k


# ---- lstmkit.ablation: the chapter-06 models end to end ----------------------------------------
from lstmkit import ablation, readout, tasks  # noqa: E402
from lstmkit.train import TrainConfig  # noqa: E402


@pytest.mark.parametrize("model", ablation.MODELS)
def test_ablation_model_gradient_matches_finite_differences(rng, model):
    # loss -> every parameter (recurrent layer and readout), variable lengths, float64
    batch = tasks.adding_problem(3, 10, rng=rng, variant="hochreiter1997")
    params = ablation.init_params(model, 2, 3, rng=rng, forget_bias=1.0)
    y, cache = ablation.forward(batch.x, params, model, batch.lengths)
    _, grads = ablation.backward(readout.mse_loss(y, batch.target)[1], cache)
    assert set(grads) == set(params)

    def loss(_):
        return readout.mse_loss(ablation.forward(batch.x, params, model, batch.lengths)[0], batch.target)[0]

    for k in params:
        assert fd_close(grads[k], numerical_gradient(loss, params[k], 1.0)), k


def test_ablation_vanilla_trains_like_lstmkit_train(rng):
    # the same config through lstmkit.train's own learner (lstm.py) and the ablation learner (variants.py)
    from lstmkit.train import train

    config = TrainConfig(T=12, hidden_size=4, batch_size=4, steps=5, eval_every=5, n_test=8)
    a, b = train(config, progress=False), ablation.run(config, "vanilla")
    np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-10)
    assert a.test_mse[-1] == pytest.approx(b.test_mse[-1], rel=1e-10)


def test_ablation_forget_bias_goes_to_the_memory_gate(rng):
    gru_params = ablation.init_params("gru", 2, 3, rng=rng, forget_bias=2.0)
    np.testing.assert_array_equal(gru_params["bias_ih"][3:6], 2.0)       # update gate z
    lstm_params = ablation.init_params("peephole", 2, 3, rng=rng, forget_bias=2.0)
    np.testing.assert_array_equal(lstm_params["bias_ih"][3:6], 2.0)      # forget gate f
    assert "peephole_f" in lstm_params


@pytest.mark.parametrize("call, words", [
    (lambda: ablation.init_params("nfg", 2, 3, rng=np.random.default_rng(0)), ["model", "no_forget", "nfg"]),
    (lambda: ablation.learner("lstm"), ["model", "vanilla", "'lstm'"]),
    (lambda: ablation.forward(np.zeros((3, 1, 2)), {"weight_ih": 0}, "gru"), ["params", "readout.weight"]),
])
def test_ablation_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)
