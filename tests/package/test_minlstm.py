"""lstmkit.minlstm against finite differences and a torch autograd reference of the paper's equations.

The torch reference below is Feng et al. (2024)'s minLSTM written out in torch (sequential mode), in
float64, with the weights copied by name; it shares no code with lstmkit. Tolerances are those of
tests/parity.py (FD_TOL for centred differences, TORCH_TOL for torch; their reasons are stated there).
"""
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmkit import minlstm, scan
from lstmkit.gradcheck import rel_error

from parity import TORCH_TOL, Layer, check_against_finite_differences, make_problem, needs_torch, torch

LOOP = Layer("minlstm", minlstm.forward, minlstm.backward, lambda D, H, rng: minlstm.init_params(D, H, rng=rng), False)
FUSED = Layer("minlstm.fused", partial(minlstm.forward, fused=True), minlstm.backward, LOOP.init, False)


def larger(params):
    return {k: 2.0 * v for k, v in params.items()}   # gates away from 0.5 show more bugs


@pytest.mark.parametrize("layer", [LOOP, FUSED], ids=lambda layer: layer.name)
@pytest.mark.parametrize("sizes", [(1, 1, 1, 1), (4, 3, 2, 5), (6, 2, 3, 1)])
def test_backward_matches_finite_differences(rng, layer, sizes):
    params, x, h0, dhs, dhT = make_problem(layer, rng, *sizes)
    check_against_finite_differences(layer, larger(params), x, h0, dhs, dhT)


def torch_minlstm(x, h0, weight_ih, bias_ih):
    """The paper's minLSTM, sequential mode (its section 3.2.3), in torch: hs (T, N, H)."""
    a_f, a_i, htilde = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    f, i = torch.sigmoid(a_f), torch.sigmoid(a_i)
    f_n, i_n = f / (f + i), i / (f + i)
    h, hs = h0, []
    for t in range(x.shape[0]):
        h = f_n[t] * h + i_n[t] * htilde[t]
        hs.append(h)
    return torch.stack(hs)


@needs_torch
@pytest.mark.parametrize("fused", [False, True])
@settings(max_examples=15, deadline=None)
@given(sizes=st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 4), st.integers(1, 5)),
       seed=st.integers(0, 2**32 - 1))
def test_matches_torch_autograd_of_the_papers_equations(fused, sizes, seed):
    rng = np.random.default_rng(seed)
    params, x, h0, dhs, dhT = make_problem(LOOP, rng, *sizes)
    params = larger(params)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in {"x": x, "h0": h0, **params}.items()}
    ref_hs = torch_minlstm(tensors["x"], tensors["h0"], tensors["weight_ih"], tensors["bias_ih"])
    ((ref_hs * torch.tensor(dhs)).sum() + (ref_hs[-1] * torch.tensor(dhT)).sum()).backward()
    # forward
    hs, hT, cache = minlstm.forward(x, h0, params, fused=fused)
    assert rel_error(hs, ref_hs.detach().numpy()) < TORCH_TOL
    np.testing.assert_array_equal(hT, hs[-1])
    # backward
    dx, dh0, grads = minlstm.backward(dhs, cache, dhT)
    assert rel_error(dx, tensors["x"].grad.numpy()) < TORCH_TOL
    assert rel_error(dh0, tensors["h0"].grad.numpy()) < TORCH_TOL
    for k in params:
        assert rel_error(grads[k], tensors[k].grad.numpy()) < TORCH_TOL, k


def test_scan_equals_loop_at_T_10_000_where_the_closed_form_fails(rng):
    # the forward's own decays a = f', inputs b = i' htilde; forget bias 2: f' near sigmoid(2) = 0.88
    params = minlstm.init_params(2, 3, rng=rng, forget_bias=2.0)
    x = rng.standard_normal((10_000, 2, 2))
    hs_loop, _, _ = minlstm.forward(x, None, params)
    hs_scan, _, cache = minlstm.forward(x, None, params, fused=True)
    scale = np.abs(hs_loop).max()
    assert np.abs(hs_scan - hs_loop).max() < 1e-12 * scale            # Hillis-Steele: rounding only
    a, b = cache.f_n, cache.i_n * cache.htilde
    assert np.abs(scan.log_space(a, b) - hs_loop).max() < 1e-9 * scale   # log-space: see tests/package/test_scan.py
    assert not np.all(np.isfinite(scan.closed_form(a, b)))            # the closed form overflows: inf, nan


@pytest.mark.parametrize("method", ["loop", "hillis_steele", "log_space"])
def test_every_fused_scan_equals_the_step_loop_forward_and_backward(rng, method):
    params, x, h0, dhs, dhT = make_problem(LOOP, rng, 30, 3, 2, 4)
    params = larger(params)
    hs, _, cache = minlstm.forward(x, h0, params)
    hs_fused, _, fused_cache = minlstm.forward(x, h0, params, fused=True, method=method)
    assert fused_cache.method == method
    assert rel_error(hs, hs_fused) < 1e-12
    loop = minlstm.backward(dhs, cache, dhT)
    fused = minlstm.backward(dhs, fused_cache, dhT)
    for a, b in zip(loop[:2], fused[:2], strict=True):
        assert rel_error(a, b) < 1e-12
    for k in params:
        assert rel_error(loop[2][k], fused[2][k]) < 1e-12, k


