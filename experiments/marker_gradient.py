"""Chapter 05, section 5: how much gradient reaches the first marker during training, ten seeds.

The runs of section 3's setting (experiments/rnn_vs_lstm.py's first three: the fixed adding problem
at T = 50, H = 32, Adam at 1e-2, at most 1,500 steps, stopped once the test MSE is below 0.01) for the
tanh RNN, the LSTM (forget bias 1) and the IRNN, with what those runs measured at every evaluation
and the sweep file does not keep: the test MSE and the output's sensitivity to the input at the
first marker, mean over 100 probe sequences of ||dy_n / dx_{t1,n}|| (lstmkit.train.History's
marker_grad). Since dL/dx_{t1} = dL/dy * dy/dx_{t1}, that sensitivity is the fraction of the
output's gradient that reaches X_1. About 4 minutes on one core.

    python experiments/marker_gradient.py     # rewrites lstmkit/data/results/marker_gradient.json
"""
from lstmkit.train import TrainConfig, train

NAME = "marker_gradient"
SEEDS = list(range(10))
STEPS_THAT_REPRODUCE = 20   # float64: the first 20 losses agree across processors to rounding
SHORT = dict(T=50, lr=1e-2, steps=1500, eval_every=50, n_test=1000, variant="fixed", hidden_size=32,
             batch_size=32, stop_mse=0.01, dtype="float64")
CONFIGS = {
    "tanh RNN": TrainConfig(cell="rnn", forget_bias=None, activation="tanh", **SHORT),
    "LSTM": TrainConfig(cell="lstm", forget_bias=1.0, **SHORT),
    "IRNN": TrainConfig(cell="rnn", forget_bias=None, activation="relu", identity_init=True, **SHORT),
}
TRACES = ("eval_steps", "test_mse", "marker_grad")   # kept per run, one entry per evaluation


def train_fn(label, config):
    return train(config, progress=False)


def traces(history):
    return {key: [float(v) for v in getattr(history, key)] for key in TRACES}


if __name__ == "__main__":
    from _run import main

    main(NAME, __doc__.splitlines()[0], CONFIGS, SEEDS, train_fn, extra=traces)
