"""Training a recurrent model on the adding problem: configuration, loop, history.

``train(config)`` draws a fresh batch every step from one seeded generator, takes a clipped
optimiser step, evaluates on a fixed test set every ``eval_every`` steps, and stops early once the
success criterion holds. The model behind it is a *learner*: ``NumpyLearner`` here (lstmkit.readout
with lstmkit.optim), ``lstmkit.torch_train.TorchLearner`` for torch.nn.LSTM. Both start from the
same parameters drawn from the same generator, so with the same config they see the same batches.

Taught in chapters/05_long_time_lags.ipynb.
"""
import functools
import time
from dataclasses import dataclass, field

import numpy as np

from lstmkit import decay, readout, rnn, tasks
from lstmkit._plumbing import Replace, checked
from lstmkit._validate import (
    ArgumentTypeError,
    check_bool,
    check_callable,
    check_choice,
    check_number,
    check_optional_finite,
    check_params,
    check_positive_int,
    check_positive_number,
    check_seed,
)
from lstmkit.optim import clip_grad_norm, global_norm, make_optimizer
from lstmkit.progress import progress_bar, stop_early


@dataclass
class TrainConfig:
    """Every hyper-parameter of one run. Defined in chapter 05."""
    cell: str = "lstm"                 # "rnn", "lstm" or "minlstm" (chapter 07)
    variant: str = "fixed"             # adding-problem variant, see lstmkit.tasks
    T: int = 50                        # (minimal) sequence length
    hidden_size: int = 32
    activation: str = "tanh"           # the RNN's nonlinearity
    identity_init: bool = False        # RNN only: weight_hh = I, biases 0 (with "relu": the IRNN)
    forget_bias: float | None = 1.0    # LSTM and minLSTM only; None = torch's default draw
    optimizer: str = "adam"            # "adam" or "sgd"
    lr: float = 1e-2
    momentum: float = 0.0              # SGD only
    batch_size: int = 32
    steps: int = 1000                  # the budget of optimiser steps
    clip: float | None = 1.0           # global-norm clipping threshold, None = off
    eval_every: int = 50
    n_test: int = 500
    stop_mse: float | None = None      # stop once test MSE < stop_mse ...
    stop_accuracy: float | None = None  # ... or the fraction |error| < 0.04 >= stop_accuracy
    dtype: str = "float64"
    seed: int = 0                      # init and training batches
    test_seed: int = 2024              # the fixed test set

    def validate(self):
        """Check every field, each under its own name (not the name of the function it feeds)."""
        check_choice("cell", self.cell, readout.CELLS)
        check_choice("variant", self.variant, tasks.VARIANTS)
        check_choice("activation", self.activation, rnn.ACTIVATIONS)
        check_choice("optimizer", self.optimizer, ("adam", "sgd"))
        check_choice("dtype", self.dtype, ("float32", "float64"))
        for name in ("T", "hidden_size", "batch_size", "steps", "eval_every", "n_test"):
            check_positive_int(name, getattr(self, name))
        if self.T < 10:
            raise ValueError(f"T: expected an integer >= 10 (one of the first ten pairs is marked), got {self.T!r}")
        if self.cell == "rnn" and self.forget_bias is not None:
            raise ValueError(f"forget_bias: expected None for cell='rnn', got {self.forget_bias!r}")
        if self.identity_init and self.cell != "rnn":
            raise ValueError(f"identity_init: expected False for cell={self.cell!r} (an RNN-only start), got True")
        check_optional_finite("forget_bias", self.forget_bias)
        check_number("lr", self.lr, 0.0, lo_open=True, what="a positive finite number")
        check_number("momentum", self.momentum, 0.0, 1.0, hi_open=True)
        if self.clip is not None:
            check_number("clip", self.clip, 0.0, lo_open=True, what="a positive number or None")
        if self.stop_mse is not None:
            check_number("stop_mse", self.stop_mse, 0.0, lo_open=True, what="a positive number or None")
        if self.stop_accuracy is not None:
            check_number("stop_accuracy", self.stop_accuracy, 0.0, 1.0, what="a fraction in [0, 1] or None")
        check_seed("seed", self.seed)
        check_seed("test_seed", self.test_seed)
        return self


