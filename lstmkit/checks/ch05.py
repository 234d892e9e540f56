"""Checks for exercises 05 (long time lags: the adding problem), against lstmkit.tasks and readout.

Used by exercises/05_long_time_lags.ipynb and solutions/05_long_time_lags.ipynb.
"""
import numpy as np

from lstmkit import readout, tasks
from lstmkit.checks._report import Report, call, number, passed, rel_error, require_callable

__all__ = ["adding_target", "marker_gradient", "marker_gradient_by_forget_bias", "plateau_accuracy"]

# What a graded answer may call from lstmkit besides lstmkit.functional (checks/_sealed.py): what
# the exercise gives the student to build on. Anything else of lstmkit's fails the graded check.
GRADED_MAY_CALL = {"marker_gradient": ("lstmkit.readout.forward", "lstmkit.readout.backward"),
                   "marker_gradient_by_forget_bias": ("lstmkit.readout.init_params", "lstmkit.tasks.adding_problem",
                                                      "lstmkit.readout.forward", "lstmkit.readout.backward")}


def _matches(got, want):
    """True if got has want's shape and equals it to the checks' tolerance (for the diagnoses)."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(want) and rel_error(got, np.asarray(want, dtype=np.float64)) < 1e-8


def _factor(rep, out, value):
    ratio = rep.ratios().get(out)
    return ratio is not None and abs(ratio - value) < 1e-6


def adding_target(fn):
    """fn(x, variant) -> target (N,) of the adding problem, from the input x (T, N, 2) alone."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name, n = np.random.default_rng(501), "adding_target", 0
    for variant in tasks.VARIANTS:
        for N, T in [(5, 12), (1, 10), (16, 30)]:
            batch = tasks.adding_problem(N, T, rng=rng, variant=variant)
            got = call(name, fn, x=batch.x, variant=variant)
            rep = Report(name, f"variant={variant!r}, N={N}, T={T}")
            rep.compare("target", got, batch.target)

            def cause(rep, got=got, x=batch.x, variant=variant):
                values, markers = x[..., 0], x[..., 1]
                total = np.sum(values * (markers == 1), axis=0)          # X1 + X2, (N,)
                if rep.kind("target") == "shape" and np.shape(got) in ((x.shape[0],), (x.shape[0], 1)):
                    return "one target per sequence: sum over time, axis 0 of the (T, N) values"
                if rep.kind("target") != "value":
                    return None
                if variant != "fixed" and _matches(got, 0.5 + np.sum(values * markers, axis=0) / 4):
                    return "the values under the -1 end markers count too: only the markers equal to 1 select"
                if variant != "fixed" and _matches(got, total):
                    return "X1 + X2 is right, but this variant rescales it (see the task)"
                if variant != "fixed" and _matches(got, total / 4):
                    return "off by the same 0.5 in every sequence: this variant's target is 0.5 + (X1 + X2)/4"
                if _factor(rep, "target", 0.5):
                    return "half the right value: the target is the sum of the two marked values, not their mean"
                return "the target depends on the two values whose marker is exactly 1"
            rep.done(cause)
            n += 1
    passed(name, "the targets match lstmkit.tasks.adding_problem", n, "both variants, N down to 1")


def _marker_gradient(params, batch, lengths=True, mark=0, channels=slice(None), dy=None):
    y, cache = readout.forward(batch.x, params, "lstm", batch.lengths if lengths else None)
    dx, _ = readout.backward(np.ones_like(y) if dy is None else dy(y), cache)   # row n of dx: dy_n/dx
    return np.linalg.norm(dx[batch.marks[:, mark], np.arange(len(y))][:, channels], axis=1)


