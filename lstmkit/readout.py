"""A recurrent layer read out by one linear unit at each sequence's last step, and its MSE loss.

    hs = RNN, LSTM or minLSTM(x)              (T, N, H), from h0 = 0 (and c0 = 0)
    y_n = readout.weight @ h_{L_n - 1, n} + readout.bias        L_n = lengths[n]
    loss = mean_n (y_n - target_n)^2

Parameters live in one flat dict: the recurrent layer's torch names (weight_ih, weight_hh,
bias_ih, bias_hh) plus ``readout.weight`` (1, H) and ``readout.bias`` (1,), the names of a
torch.nn.Linear(H, 1) called ``readout``. One dict keeps the optimiser and the global-norm
clipping simple: they loop over its keys.

Variable lengths: sequences are right-padded and sequence n is read at step lengths[n] - 1. A
recurrent layer only looks backwards, so the padded steps after that index cannot change y_n, and
backward sends dLoss/dh into step lengths[n] - 1 only, so they get zero gradient too (tested).
(Left-padding instead would feed the padding *through* the state: with biases, zero inputs still
move h, so the model would see a different sequence.)

Taught in chapters/05_long_time_lags.ipynb; the minLSTM layer in chapters/07_parallel_scan.ipynb.
"""
from functools import partial

import numpy as np

from lstmkit import lstm, minlstm, rnn
from lstmkit._plumbing import checked
from lstmkit._validate import check_array, check_choice

CELLS = ("rnn", "lstm", "minlstm")
READOUT = ("readout.weight", "readout.bias")


def init_readout(params, hidden_size, out_size, *, rng, dtype):
    """Add a readout drawn like torch.nn.Linear(H, out_size) to params: readout.weight (out_size, H),
    readout.bias (out_size,), every entry from U(-1/sqrt(H), 1/sqrt(H)). Returns params.

    Used by ``init_params``, chapter 05.
    """
    k = 1.0 / np.sqrt(hidden_size)   # torch.nn.Linear's default range
    params["readout.weight"] = rng.uniform(-k, k, size=(out_size, hidden_size)).astype(dtype)
    params["readout.bias"] = rng.uniform(-k, k, size=(out_size,)).astype(dtype)
    return params


def _check_init_params(cell, input_size, hidden_size, *, rng, dtype, forget_bias, identity):
    """The head's own arguments; the layer's init_params checks the sizes, rng, dtype and forget_bias."""
    check_choice("cell", cell, CELLS)
    if cell == "rnn" and forget_bias is not None:
        raise ValueError(f"forget_bias: expected None for cell='rnn' (it has no forget gate), got {forget_bias!r}")
    if cell != "rnn" and identity:
        raise ValueError(f"identity: expected False for cell={cell!r} (an RNN-only start), got {identity!r}")


@checked(_check_init_params, copies=False)
def init_params(cell, input_size, hidden_size, *, rng, dtype=np.float64, forget_bias=None, identity=False):
    """The recurrent layer's parameters (drawn as torch does) and a readout from U(-1/sqrt(H), 1/sqrt(H)).

    forget_bias is for the LSTM and minLSTM only (see lstm.init_params, minlstm.init_params), identity
    for the RNN only (the IRNN's weight_hh = I, see rnn.init_params). Defined in chapter 05.
    """
    if cell == "rnn":
        params = rnn.init_params(input_size, hidden_size, rng=rng, dtype=dtype, identity=identity)
    else:
        module = lstm if cell == "lstm" else minlstm   # minLSTM: chapter 07
        params = module.init_params(input_size, hidden_size, rng=rng, dtype=dtype, forget_bias=forget_bias)
    return init_readout(params, hidden_size, 1, rng=rng, dtype=dtype)


def _check_has_readout(params):
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict of numpy arrays, got {type(params).__name__}")
    missing = [k for k in READOUT if k not in params]
    if missing:
        raise ValueError(f"params: expected the keys {list(READOUT)} besides the recurrent layer's, "
                         f"missing {missing}")


@checked(_check_has_readout, copies=False)
def split_readout(params):
    """The recurrent layer's dict: params without the readout (whose keys must be there)."""
    return {k: v for k, v in params.items() if k not in READOUT}


def _check_lengths(lengths, T, N):
    if lengths is None:
        return
    if not isinstance(lengths, np.ndarray) or not np.issubdtype(lengths.dtype, np.integer) or lengths.shape != (N,):
        raise ValueError(f"lengths: expected an integer numpy array of shape (N={N},), got "
                         f"{getattr(lengths, 'dtype', type(lengths).__name__)} {getattr(lengths, 'shape', '')}")
    if lengths.size and (lengths.min() < 1 or lengths.max() > T):   # N = 0: the layer's check names x
        raise ValueError(f"lengths: expected every entry in [1, T={T}], got min {lengths.min()}, max {lengths.max()}")