@dataclass
class History:
    """What a run recorded, for the plots. Defined in chapter 05.

    eval_steps, test_mse, test_accuracy, marker_grad: one entry per evaluation (step 0 first);
    marker_grad is the mean over a batch of ||dy_n / dx_{t1}||, the output's sensitivity to the
    input at the first marker's step t1. train_loss, grad_norm (before clipping): one per step.
    solved_at: the step at which the stop criterion first held, else None.
    """
    config: TrainConfig
    eval_steps: list = field(default_factory=list)
    test_mse: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    marker_grad: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    solved_at: int | None = None
    seconds: float = 0.0
    params: dict | None = None

    @property
    def sequences_seen(self):
        """Training sequences consumed: steps taken times the batch size."""
        return len(self.train_loss) * self.config.batch_size


class NumpyLearner:
    """lstmkit.readout trained with lstmkit.optim. Used by ``train``, chapter 05."""

    def __init__(self, config, rng):
        self.config = config
        self.params = self._init_params(rng)
        self.optimizer = make_optimizer(config.optimizer, config.lr, config.momentum)

    def _init_params(self, rng):
        config = self.config
        return readout.init_params(config.cell, 2, config.hidden_size, rng=rng, dtype=np.dtype(config.dtype),
                                  forget_bias=config.forget_bias, identity=config.identity_init)

    def _forward(self, batch):
        return readout.forward(batch.x, self.params, self.config.cell, batch.lengths, self.config.activation)

    def train_step(self, batch):
        """One optimiser step on batch; returns (loss, gradient norm before clipping)."""
        with np.errstate(over="ignore", invalid="ignore"):   # a diverging run reports inf, train() stops
            y, cache = self._forward(batch)
            loss, dy = readout.mse_loss(y, batch.target)
            _, grads = readout.backward(dy, cache)
        norm = global_norm(grads)
        if not np.isfinite(norm):
            return loss, norm   # diverged: no step, train() stops
        if self.config.clip is not None:
            grads, norm = clip_grad_norm(grads, self.config.clip)
        self.optimizer.step(self.params, grads)
        return loss, norm

    def predict(self, batch):
        return self._forward(batch)[0]

    def marker_grad(self, batch):
        """Mean over the batch of ||dy_n / dx_{t1,n}||, t1 = the first marker's step."""
        y, cache = self._forward(batch)
        dx, _ = readout.backward(np.ones_like(y), cache)
        n = np.arange(len(y))
        return float(np.mean(np.linalg.norm(dx[batch.marks[:, 0], n], axis=1)))

    def numpy_params(self):
        return {k: v.copy() for k, v in self.params.items()}


def evaluate(learner, batch):
    """(test MSE, fraction with |error| < 0.04) of learner on batch. Used by ``train``, chapter 05."""
    y = learner.predict(batch)
    return float(np.mean((y - batch.target) ** 2)), tasks.fraction_correct(y, batch.target)


def _check_train(config, learner_class, progress):
    if not isinstance(config, TrainConfig):
        raise ArgumentTypeError(f"config: expected a TrainConfig, got {type(config).__name__}")
    config.validate()
    check_callable("learner_class", learner_class, "a learner class")
    check_bool("progress", progress)


