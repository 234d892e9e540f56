"""Bad input, across every public module: a clear error that names the argument, never a silent result.

The table: each case is a call that must raise a ValueError (a TypeError as well where Python's
convention says so: a string where a number belongs, a list as a choice) whose message contains
the argument's name and, where it says something, what arrived. Then the properties every call
with *good* input keeps: no argument changed, no warning, no NaN for finite input, and caches that
do not change when the caller edits its arrays after the forward pass (for every layer). Then the
rule for empty sizes: T, N, D or H of 0 is refused by every layer, naming the array.
"""

import numpy as np
import pytest

from lstmkit import (
    ablation,
    cell_demos,
    charlm,
    decay,
    gradcheck,
    gru,
    lstm,
    minlstm,
    optim,
    readout,
    rnn,
    sweeps,
    tasks,
    train,
    variants,
)
from lstmkit._validate import ArgumentTypeError
from lstmkit.train import TrainConfig

rng = np.random.default_rng(0)
T, N, D, H = 3, 2, 4, 5
X = rng.standard_normal((T, N, D))
S = rng.standard_normal((N, H))
DHS = rng.standard_normal((T, N, H))


def _p(module, **kw):
    return module.init_params(D, H, rng=np.random.default_rng(1), **kw)


# name, module, gates, params, forward(x, state, params), step_forward(x_t, state, params) -> cache,
# step_backward(dh, cache), a state of the wrong batch size and the part its message names
LAYERS = {
    "rnn": dict(mod=rnn, gates=1, params=_p(rnn), fwd=lambda x, s, p: rnn.forward(x, s, p),
                step=lambda x_t, p: rnn.step_forward(x_t, S, p)[-1],
                step_back=lambda dh, c: rnn.step_backward(dh, c), bad_state=(S[:1], "h0"), state=S),
    "lstm": dict(mod=lstm, gates=4, params=_p(lstm), fwd=lambda x, s, p: lstm.forward(x, s, p),
                 step=lambda x_t, p: lstm.step_forward(x_t, S, S, p)[-1],
                 step_back=lambda dh, c: lstm.step_backward(dh, dh, c), bad_state=((S, S[:1]), "c0"),
                 state=(S, S)),
    "gru": dict(mod=gru, gates=3, params=_p(gru), fwd=lambda x, s, p: gru.forward(x, s, p),
                step=lambda x_t, p: gru.step_forward(x_t, S, p)[-1],
                step_back=lambda dh, c: gru.step_backward(dh, c), bad_state=(S[:1], "h0"), state=S),
    "variants": dict(mod=variants, gates=4, params=_p(variants, variant="peephole"),
                     fwd=lambda x, s, p: variants.forward(x, s, p, variant="peephole"),
                     step=lambda x_t, p: variants.step_forward(x_t, S, S, p, "peephole")[-1],
                     step_back=lambda dh, c: variants.step_backward(dh, dh, c), bad_state=((S[:1], S), "h0"),
                     state=(S, S)),
}
OTHER = {"rnn": "lstm", "lstm": "rnn", "gru": "lstm", "variants": "gru"}   # a step cache of another layer


def with_nan(a):
    a = a.copy()
    a.flat[0] = np.nan
    return a


def replaced(params, key, value):
    return {**params, key: value}


def read_only(a):
    a = a.copy()
    a.setflags(write=False)
    return a


def layer_cases():
    cases = {}
    for name, L in LAYERS.items():
        P, fwd, G = L["params"], L["fwd"], L["gates"]
        cache = fwd(X, None, P)[2]
        other = LAYERS[OTHER[name]]
        other_cache = other["fwd"](X, None, other["params"])[2]
        other_step = other["step"](X[0], other["params"])
        cases.update({
            f"{name} x float16": (lambda fwd=fwd, P=P: fwd(X.astype(np.float16), None, P),
                                  ["x", "float32 or float64", "float16"]),
            f"{name} x longdouble": (lambda fwd=fwd, P=P: fwd(X.astype(np.longdouble), None, P),
                                     ["x", "float32 or float64"]),
            f"{name} x int": (lambda fwd=fwd, P=P: fwd(X.astype(int), None, P), ["x", "floating", "int"]),
            f"{name} x complex": (lambda fwd=fwd, P=P: fwd(X + 0j, None, P), ["x", "floating", "complex"]),
            f"{name} x nan": (lambda fwd=fwd, P=P: fwd(with_nan(X), None, P), ["x", "finite", "NaN"]),
            f"{name} x list": (lambda fwd=fwd, P=P: fwd(X.tolist(), None, P), ["x", "numpy array", "list"], "T"),
            f"{name} x rank": (lambda fwd=fwd, P=P: fwd(X[0], None, P), ["x", "3 dimensions", "(2, 4)"]),
            f"{name} x D": (lambda fwd=fwd, P=P: fwd(X[..., :3], None, P), ["x", "D=4", "(3, 2, 3)"]),
            f"{name} x T=0": (lambda fwd=fwd, P=P: fwd(X[:0], None, P), ["x", "size >= 1", "(0, 2, 4)"]),
            f"{name} x N=0": (lambda fwd=fwd, P=P: fwd(X[:, :0], None, P), ["x", "size >= 1", "(3, 0, 4)"]),
            f"{name} params H=0": (lambda fwd=fwd, P=P, G=G: fwd(X, None, {
                **P, "weight_ih": np.zeros((0, D)), "weight_hh": np.zeros((0, 0)),
                "bias_ih": np.zeros(0), "bias_hh": np.zeros(0)}), ["params", "H >= 1", "H=0"]),
            f"{name} params D=0": (lambda fwd=fwd, P=P, G=G: fwd(X[..., :0], None, {
                **P, "weight_ih": np.zeros((G * H, 0))}), ["params", "D >= 1", "D=0"]),
            f"{name} params float16": (lambda fwd=fwd, P=P: fwd(X, None, _astype_params(P, np.float16)),
                                       ["params['weight_ih']", "float32 or float64", "float16"]),
            f"{name} params missing": (lambda fwd=fwd, P=P: fwd(X, None, {k: v for k, v in P.items()
                                                                         if k != "bias_hh"}), ["params", "bias_hh"]),
            f"{name} params list": (lambda fwd=fwd, P=P: fwd(X, None, list(P.values())), ["params", "dict", "list"]),
            f"{name} state batch": (lambda fwd=fwd, P=P, L=L: fwd(X, L["bad_state"][0], P),
                                    [L["bad_state"][1], "N=2", "(1, 5)"]),
            f"{name} state float32": (lambda fwd=fwd, P=P, L=L: fwd(X, _astype(L["state"], np.float32), P),
                                      ["h0", "float64", "float32"]),
            f"{name} dhs shape": (lambda m=L["mod"], c=cache: m.backward(DHS[:2], c), ["dhs", "T=3", "(2, 2, 5)"]),
            f"{name} dhs float16": (lambda m=L["mod"], c=cache: m.backward(DHS.astype(np.float16), c),
                                    ["dhs", "float32 or float64", "float16"]),
            f"{name} dhs nan": (lambda m=L["mod"], c=cache: m.backward(with_nan(DHS), c), ["dhs", "finite"]),
            f"{name} dstate shape": (lambda m=L["mod"], c=cache, L=L: m.backward(None, c, L["bad_state"][0]),
                                     ["dstate", "(1, 5)"]),
            f"{name} cache None": (lambda m=L["mod"]: m.backward(DHS, None), ["cache", "forward", "NoneType"]),
            f"{name} cache other layer": (lambda m=L["mod"], o=other_cache: m.backward(None, list(o)),
                                          ["cache", "forward", "list"]),
            f"{name} step x_t rank": (lambda L=L, P=P: L["step"](X, P), ["x_t", "2 dimensions"]),
            f"{name} step cache other layer": (lambda L=L, c=other_step: L["step_back"](S, c),
                                               ["cache", "step_forward", "StepCache"], "T"),
            f"{name} step dh shape": (lambda L=L, P=P: L["step_back"](S[:, :2], L["step"](X[0], P)),
                                      ["dh", "(2, 2)"]),
            f"{name} init hidden 0": (lambda m=L["mod"]: m.init_params(D, 0, rng=rng),
                                      ["hidden_size", "positive integer", "0"]),
            f"{name} init input True": (lambda m=L["mod"]: m.init_params(True, H, rng=rng),
                                        ["input_size", "positive integer", "True"]),
            f"{name} init size str": (lambda m=L["mod"]: m.init_params(D, "5", rng=rng), ["hidden_size", "'5'"]),
            f"{name} init rng seed": (lambda m=L["mod"]: m.init_params(D, H, rng=0), ["rng", "Generator", "int"], "T"),
            f"{name} init float16": (lambda m=L["mod"]: m.init_params(D, H, rng=rng, dtype=np.float16),
                                     ["dtype", "float32 or float64", "float16"]),
            f"{name} init dtype name": (lambda m=L["mod"]: m.init_params(D, H, rng=rng, dtype="banana"),
                                        ["dtype", "banana"], "T"),
        })
    # the memory-gate biases and the choices of the layers
    cases.update({
        "lstm forget_bias str": (lambda: lstm.init_params(D, H, rng=rng, forget_bias="1.0"),
                                 ["forget_bias", "str", "'1.0'"], "T"),
        "lstm forget_bias complex": (lambda: lstm.init_params(D, H, rng=rng, forget_bias=1j),
                                     ["forget_bias", "complex"], "T"),
        "lstm forget_bias inf": (lambda: lstm.init_params(D, H, rng=rng, forget_bias=np.inf), ["forget_bias", "inf"]),
        "gru update_bias nan": (lambda: gru.init_params(D, H, rng=rng, update_bias=np.nan), ["update_bias", "nan"]),
        "gru update_bias array": (lambda: gru.init_params(D, H, rng=rng, update_bias=np.ones(H)),
                                  ["update_bias", "ndarray"], "T"),
        "rnn activation list": (lambda: rnn.forward(X, None, LAYERS["rnn"]["params"], activation=["tanh"]),
                                ["activation", "list", "['tanh']"], "T"),
        "rnn activation unknown": (lambda: rnn.forward(X, None, LAYERS["rnn"]["params"], activation="softplus"),
                                   ["activation", "softplus"]),
        "variants variant unknown": (lambda: variants.forward(X, None, LAYERS["lstm"]["params"],
                                                              variant="bidirectional"), ["variant", "bidirectional"]),
        "variants variant dict": (lambda: variants.forward(X, None, LAYERS["lstm"]["params"], variant={}),
                                  ["variant", "dict"], "T"),
        "variants peephole shape": (lambda: variants.forward(X, None, replaced(LAYERS["variants"]["params"],
                                                                              "peephole_o", np.zeros(H + 1)),
                                                             variant="peephole"), ["peephole_o", "(6,)"]),
    })
    return cases


