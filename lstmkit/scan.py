"""The linear recurrence h_t = a_t * h_{t-1} + b_t, computed four ways, and its backward.

    h_t = a_t * h_{t-1} + b_t,   t = 1 .. T,   from h_0            (elementwise, every array (T, ...))

The LSTM's cell state is such a recurrence (a = f, b = i * g) once the gates stop reading h_{t-1};
so are minLSTM and minGRU (Feng et al. 2024), the diagonal recurrences of LRU (Orvieto et al. 2023)
and Mamba (Gu & Dao 2023). The four forms, each returning hs (T, ...):

- ``loop``: the step, T times; T sequential steps.
- ``hillis_steele``: a prefix scan with the associative operator ``combine``
  (a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2); ceil(log2 T) rounds, each one vectorised numpy
  operation over all t (Hillis & Steele 1986; the work-efficient version is Blelloch 1990).
- ``closed_form``: h_t = A_t (h_0 + sum_k b_k / A_k) with A_t = a_1 ... a_t, two cumulative
  sums; it divides by A_t, which underflows for long T: it then returns inf or nan, on purpose.
- ``log_space``: the closed form in logarithms (Heinsen 2023), with a cumulative log-sum-exp in
  place of the cumulative sum; stable for any T. It needs a_t > 0; signed b and h_0 are split into
  positive and negative parts, two scans whose difference is h (the recurrence is linear in b, h_0).

``backward`` is the reverse scan g_t = dhs_t + a_{t+1} g_{t+1}: the gradient of a linear recurrence is
itself a linear recurrence, run backwards, with every step's factor a_t and nothing else.

References: Blelloch (1990), "Prefix sums and their applications"; Hillis & Steele (1986), "Data
parallel algorithms"; Heinsen (2023), "Efficient parallelization of a ubiquitous sequential
computation", arXiv 2311.06281; Martin & Cundy (2018), "Parallelizing linear recurrent neural nets
over sequence length". Taught in chapters/07_parallel_scan.ipynb.
"""
import math

import numpy as np

from lstmkit._plumbing import Replace, checked
from lstmkit._validate import check_array, check_choice, check_float_array, check_positive_int

METHODS = ("loop", "hillis_steele", "closed_form", "log_space")


def _check(a, b, h0, *_):
    """a, b (T, ...) of one shape and dtype, h0 (...) or None for zeros, which it hands on as zeros."""
    check_float_array("a", a)
    if a.ndim == 0:
        raise ValueError("a: expected an array (T, ...) with time on the first axis, got a 0-d array")
    check_array("a", a, (None,) * a.ndim, a.dtype, ("T",) + (None,) * (a.ndim - 1))
    check_array("b", b, a.shape, a.dtype)
    return Replace(h0=_state("h0", h0, a))


def _check_positive(a, b, h0):
    replace = _check(a, b, h0)
    if np.any(a <= 0):
        raise ValueError(f"a: expected every entry > 0 (its logarithm is taken), got min {a.min():.3g}")
    return replace


def _state(name, h, a):
    """A state h (...) shaped like one step of a, or zeros for None."""
    if h is None:
        return np.zeros(a.shape[1:], dtype=a.dtype)
    check_array(name, h, a.shape[1:], a.dtype)
    return h


def combine(first, second):
    """The scan's operator: (a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2).

    Applying step (a1, b1) and then step (a2, b2) to h gives a2 (a1 h + b1) + b2 = (a1 a2) h + (a2 b1 + b2):
    one step of the same form. The operator is associative, so the T steps can be grouped in any
    order, which is all a parallel scan needs. Defined in chapter 07.
    """
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2


@checked(_check, copies=False)
def loop(a, b, h0=None):
    """h_t = a_t h_{t-1} + b_t for t = 1 .. T, one step at a time. a, b (T, ...), h0 (...) or None.

    Returns hs (T, ...). T sequential steps. Defined in chapter 07.
    """
    h = h0
    hs = np.empty_like(b)
    for t in range(len(a)):
        h = a[t] * h + b[t]
        hs[t] = h
    return hs


@checked(lambda T: check_positive_int("T", T), copies=False)
def rounds(T):
    """The sequential rounds of a Hillis-Steele scan over T steps: ceil(log2 T). Defined in chapter 07."""
    return math.ceil(math.log2(T)) if T > 1 else 0