@checked(_check_train, copies=False)
def train(config, learner_class=NumpyLearner, progress=True):
    """Run one training run; returns its History. Defined in chapter 05.

    One generator np.random.default_rng(config.seed) draws the initial parameters and then every
    training batch; the test set comes from config.test_seed. progress shows a tqdm bar.
    """
    dtype = np.dtype(config.dtype)
    rng = np.random.default_rng(config.seed)
    learner = learner_class(config, rng)
    test = tasks.adding_problem(config.n_test, config.T, rng=np.random.default_rng(config.test_seed),
                                variant=config.variant, dtype=dtype)
    probe = tasks.adding_problem(min(config.n_test, 100), config.T, rng=np.random.default_rng(config.test_seed + 1),
                                 variant=config.variant, dtype=dtype)
    history = History(config)
    start = time.perf_counter()
    bar = progress_bar(total=config.steps, desc=f"{config.cell} T={config.T}", disable=not progress)

    def record(step):
        mse, acc = evaluate(learner, test)
        history.eval_steps.append(step)
        history.test_mse.append(mse)
        history.test_accuracy.append(acc)
        history.marker_grad.append(learner.marker_grad(probe))
        bar.set_postfix(test_mse=f"{mse:.4f}", acc=f"{acc:.2f}")
        hit_mse = config.stop_mse is not None and mse < config.stop_mse
        hit_acc = config.stop_accuracy is not None and acc >= config.stop_accuracy
        return hit_mse or hit_acc

    solved = record(0)
    step = 0
    while not solved and step < config.steps:
        batch = tasks.adding_problem(config.batch_size, config.T, rng=rng, variant=config.variant, dtype=dtype)
        loss, norm = learner.train_step(batch)
        history.train_loss.append(loss)
        history.grad_norm.append(norm)
        step += 1
        bar.update(1)
        if not (np.isfinite(loss) and np.isfinite(norm)):
            break   # diverged: keep the history so far, with its last (non-finite) entry
        if step % config.eval_every == 0 or step == config.steps:
            solved = record(step)
    if step < config.steps:   # stopped early: say why, so a bar short of 100% reads as finished
        stop_early(bar, "solved" if solved else "diverged", ok=solved)
    bar.close()
    history.solved_at = step if solved else None
    history.seconds = time.perf_counter() - start
    history.params = learner.numpy_params()
    return history


def _check_train_last_step(params, w_out, x, y, *, lr, steps, clip, stop_above, activation):
    check_positive_int("steps", steps)
    check_positive_number("lr", lr)
    check_choice("activation", activation, rnn.ACTIVATIONS)
    check_params(params, gates=1)
    if stop_above is not None:
        check_positive_number("stop_above", stop_above)
    decay.last_step_regression.check(x, None, params, w_out, y, activation)   # x, w_out and y
    if clip is not None:
        check_callable("clip", clip, "None or a function grads -> (grads, norm)")
        return Replace(clip=_clip_named(clip))


def _clip_named(clip):
    """clip, with a wrong result refused naming clip (it must return the pair (grads, norm))."""
    @functools.wraps(clip)
    def run(grads):
        out = clip(grads)
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], dict) and set(out[0]) == set(grads)):
            got = type(out).__name__ + (f" of length {len(out)}" if isinstance(out, tuple) else "")
            raise ValueError(f"clip: expected a function grads -> (grads, norm) returning a pair (a dict with the "
                             f"keys {sorted(grads)}, the norm), such as lambda g: optim.clip_grad_norm(g, 1.0); "
                             f"got {got}")
        return out
    return run


@checked(_check_train_last_step, copies=False)
def train_last_step(params, w_out, x, y, *, lr, steps, clip=None, stop_above=None, activation="tanh"):
    """Full-batch gradient descent on ``decay.last_step_regression``, optionally with gradient clipping.

    params (RNN dict) and w_out (K, H) are copied, not changed. Every step computes the loss and
    all gradients (params and "w_out" in one dict), records their global L2 norm, passes the dict
    through clip (e.g. ``lambda g: optim.clip_grad_norm(g, 1.0)``, which returns (grads, norm)) and
    takes the step theta <- theta - lr * grad. x (T, N, D), y (N, K). If stop_above is given, the run
    stops after the first step whose loss exceeds it (a diverging run would otherwise overflow).
    Returns a dict: losses (S,), norms (S,) before clipping, params, w_out (the final ones) and
    diverged (bool); S = steps unless the run stopped early. Defined in chapter 02.
    """
    params = {k: v.copy() for k, v in params.items()}
    w_out = w_out.copy()
    losses, norms = np.empty(steps), np.empty(steps)
    for s in range(steps):
        losses[s], grads, dw_out = decay.last_step_regression(x, None, params, w_out, y, activation)
        grads = {**grads, "w_out": dw_out}
        norms[s] = global_norm(grads)
        if clip is not None:
            grads, _ = clip(grads)            # the step keeps its direction, only its length shrinks
        for k in params:
            params[k] -= lr * grads[k]
        w_out -= lr * grads["w_out"]
        if stop_above is not None and losses[s] > stop_above:
            return {"losses": losses[:s + 1], "norms": norms[:s + 1], "params": params, "w_out": w_out,
                    "diverged": True}
    return {"losses": losses, "norms": norms, "params": params, "w_out": w_out, "diverged": False}
