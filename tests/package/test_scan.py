"""lstmkit.scan: every form of h_t = a_t h_{t-1} + b_t equals the step loop; the backward is a reverse scan.

Tolerances: the forms add the same terms in another order, so they differ from the loop by rounding,
~1e-15 relative per step at short T. At T = 10^4 the log-space form takes logarithms of products
of up to 10^4 factors (log A_t down to about -7,000) and subtracts nearly equal exponents, which
costs ~|log A_t| * eps ~ 1e-12 relative; 1e-9 leaves room and still catches a wrong term (off by 1e-3
or more).
"""
import numpy as np
import pytest

from lstmkit import scan
from lstmkit.gradcheck import numerical_gradient, rel_error

from parity import FD_TOL, TORCH_TOL, needs_torch, torch

FORMS = ["loop", "hillis_steele", "closed_form", "log_space"]


def problem(rng, T, shape=(3, 4), lo=0.5, hi=1.0):
    a = rng.uniform(lo, hi, size=(T, *shape))
    return a, rng.standard_normal((T, *shape)), rng.standard_normal(shape)


def by_hand(a, b, h0):
    """The recurrence written out, one number at a time: the reference every form is held to."""
    hs, h = np.empty_like(b), h0.copy()
    for t in range(len(a)):
        for k in np.ndindex(h.shape):
            h[k] = a[t][k] * h[k] + b[t][k]
        hs[t] = h
    return hs


@pytest.mark.parametrize("method", FORMS)
@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 13, 64])
def test_every_form_equals_the_recurrence(rng, method, T):
    a, b, h0 = problem(rng, T)
    np.testing.assert_allclose(scan.scan(a, b, h0, method), by_hand(a, b, h0), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("method", FORMS)
def test_h0_none_means_zeros_and_any_trailing_shape(rng, method):
    a, b, _ = problem(rng, 6, shape=(5,))
    np.testing.assert_allclose(scan.scan(a, b, None, method), scan.loop(a, b, np.zeros(5)), rtol=1e-12, atol=1e-14)
    a1, b1 = a[:, 0].copy(), b[:, 0].copy()   # one scalar per step: shape (T,)
    np.testing.assert_allclose(scan.scan(a1, b1, np.array(0.3), method),
                               by_hand(a1[:, None], b1[:, None], np.array([0.3]))[:, 0], rtol=1e-12, atol=1e-14)


def test_the_operator_is_one_step_after_another_and_associative(rng):
    s1, s2, s3 = [(rng.uniform(0.1, 1, 4), rng.standard_normal(4)) for _ in range(3)]
    h = rng.standard_normal(4)
    a12, b12 = scan.combine(s1, s2)
    np.testing.assert_allclose(a12 * h + b12, s2[0] * (s1[0] * h + s1[1]) + s2[1], rtol=1e-14)
    left, right = scan.combine(scan.combine(s1, s2), s3), scan.combine(s1, scan.combine(s2, s3))
    for x, y in zip(left, right, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-14)


@pytest.mark.parametrize("T, expected", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1024, 10), (1025, 11), (10_000, 14)])
def test_hillis_steele_takes_ceil_log2_T_rounds(rng, T, expected):
    assert scan.rounds(T) == expected
    a, b, h0 = problem(rng, T, shape=(1,))
    trace = []
    hs = scan.hillis_steele(a, b, h0, trace=trace)
    assert len(trace) == expected
    if expected:
        np.testing.assert_array_equal(trace[-1], hs)


def test_after_round_r_the_first_2_to_the_r_states_are_final(rng):
    a, b, h0 = problem(rng, 16, shape=(2,))
    trace, ref = [], scan.loop(a, b, h0)
    scan.hillis_steele(a, b, h0, trace=trace)
    for r, partial in enumerate(trace, start=1):
        np.testing.assert_allclose(partial[:2 ** r], ref[:2 ** r], rtol=1e-13)
        if 2 ** r < len(ref):   # the rest still misses earlier steps
            assert not np.allclose(partial[2 ** r:], ref[2 ** r:])


def test_at_T_10_000_the_scans_hold_where_the_closed_form_fails(rng):
    # decays in [0.5, 1): A_t = a_1 ... a_t passes float64's smallest number within a few thousand steps
    a, b, h0 = problem(rng, 10_000, shape=(2, 3))
    ref = scan.loop(a, b, h0)
    scale = np.abs(ref).max()
    assert np.abs(scan.hillis_steele(a, b, h0) - ref).max() < 1e-12 * scale
    assert np.abs(scan.log_space(a, b, h0) - ref).max() < 1e-9 * scale
    closed = scan.closed_form(a, b, h0)
    assert not np.all(np.isfinite(closed))          # it fails ...
    first_bad = np.argmax(~np.isfinite(closed).all(axis=(1, 2)))
    assert 500 < first_bad < 5_000                  # ... once the product of the decays underflows
    np.testing.assert_allclose(closed[:100], ref[:100], rtol=1e-10, atol=1e-12)   # and is right before


