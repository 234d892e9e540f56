"""Chapter 06, section 3: the ablation over ten seeds.

Each of lstmkit.ablation's models (the LSTM, one part removed or changed at a time, and the GRU)
trains on the fixed adding problem at T = 30 with the same budget: H = 16, Adam at 1e-2, batches of
32, clipping at 1, at most 1,000 steps, stopped once the test MSE (500 sequences, every 50 steps) is
below 0.01. About 3 minutes on one core.

    python experiments/ablation.py        # rewrites lstmkit/data/results/ablation.json
"""
from lstmkit import ablation
from lstmkit.train import TrainConfig

NAME = "ablation"
SEEDS = list(range(10))
STEPS_THAT_REPRODUCE = 20   # float64: the first 20 losses agree across processors to about 1e-13
BUDGET = TrainConfig(T=30, hidden_size=16, batch_size=32, lr=1e-2, steps=1000, eval_every=50, n_test=500,
                     stop_mse=0.01, forget_bias=1.0)
CONFIGS = {model: BUDGET for model in ablation.MODELS}


def train_fn(label, config):
    return ablation.run(config, label)


if __name__ == "__main__":
    from _run import main

    main(NAME, __doc__.splitlines()[0], CONFIGS, SEEDS, train_fn)
