"""The exercise checks, one module per chapter: ``checks.ch04.lstm_step_backward(fn)`` checks exercise 4.1.

Each check calls the reader's function on seeded inputs of several shapes (sizes down to 1),
compares every output with lstmkit's own implementation, and prints one PASS line; or it raises
``CheckFailed`` with a short report: the case, each wrong output with its shape and relative error
(or the symptom measured, e.g. "only in block g"), the outputs that are right, and the likely
cause. Hints diagnose; they never hold a solution line. The untouched stub raises
``NotImplementedYet``, one line. ``_report`` holds the machinery the chapters share.

    ch01  rnn_step_forward, rnn_step_backward, rnn_backward, scalar_bptt
    ch02  sigmoid_prime, largest_lag, grad_norms, clip_grad_norm
    ch03  lstm_gates, lstm_step_forward, gated_latch_params
    ch04  lstm_step_backward, cell_gradients, forget_bias_for_retention, peephole_step_backward
    ch05  adding_target, marker_gradient, marker_gradient_by_forget_bias, plateau_accuracy
    ch06  gru_step_forward, gru_step_backward, coupled_step_forward, cross_entropy, coupled_forget_gradient
    ch07  scan_operator, scan_forward, scan_backward, closed_form_breakdown

Used by exercises/ and solutions/. Imports numpy and lstmkit only (the experiments layer).
"""
from lstmkit.checks import ch01, ch02, ch03, ch04, ch05, ch06, ch07
from lstmkit.checks._report import TOL, CheckFailed, NotImplementedYet

CHAPTERS = (ch01, ch02, ch03, ch04, ch05, ch06, ch07)

__all__ = ["CHAPTERS", "TOL", "CheckFailed", "NotImplementedYet",
           "ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07"]
