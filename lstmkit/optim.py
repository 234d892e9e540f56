"""Optimisation helpers for the experiments layer: global-norm clipping, SGD and Adam.

References: Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural
networks", section 3.2 (global-norm clipping), taught in chapter 02; Kingma & Ba (2015), "Adam",
used in chapter 05. The optimisers update a dict of numpy arrays in place, key by key.
"""
import numpy as np


def global_norm(grads):
    """sqrt of the sum of every squared entry of every array in grads (in float64).

    Used by ``clip_grad_norm``, chapter 02, and ``lstmkit.train``, chapter 05.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in grads.values())))


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so their global L2 norm is at most max_norm.

    g <- min(1, max_norm / ||g||) * g, with ||g|| the norm of every entry of every array in the
    dict. The direction is kept; only the step length shrinks. Returns (clipped grads as a new
    dict, the norm before clipping), like torch.nn.utils.clip_grad_norm_ but without changing the
    input in place. Defined in chapter 02.
    """
    if not isinstance(grads, dict) or not grads:
        raise ValueError(f"grads: expected a non-empty dict of numpy arrays, got {type(grads).__name__}")
    if not (np.isscalar(max_norm) and np.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"max_norm: expected a positive finite number, got {max_norm!r}")
    for k, g in grads.items():
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            got = getattr(g, "dtype", type(g).__name__)
            raise ValueError(f"grads['{k}']: expected a floating numpy array, got {got}")
    norm = global_norm(grads)
    if not np.isfinite(norm):
        raise ValueError(f"grads: expected finite gradients, got a global norm of {norm}")
    scale = min(1.0, max_norm / (norm + 1e-12))
    return {k: (g * scale).astype(g.dtype) for k, g in grads.items()}, norm


def _check_step(params, grads):
    if not isinstance(params, dict) or not isinstance(grads, dict) or set(params) != set(grads):
        want = sorted(params) if isinstance(params, dict) else repr(params)
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise ValueError(f"grads: expected a dict with the keys of params {want}, got {got}")
    for k, p in params.items():
        if not isinstance(grads[k], np.ndarray) or grads[k].shape != p.shape:
            got = getattr(grads[k], "shape", None)
            raise ValueError(f"grads['{k}']: expected an array of shape {p.shape}, got {got}")


def _check_lr(lr):
    if not (np.isscalar(lr) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr: expected a positive finite number, got {lr!r}")


class SGD:
    """Stochastic gradient descent with optional momentum, updating params in place.

    buf <- momentum * buf + g (buf = g at the first step);  p <- p - lr * buf.
    The same arithmetic as torch.optim.SGD (dampening 0, no weight decay). Defined in chapter 05.
    """

    def __init__(self, lr, momentum=0.0):
        _check_lr(lr)
        if not (np.isscalar(momentum) and 0.0 <= momentum < 1.0):
            raise ValueError(f"momentum: expected a number in [0, 1), got {momentum!r}")
        self.lr, self.momentum, self.buffers = lr, momentum, {}

    def step(self, params, grads):
        _check_step(params, grads)
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

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        _check_lr(lr)
        if not (len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"betas: expected two numbers in [0, 1), got {betas!r}")
        if not (np.isscalar(eps) and eps > 0):
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        self.lr, self.betas, self.eps = lr, tuple(betas), eps
        self.t, self.m, self.v = 0, {}, {}

    def step(self, params, grads):
        _check_step(params, grads)
        b1, b2 = self.betas
        self.t += 1
        step_size = self.lr / (1.0 - b1 ** self.t)
        bias_correction2_sqrt = np.sqrt(1.0 - b2 ** self.t)
        for k, g in grads.items():
            m = self.m[k] = b1 * self.m.get(k, 0.0) + (1.0 - b1) * g
            v = self.v[k] = b2 * self.v.get(k, 0.0) + (1.0 - b2) * g * g
            denom = np.sqrt(v) / bias_correction2_sqrt + self.eps
            params[k] -= (step_size * m / denom).astype(params[k].dtype)


def make_optimizer(name, lr, momentum=0.0):
    """Adam(lr) for name "adam", SGD(lr, momentum) for "sgd". Used by ``lstmkit.train``, chapter 05."""
    if name not in ("adam", "sgd"):
        raise ValueError(f"optimizer: expected one of ['adam', 'sgd'], got {name!r}")
    return Adam(lr) if name == "adam" else SGD(lr, momentum)
