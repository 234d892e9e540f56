"""The adding problem: both variants follow their papers' definitions, statistics included."""
import numpy as np
import pytest

from lstmkit import tasks


def draw(n, T, variant, seed=0):
    return tasks.adding_problem(n, T, rng=np.random.default_rng(seed), variant=variant)


@pytest.mark.parametrize("variant", tasks.VARIANTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes_and_dtypes(variant, dtype):
    b = tasks.adding_problem(7, 20, rng=np.random.default_rng(0), variant=variant, dtype=dtype)
    T_max = int(b.lengths.max())
    assert b.x.shape == (T_max, 7, 2) and b.x.dtype == dtype
    assert b.target.shape == (7,) and b.target.dtype == dtype
    assert b.lengths.shape == (7,) and b.marks.shape == (7, 2)


@pytest.mark.parametrize("variant", tasks.VARIANTS)
def test_seeded_generator_repeats_and_differs(variant):
    a, b, c = draw(50, 30, variant, 1), draw(50, 30, variant, 1), draw(50, 30, variant, 2)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.target, c.target)


def test_fixed_variant_definition():
    T, n = 40, 2000
    b = draw(n, T, "fixed")
    rows = np.arange(n)
    values, markers = b.x[..., 0], b.x[..., 1]
    assert np.all(b.lengths == T) and b.x.shape[0] == T
    assert values.min() >= 0.0 and values.max() <= 1.0
    # exactly two markers 1, the rest 0; one in each half (Arjovsky et al. 2016)
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=0), 2.0)
    assert np.all(b.marks[:, 0] < T // 2) and np.all(b.marks[:, 1] >= T // 2)
    np.testing.assert_array_equal(markers[b.marks[:, 0], rows], 1.0)
    np.testing.assert_array_equal(markers[b.marks[:, 1], rows], 1.0)
    np.testing.assert_allclose(b.target, values[b.marks[:, 0], rows] + values[b.marks[:, 1], rows], rtol=0, atol=1e-15)
    # both halves are covered
    assert set(b.marks[:, 0]) == set(range(T // 2)) and set(b.marks[:, 1]) == set(range(T // 2, T))


def test_fixed_variant_baseline_mse_is_one_sixth():
    # predicting E[X1 + X2] = 1 always: MSE = Var(X1 + X2) = 2/12. With 20000 sequences the
    # estimate's standard error is about 0.001, so 0.005 is a 5-sigma band
    b = draw(20000, 10, "fixed", seed=3)
    assert abs(np.mean((1.0 - b.target) ** 2) - 0.1667) < 0.005
    assert abs(tasks.BASELINE_MSE - 1 / 6) < 1e-15


def test_hochreiter1997_variant_definition():
    T, n = 20, 4000
    b = draw(n, T, "hochreiter1997")
    rows, t = np.arange(n), np.arange(b.x.shape[0])[:, None]
    values, markers = b.x[..., 0], b.x[..., 1]
    # lengths: every integer in [T, T + T/10], and nothing after a sequence's end
    assert set(b.lengths) == set(range(T, T + T // 10 + 1))
    after = t >= b.lengths[None, :]
    assert np.all(b.x[after] == 0.0)
    assert values.min() >= -1.0 and values.max() <= 1.0
    # X1 among the first ten pairs, X2 among the first T/2 - 1 still unmarked ones
    first, second = b.marks[:, 0], b.marks[:, 1]
    assert set(first) == set(range(10))
    assert set(second) == set(range(T // 2))   # positions 0..T/2-1, one of them skipped per sequence
    assert np.all(first != second)
    assert np.all(second - (second > first) < T // 2 - 1)   # rank among the unmarked < T/2 - 1
    # markers: 1 at the two marks, -1 at the first pair (unless marked) and at the last, 0 elsewhere
    np.testing.assert_array_equal(markers[first, rows], 1.0)
    np.testing.assert_array_equal(markers[second, rows], 1.0)
    np.testing.assert_array_equal(markers[b.lengths - 1, rows], -1.0)
    marked0 = (first == 0) | (second == 0)
    np.testing.assert_array_equal(markers[0, ~marked0], -1.0)
    np.testing.assert_array_equal(markers[0, marked0], 1.0)
    assert np.all((markers == 1.0).sum(axis=0) == 2) and np.all((markers == -1.0).sum(axis=0) == 2 - marked0)
    # the target and its range; X1 = 0 when the first pair holds X1
    x1, x2 = values[first, rows], values[second, rows]
    np.testing.assert_allclose(b.target, 0.5 + (x1 + x2) / 4.0, rtol=0, atol=1e-15)
    assert b.target.min() >= 0.0 and b.target.max() <= 1.0
    assert np.all(x1[first == 0] == 0.0) and np.any(first == 0)
    # the constant predictor 0.5 has MSE Var((X1 + X2)/4) = (2/3)/16 ~= 0.042
    assert abs(np.mean((b.target - 0.5) ** 2) - 2 / 3 / 16) < 0.004


def test_hochreiter1997_minimal_lag_is_half_T():
    T = 100
    b = draw(2000, T, "hochreiter1997")
    lag = b.lengths - 1 - b.marks.max(axis=1)
    assert lag.min() >= T // 2


@pytest.mark.parametrize("T", [10, 11, 12, 19])
def test_hochreiter1997_at_small_T_keeps_the_end_flag(T):
    # the paper's "one of the first ten pairs" would put X1 on the last pair at T = 10 and overwrite
    # the end flag; every sequence must end on the marker -1, after both marks
    b = draw(4000, T, "hochreiter1997")
    rows = np.arange(len(b.lengths))
    np.testing.assert_array_equal(b.x[b.lengths - 1, rows, 1], -1.0)
    lag = b.lengths - 1 - b.marks.max(axis=1)
    assert lag.min() >= 1
    # X1 still spreads over every position it may take
    assert set(b.marks[:, 0]) == set(range(min(10, T - 1)))


def test_hochreiter1997_draw_is_unchanged_from_T_11_on():
    # the stored experiments (T = 30, 100) were drawn with the paper's rule: same seed, same batch
    for T in (11, 30, 100):
        b = draw(50, T, "hochreiter1997", seed=5)
        rng = np.random.default_rng(5)
        lengths = rng.integers(T, T + T // 10 + 1, size=50)
        rng.uniform(-1.0, 1.0, size=(int(lengths.max()), 50))
        np.testing.assert_array_equal(b.marks[:, 0], rng.integers(0, 10, size=50))


def test_fraction_correct_counts_errors_below_the_tolerance():
    target = np.array([0.5, 0.5, 0.5, 0.5])
    assert tasks.fraction_correct(target + np.array([0.0, 0.039, -0.041, 0.5]), target) == 0.5
