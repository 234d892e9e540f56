"""Optimisation helpers for the experiments layer: global-norm clipping, SGD and Adam.

References: Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural
networks", section 3.2 (global-norm clipping), taught in chapter 02; Kingma & Ba (2015), "Adam",
used in chapter 05. The optimisers update a dict of numpy arrays in place, key by key.
"""
import numpy as np

from lstmkit._plumbing import checked
from lstmkit._validate import (
    ArgumentTypeError,
    check_choice,
    check_float_array,
    check_number,
    check_positive_number,
    is_real,
)


def _check_grads_dict(grads):
    if not isinstance(grads, dict):
        raise ArgumentTypeError(f"grads: expected a dict of numpy arrays, got {type(grads).__name__}")


@checked(_check_grads_dict, copies=False)
def global_norm(grads):
    """sqrt of the sum of every squared entry of every array in grads (in float64).

    Used by ``clip_grad_norm``, chapter 02, and ``lstmkit.train``, chapter 05.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in grads.values())))


def _check_clip_grad_norm(grads, max_norm):
    if not isinstance(grads, dict) or not grads:
        raise ValueError(f"grads: expected a non-empty dict of numpy arrays, got {type(grads).__name__}")
    check_number("max_norm", max_norm, 0.0, lo_open=True, what="a positive finite number")
    for k, g in grads.items():
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            got = getattr(g, "dtype", type(g).__name__)
            raise ValueError(f"grads['{k}']: expected a floating numpy array, got {got}")
        if g.dtype not in (np.float32, np.float64):
            raise ValueError(f"grads['{k}']: expected a floating dtype (float32 or float64), got {g.dtype}")
    norm = global_norm(grads)
    if not np.isfinite(norm):
        raise ValueError(f"grads: expected finite gradients, got a global norm of {norm}")


@checked(_check_clip_grad_norm, copies=False)
def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so their global L2 norm is at most max_norm.

    g <- min(1, max_norm / ||g||) * g, with ||g|| the norm of every entry of every array in the
    dict. The direction is kept; only the step length shrinks. Returns (clipped grads as a new
    dict, the norm before clipping), like torch.nn.utils.clip_grad_norm_ but without changing the
    input in place. Defined in chapter 02.
    """
    norm = global_norm(grads)
    scale = min(1.0, max_norm / (norm + 1e-12))
    return {k: (g * scale).astype(g.dtype) for k, g in grads.items()}, norm


def _check_step(optimizer, params, grads):
    """params: a dict of writeable float arrays; grads: finite arrays of the same keys and shapes.

    A NaN or inf gradient would turn its parameter into NaN for good, an integer parameter would
    drop every update smaller than 1: both are refused before anything is changed.
    """
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params: expected a non-empty dict of numpy arrays, got {type(params).__name__}")
    if not isinstance(grads, dict) or set(params) != set(grads):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise ValueError(f"grads: expected a dict with the keys of params {sorted(params)}, got {got}")
    for k, p in params.items():
        check_float_array(f"params['{k}']", p)
        if not p.flags.writeable:
            raise ValueError(f"params['{k}']: expected a writeable array (it is updated in place), got a read-only one")
        if not isinstance(grads[k], np.ndarray) or grads[k].shape != p.shape:
            got = getattr(grads[k], "shape", None)
            raise ValueError(f"grads['{k}']: expected an array of shape {p.shape}, got {got}")
        check_float_array(f"grads['{k}']", grads[k])


def _check_lr(lr):
    return check_number("lr", lr, 0.0, lo_open=True, what="a positive finite number")


def _check_sgd(optimizer, lr, momentum):
    _check_lr(lr)
    check_number("momentum", momentum, 0.0, 1.0, hi_open=True)


def _check_adam(optimizer, lr, betas, eps):
    _check_lr(lr)
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(
            is_real(b) and 0.0 <= b < 1.0 for b in betas)):
        raise ValueError(f"betas: expected two numbers in [0, 1), got {betas!r}")
    check_positive_number("eps", eps)


class SGD:
    """Stochastic gradient descent with optional momentum, updating params in place.

    buf <- momentum * buf + g (buf = g at the first step);  p <- p - lr * buf.
    The same arithmetic as torch.optim.SGD (dampening 0, no weight decay). Defined in chapter 05.
    """

    @checked(_check_sgd, copies=False)
    def __init__(self, lr, momentum=0.0):
        self.lr, self.momentum, self.buffers = float(lr), float(momentum), {}

    @checked(_check_step, copies=False)
    def step(self, params, grads):
        for k, g in grads.items():
            if self.momentum:
                buf = self.buffers.get(k)
                g = self.buffers[k] = g.copy() if buf is None else self.momentum * buf + g
            params[k] -= (self.lr * g).astype(params[k].dtype)


class Adam:
    """Adam (Kingma & Ba 2015), updating params in place, in torch.optim.Adam's exact arithmetic:

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2;   t <- t + 1
    p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    so the numpy and torch runs of chapter 05 take the same steps. Defined in chapter 05.
    """

    @checked(_check_adam, copies=False)
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.betas, self.eps = float(lr), tuple(float(b) for b in betas), float(eps)
        self.t, self.m, self.v = 0, {}, {}

    @checked(_check_step, copies=False)
    def step(self, params, grads):
        b1, b2 = self.betas
        self.t += 1
        step_size = self.lr / (1.0 - b1 ** self.t)
        bias_correction2_sqrt = np.sqrt(1.0 - b2 ** self.t)
        for k, g in grads.items():
            m = self.m[k] = b1 * self.m.get(k, 0.0) + (1.0 - b1) * g
            v = self.v[k] = b2 * self.v.get(k, 0.0) + (1.0 - b2) * g * g
            denom = np.sqrt(v) / bias_correction2_sqrt + self.eps
            params[k] -= (step_size * m / denom).astype(params[k].dtype)


def _check_make_optimizer(name, lr, momentum):
    check_choice("optimizer", name, ("adam", "sgd"))


@checked(_check_make_optimizer, copies=False)
def make_optimizer(name, lr, momentum=0.0):
    """Adam(lr) for name "adam", SGD(lr, momentum) for "sgd". Used by ``lstmkit.train``, chapter 05."""
    return Adam(lr) if name == "adam" else SGD(lr, momentum)