def _astype_params(params, dtype):
    return {k: v.astype(dtype) for k, v in params.items()}


def _astype(state, dtype):
    return tuple(s.astype(dtype) for s in state) if isinstance(state, tuple) else state.astype(dtype)


# ---- the modules around the layers --------------------------------------------------------------

MP = readout.init_params("lstm", 2, H, rng=np.random.default_rng(2))
MX = rng.standard_normal((T, N, 2))
AP = ablation.init_params("vanilla", 2, H, rng=np.random.default_rng(3))
CHARS = list("abcdef")
CP = charlm.init_params(len(CHARS), H, rng=np.random.default_rng(4))
IDS = rng.integers(0, len(CHARS), size=(T, N))
G = {"w": np.ones(3)}


def tiny(**kw):
    base = dict(T=10, hidden_size=3, batch_size=4, steps=2, eval_every=1, n_test=8)
    return TrainConfig(**{**base, **kw})


def sgd_step(params, grads):
    return optim.SGD(0.1).step(params, grads)


def module_cases():
    mcache = readout.forward(MX, MP)[1]
    ccache = charlm.forward(IDS, CP)[2]
    results = sweeps.load("ablation")
    return {
        # gradcheck
        "rel_error complex": (lambda: gradcheck.rel_error(np.ones(2) * 1j, np.ones(2)), ["a", "complex"], "T"),
        "rel_error strings": (lambda: gradcheck.rel_error(np.ones(2), ["a", "b"]), ["b", "real numbers"], "T"),
        "rel_error shapes": (lambda: gradcheck.rel_error(np.zeros(3), np.zeros(4)), ["b", "(3,)", "(4,)"]),
        "numgrad f not callable": (lambda: gradcheck.numerical_gradient(3, np.ones(2), 1.0), ["f", "callable", "int"],
                                   "T"),
        "numgrad x float16": (lambda: gradcheck.numerical_gradient(np.sum, np.ones(2, np.float16), 1.0),
                              ["x", "float32 or float64", "float16"]),
        "numgrad x list": (lambda: gradcheck.numerical_gradient(np.sum, [1.0, 2.0], 1.0), ["x", "list"]),
        "numgrad x read-only": (lambda: gradcheck.numerical_gradient(np.sum, read_only(np.ones(2)), 1.0),
                                ["x", "read-only"]),
        "numgrad h inf": (lambda: gradcheck.numerical_gradient(np.sum, np.ones(2), 1.0, h=np.inf), ["h", "inf"]),
        "numgrad h zero": (lambda: gradcheck.numerical_gradient(np.sum, np.ones(2), 1.0, h=0.0), ["h", "> 0", "0.0"]),
        "numgrad h str": (lambda: gradcheck.numerical_gradient(np.sum, np.ones(2), 1.0, h="1e-5"), ["h", "str"], "T"),
        "numgrad h True": (lambda: gradcheck.numerical_gradient(np.sum, np.ones(2), 1.0, h=True), ["h", "bool"], "T"),
        "numgrad df shape": (lambda: gradcheck.numerical_gradient(lambda x: 2 * x, np.ones(3), np.ones(2)),
                             ["df", "(3,)", "(2,)"]),
        "numgrad df broadcast": (lambda: gradcheck.numerical_gradient(lambda x: 2 * x, np.ones((3, 1)), np.ones(3)),
                                 ["df", "(3, 1)", "(3,)"]),
        "numgrad df complex": (lambda: gradcheck.numerical_gradient(lambda x: 2 * x, np.ones(3), 1j), ["df", "complex"],
                               "T"),
        "numgrad f None": (lambda: gradcheck.numerical_gradient(lambda x: None, np.ones(3), 1.0), ["f", "NoneType"],
                           "T"),
        "numgrad f complex": (lambda: gradcheck.numerical_gradient(lambda x: x * 1j, np.ones(3), 1.0),
                              ["f", "complex"], "T"),
        "numgrad f nan": (lambda: gradcheck.numerical_gradient(lambda x: x * np.nan, np.ones(3), 1.0), ["f", "NaN"]),
        "check_gradients f": (lambda: gradcheck.check_gradients(None, {}, {}), ["f", "callable"], "T"),
        "check_gradients inputs": (lambda: gradcheck.check_gradients(lambda: 0.0, [], {}), ["inputs", "dict"], "T"),
        "check_gradients analytic": (lambda: gradcheck.check_gradients(lambda: 0.0, {"w": np.ones(2)}, {"v": 1}),
                                     ["analytic", "'v'"]),
        "check_gradients verbose": (lambda: gradcheck.check_gradients(lambda: 0.0, {}, {}, verbose="yes"),
                                    ["verbose", "str"], "T"),
        # optim
        "global_norm list": (lambda: optim.global_norm([np.ones(2)]), ["grads", "dict", "list"], "T"),
        "clip max_norm str": (lambda: optim.clip_grad_norm(G, "1"), ["max_norm", "str"], "T"),
        "clip max_norm True": (lambda: optim.clip_grad_norm(G, True), ["max_norm", "bool"], "T"),
        "clip max_norm nan": (lambda: optim.clip_grad_norm(G, np.nan), ["max_norm", "nan"]),
        "clip max_norm 0": (lambda: optim.clip_grad_norm(G, 0.0), ["max_norm", "positive", "0.0"]),
        "clip grads int": (lambda: optim.clip_grad_norm({"w": np.ones(2, int)}, 1.0), ["grads['w']", "floating"]),
        "clip grads float16": (lambda: optim.clip_grad_norm({"w": np.ones(2, np.float16)}, 1.0),
                               ["grads['w']", "float32 or float64"]),
        "clip grads inf": (lambda: optim.clip_grad_norm({"w": np.array([np.inf])}, 1.0), ["grads", "finite"]),
        "sgd lr True": (lambda: optim.SGD(True), ["lr", "bool", "True"], "T"),
        "sgd lr str": (lambda: optim.SGD("0.1"), ["lr", "str", "'0.1'"], "T"),
        "sgd lr complex": (lambda: optim.SGD(0.1 + 0j), ["lr", "complex"], "T"),
        "sgd lr zero": (lambda: optim.SGD(0.0), ["lr", "positive", "0.0"]),
        "sgd lr inf": (lambda: optim.SGD(np.inf), ["lr", "inf"]),
        "sgd momentum 1": (lambda: optim.SGD(0.1, momentum=1.0), ["momentum", "[0, 1)", "1.0"]),
        "sgd momentum negative": (lambda: optim.SGD(0.1, momentum=-0.5), ["momentum", "-0.5"]),
        "sgd momentum str": (lambda: optim.SGD(0.1, momentum="0.9"), ["momentum", "str"], "T"),
        "sgd int params": (lambda: sgd_step({"w": np.ones(2, int)}, {"w": np.ones(2)}),
                           ["params['w']", "floating", "int64"]),
        "sgd nan grads": (lambda: sgd_step({"w": np.ones(2)}, {"w": np.array([np.nan, 1.0])}),
                          ["grads['w']", "finite", "NaN"]),
        "sgd inf grads": (lambda: sgd_step({"w": np.ones(2)}, {"w": np.array([np.inf, 1.0])}), ["grads['w']", "inf"]),
        "sgd read-only params": (lambda: sgd_step({"w": read_only(np.ones(2))}, {"w": np.ones(2)}),
                                 ["params['w']", "read-only"]),
        "sgd grads keys": (lambda: sgd_step({"w": np.ones(2)}, {"v": np.ones(2)}), ["grads", "'w'", "'v'"]),
        "sgd grads shape": (lambda: sgd_step({"w": np.ones(2)}, {"w": np.ones(3)}), ["grads['w']", "(2,)", "(3,)"]),
        "sgd params list": (lambda: sgd_step([np.ones(2)], {"w": np.ones(2)}), ["params", "list"]),
        "adam eps inf": (lambda: optim.Adam(eps=np.inf), ["eps", "inf"]),
        "adam eps zero": (lambda: optim.Adam(eps=0.0), ["eps", "> 0", "0.0"]),
        "adam betas one": (lambda: optim.Adam(betas=(0.9,)), ["betas", "(0.9,)"]),
        "adam betas 1.0": (lambda: optim.Adam(betas=(0.9, 1.0)), ["betas", "(0.9, 1.0)"]),
        "adam betas str": (lambda: optim.Adam(betas="ab"), ["betas", "'ab'"]),
        "adam lr nan": (lambda: optim.Adam(lr=np.nan), ["lr", "nan"]),
        "adam nan grads": (lambda: optim.Adam().step({"w": np.ones(2)}, {"w": np.array([np.nan, 0.0])}),
                           ["grads['w']", "finite"]),
        "adam read-only": (lambda: optim.Adam().step({"w": read_only(np.ones(2))}, {"w": np.ones(2)}),
                           ["params['w']", "read-only"]),
        "make_optimizer name": (lambda: optim.make_optimizer("rmsprop", 0.1), ["optimizer", "rmsprop"]),
        "make_optimizer list": (lambda: optim.make_optimizer(["adam"], 0.1), ["optimizer", "list"], "T"),
        # train: every field of TrainConfig under its own name
        "config cell": (lambda: tiny(cell="gru").validate(), ["cell", "gru"]),
        "config cell list": (lambda: tiny(cell=["lstm"]).validate(), ["cell", "list"], "T"),
        "config variant": (lambda: tiny(variant="copy").validate(), ["variant", "copy"]),
        "config T short": (lambda: tiny(T=5).validate(), ["T", ">= 10", "5"]),
        "config T float": (lambda: tiny(T=20.0).validate(), ["T", "positive integer", "20.0"]),
        "config hidden_size": (lambda: tiny(hidden_size=0).validate(), ["hidden_size", "positive integer", "0"]),
        "config activation": (lambda: tiny(activation="softplus").validate(), ["activation", "softplus"]),
        "config forget_bias str": (lambda: tiny(forget_bias="1").validate(), ["forget_bias", "str"], "T"),
        "config forget_bias nan": (lambda: tiny(forget_bias=np.nan).validate(), ["forget_bias", "nan"]),
        "config optimizer": (lambda: tiny(optimizer="rmsprop").validate(), ["optimizer", "rmsprop"]),
        "config lr zero": (lambda: tiny(lr=0).validate(), ["lr", "positive", "0"]),
        "config lr True": (lambda: tiny(lr=True).validate(), ["lr", "bool"], "T"),
        "config momentum": (lambda: tiny(momentum=1.0).validate(), ["momentum", "1.0"]),
        "config batch_size": (lambda: tiny(batch_size=0).validate(), ["batch_size", "positive integer", "0"]),
        "config steps": (lambda: tiny(steps=-1).validate(), ["steps", "positive integer", "-1"]),
        "config clip zero": (lambda: tiny(clip=0.0).validate(), ["clip", "positive", "0.0"]),
        "config clip str": (lambda: tiny(clip="1").validate(), ["clip", "str"], "T"),
        "config eval_every": (lambda: tiny(eval_every=0).validate(), ["eval_every", "positive integer", "0"]),
        "config n_test": (lambda: tiny(n_test=0).validate(), ["n_test", "positive integer", "0"]),
        "config stop_mse negative": (lambda: tiny(stop_mse=-1).validate(), ["stop_mse", "-1"]),
        "config stop_accuracy 2": (lambda: tiny(stop_accuracy=2).validate(), ["stop_accuracy", "[0, 1]", "2"]),
        "config stop_accuracy nan": (lambda: tiny(stop_accuracy=np.nan).validate(), ["stop_accuracy", "nan"]),
        "config dtype": (lambda: tiny(dtype="float16").validate(), ["dtype", "float32", "float16"]),
        "config seed negative": (lambda: tiny(seed=-1).validate(), ["seed", "-1"]),
        "config seed float": (lambda: tiny(seed=1.5).validate(), ["seed", "1.5"], "T"),
        "config test_seed": (lambda: tiny(test_seed="a").validate(), ["test_seed", "'a'"], "T"),
        "train config dict": (lambda: train.train({"T": 10}, progress=False), ["config", "TrainConfig", "dict"], "T"),
        "train progress": (lambda: train.train(tiny(), progress="yes"), ["progress", "str"], "T"),
        "train learner_class": (lambda: train.train(tiny(), learner_class=3, progress=False),
                                ["learner_class", "int"], "T"),
        "last_step steps": (lambda: train.train_last_step(LAYERS["rnn"]["params"], np.ones((1, H)), X,
                                                          np.ones((N, 1)), lr=0.1, steps=0), ["steps", "0"]),
        "last_step lr": (lambda: train.train_last_step(LAYERS["rnn"]["params"], np.ones((1, H)), X,
                                                       np.ones((N, 1)), lr=-1.0, steps=1), ["lr", "-1.0"]),
        "last_step clip": (lambda: train.train_last_step(LAYERS["rnn"]["params"], np.ones((1, H)), X,
                                                         np.ones((N, 1)), lr=0.1, steps=1, clip=3.0),
                           ["clip", "float"]),
        "last_step activation": (lambda: train.train_last_step(LAYERS["rnn"]["params"], np.ones((1, H)), X,
                                                               np.ones((N, 1)), lr=0.1, steps=1, activation="elu"),
                                 ["activation", "elu"]),
        "last_step params": (lambda: train.train_last_step(LAYERS["lstm"]["params"], np.ones((1, H)), X,
                                                           np.ones((N, 1)), lr=0.1, steps=1), ["params", "weight_hh"]),
        # tasks
        "adding n": (lambda: tasks.adding_problem(0, 20, rng=rng), ["n", "positive integer", "0"]),
        "adding n True": (lambda: tasks.adding_problem(True, 20, rng=rng), ["n", "True"]),
        "adding T": (lambda: tasks.adding_problem(4, 5, rng=rng), ["T", ">= 10", "5"]),
        "adding variant": (lambda: tasks.adding_problem(4, 20, rng=rng, variant="copy"), ["variant", "copy"]),
        "adding rng": (lambda: tasks.adding_problem(4, 20, rng=0), ["rng", "Generator"], "T"),
        "adding dtype": (lambda: tasks.adding_problem(4, 20, rng=rng, dtype=np.float16), ["dtype", "float16"]),
        "fraction shapes": (lambda: tasks.fraction_correct(np.ones(3), np.ones(4)), ["prediction", "(3,)"]),
        "fraction tol str": (lambda: tasks.fraction_correct(np.ones(3), np.ones(3), tol="x"), ["tol", "str"], "T"),
        "fraction tol zero": (lambda: tasks.fraction_correct(np.ones(3), np.ones(3), tol=0.0), ["tol", "0.0"]),
        "fraction nan": (lambda: tasks.fraction_correct(with_nan(np.ones(3)), np.ones(3)), ["prediction", "finite"]),
        # models
        "readout cell": (lambda: readout.forward(MX, MP, "gru"), ["cell", "gru"]),
        "readout x float16": (lambda: readout.forward(MX.astype(np.float16), MP), ["x", "float16"]),
        "readout lengths float": (lambda: readout.forward(MX, MP, lengths=np.ones(N)), ["lengths", "integer"]),
        "readout lengths range": (lambda: readout.forward(MX, MP, lengths=np.array([0, 4])), ["lengths", "min 0"]),
        "readout readout.bias nan": (lambda: readout.forward(MX, replaced(MP, "readout.bias", np.array([np.nan]))),
                                    ["readout.bias", "finite"]),
        "readout readout.bias shape": (lambda: readout.forward(MX, replaced(MP, "readout.bias", np.zeros(3))),
                                      ["readout.bias", "(1,)", "(3,)"]),
        "readout readout.weight shape": (lambda: readout.forward(MX, replaced(MP, "readout.weight", np.zeros((1, 2)))),
                                        ["readout.weight", "H=5", "(1, 2)"]),
        "readout no readout": (lambda: readout.forward(MX, LAYERS["lstm"]["params"]), ["params", "readout.weight"]),
        "readout dy shape": (lambda: readout.backward(np.zeros(3), mcache), ["dy", "N=2", "(3,)"]),
        "readout dy nan": (lambda: readout.backward(with_nan(np.zeros(N)), mcache), ["dy", "finite"]),
        "readout cache": (lambda: readout.backward(np.zeros(N), ccache), ["cache", "readout.forward"]),
        "mse y list": (lambda: readout.mse_loss([1.0], np.ones(1)), ["y", "numpy array", "list"], "T"),
        "mse target shape": (lambda: readout.mse_loss(np.zeros(3), np.zeros(4)), ["target", "N=3", "(4,)"]),
        "readout init rnn forget_bias": (lambda: readout.init_params("rnn", 2, 3, rng=rng, forget_bias=1.0),
                                        ["forget_bias", "None"]),
        # ablation
        "ablation init model": (lambda: ablation.init_params("lstm2", 2, 3, rng=rng), ["model", "lstm2"]),
        "ablation init model list": (lambda: ablation.init_params(["gru"], 2, 3, rng=rng), ["model", "list"], "T"),
        "ablation forward model": (lambda: ablation.forward(MX, AP, "transformer"), ["model", "transformer"]),
        "ablation readout.bias nan": (lambda: ablation.forward(MX, replaced(AP, "readout.bias", np.array([np.nan])),
                                                               "vanilla"), ["readout.bias", "finite"]),
        "ablation lengths range": (lambda: ablation.forward(MX, AP, "vanilla",
                                                            lengths=np.array([1, T + 1])), ["lengths", f"T={T}"]),
        "ablation readout.weight shape": (lambda: ablation.forward(MX, replaced(AP, "readout.weight", np.zeros((1, 2))),
                                                                   "vanilla"), ["readout.weight", f"H={H}", "(1, 2)"]),
        "readout_forward layer": (lambda: readout.readout_forward(readout.lstm.forward, MX, MP), ["layer", "pair"]),
        "ablation readout.bias shape": (lambda: ablation.forward(MX, replaced(AP, "readout.bias", np.zeros(3)),
                                                                 "vanilla"), ["readout.bias", "(1,)", "(3,)"]),
        "ablation learner": (lambda: ablation.learner("lstm2"), ["model", "lstm2"]),
        "ablation run": (lambda: ablation.run(tiny(), "lstm2"), ["model", "lstm2"]),
        # charlm
        "charlm vocab empty": (lambda: charlm.build_vocab(""), ["text", "non-empty"]),
        "charlm vocab int": (lambda: charlm.build_vocab(3), ["text", "int"]),
        "charlm encode int": (lambda: charlm.encode(3, CHARS), ["text", "int"], "T"),
        "charlm encode unknown": (lambda: charlm.encode("xyz", CHARS), ["text", "'x'"]),
        "charlm encode chars": (lambda: charlm.encode("abc", 5), ["chars", "int"], "T"),
        "charlm decode -1": (lambda: charlm.decode([-1], CHARS), ["ids", "min -1"]),
        "charlm decode float": (lambda: charlm.decode([1.5], CHARS), ["ids", "integers", "float"]),
        "charlm decode too large": (lambda: charlm.decode([6], CHARS), ["ids", "V=6", "max 6"]),
        "charlm one_hot V": (lambda: charlm.one_hot(IDS, 0), ["V", "positive integer", "0"]),
        "charlm one_hot ids float": (lambda: charlm.one_hot(IDS.astype(float), 6), ["ids", "integer", "float64"]),
        "charlm forward ids range": (lambda: charlm.forward(IDS + 6, CP), ["ids", "V=6"]),
        "charlm forward no readout": (lambda: charlm.forward(IDS, LAYERS["lstm"]["params"]),
                                      ["params", "readout.weight"]),
        "charlm cross_entropy rank": (lambda: charlm.cross_entropy(np.zeros((T, 6)), IDS), ["logits", "3 dimensions"]),
        "charlm cross_entropy targets": (lambda: charlm.cross_entropy(np.zeros((T, N, 6)), IDS[:1]),
                                         ["targets", "(1, 2)"]),
        "charlm backward cache": (lambda: charlm.backward(np.zeros((T, N, 6)), mcache), ["cache", "charlm.forward"]),
        "charlm backward dlogits": (lambda: charlm.backward(np.zeros((T, N, 5)), ccache), ["dlogits", "V=6"]),
        "charlm split block 0": (lambda: charlm.split_blocks(np.arange(100), 2, block=0), ["block", "0"]),
        "charlm split every 1": (lambda: charlm.split_blocks(np.arange(100), 1), ["every", ">= 2"]),
        "charlm split short": (lambda: charlm.split_blocks(np.arange(100), 10, block=20), ["data", "200", "100"]),
        "charlm split list": (lambda: charlm.split_blocks(list(range(100)), 2, block=10), ["data", "list"]),
        "charlm batch T": (lambda: charlm.batch(np.arange(100), 0, 2, rng=rng), ["T", "0"]),
        "charlm batch rng": (lambda: charlm.batch(np.arange(100), 5, 2, rng=3), ["rng", "int"], "T"),
        "charlm batch short": (lambda: charlm.batch(np.arange(4), 5, 2, rng=rng), ["data", "T + 1 = 6"]),
        "charlm sample n": (lambda: charlm.sample(CP, CHARS, "ab", 0, rng=rng), ["n", "0"]),
        "charlm sample temperature": (lambda: charlm.sample(CP, CHARS, "ab", 2, temperature=0.0, rng=rng),
                                      ["temperature", "0.0"]),
        "charlm sample temperature str": (lambda: charlm.sample(CP, CHARS, "ab", 2, temperature="hot", rng=rng),
                                          ["temperature", "str"], "T"),
        "charlm sample prime": (lambda: charlm.sample(CP, CHARS, "", 2, rng=rng), ["prime", "non-empty"]),
        "charlm sample chars": (lambda: charlm.sample(CP, CHARS[:3], "ab", 2, rng=rng), ["chars", "V=6", "3"]),
        "charlm config eval_every": (lambda: charlm.train(charlm.CharLMConfig(eval_every=0), progress=False),
                                     ["eval_every", "positive integer", "0"]),
        "charlm config lr": (lambda: charlm.CharLMConfig(lr=0.0).validate(), ["lr", "0.0"]),
        "charlm config val_every": (lambda: charlm.CharLMConfig(val_every=1).validate(), ["val_every", ">= 2"]),
        "charlm config seed": (lambda: charlm.CharLMConfig(seed=-2).validate(), ["seed", "-2"]),
        "charlm train config": (lambda: charlm.train(tiny(), progress=False), ["config", "CharLMConfig"], "T"),
        # decay
        "decay scaled_weight shape": (lambda: decay.scaled_weight(np.ones((2, 3)), 1.0), ["W", "(2, 3)"]),
        "decay scaled_weight sigma": (lambda: decay.scaled_weight(np.eye(2), -1.0), ["sigma_max", "-1.0"]),
        "decay scaled_weight sigma str": (lambda: decay.scaled_weight(np.eye(2), "1"), ["sigma_max", "str"], "T"),
        "decay jacobians activation": (lambda: decay.jacobians(X, None, LAYERS["rnn"]["params"], "elu"),
                                       ["activation", "elu"]),
        "decay product_norms rank": (lambda: decay.product_norms(np.ones((2, 2, 2))), ["J", "(T, N, H, H)"]),
        "decay bound gamma": (lambda: decay.decay_bound(0.0, 1.0, np.arange(3)), ["gamma", "0.0"]),
        "decay bound lags": (lambda: decay.decay_bound(1.0, 1.0, np.array([-1])), ["lags", "non-negative"]),
        "decay vanishing_lag rank": (lambda: decay.vanishing_lag(np.ones((2, 2))), ["norms", "(K,)"]),
        "decay vanishing_lag threshold": (lambda: decay.vanishing_lag(np.ones(3), 0.0), ["threshold", "0.0"]),
        "decay curve seed float": (lambda: decay.decay_curve(1.0, 1.0, 5, seed=1.5), ["seed", "1.5"], "T"),
        "decay curve seed negative": (lambda: decay.decay_curve(1.0, 1.0, 5, seed=-1), ["seed", "-1"]),
        "decay curve steps": (lambda: decay.decay_curve(1.0, 1.0, 0), ["steps", "positive integer", "0"]),
        "decay curve activation list": (lambda: decay.decay_curve(1.0, 1.0, 5, ["tanh"]), ["activation", "list"],
                                        "T"),
        "decay curve sigma nan": (lambda: decay.decay_curve(np.nan, 1.0, 5), ["sigma_max", "nan"]),
        "decay truncated k": (lambda: decay.truncated_gradients(X, None, _rnn_dd(), np.zeros((T, N, D)), 0),
                              ["k", "positive integer"]),
        "decay last_step w_out": (lambda: decay.last_step_regression(X, None, LAYERS["rnn"]["params"],
                                                                     np.ones((1, 2)), np.ones((N, 1))),
                                  ["w_out", "H=5", "(1, 2)"]),
        # cell
        "cell_demos gates f range": (lambda: cell_demos.simulate_gates(f=1.5), ["f", "1.5"]),
        "cell_demos gates f str": (lambda: cell_demos.simulate_gates(f="0.9"), ["f", "str"]),
        "cell_demos gates g complex": (lambda: cell_demos.simulate_gates(g=1j), ["g", "complex"]),
        "cell_demos gates T": (lambda: cell_demos.simulate_gates(T=0), ["T", "positive integer", "0"]),
        "cell_demos gates write_step": (lambda: cell_demos.simulate_gates(T=5, write_step=6),
                                        ["write_step", "T=5", "6"]),
        "cell_demos latch_params nan": (lambda: cell_demos.latch_params(b_i=np.nan), ["b_i", "nan"]),
        "cell_demos latch_input seed": (lambda: cell_demos.latch_input(seed=-1), ["seed", "-1"]),
        "cell_demos latch_input noise": (lambda: cell_demos.latch_input(noise=-1.0), ["noise", "-1.0"]),
        "cell_demos simulate_biases seed": (lambda: cell_demos.simulate_biases(seed=1.5), ["seed", "1.5"], "T"),
        "cell_demos run_cell x": (lambda: cell_demos.run_cell(LAYERS["lstm"]["params"], X[..., :1]), ["x", "D=4"]),
        "cell_demos carousel hidden": (lambda: cell_demos.carousel_params(2, 0),
                                       ["hidden_size", "positive integer", "0"]),
        "cell_demos carousel bias": (lambda: cell_demos.carousel_params(2, 3, bias="x"), ["bias", "str"]),
        "cell_demos state_gradient_norms params": (lambda: cell_demos.state_gradient_norms([], X), ["params", "list"]),
        "cell_demos state_gradient_norms readout": (
            lambda: cell_demos.state_gradient_norms(LAYERS["lstm"]["params"], X, readout=np.ones(2)),
            ["readout", "H=5", "(2,)"]),
        "cell_demos decay_factor short": (lambda: cell_demos.decay_factor(np.ones(1)), ["norms", "at least 2"]),
        "cell_demos decay_factor strings": (lambda: cell_demos.decay_factor(["a", "b"]), ["norms", "real numbers"],
                                            "T"),
        "cell_demos decay_factor lo": (lambda: cell_demos.decay_factor(np.ones(4), lo=-1), ["lo", "-1"]),
        "cell_demos decay_factor hi": (lambda: cell_demos.decay_factor(np.ones(4), lo=2, hi=1), ["hi", "lo=2"]),
        # sweeps
        "sweeps seed negative": (lambda: sweeps.run("x", {"a": tiny()}, [-1], None, progress=False), ["seeds", "-1"]),
        "sweeps seed float": (lambda: sweeps.run("x", {"a": tiny()}, [1.5], None, progress=False), ["seeds", "1.5"]),
        "sweeps seed bool": (lambda: sweeps.run("x", {"a": tiny()}, [True], None, progress=False), ["seeds", "True"]),
        "sweeps configs empty": (lambda: sweeps.run("x", {}, [0], None, progress=False), ["configs and seeds"]),
        "sweeps config dict": (lambda: sweeps.run("x", {"a": {"T": 5}}, [0], None, progress=False),
                               ["configs['a']", "TrainConfig"]),
        "sweeps config invalid": (lambda: sweeps.run("x", {"a": tiny(T=5)}, [0], print, progress=False), ["T", "5"]),
        "sweeps train_fn": (lambda: sweeps.run("x", {"a": tiny()}, [0], None, progress=False), ["train_fn", "NoneType"],
                            "T"),
        "sweeps name": (lambda: sweeps.run(3, {"a": tiny()}, [0], print, progress=False), ["name", "int"], "T"),
        "sweeps load": (lambda: sweeps.load("no such sweep"), ["name", "ablation", "no such sweep"]),
        "sweeps load path": (lambda: sweeps.load("../results/ablation"), ["name", "../results/ablation"]),
        "sweeps load list": (lambda: sweeps.load(["ablation"]), ["name", "list"], "T"),
        "sweeps success label": (lambda: sweeps.success(results, "nope"), ["label", "vanilla", "nope"]),
        "sweeps success label list": (lambda: sweeps.success(results, ["vanilla"]), ["label", "list"], "T"),
        "sweeps success results": (lambda: sweeps.success([], "vanilla"), ["results", "list"], "T"),
        "sweeps config_of label": (lambda: sweeps.config_of(results, "nope"), ["label", "nope"]),
    }


