"""A training step's update, after the backward: each layer's gradient norm, the refusal of a gradient that is
not finite, clipping to a largest norm, and the optimiser's step.

``make_optimizer(params, tc)`` is the optimiser of a TrainConfig; ``make_update(model, optimizer, clip_norm)``
returns ``update()``, which does the rest and returns (each layer's gradient norm, the total norm); with a total
that is not finite it changes nothing, so the run stops with finite weights.

Adam and AdamW on the CPU are NativeAdam where the C++ extension is built (rnncore/nn/adam_native.cpp): the whole
update in one call, a third of the time torch's ops and torch.optim take (docs/PERFORMANCE.md, "Cells").
Everywhere else, torch's ops and optimisers do it,
and they are the reference NativeAdam is tested against (tests/test_update.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from rnncore.nn import native

BETAS, EPS = (0.9, 0.999), 1e-8  # Adam's, as torch's defaults


def make_optimizer(params, tc) -> torch.optim.Optimizer:
    """The optimiser of a TrainConfig (SGD with momentum 0.9)."""
    params = list(params)
    if tc.optimizer == "sgd":
        return torch.optim.SGD(params, lr=tc.lr, momentum=0.9, weight_decay=tc.weight_decay)
    if tc.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=tc.lr, weight_decay=tc.weight_decay)
    decoupled = tc.optimizer == "adamw"
    built = native.module() if all(p.device.type == "cpu" for p in params) else None
    if built is not None:
        return NativeAdam(params, built, lr=tc.lr, weight_decay=tc.weight_decay, decoupled=decoupled)
    kind = torch.optim.AdamW if decoupled else torch.optim.Adam
    return kind(params, lr=tc.lr, weight_decay=tc.weight_decay, fused=True)  # one kernel a tensor: 3x faster on a CPU


def layer_grad_norms(layers: dict[str, list[nn.Parameter]]) -> torch.Tensor:
    """The L2 norm of each layer's gradient, in the order of ``layers``, on the CPU (0 for a layer without one).

    Every gradient's norm in one stack and one copy to the CPU, added up per layer there: a third of the time of
    a norm per layer (``get_total_norm``)."""
    grads, owners = [], []
    for layer, params in enumerate(layers.values()):
        for param in params:
            if param.grad is not None:
                grads.append(param.grad)
                owners.append(layer)
    if not grads:
        return torch.zeros(len(layers))
    squares = torch.stack([torch.linalg.vector_norm(grad) for grad in grads]).cpu().square_()
    return squares.new_zeros(len(layers)).index_add_(0, torch.tensor(owners), squares).sqrt_()


def make_update(model, optimizer: torch.optim.Optimizer, clip_norm: float) -> Callable[[], tuple[torch.Tensor, float]]:
    """``update()`` for ``model`` (its ``layer_parameters()``) and ``optimizer``; see the module docstring."""
    layers = model.layer_parameters()
    if isinstance(optimizer, NativeAdam):
        layer_of = {param: k for k, params in enumerate(layers.values()) for param in params}
        owners = [layer_of.get(param, -1) for param in optimizer.param_groups[0]["params"]]

        def native_update() -> tuple[torch.Tensor, float]:
            norms = optimizer.measured_step(owners, len(layers), clip_norm)
            return norms[:-1], float(norms[-1])
        return native_update
    params = list(model.parameters())

    def update() -> tuple[torch.Tensor, float]:
        norms = layer_grad_norms(layers)
        total = torch.linalg.vector_norm(norms)
        if torch.isfinite(total):
            if clip_norm > 0:
                nn.utils.clip_grads_with_norm_(params, clip_norm, total)
            optimizer.step()
        return norms, float(total)
    return update


class NativeAdam(torch.optim.Optimizer):
    """torch.optim.Adam, or AdamW with ``decoupled=True``, with one parameter group, whose update is one C++ call
    that also measures the gradients' norms, refuses a gradient that is not finite (nothing changes) and clips:
    ``measured_step``. Its state per parameter is torch's: ``step``, ``exp_avg``, ``exp_avg_sq``."""

    def __init__(self, params, built, lr: float = 1e-3, weight_decay: float = 0.0, decoupled: bool = False):
        if lr <= 0:
            raise ValueError("lr must be greater than zero")
        if weight_decay < 0:
            raise ValueError("weight_decay must be at least zero")
        self.built, self.decoupled = built, decoupled
        super().__init__(params, {"lr": lr, "betas": BETAS, "eps": EPS, "weight_decay": weight_decay})

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ValueError("NativeAdam takes one parameter group (clipping is over all of them at once)")
        super().add_param_group(param_group)

    def measured_step(self, owners: list[int], layers: int, clip_norm: float = 0.0) -> torch.Tensor:
        """Step from the gradients now in ``.grad``: returns each of ``layers`` layers' gradient norm (``owners``:
        the layer of each parameter, in the group's order; -1 for none), then the total. A total that is not
        finite changes nothing."""
        group = self.param_groups[0]
        params = group["params"]
        grads = [param.grad for param in params]
        exp_avgs, exp_avg_sqs, steps = [], [], []
        for param, grad in zip(params, grads, strict=True):
            if grad is None:  # left alone by the C++: the parameter stands in for its state
                exp_avgs.append(param), exp_avg_sqs.append(param), steps.append(0)
                continue
            state = self.state[param]
            if not state:
                state.update(step=0, exp_avg=torch.zeros_like(param), exp_avg_sq=torch.zeros_like(param))
            exp_avgs.append(state["exp_avg"]), exp_avg_sqs.append(state["exp_avg_sq"]), steps.append(state["step"] + 1)
        beta1, beta2 = group["betas"]
        norms = self.built.adam_step(params, grads, exp_avgs, exp_avg_sqs, steps, owners, layers, group["lr"], beta1,
                                     beta2, group["eps"], group["weight_decay"], self.decoupled, clip_norm)
        if math.isfinite(float(norms[-1])):
            for param, grad, step in zip(params, grads, steps, strict=True):
                if grad is not None:
                    self.state[param]["step"] = step
        return norms

    @torch.no_grad()
    def step(self, closure=None):
        """torch.optim's step (no clipping); a gradient that is not finite changes nothing."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.measured_step([-1] * len(self.param_groups[0]["params"]), 0)
        return loss
