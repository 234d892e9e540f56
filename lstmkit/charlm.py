"""A character-level language model: one-hot characters -> LSTM -> softmax over the next character.

    x_t = onehot(s_t)                         (N, V)      V = vocabulary size, D = V
    h_t = LSTM(x_t, h_{t-1}, c_{t-1})         (N, H)      lstmkit.lstm
    q_t = W_hy h_t + b_y                      (N, V)      the logits; W_hy = readout.weight (V, H)
    p_t = softmax(q_t)       loss = -(1 / (T N)) sum_{t, n} log p_t[s_{t+1}]      nats per character

The gradient of the mean cross-entropy with respect to the logits is (p_t - onehot(s_{t+1})) / (T N).
The logits are q_t, as in the chapter: z_t is the GRU's update gate (lstmkit.gru).
Sampling feeds each drawn character back in, drawing from softmax(q_t / temperature): a temperature
below 1 sharpens the distribution towards the likeliest character, above 1 flattens it.

The corpus ships with the package (``lstmkit/data/stdlib_docstrings.txt``: the Zen of Python and
standard-library docstrings, see ``lstmkit/data/README.md``), so nothing is downloaded. This module is
in the experiments layer (numpy, tqdm); every random draw comes from a generator passed in.

References: Graves (2013), "Generating sequences with recurrent neural networks"; Karpathy (2015),
"The unreasonable effectiveness of recurrent neural networks" (char-rnn). Taught in
chapters/06_beyond_lstm.ipynb.
"""
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstmkit import lstm, readout
from lstmkit._plumbing import checked
from lstmkit._validate import (
    PARAM_NAMES,
    ArgumentTypeError,
    check_array,
    check_bool,
    check_number,
    check_params,
    check_positive_int,
    check_positive_number,
    check_rng,
    check_seed,
    check_state_pair,
)
from lstmkit.optim import Adam, clip_grad_norm
from lstmkit.progress import progress_bar

CORPUS = Path(__file__).resolve().parent / "data" / "stdlib_docstrings.txt"
READOUT = readout.READOUT


def load_corpus():
    """The shipped corpus as one string (ASCII, about 80 KB). Defined in chapter 06."""
    return CORPUS.read_text(encoding="ascii")


def _check_build_vocab(text):
    if not isinstance(text, str) or not text:
        raise ValueError(f"text: expected a non-empty string, got {type(text).__name__} of length "
                         f"{len(text) if hasattr(text, '__len__') else '?'}")


@checked(_check_build_vocab, copies=False)
def build_vocab(text):
    """The sorted list of distinct characters of text. Defined in chapter 06."""
    return sorted(set(text))


def _check_chars(chars):
    if not isinstance(chars, (list, tuple, str)) or not chars or \
            not all(isinstance(ch, str) and len(ch) == 1 for ch in chars):
        raise ArgumentTypeError(f"chars: expected a non-empty list of single characters (build_vocab's), "
                                f"got {type(chars).__name__}")
    return chars


def _check_encode(text, chars):
    if not isinstance(text, str):
        raise ArgumentTypeError(f"text: expected a string, got {type(text).__name__}")
    _check_chars(chars)
    unknown = sorted(set(text) - set(chars))
    if unknown:
        raise ValueError(f"text: expected only characters of the vocabulary, got {unknown[:5]!r} that are not")


@checked(_check_encode, copies=False)
def encode(text, chars):
    """text -> int array of indices into chars. Defined in chapter 06."""
    index = {ch: k for k, ch in enumerate(chars)}
    return np.array([index[ch] for ch in text], dtype=np.int64)