def _rnn_dd():
    return rnn.init_params(D, D, rng=np.random.default_rng(5))


def _lstm_grad_args():
    # x, state0, dhs, dstate for the LSTM of LAYERS
    zeros = np.zeros((N, H))
    return X, (zeros, zeros), np.zeros((T, N, H)), (zeros, zeros)


def interop_cases():
    torch = pytest.importorskip("torch")
    from lstmkit import interop
    rp, lp, gp = LAYERS["rnn"]["params"], LAYERS["lstm"]["params"], LAYERS["gru"]["params"]
    half = {k: v.astype(np.float16) for k, v in lp.items()}
    return {
        "interop rnn activation": (lambda: interop.rnn_to_torch(rp, "sigmoid"), ["activation", "sigmoid"]),
        "interop rnn activation list": (lambda: interop.rnn_to_torch(rp, ["relu"]), ["activation", "list"], "T"),
        "interop rnn float16": (lambda: interop.rnn_to_torch({k: v.astype(np.float16) for k, v in rp.items()}),
                                ["params['weight_ih']", "float32 or float64", "float16"]),
        "interop rnn_from lstm": (lambda: interop.rnn_from_torch(torch.nn.LSTM(2, 3)), ["module", "RNN", "LSTM"]),
        "interop rnn_from relu as tanh": (lambda: interop.rnn_from_torch(torch.nn.RNN(2, 3, nonlinearity="relu")),
                                          ["activation", "'relu'", "'tanh'"]),
        "interop rnn_from half": (lambda: interop.rnn_from_torch(torch.nn.RNN(2, 3).half()),
                                  ["module", "float32 or float64", "float16"]),
        "interop lstm params": (lambda: interop.lstm_to_torch(rp), ["weight_hh", "(4*H, H)"]),
        "interop lstm float16": (lambda: interop.lstm_to_torch(half), ["params['weight_ih']", "float16"]),
        "interop lstm_from half": (lambda: interop.lstm_from_torch(torch.nn.LSTM(2, 3).half()),
                                   ["module", "float32 or float64", "float16"]),
        "interop lstm_from two layers": (lambda: interop.lstm_from_torch(torch.nn.LSTM(2, 3, num_layers=2)),
                                         ["module", "num_layers=2"]),
        "interop gru params": (lambda: interop.gru_to_torch(lp), ["weight_hh", "(3*H, H)"]),
        "interop gru_from rnn": (lambda: interop.gru_from_torch(torch.nn.RNN(2, 3)), ["module", "GRU", "RNN"]),
        "interop gru_from half": (lambda: interop.gru_from_torch(torch.nn.GRU(2, 3).half()), ["module", "float16"]),
        "interop torch_gradients module": (lambda: interop.torch_gradients(lp, X, None, None, None),
                                           ["module", "RNN, LSTM or GRU", "dict"]),
        "interop torch_gradients x dtype": (lambda: interop.torch_gradients(
            interop.lstm_to_torch(lp), X.astype(np.float32), *_lstm_grad_args()[1:]), ["x", "float64", "float32"]),
        "interop torch_gradients state not pair": (lambda: interop.torch_gradients(
            interop.lstm_to_torch(lp), *_lstm_grad_args()[:1], np.zeros((N, H)), *_lstm_grad_args()[2:]),
            ["state0", "tuple (h0, c0)", "ndarray"]),
        "interop torch_gradients c0 shape": (lambda: interop.torch_gradients(
            interop.lstm_to_torch(lp), X, (np.zeros((N, H)), np.zeros((N, H + 1))), *_lstm_grad_args()[2:]),
            ["state0[1] (c0)", f"H={H}", f"({N}, {H + 1})"]),
        "interop torch_gradients dhs shape": (lambda: interop.torch_gradients(
            interop.lstm_to_torch(lp), *_lstm_grad_args()[:2], np.zeros((T + 1, N, H)), _lstm_grad_args()[3]),
            ["dhs", f"T={T}", f"({T + 1}, {N}, {H})"]),
        "interop torch_gradients dstate gru": (lambda: interop.torch_gradients(
            interop.gru_to_torch(gp), X, np.zeros((N, H)), np.zeros((T, N, H)), (np.zeros((N, H)),) * 2),
            ["dstate", "numpy array", "tuple"]),
        "interop gru float64 ok, bias nan": (lambda: interop.gru_to_torch(replaced(gp, "bias_hh", with_nan(
            gp["bias_hh"]))), ["bias_hh", "finite"]),
    }


