"""Moving parameters between lstmkit and torch.nn.RNN / torch.nn.LSTM.

lstmkit's dicts use torch's layer-0 names without the ``_l0`` suffix, so the move is a rename and
a copy. float64 params give a float64 module and come back exactly. torch is imported inside each
function, so ``import lstmkit`` stays fast and works where torch is absent.
Used in chapters 01, 04, 05 and 06.
"""
import numpy as np

from lstmkit._validate import PARAM_NAMES, check_array, check_choice, check_params, check_state, check_state_pair

TORCH_NONLINEARITIES = ("tanh", "relu")   # the activations nn.RNN offers


def _to_module(module, params):
    import torch

    state = {f"{k}_l0": torch.from_numpy(np.array(v, copy=True)) for k, v in params.items()}
    module.load_state_dict(state)
    return module


def _from_module(module, kind):
    import torch

    if not isinstance(module, kind):
        raise ValueError(f"module: expected a torch.nn.{kind.__name__}, got {type(module).__name__}")
    if module.num_layers != 1 or module.bidirectional or not module.bias or getattr(module, "proj_size", 0):
        raise ValueError("module: expected one layer, one direction, with biases and no projection, got "
                         f"num_layers={module.num_layers}, bidirectional={module.bidirectional}, "
                         f"bias={module.bias}, proj_size={getattr(module, 'proj_size', 0)}")
    dtype = module.weight_hh_l0.dtype
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"module: expected float32 or float64 parameters, got {dtype} "
                         f"(convert it with .float() or .double() first)")
    with torch.no_grad():
        return {k: getattr(module, f"{k}_l0").detach().cpu().numpy().copy() for k in PARAM_NAMES}


def _dtype(dtype):
    import torch

    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[np.dtype(dtype)]


def rnn_to_torch(params, activation="tanh"):
    """A torch.nn.RNN (one layer, time-major) holding a copy of params. Defined in chapter 01."""
    import torch

    check_choice("activation", activation, TORCH_NONLINEARITIES)
    D, H, dtype = check_params(params, gates=1)
    module = torch.nn.RNN(D, H, nonlinearity=activation).to(_dtype(dtype))
    return _to_module(module, params)


def rnn_from_torch(module, activation="tanh"):
    """The params dict of a one-layer torch.nn.RNN, as numpy copies. The inverse of ``rnn_to_torch``, chapter 01.

    The dict has no place for the nonlinearity, which rnn.forward takes as an argument: activation
    must name the module's ("tanh" or "relu"), so a relu module is never run as a tanh one by mistake.
    """
    import torch

    check_choice("activation", activation, TORCH_NONLINEARITIES)
    params = _from_module(module, torch.nn.RNN)
    if module.nonlinearity != activation:
        raise ValueError(f"activation: expected the module's nonlinearity {module.nonlinearity!r} (pass "
                         f"activation={module.nonlinearity!r} here and to rnn.forward), got {activation!r}")
    return params


def lstm_to_torch(params):
    """A torch.nn.LSTM (one layer, time-major) holding a copy of params. Defined in chapter 04."""
    import torch

    D, H, dtype = check_params(params, gates=4)
    module = torch.nn.LSTM(D, H).to(_dtype(dtype))
    return _to_module(module, params)


def lstm_from_torch(module):
    """The params dict of a one-layer torch.nn.LSTM, as numpy copies. Defined in chapter 04."""
    import torch

    return _from_module(module, torch.nn.LSTM)


def gru_to_torch(params):
    """A torch.nn.GRU (one layer, time-major) holding a copy of params (rows r, z, n). Defined in chapter 06."""
    import torch

    D, H, dtype = check_params(params, gates=3)
    module = torch.nn.GRU(D, H).to(_dtype(dtype))
    return _to_module(module, params)


def gru_from_torch(module):
    """The params dict of a one-layer torch.nn.GRU, as numpy copies. Defined in chapter 06."""
    import torch

    return _from_module(module, torch.nn.GRU)


def torch_gradients(module, x, state0, dhs, dstate):
    """torch's forward and autograd on the loss the course checks its layers with, as numpy arrays.

    L = sum_t <h_t, dhs_t> + <h_T, dh_T> (+ <c_T, dc_T> for an LSTM), so every output and the final
    state carry gradient. module: a one-layer torch.nn.RNN, LSTM or GRU (e.g. from ``lstm_to_torch``);
    x (T, N, D) in the module's dtype; state0 = h0 (N, H), or (h0, c0) for an LSTM, or None (zeros);
    dhs (T, N, H); dstate shaped like state0, or None (zeros), as the layers' forward and backward
    take them. Returns a dict of numpy arrays: "hs" and "hT" (and "cT"), the outputs; "x", "h0"
    (and "c0") and one entry per parameter name, the gradients of L. What ``forward`` and
    ``backward`` of the matching lstmkit layer return, computed by torch. Defined in chapter 04.
    """
    import torch

    gates = {torch.nn.RNN: 1, torch.nn.LSTM: 4, torch.nn.GRU: 3}
    kind = next((k for k in gates if isinstance(module, k)), None)
    if kind is None:
        raise ValueError(f"module: expected a torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
    D, H, dtype = check_params(_from_module(module, kind), gates=gates[kind])
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    if kind is torch.nn.LSTM:    # the layers' own state checks: None is zeros, as in forward and backward
        names = ("h", "c")
        state0 = list(check_state_pair("state0", state0, ("h0", "c0"), (N, H), dtype))
        dstate = list(check_state_pair("dstate", dstate, ("dh_T", "dc_T"), (N, H), dtype))
    else:
        names = ("h",)
        state0 = [check_state("state0", state0, (N, H), dtype)]
        dstate = [check_state("dstate", dstate, (N, H), dtype)]

    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s[None], requires_grad=True) for s in state0]    # torch wants (1, N, H)
    module.zero_grad()
    out, stateT = module(xt, tuple(st) if len(st) == 2 else st[0])
    stateT = list(stateT) if len(st) == 2 else [stateT]
    loss = (out * torch.tensor(dhs)).sum()
    for s, d in zip(stateT, dstate, strict=True):
        loss = loss + (s[0] * torch.tensor(d)).sum()
    loss.backward()
    result = {"hs": out.detach().numpy(), "x": xt.grad.numpy()}
    for n, s_T, s_0 in zip(names, stateT, st, strict=True):
        result[f"{n}T"] = s_T.detach().numpy()[0]
        result[f"{n}0"] = s_0.grad.numpy()[0]
    result.update({k: getattr(module, f"{k}_l0").grad.numpy() for k in PARAM_NAMES})
    return result
