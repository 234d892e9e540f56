"""Training glue for chapter 06's ablation: LSTM variants and the GRU on the adding problem.

The model is chapter 05's (``lstmkit.readout``): a recurrent layer from a zero state, read out by one
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

from lstmkit import gru, readout, variants
from lstmkit._validate import check_choice
from lstmkit.train import NumpyLearner, train

MODELS = ("vanilla", "no_forget", "no_input", "no_output", "no_output_activation", "coupled", "peephole", "gru")


def init_params(model, input_size, hidden_size, *, rng, dtype=np.float64, forget_bias=None):
    """The recurrent layer's parameters and a readout (1, H), (1,) drawn like torch. Defined in chapter 06."""
    check_choice("model", model, MODELS)
    if model == "gru":
        params = gru.init_params(input_size, hidden_size, rng=rng, dtype=dtype, update_bias=forget_bias)
    else:
        params = variants.init_params(input_size, hidden_size, rng=rng, dtype=dtype, variant=model,
                                      forget_bias=forget_bias)
    return readout.init_readout(params, hidden_size, 1, rng=rng, dtype=dtype)


def layer(model):
    """(forward, backward) of the recurrent layer of one model of MODELS. Defined in chapter 06."""
    check_choice("model", model, MODELS)
    if model == "gru":
        return partial(gru.forward, fused=True), gru.backward
    return partial(variants.forward, variant=model, fused=True), variants.backward


def forward(x, params, model, lengths=None):
    """x (T, N, D), right-padded; lengths (N,) or None -> y (N,), cache. Defined in chapter 06."""
    return readout.readout_forward(layer(model), x, params, lengths)


backward = readout.backward   # the head's backward does not depend on the layer


class AblationLearner(NumpyLearner):
    """NumpyLearner for any model of MODELS; config.cell is ignored. Used by ``run``, chapter 06."""

    def __init__(self, config, rng, model="vanilla"):
        check_choice("model", model, MODELS)
        self.model = model
        super().__init__(config, rng)

    def _init_params(self, rng):
        return init_params(self.model, 2, self.config.hidden_size, rng=rng, dtype=np.dtype(self.config.dtype),
                           forget_bias=self.config.forget_bias)

    def _forward(self, batch):
        return forward(batch.x, self.params, self.model, batch.lengths)


def learner(model):
    """The learner class lstmkit.train.train expects, for one model of MODELS. Defined in chapter 06."""
    check_choice("model", model, MODELS)
    return partial(AblationLearner, model=model)


def run(config, model, progress=False):
    """lstmkit.train.train for one model of MODELS; returns its History. Defined in chapter 06."""
    return train(config, learner_class=learner(model), progress=progress)
