"""A training step's update (rnncore/training/update.py): NativeAdam's one C++ call against torch.optim.Adam and
AdamW (fused), layer_grad_norms and clip_grads_with_norm_, step by step; its refusal of a gradient that is not
finite; and the choice between the two in make_optimizer and a whole training run."""

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch
from torch import nn

from rnncore.config import ExperimentConfig
from rnncore.nn import native
from rnncore.training.update import NativeAdam, layer_grad_norms, make_optimizer, make_update

SHAPES = [(8, 3), (8, 4), (8,), (8,), (1, 4), (1,)]  # a small LSTM layer's and a head's
OWNERS = [0, 0, 0, 0, 1, 1]
TOLERANCE = {torch.float64: {"atol": 1e-12, "rtol": 1e-10}, torch.float32: {"atol": 1e-6, "rtol": 1e-5}}


def twin_params(dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    ours = [nn.Parameter(torch.randn(shape, generator=g, dtype=dtype)) for shape in SHAPES]
    return ours, [nn.Parameter(p.detach().clone()) for p in ours]


def set_grads(params, seed, scale=1.0, skip=()):
    g = torch.Generator().manual_seed(seed)
    for k, param in enumerate(params):
        grad = torch.randn(param.shape, generator=g, dtype=param.dtype) * scale
        param.grad = None if k in skip else grad


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("kind", "weight_decay", "clip_norm"),
                         [("adam", 0.0, 0.0), ("adam", 0.1, 0.0), ("adamw", 0.1, 0.0), ("adam", 0.0, 1.5),
                          ("adamw", 0.01, 0.5)])
def test_native_adam_steps_as_torch_adam_with_its_norms_and_clipping(built, dtype, kind, weight_decay, clip_norm):
    ours, theirs = twin_params(dtype)
    native_adam = NativeAdam(ours, built, lr=0.01, weight_decay=weight_decay, decoupled=kind == "adamw")
    torch_adam = (torch.optim.AdamW if kind == "adamw" else torch.optim.Adam)(
        theirs, lr=0.01, weight_decay=weight_decay, fused=True)
    layers = {"layer 0": theirs[:4], "head": theirs[4:]}
    for step in range(12):
        scale = 3.0 if step % 3 == 0 else 0.2  # some steps clipped, some not
        set_grads(ours, step, scale)
        set_grads(theirs, step, scale)
        norms = native_adam.measured_step(OWNERS, 2, clip_norm)
        expected = layer_grad_norms(layers)
        total = torch.linalg.vector_norm(expected)
        torch.testing.assert_close(norms, torch.cat([expected, total[None]]).float(), atol=1e-6, rtol=1e-5)
        if clip_norm > 0:
            nn.utils.clip_grads_with_norm_(theirs, clip_norm, total)
        torch_adam.step()
        for a, b in zip(ours, theirs, strict=True):
            torch.testing.assert_close(a, b, **TOLERANCE[dtype], msg=f"step {step}")
            torch.testing.assert_close(a.grad, b.grad, **TOLERANCE[dtype])  # clipped in place, as torch does
            state, theirs_state = native_adam.state[a], torch_adam.state[b]
            assert state["step"] == int(theirs_state["step"]) == step + 1
            torch.testing.assert_close(state["exp_avg_sq"], theirs_state["exp_avg_sq"], **TOLERANCE[dtype])


def test_a_gradient_that_is_not_finite_changes_nothing(built):
    params, _ = twin_params(torch.float32)
    adam = NativeAdam(params, built, lr=0.01)
    set_grads(params, 0)
    adam.measured_step(OWNERS, 2)
    before = copy.deepcopy((adam.state_dict(), [p.detach().clone() for p in params]))
    for bad in (math.nan, math.inf):
        set_grads(params, 1)
        params[3].grad[2] = bad
        norms = adam.measured_step(OWNERS, 2, clip_norm=1.0)
        assert not math.isfinite(float(norms[-1])) and not math.isfinite(float(norms[0]))
        assert math.isfinite(float(norms[1]))  # the head's gradient was finite: its norm says so
        for p, kept in zip(params, before[1], strict=True):
            assert torch.equal(p, kept)
        state = adam.state_dict()["state"]
        for k, kept in before[0]["state"].items():
            assert state[k]["step"] == kept["step"] == 1
            assert torch.equal(state[k]["exp_avg"], kept["exp_avg"])


def test_a_parameter_without_a_gradient_is_left_alone_as_torch_leaves_it(built):
    ours, theirs = twin_params(torch.float64)
    native_adam, torch_adam = NativeAdam(ours, built, lr=0.05), torch.optim.Adam(theirs, lr=0.05, fused=True)
    for step in range(4):
        skip = (4,) if step < 2 else ()  # the head's weight has no gradient in the first two steps
        set_grads(ours, step, skip=skip)
        set_grads(theirs, step, skip=skip)
        native_adam.measured_step(OWNERS, 2)
        torch_adam.step()
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, **TOLERANCE[torch.float64])
        assert native_adam.state[a]["step"] == int(torch_adam.state[b]["step"])
    assert native_adam.state[ours[4]]["step"] == 2


