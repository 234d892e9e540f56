"""The chapter-05 model in torch: torch.nn.RNN / nn.LSTM -> nn.Linear(H, 1) at each sequence's end.

``TorchLearner`` draws its initial parameters with ``lstmkit.readout.init_params`` (so from the same
generator as ``NumpyLearner``), moves them into torch with ``lstmkit.interop``, and trains with
torch autograd and torch.optim. Gradient clipping uses lstmkit's formula, scale = min(1, max_norm /
(norm + 1e-12)) (torch's clip_grad_norm_ adds 1e-6, which would make the two runs differ by 1e-6);
so in float64 the numpy and torch runs follow the same trajectory to rounding error (tested).
It belongs to the experiments layer (it drives lstmkit.train's loop) and, like the interop
bridge, imports torch inside its functions only: ``import lstmkit`` never loads it.

Used in chapters/05_long_time_lags.ipynb for the longer lag, where torch's C++ loop is faster.
"""
import numpy as np

from lstmkit import interop
from lstmkit._plumbing import checked
from lstmkit._validate import PARAM_NAMES
from lstmkit.train import NumpyLearner, TrainConfig
from lstmkit.train import train as _train

TORCH_CELLS = ("rnn", "lstm")   # torch has no minLSTM layer: chapter 07 trains it in numpy


class TorchLearner:
    """Same interface as lstmkit.train.NumpyLearner, backed by torch. Defined in chapter 05."""

    def __init__(self, config, rng):
        import torch

        self.config = config
        params = NumpyLearner(config, rng).params     # same draw, same generator state afterwards
        recurrent = {k: params[k] for k in PARAM_NAMES}
        if config.cell == "rnn":
            self.recurrent = interop.rnn_to_torch(recurrent, config.activation)
        else:
            self.recurrent = interop.lstm_to_torch(recurrent)
        H, tdtype = config.hidden_size, self.recurrent.weight_hh_l0.dtype
        self.readout = torch.nn.Linear(H, 1).to(tdtype)
        with torch.no_grad():
            self.readout.weight.copy_(torch.from_numpy(params["readout.weight"]))
            self.readout.bias.copy_(torch.from_numpy(params["readout.bias"]))
        self.parameters = list(self.recurrent.parameters()) + list(self.readout.parameters())
        if config.optimizer == "adam":
            self.optimizer = torch.optim.Adam(self.parameters, lr=config.lr)
        else:
            self.optimizer = torch.optim.SGD(self.parameters, lr=config.lr, momentum=config.momentum)

    def _forward(self, batch, x=None):
        import torch

        x = torch.from_numpy(batch.x) if x is None else x
        hs, _ = self.recurrent(x)                                       # (T, N, H)
        rows = torch.arange(hs.shape[1])
        h_last = hs[torch.from_numpy(batch.lengths - 1), rows]         # (N, H)
        return self.readout(h_last)[:, 0]                              # (N,)

    def train_step(self, batch):
        """One optimiser step on batch; returns (loss, gradient norm before clipping)."""
        import torch

        self.optimizer.zero_grad()
        y = self._forward(batch)
        loss = torch.mean((y - torch.from_numpy(batch.target)) ** 2)
        loss.backward()
        with torch.no_grad():
            norm = float(torch.sqrt(sum(torch.sum(p.grad.double() ** 2) for p in self.parameters)))
            if not np.isfinite(norm):
                return float(loss.detach()), norm
            if self.config.clip is not None:
                scale = min(1.0, self.config.clip / (norm + 1e-12))
                for p in self.parameters:
                    p.grad.mul_(scale)
        self.optimizer.step()
        return float(loss.detach()), norm

    def predict(self, batch):
        import torch

        with torch.no_grad():
            return self._forward(batch).numpy().copy()

    def marker_grad(self, batch):
        """Mean over the batch of ||dy_n / dx_{t1,n}||, t1 = the first marker's step."""
        import torch

        x = torch.from_numpy(batch.x).requires_grad_(True)
        y = self._forward(batch, x)
        (dx,) = torch.autograd.grad(y.sum(), x)
        n = np.arange(len(batch.target))
        return float(np.mean(np.linalg.norm(dx.numpy()[batch.marks[:, 0], n], axis=1)))

    def numpy_params(self):
        if self.config.cell == "rnn":
            params = interop.rnn_from_torch(self.recurrent, self.config.activation)
        else:
            params = interop.lstm_from_torch(self.recurrent)
        params["readout.weight"] = self.readout.weight.detach().numpy().copy()
        params["readout.bias"] = self.readout.bias.detach().numpy().copy()
        return params


def _check_train(config, progress):
    """The torch learner's own limit; lstmkit.train.train checks the rest of config."""
    if isinstance(config, TrainConfig) and config.cell not in TORCH_CELLS:
        raise ValueError(f"config.cell: expected one of {list(TORCH_CELLS)} for the torch learner (torch has no "
                         f"minLSTM layer; train it with lstmkit.train.train), got {config.cell!r}")


@checked(_check_train, copies=False)
def train(config, progress=True):
    """lstmkit.train.train with the torch learner, cell "rnn" or "lstm"; returns a History. Defined in chapter 05."""
    return _train(config, learner_class=TorchLearner, progress=progress)