def widget_cases():
    pytest.importorskip("ipywidgets")
    from lstmkit.widgets import decay_explorer, gate_explorer
    return {
        "gate_explorer T 0": (lambda: gate_explorer(T=0), ["T", "[10, 500]", "0"]),
        "gate_explorer T float": (lambda: gate_explorer(T=50.0), ["T", "float"], "T"),
        "gate_explorer write_step": (lambda: gate_explorer(T=20, write_step=21), ["write_step", "[1, 20]", "21"]),
        "gate_explorer write_step 0": (lambda: gate_explorer(write_step=0), ["write_step", "0"]),
        "decay_explorer hidden_size": (lambda: decay_explorer(hidden_size=0), ["hidden_size", "positive integer"]),
        "decay_explorer batch": (lambda: decay_explorer(batch=-1), ["batch", "-1"]),
        "decay_explorer seed": (lambda: decay_explorer(seed=1.5), ["seed", "1.5"], "T"),
        "decay_explorer activation": (lambda: setattr(decay_explorer().controls["activation"], "value", "softplus"),
                                      ["activation", "tanh", "softplus"]),
    }


def check_cases():
    import importlib
    cases = {}
    for ch in range(1, 7):
        module = importlib.import_module(f"lstmkit.checks.ch0{ch}")
        for name in getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]:
            fn = getattr(module, name)
            if callable(fn) and getattr(fn, "__module__", "") == module.__name__ and not isinstance(fn, type):
                cases[f"checks ch0{ch}.{name} not callable"] = (lambda fn=fn: fn(None), ["fn", "callable", "NoneType"])
    return cases