def _check_decode(ids, chars):
    _check_chars(chars)
    ids = np.asarray(ids)
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise ValueError(f"ids: expected a 1-d sequence of integers, got {ids.dtype} of shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(chars)):
        raise ValueError(f"ids: expected indices in [0, V={len(chars)}), got min {ids.min()}, max {ids.max()}")


@checked(_check_decode, copies=False)
def decode(ids, chars):
    """int indices -> text. Used by ``sample``, chapter 06."""
    return "".join(chars[int(k)] for k in np.asarray(ids))


def _check_one_hot(ids, V, dtype):
    check_positive_int("V", V)
    _check_ids("ids", ids, V)


@checked(_check_one_hot, copies=False)
def one_hot(ids, V, dtype=np.float64):
    """ids (T, N) integers in [0, V) -> (T, N, V) with a single 1 per row. Used by ``forward``, chapter 06."""
    out = np.zeros(ids.shape + (V,), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


def _check_ids(name, ids, V, shape=None):
    if not isinstance(ids, np.ndarray) or not np.issubdtype(ids.dtype, np.integer) or ids.ndim != 2:
        raise ValueError(f"{name}: expected a 2-d integer numpy array (T, N), got "
                         f"{getattr(ids, 'dtype', type(ids).__name__)} of shape {getattr(ids, 'shape', None)}")
    if shape is not None and ids.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"{name}: expected indices in [0, V={V}), got min {ids.min()}, max {ids.max()}")
    return ids


def init_params(vocab_size, hidden_size, *, rng, dtype=np.float64, forget_bias=1.0):
    """lstm.init_params(V, H) plus readout.weight (V, H) and readout.bias (V,) drawn like
    torch.nn.Linear(H, V). Defined in chapter 06."""
    params = lstm.init_params(vocab_size, hidden_size, rng=rng, dtype=dtype, forget_bias=forget_bias)
    return readout.init_readout(params, hidden_size, vocab_size, rng=rng, dtype=dtype)


def _check_params(params):
    """The model's params: an LSTM dict (V inputs) plus a readout (V, H), (V,) of the LSTM's dtype.

    Returns (V, H, dtype). Every message names a key of params, never an array made inside.
    """
    if not isinstance(params, dict) or any(k not in params for k in READOUT):
        raise ValueError(f"params: expected a dict with keys {list(PARAM_NAMES) + list(READOUT)}, got "
                         f"{sorted(params) if isinstance(params, dict) else type(params).__name__}")
    V, H, dtype = check_params(readout.split_readout(params), gates=4)
    check_array("params['readout.weight']", params["readout.weight"], (V, H), dtype, ("V", "H"))
    check_array("params['readout.bias']", params["readout.bias"], (V,), dtype, ("V",))
    return V, H, dtype


def _check_forward(ids, params, state0):
    V, H, dtype = _check_params(params)
    _check_ids("ids", ids, V)
    check_state_pair("state0", state0, ("h0", "c0"), (ids.shape[1], H), dtype)


@checked(_check_forward, copies=False)
def forward(ids, params, state0=None):
    """ids (T, N) character indices -> logits (T, N, V), final state (hT, cT), cache.

    state0 = (h0, c0) each (N, H), or None for zeros (carry the state on to continue a text).
    Defined in chapter 06.
    """
    W_hy, b_y = params["readout.weight"], params["readout.bias"]     # (V, H), (V,)
    x = one_hot(ids, W_hy.shape[0], W_hy.dtype)                       # (T, N, V)
    hs, state, rcache = lstm.forward(x, state0, readout.split_readout(params), fused=True)   # hs (T, N, H)
    logits = hs @ W_hy.T + b_y                                        # (T, N, V)
    head = {k: params[k].copy() for k in READOUT}   # the cache's own: the caller may edit params after
    return logits, state, (hs, rcache, head)


def _check_cross_entropy(logits, targets):
    check_array("logits", logits, (None, None, None), logits.dtype if isinstance(logits, np.ndarray) else None,
                ("T", "N", "V"))
    T, N, V = logits.shape
    _check_ids("targets", targets, V, (T, N))


@checked(_check_cross_entropy, copies=False)
def cross_entropy(logits, targets):
    """Mean cross-entropy in nats per character and its gradient.

    logits (T, N, V), targets (T, N) integers. Returns (loss, dlogits (T, N, V)) with
    dlogits = (softmax(logits) - onehot(targets)) / (T N).
    Used by ``loss_and_grads``, chapter 06 (exercise 6.4 writes it).
    """
    T, N, V = logits.shape
    shifted = logits - logits.max(axis=-1, keepdims=True)          # no overflow in exp
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]   # (T, N)
    dlogits = np.exp(log_p)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1.0, -1)
    return float(-picked.mean()), dlogits / (T * N)


