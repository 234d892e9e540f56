"""Chapter 05, section 8: plain SGD at a large learning rate, with and without clipping, ten seeds.

The tanh RNN on the fixed adding problem at T = 50, H = 32, batches of 32, SGD at learning rate 0.3
for at most 300 steps, once without clipping and once with global-norm clipping at 1; float64 numpy
as in the chapter. A run that overflows stops there (train() takes no step on an infinite
gradient); each stored run says whether it diverged. About 2 minutes on one core.

    python experiments/clipping.py     # rewrites lstmkit/data/results/clipping.json
"""
import numpy as np

from lstmkit.train import TrainConfig, train

NAME = "clipping"
SEEDS = list(range(10))
STEPS_THAT_REPRODUCE = 20   # float64: the first 20 losses agree across processors to rounding
SGD = dict(cell="rnn", forget_bias=None, T=50, hidden_size=32, batch_size=32, optimizer="sgd", lr=0.3, steps=300,
           eval_every=50, n_test=200, dtype="float64")
CONFIGS = {"no clipping": TrainConfig(clip=None, **SGD), "clipped at 1": TrainConfig(clip=1.0, **SGD)}


def train_fn(label, config):
    return train(config, progress=False)


def diverged(history):
    """The run stopped on an infinite loss or gradient norm (what train() does when it overflows)."""
    return {"diverged": not (np.isfinite(history.train_loss[-1]) and np.isfinite(history.grad_norm[-1]))}


if __name__ == "__main__":
    from _run import main

    main(NAME, __doc__.splitlines()[0], CONFIGS, SEEDS, train_fn, extra=diverged)