def _check_readout_forward(layer, x, params, lengths=None):
    """readout_forward's arguments. The layer's own forward checks x and its keys of params; this
    checks the layer pair, the readout against the layer's H (read from weight_hh), and lengths
    against x's T and N. Where weight_hh or x is malformed, the layer's check reports it.
    """
    if not (isinstance(layer, tuple) and len(layer) == 2 and all(callable(f) for f in layer)):
        raise ValueError(f"layer: expected a pair (forward, backward) of functions, got {type(layer).__name__}")
    weight_hh = split_readout(params).get("weight_hh")
    if isinstance(weight_hh, np.ndarray) and weight_hh.ndim == 2 and np.issubdtype(weight_hh.dtype, np.floating):
        H, dtype = weight_hh.shape[1], weight_hh.dtype
        check_array("params['readout.weight']", params["readout.weight"], (1, H), dtype, ("1", "H"))
        check_array("params['readout.bias']", params["readout.bias"], (1,), dtype, ("1",))
    if isinstance(x, np.ndarray) and x.ndim == 3:
        _check_lengths(lengths, *x.shape[:2])


@checked(_check_readout_forward)
def readout_forward(layer, x, params, lengths=None):
    """Any recurrent layer read out at each sequence's last step: y (N,) and a cache for backward.

    layer = (forward, backward) of a module with the one contract (forward(x, state0, params) ->
    (hs, stateT, cache)); params holds the layer's keys and the readout. Defined in chapter 05.
    """
    layer_forward, layer_backward = layer
    hs, _, rcache = layer_forward(x, None, split_readout(params))            # (T, N, H), from zeros
    T, N, H = hs.shape
    if lengths is None:
        lengths = np.full(N, T)                                               # every sequence is T long
    h_last = hs[lengths - 1, np.arange(N)]                                    # (N, H): each last step
    y = (h_last @ params["readout.weight"].T + params["readout.bias"])[:, 0]  # (N,)
    return y, (layer_backward, rcache, h_last, lengths, params, (T, N, H))


def _check_forward(x, params, cell, lengths, activation):
    check_choice("cell", cell, CELLS)   # readout_forward and the layer check the rest


@checked(_check_forward, copies=False)
def forward(x, params, cell="lstm", lengths=None, activation="tanh"):
    """Predict one number per sequence with cell "rnn", "lstm" or "minlstm" (chapter 07).

    x (T, N, D), right-padded; lengths (N,) integers in [1, T] or None (all T); activation is the
    RNN's (ignored by the others). Returns y (N,) and a cache for backward. Defined in chapter 05.
    """
    layer = {"rnn": (partial(rnn.forward, activation=activation, fused=True), rnn.backward),
             "lstm": (partial(lstm.forward, fused=True), lstm.backward),
             # minLSTM: gates in one matmul, then the recurrence alone step by step, fastest on a CPU (ch. 07)
             "minlstm": (partial(minlstm.forward, fused=True, method="loop"), minlstm.backward)}[cell]
    return readout_forward(layer, x, params, lengths)


def _check_backward(dy, cache):
    if not (isinstance(cache, tuple) and len(cache) == 6 and callable(cache[0])):
        raise ValueError(f"cache: expected the cache returned by readout.forward, got {type(cache).__name__}")
    h_last = cache[2]
    check_array("dy", dy, h_last.shape[:1], h_last.dtype, ("N",))


@checked(_check_backward, copies=False)
def backward(dy, cache):
    """Backward of forward (and of readout_forward): dy (N,) = dLoss/dy -> dx (T, N, D) and grads
    shaped like params. The gradient enters the recurrent layer only at each sequence's last step.
    Defined in chapter 05.
    """
    layer_backward, rcache, h_last, lengths, params, (T, N, H) = cache
    grads = {
        "readout.weight": dy[None, :] @ h_last,               # (1, H)
        "readout.bias": np.array([dy.sum()], dtype=dy.dtype),  # (1,)
    }
    dhs = np.zeros((T, N, H), dtype=dy.dtype)
    dhs[lengths - 1, np.arange(N)] = dy[:, None] * params["readout.weight"]   # (N, H)
    dx, _, rgrads = layer_backward(dhs, rcache)
    grads.update(rgrads)
    return dx, grads


def _check_mse_loss(y, target):
    check_array("y", y, (None,), y.dtype if isinstance(y, np.ndarray) else None, ("N",))
    check_array("target", target, y.shape, y.dtype, ("N",))


@checked(_check_mse_loss, copies=False)
def mse_loss(y, target):
    """Mean squared error and its gradient: loss = mean((y - target)^2), dy = 2 (y - target) / N.

    y, target (N,). Returns (loss as a float, dy (N,)). Defined in chapter 05.
    """
    diff = y - target
    return float(np.mean(diff ** 2)), (2.0 / y.shape[0]) * diff