def _check_backward(dlogits, cache, dstate):
    if not (isinstance(cache, tuple) and len(cache) == 3 and isinstance(cache[2], dict)):
        raise ValueError(f"cache: expected the cache returned by charlm.forward, got {type(cache).__name__}")
    hs, _, head = cache
    check_array("dlogits", dlogits, hs.shape[:2] + head["readout.bias"].shape, hs.dtype, ("T", "N", "V"))


@checked(_check_backward, copies=False)
def backward(dlogits, cache, dstate=None):
    """dlogits (T, N, V) -> grads shaped like params. Defined in chapter 06."""
    hs, rcache, params = cache
    T, N, H = hs.shape
    V = params["readout.weight"].shape[0]
    d2 = dlogits.reshape(T * N, V)
    grads = {"readout.weight": d2.T @ hs.reshape(T * N, H),   # (V, H)
             "readout.bias": d2.sum(axis=0)}                   # (V,)
    dhs = dlogits @ params["readout.weight"]                   # (T, N, H)
    _, _, rgrads = lstm.backward(dhs, rcache, dstate)
    grads.update(rgrads)
    return grads


def loss_and_grads(ids, targets, params, state0=None):
    """One forward/backward: (loss, grads, final state). Defined in chapter 06."""
    logits, state, cache = forward(ids, params, state0)
    loss, dlogits = cross_entropy(logits, targets)
    return loss, backward(dlogits, cache), state


def _check_split_blocks(data, every, block):
    check_positive_int("every", every)
    if every < 2:
        raise ValueError(f"every: expected an integer >= 2 (1 would hold out everything), got {every!r}")
    check_positive_int("block", block)
    if not isinstance(data, np.ndarray) or data.ndim != 1:
        raise ValueError(f"data: expected a 1-d numpy array, got {type(data).__name__} "
                         f"of shape {getattr(data, 'shape', None)}")
    if len(data) < every * block:
        raise ValueError(f"data: expected at least every * block = {every * block} characters (one validation "
                         f"block), got {len(data)}")


@checked(_check_split_blocks, copies=False)
def split_blocks(data, every, block=2000):
    """(train, validation): every `every`-th block of `block` characters goes to validation.

    Interleaved blocks, not the tail: the corpus changes topic from module to module, and a held-out
    tail would measure that shift instead of how well the model generalises. Defined in chapter 06.
    """
    blocks = np.arange(len(data)) // block
    val = blocks % every == every - 1
    return data[~val], data[val]


def _check_batch(data, T, N, *, rng):
    check_positive_int("T", T)
    check_positive_int("N", N)
    check_rng(rng)
    if not isinstance(data, np.ndarray) or data.ndim != 1 or len(data) < T + 1:
        raise ValueError(f"data: expected a 1-d array of at least T + 1 = {T + 1} characters, got "
                         f"shape {getattr(data, 'shape', None)}")


@checked(_check_batch, copies=False)
def batch(data, T, N, *, rng):
    """N random windows of data (1-d int array): inputs (T, N) and next-character targets (T, N).

    Defined in chapter 06.
    """
    starts = rng.integers(0, len(data) - T, size=N)
    idx = starts[None, :] + np.arange(T)[:, None]           # (T, N), time-major
    return data[idx], data[idx + 1]


def _check_sample(params, chars, prime, n, *, temperature, rng):
    check_positive_int("n", n)
    check_number("temperature", temperature, 0.0, lo_open=True, what="a positive number")
    _check_chars(chars)
    check_rng(rng)
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime: expected a non-empty string, got {prime!r}")
    V, _, _ = _check_params(params)
    if len(chars) != V:
        raise ValueError(f"chars: expected the vocabulary of V={V} characters the params were trained on, "
                         f"got {len(chars)}")
    _check_encode(prime, chars)


