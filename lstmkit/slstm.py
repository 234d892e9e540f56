"""xLSTM's sLSTM memory: an exponential input gate, a normaliser n_t and a stabiliser m_t, in numpy.

    c_t = f_t c_{t-1} + i_t z_t          the cell, as in the LSTM
    n_t = f_t n_{t-1} + i_t              the normaliser: the same recurrence with z = 1
    htilde_t = c_t / n_t                 a weighted average of the z's written so far
    i_t = exp(itilde_t),  f_t = exp(ftilde_t) or sigmoid(ftilde_t)

An input gate that is an exponential, not a sigmoid, can give a new write more weight than all the
earlier ones together (a sigmoid gate caps it at 1), so the cell can revise what it stored when a
more important value arrives. exp overflows, so the paper keeps every quantity divided by
exp(m_t), m_t = max(log f_t + m_{t-1}, log i_t) (the stabiliser); c_t / n_t is unchanged by it.
Only the memory is here (o_t = 1, z_t given): what chapter 07 measures. The recurrent weights and
the heads of a full sLSTM block are not.

Reference: Beck, Poeppel, Spanring, Auer, Prudnikova, Kopp, Klambauer, Brandstetter & Hochreiter
(2024), "xLSTM: Extended long short-term memory", arXiv 2405.04517, section 2.2.
Taught in chapters/07_parallel_scan.ipynb.
"""
import numpy as np

from lstmkit._validate import check_array, check_bool, check_choice, check_float_array

FORGET = ("exp", "sigmoid")


def _check(i_pre, f_pre, z, forget, stabilise):
    check_float_array("i_pre", i_pre)
    if i_pre.ndim == 0:
        raise ValueError("i_pre: expected an array (T, ...) with time on the first axis, got a 0-d array")
    check_array("i_pre", i_pre, (None,) * i_pre.ndim, i_pre.dtype)
    check_array("f_pre", f_pre, i_pre.shape, i_pre.dtype)
    check_array("z", z, i_pre.shape, i_pre.dtype)
    check_choice("forget", forget, FORGET)
    check_bool("stabilise", stabilise)


def log_forget(f_pre, forget):
    """log f_t: f_pre itself for f = exp(f_pre), -log(1 + exp(-f_pre)) for f = sigmoid(f_pre)."""
    return f_pre if forget == "exp" else -np.logaddexp(0.0, -f_pre)


def memory(i_pre, f_pre, z, *, forget="exp", stabilise=True):
    """htilde_t = c_t / n_t for t = 1 .. T from c_0 = n_0 = 0, m_0 = 0. i_pre, f_pre, z (T, ...).

    i_pre, f_pre are the gates' pre-activations (itilde, ftilde). stabilise=False runs the
    equations as written, with exp(itilde) itself: it overflows to inf (and c / n to nan) once
    itilde passes about 709 in float64, which is kept to show why m_t exists.
    Returns htilde (T, ...). Defined in chapter 07.
    """
    _check(i_pre, f_pre, z, forget, stabilise)
    log_f = log_forget(f_pre, forget)
    c = n = m = np.zeros(i_pre.shape[1:], dtype=i_pre.dtype)
    out = np.empty_like(z)
    with np.errstate(over="ignore", invalid="ignore"):     # unstabilised, the overflow is the point
        for t in range(len(z)):
            if stabilise:
                m_new = np.maximum(log_f[t] + m, i_pre[t])  # the largest log-weight so far
                i_t = np.exp(i_pre[t] - m_new)              # <= 1: exp(itilde) / exp(m)
                f_t = np.exp(log_f[t] + m - m_new)          # <= 1: the old scale, rescaled to the new
                m = m_new
            else:
                i_t, f_t = np.exp(i_pre[t]), np.exp(log_f[t])
            c = f_t * c + i_t * z[t]
            n = f_t * n + i_t
            out[t] = c / n
    return out
