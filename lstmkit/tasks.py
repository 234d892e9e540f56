"""The adding problem: two numbers to remember across a long, distracting sequence.

Two variants, both time-major with D = 2 input channels (value, marker):

``"hochreiter1997"`` -- Hochreiter & Schmidhuber (1997), "Long short-term memory", section 5.4,
experiment 4. Pairs (value in [-1, 1], marker in {-1, 0, 1}); each sequence's length is a random
integer in [T, T + T // 10]. One of the first ten pairs is marked 1 (its value is X1), then one of
the first T // 2 - 1 pairs that are still unmarked is marked 1 (X2). The first and the last pair
carry the marker -1 unless they are marked. The target is 0.5 + (X1 + X2) / 4, in [0, 1], and a
sequence counts as processed correctly when the absolute error at its end is below 0.04.
  Our reading of two details: (1) "the first T/2 - 1 still unmarked pairs" are the first
  T // 2 - 1 positions once X1's position is skipped, so X2 sits at index <= T // 2 - 1 and the
  lag to the end is at least T - T // 2 steps (the paper's "minimal lag T/2"). (2) The paper sets
  "X1 to zero in the rare case where the first pair got marked": the first pair then keeps the
  marker 1 (marked wins over the -1 end flag) and its value is set to 0, so input and target
  agree (X1 = 0). The other reading (marker -1, X1 dropped from the target) gives the same target.
  Sequences of different lengths are RIGHT-padded with zeros into one (T_max, N, 2) array, and
  ``lengths`` (N,) tells the model where each one ends: the model reads sequence n's output at
  step lengths[n] - 1 (``lstmkit.readout.forward``), so the padding never reaches that output.
  (3) Short sequences. The paper uses T >= 100. Below T = 20 the first ten pairs reach into the
  second half, so only X2's lag keeps the bound T // 2; X1's can be as short as T - 10. At T = 10
  the paper's rule could mark the last pair as X1 and overwrite its end flag (a lag of 0 steps):
  there we draw X1 from the first min(10, T - 1) pairs, so X1 never sits on the last pair and every
  lag is at least one step. For T >= 11 the draw is the paper's, and the same numbers as before.

``"fixed"`` -- the simpler variant of Le, Jaitly & Hinton (2015) and Arjovsky, Shah & Bengio
(2016): every sequence has length T, values uniform in [0, 1], exactly two markers 1 (one in
the first half, one in the second, as in Arjovsky et al.), all other markers 0; target X1 + X2.
Predicting the mean 1 always gives MSE Var(X1 + X2) = 2/12 ~= 0.167, the baseline to beat.

Taught in chapters/05_long_time_lags.ipynb.
"""
from dataclasses import dataclass

import numpy as np

from lstmkit._plumbing import checked
from lstmkit._validate import (
    check_choice,
    check_float_array,
    check_float_dtype,
    check_positive_int,
    check_positive_number,
    check_rng,
)

VARIANTS = ("fixed", "hochreiter1997")
TOLERANCE_1997 = 0.04      # |error| below this counts as a correct sequence (the paper's criterion)
BASELINE_MSE = 2.0 / 12.0  # fixed variant: MSE of always predicting E[X1 + X2] = 1


@dataclass
class AddingBatch:
    """One batch of the adding problem.

    x (T_max, N, 2) float: channel 0 the values, channel 1 the markers, zero after each end;
    target (N,); lengths (N,) int, every entry in [T, T_max]; marks (N, 2) int, the time steps
    of X1 and X2. What ``adding_problem`` returns, chapter 05.
    """
    x: np.ndarray
    target: np.ndarray
    lengths: np.ndarray
    marks: np.ndarray


def _check_adding_problem(n, T, *, rng, variant, dtype):
    check_positive_int("n", n)
    check_positive_int("T", T)
    if T < 10:
        raise ValueError(f"T: expected an integer >= 10 (one of the first ten pairs is marked), got {T!r}")
    check_choice("variant", variant, VARIANTS)
    check_rng(rng)
    check_float_dtype(dtype)


@checked(_check_adding_problem, copies=False)
def adding_problem(n, T, *, rng, variant="fixed", dtype=np.float64):
    """Draw n sequences of the adding problem at (minimal) length T; returns an AddingBatch.

    See the module docstring for both variants. T >= 10 (the 1997 task marks one of the first
    ten pairs). rng is a np.random.Generator. Defined in chapter 05.
    """
    make = _fixed if variant == "fixed" else _hochreiter1997
    x, target, lengths, marks = make(n, T, rng)
    return AddingBatch(x.astype(dtype), target.astype(dtype), lengths, marks)


def _fixed(n, T, rng):
    rows = np.arange(n)
    values = rng.uniform(0.0, 1.0, size=(T, n))
    half = T // 2
    marks = np.stack([rng.integers(0, half, size=n), rng.integers(half, T, size=n)], axis=1)  # (N, 2)
    markers = np.zeros((T, n))
    markers[marks[:, 0], rows] = 1.0
    markers[marks[:, 1], rows] = 1.0
    target = values[marks[:, 0], rows] + values[marks[:, 1], rows]
    lengths = np.full(n, T)
    return np.stack([values, markers], axis=2), target, lengths, marks


def _hochreiter1997(n, T, rng):
    rows = np.arange(n)
    lengths = rng.integers(T, T + T // 10 + 1, size=n)      # inclusive of T + T/10
    T_max = int(lengths.max())
    valid = np.arange(T_max)[:, None] < lengths[None, :]    # (T_max, N)
    values = np.where(valid, rng.uniform(-1.0, 1.0, size=(T_max, n)), 0.0)
    first = rng.integers(0, min(10, T - 1), size=n)        # never the last pair (docstring, note 3)
    # the k-th of the first T//2 - 1 positions that skip X1's position
    k = rng.integers(0, T // 2 - 1, size=n)
    second = k + (k >= first)
    markers = np.zeros((T_max, n))
    markers[0] = -1.0                                       # start flag
    markers[lengths - 1, rows] = -1.0                       # end flag (never marked: second < T - 1)
    markers[first, rows] = 1.0
    markers[second, rows] = 1.0
    values[0, first == 0] = 0.0                             # "X1 is set to zero" when pair 0 is marked
    x1, x2 = values[first, rows], values[second, rows]
    target = 0.5 + (x1 + x2) / 4.0
    x = np.stack([values, markers], axis=2) * valid[:, :, None]
    return x, target, lengths, np.stack([first, second], axis=1)


def _check_fraction_correct(prediction, target, tol):
    check_positive_number("tol", tol)
    for name, a in (("prediction", prediction), ("target", target)):
        check_float_array(name, a)
    if prediction.shape != target.shape or prediction.ndim != 1:
        raise ValueError(f"prediction: expected shape (N,) like target {target.shape}, got {prediction.shape}")
    if prediction.size == 0:
        raise ValueError(f"prediction: expected at least one sequence (N >= 1), got shape {prediction.shape}")


@checked(_check_fraction_correct, copies=False)
def fraction_correct(prediction, target, tol=TOLERANCE_1997):
    """Hochreiter & Schmidhuber's criterion: the fraction of sequences with |prediction - target| < tol.

    prediction, target (N,). Defined in chapter 05.
    """
    return float(np.mean(np.abs(prediction - target) < tol))