@checked(_check_sample, copies=False)
def sample(params, chars, prime, n, *, temperature=1.0, rng):
    """Continue the text prime by n characters drawn from softmax(q / temperature).

    prime is a non-empty string of vocabulary characters; rng a np.random.Generator. Returns the
    n new characters. Defined in chapter 06.
    """
    V = len(chars)
    logits, state, _ = forward(encode(prime, chars)[:, None], params)
    q, out = logits[-1, 0], []
    for _ in range(n):
        p = np.exp((q - q.max()) / temperature)
        k = int(rng.choice(V, p=p / p.sum()))
        out.append(chars[k])
        logits, state, _ = forward(np.array([[k]]), params, state)
        q = logits[0, 0]
    return "".join(out)


@dataclass
class CharLMConfig:
    """Every hyper-parameter of one run. Defined in chapter 06."""
    hidden_size: int = 128
    seq_len: int = 32            # T: characters per training window, each from a zero state
    batch_size: int = 32         # N: windows per step
    lr: float = 3e-3             # Adam
    clip: float = 5.0            # global-norm clipping
    steps: int = 1000
    eval_every: int = 100
    val_every: int = 10          # every 10th block of 2,000 characters is held out for validation
    n_val: int = 64              # validation windows (fixed)
    seed: int = 0

    def validate(self):
        """Check every field under its own name; returns the config."""
        for name in ("hidden_size", "seq_len", "batch_size", "steps", "eval_every", "n_val"):
            check_positive_int(name, getattr(self, name))
        check_positive_number("lr", self.lr)
        check_positive_number("clip", self.clip)
        check_positive_int("val_every", self.val_every)
        if self.val_every < 2:
            raise ValueError(f"val_every: expected an integer >= 2 (1 would hold out everything), "
                             f"got {self.val_every!r}")
        check_seed("seed", self.seed)
        return self


@dataclass
class CharLMHistory:
    """What a run recorded. train_loss: one per step; val_steps, val_loss: one per evaluation."""
    config: CharLMConfig
    chars: list
    train_loss: list = field(default_factory=list)
    val_steps: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    seconds: float = 0.0
    params: dict | None = None


def _check_train(config, text, progress):
    if not isinstance(config, CharLMConfig):
        raise ArgumentTypeError(f"config: expected a CharLMConfig, got {type(config).__name__}")
    config.validate()
    check_bool("progress", progress)


@checked(_check_train, copies=False)
def train(config, text=None, progress=True):
    """Train the character model on text (default: the shipped corpus); returns a CharLMHistory.

    One generator np.random.default_rng(config.seed) draws the parameters and every training
    window; the validation windows come from the held-out blocks with seed + 1. Defined in chapter 06.
    """
    text = load_corpus() if text is None else text
    chars = build_vocab(text)
    train_data, val_data = split_blocks(encode(text, chars), config.val_every)
    rng = np.random.default_rng(config.seed)
    params = init_params(len(chars), config.hidden_size, rng=rng)
    val_x, val_y = batch(val_data, config.seq_len, config.n_val, rng=np.random.default_rng(config.seed + 1))
    optimizer = Adam(config.lr)
    history = CharLMHistory(config, chars)
    start = time.perf_counter()

    def evaluate(step):
        logits, _, _ = forward(val_x, params)
        history.val_steps.append(step)
        history.val_loss.append(cross_entropy(logits, val_y)[0])

    evaluate(0)
    for step in progress_bar(range(1, config.steps + 1), desc="char LSTM", disable=not progress):
        x, y = batch(train_data, config.seq_len, config.batch_size, rng=rng)
        loss, grads, _ = loss_and_grads(x, y, params)
        grads, _ = clip_grad_norm(grads, config.clip)
        optimizer.step(params, grads)
        history.train_loss.append(loss)
        if step % config.eval_every == 0 or step == config.steps:
            evaluate(step)
    history.seconds = time.perf_counter() - start
    history.params = params
    return history