@checked(_check, copies=False)
def hillis_steele(a, b, h0=None, trace=None):
    """The same hs by a Hillis-Steele prefix scan: ceil(log2 T) rounds of ``combine`` over all t at once.

    After round r, position t holds the composition of steps max(0, t - 2^r + 1) .. t; so after
    ceil(log2 T) rounds every position holds all the steps up to itself, applied to h0. a, b (T, ...),
    h0 (...) or None. trace, if a list, receives a copy of the partial hs after every round.
    Returns hs (T, ...). Defined in chapter 07.
    """
    A, B = a.copy(), b.copy()
    B[0] = a[0] * h0 + b[0]      # fold h0 into the first step: then B_t = h_t once all rounds are done
    A[0] = 0.0                   # ... and the first step no longer depends on anything before it
    d = 1
    while d < len(A):            # one round: every t >= d combines with its partner t - d, all at once
        A[d:], B[d:] = combine((A[:-d], B[:-d]), (A[d:], B[d:]))
        if trace is not None:
            trace.append(B.copy())
        d *= 2
    return B


@checked(_check, copies=False)
def closed_form(a, b, h0=None):
    """The same hs from two cumulative sums: h_t = A_t (h0 + sum_{k<=t} b_k / A_k), A_t = a_1 ... a_t.

    Exact in real numbers, but it divides by A_t, which underflows to 0 once the product of the
    decays passes the smallest float (after about 1,000 steps of a = 0.5 in float64): the result
    is then inf or nan. Kept to show that failure. Defined in chapter 07.
    """
    with np.errstate(all="ignore"):     # the failure is the point: it shows as inf and nan, not as warnings
        A = np.cumprod(a, axis=0)
        return A * (h0 + np.cumsum(b / A, axis=0))


def _log_space_positive(log_a_star, b, h0):
    """h of the recurrence for b >= 0, h0 >= 0, given log A_t = cumsum(log a)."""
    with np.errstate(divide="ignore"):              # log 0 = -inf: a term that contributes nothing
        log_b, log_h0 = np.log(b), np.log(h0)
    terms = np.concatenate([log_h0[None], log_b - log_a_star])           # (T + 1, ...): log(b_k / A_k)
    lse = np.logaddexp.accumulate(terms, axis=0)[1:]                      # log(h0 + sum_{k<=t} b_k / A_k)
    return np.exp(log_a_star + lse)                                       # A_t times it, back from logs


@checked(_check_positive, copies=False)
def log_space(a, b, h0=None):
    """The closed form in logarithms (Heinsen 2023): stable for any T. a > 0 required.

    log h_t = log A_t + logcumsumexp_k(log b_k - log A_k), with h0 as the first term; products
    become sums and the division a subtraction, so nothing under- or overflows. Signed b and h0
    are split, b = b+ - b-, and the two non-negative scans subtracted. Returns hs (T, ...).
    Defined in chapter 07.
    """
    log_a_star = np.cumsum(np.log(a), axis=0)                             # log A_t, (T, ...)
    plus = _log_space_positive(log_a_star, np.maximum(b, 0), np.maximum(h0, 0))
    minus = _log_space_positive(log_a_star, np.maximum(-b, 0), np.maximum(-h0, 0))
    return plus - minus


_FORMS = {"loop": loop, "hillis_steele": hillis_steele, "closed_form": closed_form, "log_space": log_space}


@checked(lambda a, b, h0, method: check_choice("method", method, METHODS), copies=False)
def scan(a, b, h0=None, method="log_space"):
    """hs of h_t = a_t h_{t-1} + b_t by one of METHODS (each form checks a, b and h0). Defined in chapter 07."""
    return _FORMS[method](a, b, h0)


def _check_backward(dhs, a, hs, h0, dhT, method):
    replace = _check(a, hs, h0)
    check_array("dhs", dhs, a.shape, a.dtype)
    check_choice("method", method, ("loop", "hillis_steele", "log_space"))
    return Replace(replace, dhT=_state("dhT", dhT, a))


@checked(_check_backward, copies=False)
def backward(dhs, a, hs, h0=None, dhT=None, method="loop"):
    """The gradients of a linear recurrence, by a reverse scan of the same form.

    dhs (T, ...) = dLoss/dh_t from the outputs; dhT (...) an optional gradient on the final state.
    The total gradient on h_t is g_t = dhs_t + a_{t+1} g_{t+1} (g_T starts from dhs_T + dhT): the
    recurrence itself, run from t = T down to 1 with the factors shifted by one step. Then
    db_t = g_t, da_t = g_t h_{t-1}, dh0 = a_1 g_1. method is any of METHODS but "closed_form".
    Returns da, db (T, ...), dh0 (...). Defined in chapter 07.
    """
    a_next = np.concatenate([np.ones_like(a[:1]), a[:0:-1]])      # reversed: 1, a_T, a_{T-1}, ..., a_2
    g = scan(a_next, dhs[::-1], dhT, method)[::-1]                 # g_t, t = 1 .. T
    h_prev = np.concatenate([h0[None], hs[:-1]])                   # h_{t-1}, (T, ...)
    return g * h_prev, g, a[0] * g[0]
