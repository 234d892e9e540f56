"""Chapter 05, sections 3 and 5: the tanh RNN, the IRNN and the LSTM on the fixed adding problem, ten seeds.

The fixed variant (Le, Jaitly & Hinton 2015), H = 32, batches of 32, global-norm clipping at 1, Adam,
float64 numpy as in the chapter. A run counts as solved once the test MSE is below 0.01, a sixteenth
of the baseline 0.167 (1,000 test sequences every 50 steps; 500 every 200 steps in the 8,000-step
runs, where evaluating that often would cost as much as training).
  - T = 50 at section 3's budget (lr 1e-2, at most 1,500 steps): the tanh RNN, the LSTM (forget bias
    1) and the IRNN (relu, weight_hh = I, biases 0). Seed 0 of the first two is the chapter's live run.
  - T = 50 with a smaller step and a longer budget (lr 1e-3, at most 8,000 steps): the tanh RNN and
    the IRNN.
  - T = 100 at the first budget: the two RNNs (section 6 trains the LSTM at T = 100).
About 6 minutes on one core.

    python experiments/rnn_vs_lstm.py     # rewrites lstmkit/data/results/rnn_vs_lstm.json
"""
from lstmkit.train import TrainConfig, train

NAME = "rnn_vs_lstm"
SEEDS = list(range(10))
STEPS_THAT_REPRODUCE = 20   # float64: the first 20 losses agree across processors to rounding
SHORT = dict(lr=1e-2, steps=1500, eval_every=50, n_test=1000)    # section 3's budget
LONG = dict(lr=1e-3, steps=8000, eval_every=200, n_test=500)
BASE = dict(variant="fixed", hidden_size=32, batch_size=32, stop_mse=0.01, dtype="float64")
RNN = dict(cell="rnn", forget_bias=None, activation="tanh")
IRNN = dict(cell="rnn", forget_bias=None, activation="relu", identity_init=True)
LSTM = dict(cell="lstm", forget_bias=1.0)
CONFIGS = {
    "RNN, T = 50, lr 1e-2, 1,500 steps": TrainConfig(T=50, **RNN, **SHORT, **BASE),
    "LSTM, T = 50, lr 1e-2, 1,500 steps": TrainConfig(T=50, **LSTM, **SHORT, **BASE),
    "IRNN, T = 50, lr 1e-2, 1,500 steps": TrainConfig(T=50, **IRNN, **SHORT, **BASE),
    "RNN, T = 50, lr 1e-3, 8,000 steps": TrainConfig(T=50, **RNN, **LONG, **BASE),
    "IRNN, T = 50, lr 1e-3, 8,000 steps": TrainConfig(T=50, **IRNN, **LONG, **BASE),
    "RNN, T = 100, lr 1e-2, 1,500 steps": TrainConfig(T=100, **RNN, **SHORT, **BASE),
    "IRNN, T = 100, lr 1e-2, 1,500 steps": TrainConfig(T=100, **IRNN, **SHORT, **BASE),
}


def train_fn(label, config):
    return train(config, progress=False)


if __name__ == "__main__":
    from _run import main

    main(NAME, __doc__.splitlines()[0], CONFIGS, SEEDS, train_fn)