def test_the_state_gradient_is_the_normalised_forget_gate_and_nothing_else(rng):
    # no gate reads h_prev: dh_prev = f' dh exactly, whatever the weights
    params = larger(minlstm.init_params(3, 4, rng=rng))
    _, cache = minlstm.step_forward(rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), params)
    dh = rng.standard_normal((2, 4))
    _, dh_prev, _ = minlstm.step_backward(dh, cache)
    np.testing.assert_array_equal(dh_prev, cache.f_n * dh)
    np.testing.assert_allclose(cache.f_n + cache.i_n, 1.0, rtol=1e-15)
    np.testing.assert_allclose(cache.f_n, cache.f / (cache.f + cache.i), rtol=1e-14)


def test_forget_bias_starts_the_normalised_gate_at_its_sigmoid(rng):
    params = minlstm.init_params(3, 5, rng=rng, forget_bias=3.0)
    np.testing.assert_array_equal(params["bias_ih"][:5], 3.0)
    np.testing.assert_array_equal(params["bias_ih"][5:10], -3.0)
    _, cache = minlstm.step_forward(np.zeros((1, 3)), np.zeros((1, 5)), params)
    np.testing.assert_allclose(cache.f_n, 1 / (1 + np.exp(-3.0)), rtol=1e-14)
    assert {k: v.shape for k, v in minlstm.init_params(3, 5, rng=rng).items()} == {"weight_ih": (15, 3),
                                                                                  "bias_ih": (15,)}


@pytest.mark.parametrize("fused", [False, True])
def test_float32_stays_float32(rng, fused):
    params = minlstm.init_params(2, 3, rng=rng, dtype=np.float32)
    x = rng.standard_normal((4, 2, 2)).astype(np.float32)
    hs, hT, cache = minlstm.forward(x, None, params, fused=fused)
    dx, dh0, grads = minlstm.backward(np.ones_like(hs), cache)
    assert {a.dtype for a in [hs, hT, dx, dh0, *grads.values()]} == {np.dtype(np.float32)}


@pytest.mark.parametrize("fused", [False, True])
def test_both_gates_shut_is_not_zero_over_zero(rng, fused):
    # sigmoid(-1e4) is 0 for both gates: f / (f + i) would be 0 / 0; normalise gives 1/2 each
    params = {"weight_ih": np.zeros((3, 1)), "bias_ih": np.array([-1e4, -1e4, 1.0])}
    with np.errstate(all="raise"):
        hs, _, cache = minlstm.forward(np.zeros((3, 1, 1)), None, params, fused=fused)
        minlstm.backward(np.ones_like(hs), cache)
    np.testing.assert_allclose(hs[:, 0, 0], [0.5, 0.75, 0.875], rtol=1e-15)


def test_readout_trains_minlstm_by_name(rng):
    from lstmkit import readout, tasks

    params = readout.init_params("minlstm", 2, 4, rng=rng, forget_bias=1.0)
    batch = tasks.adding_problem(3, 12, rng=rng, variant="hochreiter1997")
    y, cache = readout.forward(batch.x, params, "minlstm", batch.lengths)
    _, grads = readout.backward(np.ones_like(y), cache)
    assert sorted(grads) == sorted(params)


# the bad-input table is tests/package/test_bad_input.py's MINLSTM_BAD, beside the other layers'


@pytest.mark.parametrize("fused", [False, True])
def test_the_callers_arrays_stay_as_they_were_and_the_cache_keeps_its_own(rng, fused):
    params, x, h0, dhs, dhT = make_problem(LOOP, rng, 5, 3, 2, 4)
    before = {k: v.copy() for k, v in {"x": x, "h0": h0, "dhs": dhs, "dhT": dhT, **params}.items()}
    _, _, cache = minlstm.forward(x, h0, params, fused=fused)
    expected = minlstm.backward(dhs, cache, dhT)
    # neither call changed what it was given
    for k, v in {"x": x, "h0": h0, "dhs": dhs, "dhT": dhT, **params}.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    # the caller edits its arrays between forward and backward: the gradients must not notice
    hs, _, cache = minlstm.forward(x, h0, params, fused=fused)
    for v in (x, h0, *params.values()):
        v *= 3.0
    got = minlstm.backward(dhs, cache, dhT)
    for e, g in zip((expected[0], expected[1], *expected[2].values()), (got[0], got[1], *got[2].values()), strict=True):
        np.testing.assert_array_equal(g, e)
    hs[...] = 0.0                                   # nor may editing the returned hs reach the cache
    np.testing.assert_array_equal(minlstm.backward(dhs, cache, dhT)[0], expected[0])
