"""Chapter 05, section 7: does the forget-gate bias decide whether the LSTM learns? Ten seeds.

The 1997 adding problem at T = 30 (lag from X2 at least 15 steps), the torch LSTM with H = 32, Adam
at 1e-2, batches of 32, at most 1,200 steps, stopped once 99 % of 1,000 test sequences are within
0.04; forget-gate bias 0, 1 and 3. About 4 minutes on one core.

    python experiments/forget_bias.py     # rewrites lstmkit/data/results/forget_bias.json
"""
from lstmkit import torch_train
from lstmkit.train import TrainConfig

NAME = "forget_bias"
SEEDS = list(range(10))
STEPS_THAT_REPRODUCE = 20   # at T = 30 the first 20 losses agree across processors to about 1e-7
BUDGET = dict(cell="lstm", variant="hochreiter1997", T=30, hidden_size=32, batch_size=32, lr=1e-2, steps=1200,
              eval_every=100, n_test=1000, stop_accuracy=0.99, dtype="float32")
CONFIGS = {f"forget bias {b:g}": TrainConfig(forget_bias=b, **BUDGET) for b in (0.0, 1.0, 3.0)}


def train_fn(label, config):
    return torch_train.train(config, progress=False)


if __name__ == "__main__":
    from _run import main

    main(NAME, __doc__.splitlines()[0], CONFIGS, SEEDS, train_fn)
