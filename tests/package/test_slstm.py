"""lstmkit.slstm: the stabilised exponential-gate memory equals the equations as written, where those are finite."""
import numpy as np
import pytest

from lstmkit import slstm


def by_hand(i_pre, f_pre, z, forget):
    """c / n from c_t = f c + i z, n_t = f n + i, written out with exp (no stabiliser), one step at a time."""
    c = n = 0.0
    out = []
    for it, ft, zt in zip(i_pre, f_pre, z, strict=True):
        f = np.exp(ft) if forget == "exp" else 1 / (1 + np.exp(-ft))
        c, n = f * c + np.exp(it) * zt, f * n + np.exp(it)
        out.append(c / n)
    return np.array(out)


@pytest.mark.parametrize("forget", ["exp", "sigmoid"])
def test_stabilised_equals_the_equations_as_written(rng, forget):
    i_pre, f_pre, z = (rng.standard_normal((20, 3)) * s for s in (3.0, 2.0, 1.0))
    got = slstm.memory(i_pre, f_pre, z, forget=forget)
    for k in range(3):
        np.testing.assert_allclose(got[:, k], by_hand(i_pre[:, k], f_pre[:, k], z[:, k], forget), rtol=1e-12)
    np.testing.assert_allclose(slstm.memory(i_pre, f_pre, z, forget=forget, stabilise=False), got, rtol=1e-12)


def test_with_f_one_the_memory_is_a_softmax_weighted_average_even_where_exp_overflows(rng):
    keys, values = rng.uniform(0, 1, (50, 200)), rng.standard_normal((50, 200))
    beta = 2000.0                                   # exp(2000 k) overflows float64 for k > 0.36
    got = slstm.memory(beta * keys, np.zeros_like(keys), values)
    w = np.exp(beta * (keys - keys.max(axis=0)))
    # values of both signs average to near 0 in places: an absolute bound at the values' scale (~1)
    np.testing.assert_allclose(got[-1], (w * values).sum(axis=0) / w.sum(axis=0), rtol=1e-12, atol=1e-12)
    raw = slstm.memory(beta * keys, np.zeros_like(keys), values, stabilise=False)
    assert not np.all(np.isfinite(raw[-1]))


_z = np.zeros((3, 2))


@pytest.mark.parametrize("call, words", [
    (lambda: slstm.memory(_z, _z[:2], _z), ["f_pre", "(3, 2)", "(2, 2)"]),
    (lambda: slstm.memory(_z, _z, _z.astype(np.float32)), ["z", "float64", "float32"]),
    (lambda: slstm.memory(np.array(0.0), _z, _z), ["i_pre", "0-d"]),
    (lambda: slstm.memory(_z, _z, _z, forget="tanh"), ["forget", "tanh", "exp"]),
    (lambda: slstm.memory(_z, _z, _z, stabilise=1), ["stabilise", "True or False"]),
])
def test_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)
