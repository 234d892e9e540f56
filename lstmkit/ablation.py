"""Training glue for chapter 06's ablation: LSTM variants and the GRU on the adding problem.

The model is chapter 05's (``lstmkit.models``): a recurrent layer from a zero state, read out by one
linear unit at each sequence's last step, MSE loss. Here the recurrent layer is any of ``MODELS``:
a variant of ``lstmkit.variants`` by name, or ``"gru"`` (``lstmkit.gru``). ``learner(model)`` gives
a class with the interface of ``lstmkit.train.NumpyLearner``, so ``lstmkit.train.train`` runs the
loop (same batches, Adam, clipping, evaluation, early stop) unchanged.

``TrainConfig.forget_bias`` is applied to the gate that keeps the memory: the forget gate's rows
H:2H of the LSTM variants (unused by "no_forget"), and the update gate z's rows H:2H of the GRU.

Reference: Greff et al. (2017), "LSTM: A search space odyssey". Taught in chapters/06_beyond_lstm.ipynb.
"""
from functools import partial

import numpy as np

from lstmkit import gru, models, variants
from lstmkit._validate import check_array, check_choice
from lstmkit.optim import SGD, Adam, clip_grad_norm
from lstmkit.train import NumpyLearner, global_norm, train

MODELS = ("vanilla", "no_forget", "no_input", "no_output", "no_output_activation", "coupled", "peephole", "gru")
READOUT = models.READOUT


def init_params(model, input_size, hidden_size, *, rng, dtype=np.float64, forget_bias=None):
    """The recurrent layer's parameters and a readout (1, H), (1,) drawn like torch. Defined in chapter 06."""
    check_choice("model", model, MODELS)
    if model == "gru":
        params = gru.init_params(input_size, hidden_size, rng=rng, dtype=dtype, update_bias=forget_bias)
    else:
        params = variants.init_params(input_size, hidden_size, rng=rng, dtype=dtype, variant=model,
                                      forget_bias=forget_bias)
    k = 1.0 / np.sqrt(hidden_size)   # torch.nn.Linear's default range
    params["readout.weight"] = rng.uniform(-k, k, size=(1, hidden_size)).astype(dtype)
    params["readout.bias"] = rng.uniform(-k, k, size=(1,)).astype(dtype)
    return params


def forward(x, params, model, lengths=None):
    """x (T, N, D), right-padded; lengths (N,) or None -> y (N,), cache. Defined in chapter 06."""
    check_choice("model", model, MODELS)
    if not isinstance(params, dict) or any(k not in params for k in READOUT):
        raise ValueError(f"params: expected a dict with the keys {list(READOUT)} and the recurrent layer's, "
                         f"got {sorted(params) if isinstance(params, dict) else type(params).__name__}")
    recurrent = {k: v for k, v in params.items() if k not in READOUT}
    if model == "gru":
        hs, rcache = gru.forward(x, None, recurrent)
    else:
        hs, _, rcache = variants.forward(x, None, recurrent, model)
    T, N, H = hs.shape
    check_array("params['readout.weight']", params["readout.weight"], (1, H), hs.dtype, ("1", "H"))
    lengths = models._check_lengths(lengths, T, N)
    h_last = hs[lengths - 1, np.arange(N)]                                    # (N, H)
    y = (h_last @ params["readout.weight"].T + params["readout.bias"])[:, 0]  # (N,)
    return y, (model, rcache, h_last, lengths, params, (T, N, H))


def backward(dy, cache):
    """dy (N,) = dLoss/dy -> dx (T, N, D) and grads shaped like params. Defined in chapter 06."""
    model, rcache, h_last, lengths, params, (T, N, H) = cache
    check_array("dy", dy, (N,), h_last.dtype, ("N",))
    grads = {"readout.weight": dy[None, :] @ h_last, "readout.bias": np.array([dy.sum()], dtype=dy.dtype)}
    dhs = np.zeros((T, N, H), dtype=dy.dtype)
    dhs[lengths - 1, np.arange(N)] = dy[:, None] * params["readout.weight"]   # only at each last step
    if model == "gru":
        dx, _, rgrads = gru.backward(dhs, rcache)
    else:
        dx, _, rgrads = variants.backward(dhs, rcache)
    grads.update(rgrads)
    return dx, grads


class AblationLearner(NumpyLearner):
    """NumpyLearner for any model of MODELS; config.cell is ignored. Defined in chapter 06."""

    def __init__(self, config, rng, model="vanilla"):
        check_choice("model", model, MODELS)
        self.config, self.model = config, model
        self.params = init_params(model, 2, config.hidden_size, rng=rng, dtype=np.dtype(config.dtype),
                                  forget_bias=config.forget_bias)
        self.optimizer = Adam(config.lr) if config.optimizer == "adam" else SGD(config.lr, config.momentum)

    def _forward(self, batch):
        return forward(batch.x, self.params, self.model, batch.lengths)

    def train_step(self, batch):
        """One optimiser step on batch; returns (loss, gradient norm before clipping)."""
        with np.errstate(over="ignore", invalid="ignore"):
            y, cache = self._forward(batch)
            loss, dy = models.mse_loss(y, batch.target)
            _, grads = backward(dy, cache)
        norm = global_norm(grads)
        if not np.isfinite(norm):
            return loss, norm
        if self.config.clip is not None:
            grads, norm = clip_grad_norm(grads, self.config.clip)
        self.optimizer.step(self.params, grads)
        return loss, norm

    def marker_grad(self, batch):
        """Mean over the batch of ||dy_n / dx_{t1,n}||, t1 = the first marker's step."""
        y, cache = self._forward(batch)
        dx, _ = backward(np.ones_like(y), cache)
        n = np.arange(len(y))
        return float(np.mean(np.linalg.norm(dx[batch.marks[:, 0], n], axis=1)))


def learner(model):
    """The learner class lstmkit.train.train expects, for one model of MODELS. Defined in chapter 06."""
    check_choice("model", model, MODELS)
    return partial(AblationLearner, model=model)


def run(config, model, progress=False):
    """lstmkit.train.train for one model of MODELS; returns its History. Defined in chapter 06."""
    return train(config, learner_class=learner(model), progress=progress)
