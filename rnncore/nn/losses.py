"""A loss and its gradient on the model's outputs, for a training step that runs without autograd's graph
(SequenceModel.loss_and_grads).

torch's MSELoss, L1Loss and HuberLoss with the mean over every element, the losses a forecast trains with,
by their formulas, and their gradients as torch's backward defines them (tests/test_native_cells.py checks
both against autograd). Any other loss, or outputs and targets of different shapes, through autograd on the
loss alone: correct for every loss, and slower in a training step (docs/PERFORMANCE.md, "Cells").
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn


def loss_and_grad(loss_fn: Callable[[Tensor, Tensor], Tensor], out: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """``loss_fn(out, y)`` (detached) and its gradient with respect to ``out``."""
    kind = type(loss_fn)
    if kind in (nn.MSELoss, nn.L1Loss, nn.HuberLoss) and loss_fn.reduction == "mean" and out.shape == y.shape:
        diff, n = out - y, out.numel()
        if kind is nn.MSELoss:
            return diff.square().mean(), diff.mul(2.0 / n)
        if kind is nn.L1Loss:
            return diff.abs().mean(), diff.sign().div_(n)
        delta = loss_fn.delta
        size = diff.abs()
        value = torch.where(size < delta, 0.5 * diff.square(), delta * (size - 0.5 * delta)).mean()
        return value, diff.clamp(-delta, delta).div_(n)
    with torch.enable_grad():
        out = out.detach().requires_grad_()
        value = loss_fn(out, y)
        (grad,) = torch.autograd.grad(value, out)
    return value.detach(), grad