def test_its_state_round_trips_and_the_step_goes_on_the_same(built):
    a, b = twin_params(torch.float64)
    first = NativeAdam(a, built, lr=0.01)
    second = NativeAdam(b, built, lr=0.01)
    for step in range(3):
        set_grads(a, step)
        set_grads(b, step)
        first.measured_step(OWNERS, 2)
        second.measured_step(OWNERS, 2)
    resumed = NativeAdam(b, built, lr=0.01)
    resumed.load_state_dict(copy.deepcopy(second.state_dict()))
    set_grads(a, 9)
    set_grads(b, 9)
    first.step()  # torch.optim's API: no clipping, no norms asked for
    resumed.step()
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)


def test_bad_settings_are_refused_as_torch_refuses_them(built):
    params, _ = twin_params(torch.float32)
    with pytest.raises(ValueError, match="lr must be greater than zero"):
        NativeAdam(params, built, lr=0.0)
    with pytest.raises(ValueError, match="weight_decay must be at least zero"):
        NativeAdam(params, built, weight_decay=-1.0)
    adam = NativeAdam(params, built)
    with pytest.raises(ValueError, match="one parameter group"):
        adam.add_param_group({"params": [nn.Parameter(torch.zeros(2))]})


def test_make_optimizer_takes_native_adam_where_it_is_built_and_torch_adam_elsewhere(built, monkeypatch):
    params = [nn.Parameter(torch.zeros(3))]
    train = ExperimentConfig().train
    assert isinstance(make_optimizer(params, dataclasses.replace(train, optimizer="adam")), NativeAdam)
    adamw = make_optimizer(params, dataclasses.replace(train, optimizer="adamw", weight_decay=0.01))
    assert isinstance(adamw, NativeAdam) and adamw.decoupled
    assert type(make_optimizer(params, dataclasses.replace(train, optimizer="sgd"))) is torch.optim.SGD
    assert type(make_optimizer(params, dataclasses.replace(train, optimizer="rmsprop"))) is torch.optim.RMSprop
    monkeypatch.setattr(native, "module", lambda: None)  # no C++ extension: torch's fused Adam
    fallback = make_optimizer(params, dataclasses.replace(train, optimizer="adamw"))
    assert type(fallback) is torch.optim.AdamW and fallback.defaults["fused"]


@pytest.mark.parametrize("clip_norm", [0.0, 0.05])
def test_an_epoch_trains_the_same_through_native_adam_as_through_torch_adam(built, monkeypatch, clip_norm):
    from rnncore.nn.models import build_model
    from rnncore.training.steps import LOSSES, train_epoch

    cfg = ExperimentConfig().replace(model={"cell": "lstm", "hidden_size": 8, "activation": "relu"})
    model = build_model(cfg.model, 1, 1, torch.Generator().manual_seed(0))
    twin = copy.deepcopy(model)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(96, 12, 1)).astype(np.float32), rng.normal(size=(96, 1)).astype(np.float32)
    ours = make_optimizer(model.parameters(), cfg.train)
    monkeypatch.setattr(native, "module", lambda: None)
    theirs = make_optimizer(twin.parameters(), cfg.train)
    assert isinstance(ours, NativeAdam) and isinstance(theirs, torch.optim.Adam)
    results = []
    for net, optimizer in ((model, ours), (twin, theirs)):
        results.append(train_epoch(net, x, y, np.arange(96), batch_size=16, optimizer=optimizer,
                                   loss_fn=LOSSES["mse"](), clip_norm=clip_norm, device=torch.device("cpu"),
                                   before_batch=lambda: None, forward=net))
    (loss_a, norm_a, layers_a), (loss_b, norm_b, layers_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-5) and norm_a == pytest.approx(norm_b, rel=1e-5)
    assert layers_a == pytest.approx(layers_b, rel=1e-5)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_the_torch_update_refuses_a_gradient_that_is_not_finite_too():
    params, _ = twin_params(torch.float32)

    class Model:
        def layer_parameters(self):
            return {"layer 0": params[:4], "head": params[4:]}

        def parameters(self):
            return iter(params)

    adam = torch.optim.Adam(params, lr=0.01, fused=True)
    step = make_update(Model(), adam, clip_norm=1.0)
    set_grads(params, 0)
    params[0].grad[0, 0] = math.inf
    kept = [p.detach().clone() for p in params]
    norms, total = step()
    assert not math.isfinite(total) and not adam.state  # no step taken
    assert all(torch.equal(p, k) for p, k in zip(params, kept, strict=True))
    assert len(norms) == 2