# ---- the experiments' and the demonstrations' own tables, folded in from test_charlm, test_train,
# test_tasks and test_cell(_demos), and the last bad inputs a hostile caller found ----------------

RP3 = readout.init_params("rnn", 2, 3, rng=np.random.default_rng(0))       # H = 3
X52 = np.zeros((5, 2, 2))                                                  # T = 5, N = 2, D = 2
P4 = lstm.init_params(2, 3, rng=np.random.default_rng(0))                  # D = 2, H = 3
X42 = np.zeros((4, 2, 2))
CP4 = charlm.init_params(4, 3, rng=np.random.default_rng(0))               # V = 4, H = 3
IDS23 = np.zeros((2, 3), dtype=np.int64)


def _clip_returning(result):
    return lambda: train.train_last_step(LAYERS["rnn"]["params"], np.ones((1, H)), X, np.ones((N, 1)), lr=0.1,
                                         steps=1, clip=lambda g: result(g))


def _never_called():
    raise AssertionError("f was called: a wrongly shaped gradient must be refused before any finite difference")


def experiment_cases():
    simulated = cell_demos.simulate_gates(T=10)
    float32_head = {**CP4, **{k: CP4[k].astype(np.float32) for k in readout.READOUT}}
    return {
        # readout (was test_train's table)
        "readout cell lists the choices": (lambda: readout.forward(X52, RP3, "gru"), ["cell", "lstm", "rnn", "gru"]),
        "readout rnn params as lstm": (lambda: readout.forward(X52, RP3, "lstm"), ["weight_hh", "(4*H, H)"]),
        "readout readout.bias missing": (lambda: readout.forward(X52, {k: v for k, v in RP3.items()
                                                                      if k != "readout.bias"}, "rnn"),
                                         ["params", "readout.bias", "missing"]),
        "readout x D": (lambda: readout.forward(X52[..., :1], RP3, "rnn"), ["x", "D=2", "(5, 2, 1)"]),
        "readout lengths float64": (lambda: readout.forward(X52, RP3, "rnn", np.array([5.0, 5.0])),
                                    ["lengths", "integer", "float64"]),
        "readout lengths shape": (lambda: readout.forward(X52, RP3, "rnn", np.array([5, 5, 5])),
                                  ["lengths", "N=2", "(3,)"]),
        "readout lengths range both ends": (lambda: readout.forward(X52, RP3, "rnn", np.array([0, 6])),
                                  ["lengths", "[1, T=5]", "min 0", "max 6"]),
        "readout N=0 with lengths": (lambda: readout.forward(X52[:, :0], RP3, "rnn", np.zeros(0, dtype=int)),
                                     ["x", "size >= 1", "(5, 0, 2)"]),
        "readout init rnn forget_bias names the cell": (
            lambda: readout.init_params("rnn", 2, 3, rng=rng, forget_bias=1.0), ["forget_bias", "None", "rnn"]),
        "readout init lstm identity": (lambda: readout.init_params("lstm", 2, 3, rng=rng, identity=True),
                                       ["identity", "False", "cell='lstm'"]),
        # optim and train (was test_train's table)
        "adam betas 1.5": (lambda: optim.Adam(0.1, betas=(0.9, 1.5)), ["betas", "(0.9, 1.5)"]),
        "adam grads keys": (lambda: optim.Adam(0.1).step({"w": np.zeros(2)}, {"v": np.zeros(2)}),
                            ["grads", "'w'", "'v'"]),
        "adam grads shape": (lambda: optim.Adam(0.1).step({"w": np.zeros(2)}, {"w": np.zeros(3)}),
                             ["grads['w']", "(2,)", "(3,)"]),
        "train optimizer lists the choices": (lambda: train.train(tiny(optimizer="rmsprop"), progress=False),
                                              ["optimizer", "adam", "rmsprop"]),
        "train rnn forget_bias": (lambda: train.train(tiny(cell="rnn"), progress=False),
                                  ["forget_bias", "rnn", "1.0"]),
        "train identity_init lstm": (lambda: TrainConfig(cell="lstm", identity_init=True).validate(),
                                     ["identity_init", "False", "cell='lstm'"]),
        "train clip negative": (lambda: train.train(tiny(clip=-1.0), progress=False), ["clip", "positive", "-1.0"]),
        "last_step clip returns the grads only": (_clip_returning(lambda g: g),
                                                  ["clip", "(grads, norm)", "got dict"]),
        "last_step clip returns None": (_clip_returning(lambda g: None), ["clip", "(grads, norm)", "NoneType"]),
        "last_step clip returns a triple": (_clip_returning(lambda g: (g, 1.0, 2.0)),
                                            ["clip", "(grads, norm)", "tuple of length 3"]),
        # tasks (was test_tasks' table)
        "adding T float": (lambda: tasks.adding_problem(5, 20.0, rng=rng), ["T", "positive integer", "20.0"], "T"),
        "adding n negative": (lambda: tasks.adding_problem(-3, 20, rng=rng), ["n", "-3"]),
        "adding dtype int32": (lambda: tasks.adding_problem(5, 20, rng=rng, dtype=np.int32),
                               ["dtype", "floating", "int32"]),
        "fraction empty": (lambda: tasks.fraction_correct(np.zeros(0), np.zeros(0)), ["prediction", "N >= 1", "(0,)"]),
        # gradcheck
        "rel_error nan": (lambda: gradcheck.rel_error(np.array([np.nan, 1.0]), np.ones(2)), ["a", "finite", "NaN"]),
        "rel_error inf": (lambda: gradcheck.rel_error(np.ones(2), np.array([1.0, np.inf])), ["b", "finite"]),
        "numgrad f raises": (lambda: gradcheck.numerical_gradient(lambda x: 1.0 / 0, np.ones(2), 1.0),
                             ["f", "raised", "ZeroDivisionError"]),
        "check_gradients analytic shape": (lambda: gradcheck.check_gradients(
            _never_called, {"w": np.ones((3, 4))}, {"w": np.ones((4, 3))}, verbose=False),
            ["analytic['w']", "inputs['w'] (3, 4)", "(4, 3)"]),
        "check_gradients analytic nan": (lambda: gradcheck.check_gradients(
            _never_called, {"w": np.ones(2)}, {"w": np.array([np.nan, 0.0])}, verbose=False),
            ["analytic['w']", "finite"]),
        # charlm (was test_charlm's table)
        "charlm forward ids float": (lambda: charlm.forward(IDS23.astype(float), CP4), ["ids", "integer", "float64"]),
        "charlm forward ids rank": (lambda: charlm.forward(IDS23[0], CP4), ["ids", "2-d", "(3,)"]),
        "charlm forward readout.bias missing": (lambda: charlm.forward(IDS23, {k: v for k, v in CP4.items()
                                                                              if k != "readout.bias"}),
                                                ["params", "readout.bias"]),
        "charlm forward weight_ih missing": (lambda: charlm.forward(IDS23, {k: v for k, v in CP4.items()
                                                                           if k != "weight_ih"}),
                                             ["params", "weight_ih", "missing"]),
        "charlm forward float32 readout": (lambda: charlm.forward(IDS23, float32_head),
                                           ["params['readout.weight']", "float64", "float32"]),
        "charlm forward state0 batch": (lambda: charlm.forward(IDS23, CP4, (np.zeros((2, 3)), np.zeros((3, 3)))),
                                        ["state0", "h0", "N=3", "(2, 3)"]),
        "charlm sample prime unknown": (lambda: charlm.sample(CP4, list("abcd"), "az", 3, rng=rng), ["text", "'z'"]),
        # cell_demos (was test_cell's table)
        "cell_demos gates f above 1": (lambda: cell_demos.simulate_gates(f=1.5), ["f", "[0, 1]", "1.5"]),
        "cell_demos gates i negative": (lambda: cell_demos.simulate_gates(i=-0.1), ["i", "[0, 1]", "-0.1"]),
        "cell_demos gates o nan": (lambda: cell_demos.simulate_gates(o=np.nan), ["o", "nan"]),
        "cell_demos gates g str": (lambda: cell_demos.simulate_gates(g="1"), ["g", "[-1, 1]", "str"], "T"),
        "cell_demos gates T float": (lambda: cell_demos.simulate_gates(T=5.0), ["T", "positive integer", "5.0"], "T"),
        "cell_demos gates c0 inf": (lambda: cell_demos.simulate_gates(c0=np.inf), ["c0", "finite", "inf"]),
        "cell_demos biases b_f nan": (lambda: cell_demos.simulate_biases(b_f=np.nan), ["b_f", "nan"]),
        "cell_demos biases noise": (lambda: cell_demos.simulate_biases(noise=-1.0), ["noise", "-1.0"]),
        "cell_demos carousel bias None": (lambda: cell_demos.carousel_params(2, 3, bias=None),
                                          ["bias", "finite number", "NoneType"], "T"),
        "cell_demos carousel dtype int": (lambda: cell_demos.carousel_params(2, 3, dtype=int),
                                          ["dtype", "float32 or float64", "int64"]),
        "cell_demos carousel dtype float16": (lambda: cell_demos.carousel_params(2, 3, dtype=np.float16),
                                              ["dtype", "float32 or float64", "float16"]),
        "cell_demos run_cell state0": (lambda: cell_demos.run_cell(P4, X42, np.zeros((2, 3))),
                                       ["state0", "tuple", "ndarray"]),
        "cell_demos run_cell c0": (lambda: cell_demos.run_cell(P4, X42, (np.zeros((2, 3)), np.zeros((1, 3)))),
                                   ["c0", "N=2", "(1, 3)"]),
        "cell_demos norms params weight_hh": (lambda: cell_demos.state_gradient_norms({"weight_hh": np.zeros((6, 3))},
                                                                                      X42),
                                              ["params", "weight_hh", "(6, 3)"]),
        "cell_demos norms rnn h0": (lambda: cell_demos.state_gradient_norms(
            rnn.init_params(2, 3, rng=np.random.default_rng(0)), X42, np.zeros((1, 3))), ["state0", "N=2", "(1, 3)"]),
        "cell_demos norms lstm state0": (lambda: cell_demos.state_gradient_norms(P4, X42, np.zeros((2, 3))),
                                         ["state0", "tuple", "ndarray"]),
        "cell_demos norms x float32": (lambda: cell_demos.state_gradient_norms(P4, X42.astype(np.float32)),
                                       ["x", "float64", "float32"]),
        "cell_demos decay_factor hi range": (lambda: cell_demos.decay_factor([1.0, 0.5], 0, 5), ["hi", "0..1", "5"]),
        "cell_demos decay_factor zero": (lambda: cell_demos.decay_factor([1.0, 0.0]), ["norms", "positive", "0.0"]),
        "cell_demos route_gains data": (lambda: cell_demos.route_gains({"t": 1}),
                                        ["data", "cell_demos.simulate_gates"]),
        "cell_demos route_gains t 0": (lambda: cell_demos.route_gains(simulated, t=0), ["t", "1..T=10", "0"]),
        "cell_demos route_gains t 11": (lambda: cell_demos.route_gains(simulated, t=11), ["t", "1..T=10", "11"]),
        "cell_demos route_gains t float": (lambda: cell_demos.route_gains(simulated, t=2.0),
                                           ["t", "1..T=10", "2.0"], "T"),
        # a masked array: its masked entries would be computed with, so it is refused naming the array
        "lstm x masked": (lambda: lstm.forward(np.ma.masked_invalid(with_nan(X)), None, LAYERS["lstm"]["params"]),
                          ["x", "masked array"], "T"),
        "rnn x masked": (lambda: rnn.forward(np.ma.masked_array(X), None, LAYERS["rnn"]["params"]),
                         ["x", "masked array"], "T"),
    }


