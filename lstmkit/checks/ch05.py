"""Checks for exercises 05 (long time lags: the adding problem), against lstmkit.tasks and models.

Used by exercises/05_long_time_lags.ipynb and solutions/05_long_time_lags.ipynb.
"""
import numpy as np

from lstmkit import readout, tasks
from lstmkit.checks._report import Report, call, passed, rel_error, require_callable

__all__ = ["adding_target", "marker_gradient", "marker_gradient_by_forget_bias"]


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
                if rep.kind("target") != "value":
                    return None
                values, markers = x[..., 0], x[..., 1]
                signed = np.sum(values * markers, axis=0)
                if variant != "fixed" and rel_error(got, 0.5 + signed / 4) < 1e-8:
                    return "the values under the -1 end markers count too: only the markers equal to 1 select"
                if variant != "fixed" and rel_error(got, np.sum(values * (markers == 1), axis=0)) < 1e-8:
                    return "X1 + X2 is right, but this variant rescales it (see the task)"
                return "the target depends on the two values whose marker is exactly 1"
            rep.done(cause)
            n += 1
    passed(name, "the targets match lstmkit.tasks.adding_problem", n, "both variants, N down to 1")


def _marker_gradient(params, batch, lengths=True):
    y, cache = readout.forward(batch.x, params, "lstm", batch.lengths if lengths else None)
    dx, _ = readout.backward(np.ones_like(y), cache)   # row n of dx: dy_n / dx, as y_n sees only sequence n
    return np.linalg.norm(dx[batch.marks[:, 0], np.arange(len(y))], axis=1)


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
                if rep.kind("marker gradient") == "value" and \
                        rel_error(got, _marker_gradient(params, batch, lengths=False)) < 1e-8:
                    return ("right when every sequence has length T, wrong here: in this variant sequence n "
                            "ends, and is read out, at step lengths[n] - 1")
                return ("the norm over the 2 input channels at step marks[n, 0] of sequence n, "
                        "after a backward with dy = 1")
            rep.done(cause)
            n += 1
    passed(name, "||dy_n/dx_t1|| matches lstmkit.readout.backward", n, "both variants, N and H down to 1")


def _by_forget_bias(forget_biases, T, hidden_size=16, n=32, seed=0):
    out = []
    for b in forget_biases:
        params = readout.init_params("lstm", 2, hidden_size, rng=np.random.default_rng(seed), forget_bias=b)
        batch = tasks.adding_problem(n, T, rng=np.random.default_rng(seed + 1))
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
            if rep.kind("mean marker gradients") != "value":
                return None
            first = np.asarray(got, dtype=np.float64).ravel()[:1]
            if len(biases) > 1 and rel_error(first, _by_forget_bias(biases[:1], T)) < 1e-8:
                return ("the first bias is right, the others are not: every bias must start from the same "
                        "weights and batch, so each needs fresh generators seeded as the task says")
            return ("the set-up must be exactly the task's: a fresh generator with the given seed for the params "
                    "and another for the batch, for every bias; sizes 2, 16, 32; the fixed variant; the mean")
        rep.done(cause)
    g = _by_forget_bias([0.0, 1.0, 2.0], 50)
    passed(name, "the means match", len(cases), "T = 10, 20, 50")
    print(f"At T = 50 the first number gets a gradient of {g[0]:.1e} with forget bias 0, "
          f"{g[1]:.1e} with 1 and {g[2]:.1e} with 2.")
