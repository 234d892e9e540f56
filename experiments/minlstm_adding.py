"""Chapter 07, section 6: minLSTM (T = 100, 300) and the LSTM (T = 300) on the 1997 adding problem, five seeds.

The model of chapter 05 with the LSTM layer replaced by one minLSTM layer (lstmkit.minlstm, H = 32,
float64 numpy): the 1997 task, batches of 32, Adam at 1e-2, global-norm clipping at 1, forget bias 5
(f' starts at sigmoid(5) = 0.993, the start of chapter 05's LSTM with forget bias 5), until 99 % of
the test sequences are within 0.04 of the target. T = 100 has chapter 05's budget of steps (at
most 4,000, evaluated every 100) on 500 test sequences, so its rate sits beside
lstmkit/data/results/adding_1997.json; T = 300 has at most 1,000 steps and 200 test sequences,
to keep the sweep within minutes, and chapter 05's LSTM (numpy, float64, the same settings) trains
on it with the same budget. About 10 minutes on one core of a quiet machine.

    python experiments/minlstm_adding.py     # rewrites lstmkit/data/results/minlstm_adding.json
"""
from lstmkit.train import TrainConfig, train

NAME = "minlstm_adding"
SEEDS = list(range(5))
STEPS_THAT_REPRODUCE = 20   # float64 numpy: the first 20 losses agree across processors to rounding
BASE = dict(variant="hochreiter1997", hidden_size=32, batch_size=32, lr=1e-2, forget_bias=5.0,
            eval_every=100, stop_accuracy=0.99, dtype="float64")
LONG = dict(T=300, steps=1000, n_test=200, **BASE)
CONFIGS = {
    "minLSTM, T = 100": TrainConfig(cell="minlstm", T=100, steps=4000, n_test=500, **BASE),
    "minLSTM, T = 300": TrainConfig(cell="minlstm", **LONG),
    "LSTM, T = 300": TrainConfig(cell="lstm", **LONG),
}


def train_fn(label, config):
    return train(config, progress=False)


if __name__ == "__main__":
    from _run import main

    main(NAME, __doc__.splitlines()[0], CONFIGS, SEEDS, train_fn)