# ---- the recurrent layers' own tables (formerly in test_gru.py and test_variants.py) --------------
# Each table keeps its module's arrays (names prefixed by the module) and the cases layer_cases does
# not already make for every layer; a case's name starts with "<module>:" so that it cannot meet a
# name of layer_cases.

_grng = np.random.default_rng(0)
GRU_P = gru.init_params(4, 5, rng=_grng)
GRU_X = _grng.standard_normal((3, 2, 4))
GRU_S = _grng.standard_normal((2, 5))
_, _, GRU_CACHE = gru.forward(GRU_X, None, GRU_P)

GRU_BAD = {
    "x float32": (lambda: gru.forward(GRU_X.astype(np.float32), None, GRU_P), ["x", "float64", "float32"]),
    "lstm params": (lambda: gru.forward(GRU_X, None, {k: np.concatenate([v, v[:5]]) for k, v in GRU_P.items()}),
                    ["weight_hh", "(3*H, H)", "(20, 5)"]),
    "missing key": (lambda: gru.forward(GRU_X, None, {k: v for k, v in GRU_P.items() if k != "bias_ih"}),
                    ["params", "bias_ih", "missing"]),
    "step h_prev": (lambda: gru.step_forward(GRU_X[0], GRU_S[:, :2], GRU_P), ["h_prev", "H=5", "(2, 2)"]),
    "step dh": (lambda: gru.step_backward(GRU_S[:, :4], GRU_CACHE[0]), ["dh", "(2, 4)"]),
    "dhs shape": (lambda: gru.backward(np.zeros((4, 2, 5)), GRU_CACHE), ["dhs", "T=3", "(4, 2, 5)"]),
    "cache type": (lambda: gru.backward(None, [tuple(GRU_CACHE[0])]), ["cache", "gru.forward", "list"]),
    "init size": (lambda: gru.init_params(0, 3, rng=_grng), ["input_size", "positive integer", "0"]),
    "init rng": (lambda: gru.init_params(2, 3, rng=0), ["rng", "Generator", "int"]),
    "init dtype": (lambda: gru.init_params(2, 3, rng=_grng, dtype=np.int32), ["dtype", "floating", "int32"]),
    "init update_bias": (lambda: gru.init_params(2, 3, rng=_grng, update_bias=np.inf), ["update_bias", "finite"]),
}