def marker_gradient(fn):
    """fn(params, batch) -> (N,): ||dy_n / dx_{t1, n}||, the output's sensitivity to the first marked input."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name, n = np.random.default_rng(502), "marker_gradient", 0
    for variant in tasks.VARIANTS:
        for N, T, H in [(4, 12, 3), (1, 10, 1), (8, 20, 2)]:
            params = readout.init_params("lstm", 2, H, rng=rng, forget_bias=1.0)
            batch = tasks.adding_problem(N, T, rng=rng, variant=variant)
            got = call(name, fn, params=params, batch=batch)
            rep = Report(name, f"variant={variant!r}, N={N}, T={T}, H={H}")
            rep.compare("marker gradient", got, _marker_gradient(params, batch))

            def cause(rep, got=got, params=params, batch=batch):
                if rep.kind("marker gradient") != "value":
                    return None
                if _matches(got, _marker_gradient(params, batch, lengths=False)):
                    return ("right when every sequence has length T, wrong here: in this variant sequence n "
                            "ends, and is read out, at step lengths[n] - 1")
                if _matches(got, _marker_gradient(params, batch, mark=1)):
                    return ("the sensitivity to the second marked input: the first marked step of sequence n "
                            "is marks[n, 0]")
                if _matches(got, _marker_gradient(params, batch, channels=slice(0, 1))):
                    return "the value channel alone: the norm is over both input channels, value and marker"
                loss_grad = lambda y: readout.mse_loss(y, batch.target)[1]   # noqa: E731
                if _matches(got, _marker_gradient(params, batch, dy=loss_grad)):
                    return ("the loss's gradient, which scales each sequence by its error: the sensitivity "
                            "of y itself comes from a backward with dy = 1")
                return ("the norm over the 2 input channels at step marks[n, 0] of sequence n, "
                        "after a backward with dy = 1")
            rep.done(cause)
            n += 1
    passed(name, "||dy_n/dx_t1|| matches lstmkit.readout.backward", n, "both variants, N and H down to 1")


def _by_forget_bias(forget_biases, T, hidden_size=16, n=32, seed=0, variant="fixed", one_generator=False):
    out = []
    for b in forget_biases:
        rng = np.random.default_rng(seed)
        params = readout.init_params("lstm", 2, hidden_size, rng=rng, forget_bias=b)
        batch_rng = rng if one_generator else np.random.default_rng(seed + 1)
        batch = tasks.adding_problem(n, T, rng=batch_rng, variant=variant)
        out.append(np.mean(_marker_gradient(params, batch)))
    return np.array(out)


def marker_gradient_by_forget_bias(fn):
    """fn(forget_biases, T) -> mean marker gradient at initialisation for each forget bias."""
    __tracebackhide__ = True
    require_callable(fn)
    name, cases = "marker_gradient_by_forget_bias", [([0.0, 1.0, 2.0], 50), ([1.0], 10), ([-1.0, 3.0], 20)]
    for biases, T in cases:
        rep = Report(name, f"forget_biases={biases}, T={T}")
        got = call(name, fn, forget_biases=list(biases), T=T)
        rep.compare("mean marker gradients", got, _by_forget_bias(biases, T))

        def cause(rep, got=got, biases=biases, T=T):
            out = "mean marker gradients"
            if rep.kind(out) != "value":
                return None
            if _factor(rep, out, 32):
                return "32 times the right value: the sum over the batch's 32 sequences, where the mean is asked for"
            if _matches(got, _by_forget_bias(biases, T, variant="hochreiter1997")):
                return "these are the 1997 variant's sequences: the task asks for the fixed variant, the default"
            if _matches(got, _by_forget_bias(biases, T, one_generator=True)):
                return ("params and batch come from one generator: the batch needs its own, "
                        "np.random.default_rng(1), so that it is the same whatever the params drew")
            first = np.asarray(got, dtype=np.float64).ravel()[:1]
            if len(biases) > 1 and _matches(first, _by_forget_bias(biases[:1], T)):
                return ("the first bias is right, the others are not: every bias must start from the same "
                        "weights and batch, so each needs fresh generators seeded as the task says")
            return ("the set-up must be exactly the task's: a fresh generator with the given seed for the params "
                    "and another for the batch, for every bias; sizes 2, 16, 32; the fixed variant; the mean")
        rep.done(cause)
    g = _by_forget_bias([0.0, 1.0, 2.0], 50)
    passed(name, "the means match", len(cases), "T = 10, 20, 50")
    print(f"At T = 50 the first number gets a gradient of {g[0]:.1e} with forget bias 0, "
          f"{g[1]:.1e} with 1 and {g[2]:.1e} with 2.")


def _plateau(variant, tol):
    """P(|X1 + X2 - mean| < a), X1 + X2 triangular: on [0, 2] (fixed, a = tol) or [-2, 2] (1997, a = 4 tol)."""
    if variant == "fixed":
        return 2 * tol - tol ** 2
    a = 4 * tol
    return a - a ** 2 / 4


def _measured_plateau(variant, n=100_000, chunks=4):
    """The fraction within 0.04 of the constant answer E[y*], on chunks * n sequences of lstmkit.tasks at T = 10."""
    rng, constant = np.random.default_rng(505), 1.0 if variant == "fixed" else 0.5
    hits = [tasks.fraction_correct(np.full(n, constant), tasks.adding_problem(n, 10, rng=rng, variant=variant).target)
            for _ in range(chunks)]
    return float(np.mean(hits))


PLATEAU_CASES = [("fixed", 0.04), ("fixed", 0.25), ("hochreiter1997", 0.04), ("hochreiter1997", 0.1),
                 ("hochreiter1997", 0.25)]


def plateau_accuracy(fn):
    """fn(variant, tol) -> the fraction of sequences a network that answers E[y*] gets within tol of y*."""
    __tracebackhide__ = True
    require_callable(fn)
    name = "plateau_accuracy"
    for variant, tol in PLATEAU_CASES:
        case = f"variant={variant!r}, tol={tol}"
        got = number(name, "the fraction", call(name, fn, variant=variant, tol=tol), case)
        rep = Report(name, case)
        rep.compare("fraction", got, _plateau(variant, tol))

        def cause(rep, got=got, variant=variant, tol=tol):
            a = tol if variant == "fixed" else 4 * tol           # the tolerance on the sum X1 + X2
            peak = 1.0 if variant == "fixed" else 0.5            # the density of X1 + X2 at its mean
            if np.isclose(got, _plateau(variant, tol) / 2, rtol=1e-8):
                return "half the right value: the answer may miss on either side of the target, |y - y*| < tol"
            if variant != "fixed" and np.isclose(got, tol - tol ** 2 / 4, rtol=1e-8):
                return (f"tol = {tol} applies to 0.5 + (X1 + X2)/4, so on the sum X1 + X2 the tolerance is "
                        f"four times larger, {4 * tol:g}")
            if variant != "fixed" and np.isclose(got, 2 * a - a ** 2, rtol=1e-8):
                return ("the density of the fixed variant's sum: here X1 and X2 are uniform on [-1, 1], so "
                        "X1 + X2 spreads over [-2, 2] and its triangle peaks at 1/2")
            if np.isclose(got, 2 * a * peak, rtol=1e-8):
                return ("a little too large: as if X1 + X2 were spread evenly at its peak density; the triangle "
                        "falls off linearly on both sides of its peak, which takes off a term in tol**2")
            return (f"integrate the density of X1 + X2 (a triangle, {peak:g} at its peak) over an interval "
                    f"of half-width {a:g} around the answer")
        rep.done(cause)
    measured = {v: _measured_plateau(v) for v in tasks.VARIANTS}
    passed(name, "the fraction matches the exact value", len(PLATEAU_CASES), "both variants, tol up to 0.25")
    print(f"Measured at tol = 0.04 on 400,000 sequences answered with the mean: fixed {measured['fixed']:.3f}, "
          f"hochreiter1997 {measured['hochreiter1997']:.3f} (exact, without the 1997 task's X1 = 0: "
          f"{_plateau('fixed', 0.04):.3f} and {_plateau('hochreiter1997', 0.04):.3f}).")
