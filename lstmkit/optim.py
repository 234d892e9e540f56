"""Optimisation helpers for the experiments layer.

Reference: Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural
networks", section 3.2 (global-norm clipping). Taught in chapter 02.
"""
import numpy as np


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
            raise ValueError(f"grads['{k}']: expected a floating numpy array, got {getattr(g, 'dtype', type(g).__name__)}")
    norm = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values())))
    if not np.isfinite(norm):
        raise ValueError(f"grads: expected finite gradients, got a global norm of {norm}")
    scale = min(1.0, max_norm / (norm + 1e-12))
    return {k: (g * scale).astype(g.dtype) for k, g in grads.items()}, norm