_vrng = np.random.default_rng(0)
VAR_P = variants.init_params(4, 5, rng=_vrng, variant="peephole")
VAR_X = _vrng.standard_normal((3, 2, 4))
VAR_S = _vrng.standard_normal((2, 5))
VAR_SHARED = {k: VAR_P[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
_, _, VAR_CACHE = variants.forward(VAR_X, None, VAR_P, variant="peephole")

VARIANTS_BAD = {
    "variant name": (lambda: variants.forward(VAR_X, None, VAR_SHARED, variant="gru"),
                     ["variant", "no_forget", "gru"]),
    "coupled without forget": (lambda: variants.Variant(coupled=True, forget=False),
                               ["variant", "coupled", "forget=False"]),
    "peepholes missing": (lambda: variants.forward(VAR_X, None, VAR_SHARED, variant="peephole"),
                          ["params", "missing", "peephole_i"]),
    "peepholes extra": (lambda: variants.forward(VAR_X, None, VAR_P, variant="vanilla"),
                        ["params", "extra", "peephole_o"]),
    "peephole shape": (lambda: variants.forward(VAR_X, None, {**VAR_P, "peephole_f": np.zeros(4)}, variant="peephole"),
                       ["peephole_f", "H=5", "(4,)"]),
    "peephole dtype": (lambda: variants.forward(VAR_X, None, {**VAR_P, "peephole_o": VAR_P["peephole_o"].astype(
        np.float32)}, variant="peephole"), ["peephole_o", "float64", "float32"]),
    "rnn weights": (lambda: variants.forward(VAR_X, None, {k: v[:5] for k, v in VAR_SHARED.items()}),
                    ["weight_hh", "(4*H, H)"]),
    "x D": (lambda: variants.forward(VAR_X[..., :2], None, VAR_P, variant="peephole"), ["x", "D=4", "(3, 2, 2)"]),
    "state0 type": (lambda: variants.forward(VAR_X, VAR_S, VAR_P, variant="peephole"),
                    ["state0", "tuple", "ndarray"]),
    "c0 shape": (lambda: variants.forward(VAR_X, (VAR_S, VAR_S[:1]), VAR_P, variant="peephole"),
                 ["c0", "N=2", "(1, 5)"]),
    "step c_prev": (lambda: variants.step_forward(VAR_X[0], VAR_S, VAR_S[:, :1], VAR_P, "peephole"), ["c_prev", "H=5"]),
    "step dc": (lambda: variants.step_backward(VAR_S, VAR_S * np.nan, VAR_CACHE[0]), ["dc", "finite"]),
    "dstate type": (lambda: variants.backward(None, VAR_CACHE, VAR_S), ["dstate", "tuple"]),
    "cache type": (lambda: variants.backward(None, [tuple(VAR_CACHE[0])]), ["cache", "variants.forward", "list"]),
    "init variant": (lambda: variants.init_params(2, 3, rng=_vrng, variant="cifg"), ["variant", "coupled", "cifg"]),
}


# minLSTM (chapter 07): no weight_hh, rows f, i, candidate
_mrng = np.random.default_rng(0)
MIN_P = minlstm.init_params(4, 5, rng=_mrng)
MIN_X = _mrng.standard_normal((3, 2, 4))
MIN_S = _mrng.standard_normal((2, 5))
_, _, MIN_CACHE = minlstm.forward(MIN_X, None, MIN_P)

MINLSTM_BAD = {
    "x rank": (lambda: minlstm.forward(MIN_X[0], None, MIN_P), ["x", "3 dimensions", "(2, 4)"]),
    "x D": (lambda: minlstm.forward(MIN_X[..., :3], None, MIN_P), ["x", "D=4", "(3, 2, 3)"]),
    "x float32": (lambda: minlstm.forward(MIN_X.astype(np.float32), None, MIN_P), ["x", "float64", "float32"]),
    "x nan": (lambda: minlstm.forward(MIN_X * np.nan, None, MIN_P, fused=True), ["x", "finite"]),
    "h0 batch": (lambda: minlstm.forward(MIN_X, MIN_S[:1], MIN_P), ["h0", "N=2", "(1, 5)"]),
    "lstm params": (lambda: minlstm.forward(MIN_X, None, {**MIN_P, "weight_hh": np.zeros((15, 5))}),
                    ["params", "weight_hh", "no weight_hh"]),
    "weight rows": (lambda: minlstm.forward(MIN_X, None, {**MIN_P, "weight_ih": MIN_P["weight_ih"][:14]}),
                    ["weight_ih", "(3*H, D)", "(14, 4)"]),
    "bias shape": (lambda: minlstm.forward(MIN_X, None, {**MIN_P, "bias_ih": MIN_P["bias_ih"][:5]}),
                   ["bias_ih", "(5,)"]),
    "bias dtype": (lambda: minlstm.forward(MIN_X, None,
                                           {**MIN_P, "bias_ih": MIN_P["bias_ih"].astype(np.float32)}),
                   ["bias_ih", "float64", "float32"]),
    "step x_t": (lambda: minlstm.step_forward(MIN_X, MIN_S, MIN_P), ["x_t", "2 dimensions"]),
    "step h_prev": (lambda: minlstm.step_forward(MIN_X[0], MIN_S[:, :2], MIN_P), ["h_prev", "H=5", "(2, 2)"]),
    "step dh": (lambda: minlstm.step_backward(MIN_S[:, :4], MIN_CACHE[0]), ["dh", "(2, 4)"]),
    "dhs shape": (lambda: minlstm.backward(np.zeros((4, 2, 5)), MIN_CACHE), ["dhs", "T=3", "(4, 2, 5)"]),
    "dstate shape": (lambda: minlstm.backward(None, MIN_CACHE, MIN_S[:1]), ["dstate", "(1, 5)"]),
    "cache type": (lambda: minlstm.backward(None, [tuple(MIN_CACHE[0])]), ["cache", "minlstm.forward", "list"]),
    "scan method": (lambda: minlstm.forward(MIN_X, None, MIN_P, fused=True, method="closed_form"),
                    ["method", "closed_form", "hillis_steele"]),
    "init size": (lambda: minlstm.init_params(0, 3, rng=_mrng), ["input_size", "positive integer", "0"]),
    "init rng": (lambda: minlstm.init_params(2, 3, rng=0), ["rng", "Generator", "int"]),
    "init dtype": (lambda: minlstm.init_params(2, 3, rng=_mrng, dtype=np.int32), ["dtype", "floating", "int32"]),
    "init forget_bias": (lambda: minlstm.init_params(2, 3, rng=_mrng, forget_bias=np.inf), ["forget_bias", "finite"]),
}


def fused_cases():
    """The one switch of every layer takes True or False, never a truthy stand-in."""
    calls = {"rnn": lambda f: rnn.forward(X, None, LAYERS["rnn"]["params"], fused=f),
             "lstm": lambda f: lstm.forward(X, None, LAYERS["lstm"]["params"], fused=f),
             "gru": lambda f: gru.forward(X, None, LAYERS["gru"]["params"], fused=f),
             "variants": lambda f: variants.forward(X, None, LAYERS["variants"]["params"], variant="peephole",
                                                    fused=f),
             "minlstm": lambda f: minlstm.forward(MIN_X, None, MIN_P, fused=f)}
    return {f"{name}: fused {value!r}": (lambda call=call, value=value: call(value), ["fused", repr(value)], "T")
            for name, call in calls.items() for value in ("yes", 1, None)}


def layer_table_cases():
    return {**{f"gru: {k}": v for k, v in GRU_BAD.items()}, **{f"variants: {k}": v for k, v in VARIANTS_BAD.items()},
            **{f"minlstm: {k}": v for k, v in MINLSTM_BAD.items()},
            **fused_cases()}


def gru_interop_cases():
    torch = pytest.importorskip("torch")
    from lstmkit import interop
    return {
        "gru: interop H rows": (lambda: interop.gru_to_torch({k: v[:5] for k, v in GRU_P.items()}),
                                ["weight_hh", "(3*H, H)"]),
        "gru: interop from lstm": (lambda: interop.gru_from_torch(torch.nn.LSTM(2, 3)), ["module", "GRU", "LSTM"]),
        "gru: interop two layers": (lambda: interop.gru_from_torch(torch.nn.GRU(2, 3, num_layers=2)),
                                    ["module", "num_layers=2"]),
        "gru: interop bidirectional": (lambda: interop.gru_from_torch(torch.nn.GRU(2, 3, bidirectional=True)),
                                       ["module", "bidirectional=True"]),
    }


CASES = {**layer_cases(), **module_cases(), **experiment_cases(), **layer_table_cases()}


def test_no_case_name_is_used_twice():
    tables = [layer_cases(), module_cases(), experiment_cases(), layer_table_cases()]
    assert sum(map(len, tables)) == len(CASES)


def _run_case(case):
    call, words, *kind = case
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    if kind == ["T"]:   # a value of the wrong type: a TypeError too, by Python's convention
        assert isinstance(info.value, TypeError), f"{type(info.value).__name__} is not a TypeError: {message!r}"


def _run_cases(cases):
    # one test for a table built at run time (it needs torch or ipywidgets): the failure names the case
    for name, case in cases.items():
        try:
            _run_case(case)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from err


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_raises_a_clear_error(name):
    _run_case(CASES[name])


def test_interop_bad_input():
    _run_cases(interop_cases())


def test_gru_interop_bad_input():
    _run_cases(gru_interop_cases())


def test_widget_bad_input_is_refused_before_building():
    _run_cases(widget_cases())


def test_every_exercise_check_names_a_missing_function():
    cases = check_cases()
    assert len(cases) >= 20   # every check of chapters 01-06
    _run_cases(cases)


def test_the_table_is_large_and_covers_every_module():
    everything = {**CASES, **interop_cases(), **widget_cases(), **check_cases()}
    assert len(everything) >= 150
    covered = {name.split()[0].split(".")[0] for name in everything}
    for module in ("rnn", "lstm", "gru", "variants", "numgrad", "rel_error", "sgd", "adam", "config", "train",
                   "adding", "fraction", "readout", "ablation", "charlm", "decay", "cell_demos", "sweeps", "interop",
                   "gate_explorer", "decay_explorer", "checks"):
        assert module in covered, module


def test_the_type_errors_are_also_value_errors():
    # one exception answers both conventions: except ValueError and except TypeError both catch it
    assert issubclass(ArgumentTypeError, ValueError) and issubclass(ArgumentTypeError, TypeError)


def test_exercise_checks_fail_clearly_on_complex_or_array_answers():
    # a reader's function that returns a complex number, an array where a number belongs, or a string:
    # the check fails with its report (an AssertionError naming the output), never passes or crashes
    from lstmkit.checks import ch02, ch03, ch04, ch05, ch06
    sig_prime = lambda a: rnn.sigmoid(a) * (1 - rnn.sigmoid(a))  # noqa: E731
    probes = {
        "sigmoid_prime complex": (lambda: ch02.sigmoid_prime(lambda a: sig_prime(a) + 0j), "sigmoid_prime"),
        "largest_lag array": (lambda: ch02.largest_lag(lambda s, g, t: np.array([1, 2])),
                              "k should be a non-negative integer or math.inf, got an array"),
        "largest_lag None": (lambda: ch02.largest_lag(lambda s, g, t: None),
                             "k should be a non-negative integer or math.inf, got NoneType"),
        "largest_lag complex": (lambda: ch02.largest_lag(lambda s, g, t: 3 + 0j), "complex"),
        "largest_lag str": (lambda: ch02.largest_lag(lambda s, g, t: "3"), "str"),
        "forget_bias array": (lambda: ch04.forget_bias_for_retention(lambda *a: np.ones(2)), "b_f should be"),
        "forget_bias complex": (lambda: ch04.forget_bias_for_retention(lambda *a: 1 + 1j), "complex"),
        "adding_target array": (lambda: ch05.adding_target(lambda *a: np.ones(2)), "adding_target"),
        "lstm_gates complex": (lambda: ch03.lstm_gates(lambda *a: tuple(np.zeros((2, 3)) + 0j for _ in range(4))),
                               "lstm_gates"),
        "cross_entropy complex": (lambda: ch06.cross_entropy(lambda lg, t: (1 + 0j, lg * 0j)), "complex"),
    }
    for name, (call, word) in probes.items():
        with pytest.raises(AssertionError) as info:
            call()
        assert word in str(info.value), f"{name}: {word!r} not in {str(info.value)!r}"