def test_backward_matches_finite_differences(rng):
    a, b, h0 = problem(rng, 7)
    hs = scan.loop(a, b, h0)
    dhs, dhT = rng.standard_normal(hs.shape), rng.standard_normal(h0.shape)

    def loss(_):
        out = scan.loop(a, b, h0)
        return np.sum(out * dhs) + np.sum(out[-1] * dhT)

    for method in ("loop", "hillis_steele", "log_space"):
        da, db, dh0 = scan.backward(dhs, a, hs, h0, dhT, method=method)
        assert rel_error(da, numerical_gradient(loss, a, 1.0)) < FD_TOL, method
        assert rel_error(db, numerical_gradient(loss, b, 1.0)) < FD_TOL, method
        assert rel_error(dh0, numerical_gradient(loss, h0, 1.0)) < FD_TOL, method


def test_the_gradient_along_the_sequence_is_the_product_of_the_decays(rng):
    # dh_T/dh_t = a_{t+1} ... a_T exactly: backward from dhT = 1 alone gives db_t = that product
    a, b, h0 = problem(rng, 50, shape=(3,))
    hs = scan.loop(a, b, h0)
    _, db, dh0 = scan.backward(np.zeros_like(hs), a, hs, h0, np.ones(3))
    expected = np.array([np.prod(a[t + 1:], axis=0) for t in range(50)])
    np.testing.assert_allclose(db, expected, rtol=1e-13)
    np.testing.assert_allclose(dh0, np.prod(a, axis=0), rtol=1e-13)


@needs_torch
@pytest.mark.parametrize("method", ["loop", "hillis_steele", "log_space"])
def test_backward_matches_torch_autograd_of_the_recurrence(rng, method):
    # torch differentiates the recurrence written as a loop, float64; lstmkit runs the reverse scan
    a, b, h0 = problem(rng, 9, lo=0.2, hi=1.2)      # factors above 1 too: nothing assumes a < 1
    dhs, dhT = rng.standard_normal(b.shape), rng.standard_normal(h0.shape)
    ta, tb, th0 = (torch.tensor(v, requires_grad=True) for v in (a, b, h0))
    h, outs = th0, []
    for t in range(len(a)):
        h = ta[t] * h + tb[t]
        outs.append(h)
    ths = torch.stack(outs)
    ((ths * torch.tensor(dhs)).sum() + (h * torch.tensor(dhT)).sum()).backward()
    # forward
    hs = scan.scan(a, b, h0, method)
    assert rel_error(hs, ths.detach().numpy()) < TORCH_TOL
    # backward
    da, db, dh0 = scan.backward(dhs, a, hs, h0, dhT, method=method)
    for got, ref in ((da, ta.grad), (db, tb.grad), (dh0, th0.grad)):
        assert rel_error(got, ref.numpy()) < TORCH_TOL


@pytest.mark.parametrize("method", FORMS)
def test_float32_stays_float32_and_agrees_with_float64(rng, method):
    a, b, h0 = problem(rng, 12)
    got = scan.scan(a.astype(np.float32), b.astype(np.float32), h0.astype(np.float32), method)
    assert got.dtype == np.float32
    # float32 rounding, ~6e-8 per operation, over 12 steps and (log space) logarithms of size ~5
    np.testing.assert_allclose(got, scan.loop(a, b, h0), rtol=1e-4, atol=1e-5)
    da, db, dh0 = scan.backward(np.ones_like(got), a.astype(np.float32), got, h0.astype(np.float32),
                                method=method if method != "closed_form" else "loop")
    assert da.dtype == db.dtype == dh0.dtype == np.float32


_a, _b, _h = problem(np.random.default_rng(0), 4)
BAD = {
    "a list": (lambda: scan.loop([0.5, 0.5], _b, None), ["a", "numpy array", "list"]),
    "a 0-d": (lambda: scan.loop(np.array(0.5), _b, None), ["a", "0-d"]),
    "a empty": (lambda: scan.loop(_a[:0], _b[:0], None), ["a", "every size >= 1"]),
    "b shape": (lambda: scan.hillis_steele(_a, _b[:3], None), ["b", "(4, 3, 4)", "(3, 3, 4)"]),
    "b dtype": (lambda: scan.loop(_a, _b.astype(np.float32), None), ["b", "float64", "float32"]),
    "b nan": (lambda: scan.closed_form(_a, _b * np.nan, None), ["b", "finite"]),
    "h0 shape": (lambda: scan.loop(_a, _b, _h[:2]), ["h0", "(3, 4)", "(2, 4)"]),
    "a int": (lambda: scan.loop(_a.astype(int), _b, None), ["a", "floating", "int"]),
    "log of a <= 0": (lambda: scan.log_space(-_a, _b, None), ["a", "> 0"]),
    "method": (lambda: scan.scan(_a, _b, None, "blelloch"), ["method", "blelloch", "log_space"]),
    "backward method": (lambda: scan.backward(_b, _a, _b, None, method="closed_form"), ["method", "closed_form"]),
    "backward dhs": (lambda: scan.backward(_b[:2], _a, _b), ["dhs", "(2, 3, 4)"]),
    "backward dhT": (lambda: scan.backward(_b, _a, _b, None, _h[:, :1]), ["dhT", "(3, 4)", "(3, 1)"]),
    "rounds T": (lambda: scan.rounds(0), ["T", "positive integer", "0"]),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_raises_a_clear_value_error(name):
    call, words = BAD[name]
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
