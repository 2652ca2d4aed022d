"""One epoch, one evaluation, and what the Trainer measures besides the loss.

Plain functions over a model and window arrays (float32 numpy, possibly strided views):
each batch is gathered with ``x[idx]`` (a copy of that batch only) and ``torch.from_numpy``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from rnncore.training.update import make_update

LOSSES = {"mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss}
EVAL_BATCH = 1024
# torch's default CPU generator is one per process (dropout masks, module init); this lock
# serialises the few moments a run reseeds and uses it. A lock, not state.
GLOBAL_RNG_LOCK = threading.Lock()


class NonFinite(ArithmeticError):
    """The loss became NaN or infinite: ``args[0]`` is the value; ``batch_losses`` the losses of the
    epoch's batches before it (the curve up to the divergence), out of ``batches``."""

    def __init__(self, value: float, batch_losses: list[float] | None = None, batches: int = 0):
        super().__init__(value)
        self.batch_losses, self.batches = list(batch_losses or []), batches


def seeded_forward(model: nn.Module, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """model(x) with dropout masks drawn from ``generator``, not from torch's shared RNG."""
    seed = int(torch.randint(2**62, (), generator=generator))
    with GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return model(x)


def train_epoch(model: nn.Module, x: np.ndarray, y: np.ndarray, order: np.ndarray, *, batch_size: int,
                optimizer: torch.optim.Optimizer, loss_fn: nn.Module, clip_norm: float,
                device: torch.device, before_batch: Callable[[], None],
                forward: Callable[[torch.Tensor], torch.Tensor]):
    """One pass over the train windows in ``order``.

    Returns (mean loss, mean total gradient norm, mean gradient norm per layer as a list).
    ``before_batch`` may raise to stop; a NaN or infinite loss raises NonFinite before the
    optimiser step, so the weights stay finite.
    """
    model.train()
    params = [param for group in optimizer.param_groups for param in group["params"]]
    update = make_update(model, optimizer, clip_norm)  # norms, the finite check, clipping, the optimiser's step
    # the model's own forward and backward without autograd's graph, where it has one (None: it does not apply);
    # never with another forward (dropout masks drawn from the run's generator)
    without_graph = getattr(model, "loss_and_grads", None) if forward is model else None
    loss_sum, grad_sum, layer_sum, batches = 0.0, 0.0, torch.zeros(len(model.layer_parameters())), 0
    losses, n_batches = [], -(-len(order) // batch_size)  # each batch's loss: the curve up to a divergence
    for start in range(0, len(order), batch_size):
        before_batch()
        idx = order[start:start + batch_size]
        xb = torch.from_numpy(x[idx]).to(device)
        yb = torch.from_numpy(y[idx]).to(device)
        loss = without_graph(xb, yb, loss_fn) if without_graph is not None else None  # its gradients set too
        if loss is None:
            loss = loss_fn(forward(xb), yb)
        value = loss.item()
        if not math.isfinite(value):
            raise NonFinite(value, losses, n_batches)
        if loss.requires_grad:  # through autograd
            for param in params:  # optimizer.zero_grad(set_to_none=True) without its wrapping
                param.grad = None
            loss.backward()
        norms, total = update()
        if not math.isfinite(total):  # nothing was changed: the weights stay finite
            raise NonFinite(total, losses, n_batches)
        loss_sum += value * len(idx)
        losses.append(value)
        grad_sum += total
        layer_sum += norms
        batches += 1
    n = max(len(order), 1)
    return loss_sum / n, grad_sum / max(batches, 1), (layer_sum / max(batches, 1)).tolist()


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray, device: torch.device, batch: int = EVAL_BATCH) -> np.ndarray:
    """Model outputs for windows ``x`` (scaled units), in eval mode, ``batch`` windows at a time, in order:
    (n, output_size) float32."""
    was_training = model.training
    model.eval()
    outputs = []
    for start in range(0, len(x), batch):
        xb = torch.from_numpy(np.array(x[start:start + batch])).to(device)
        outputs.append(model(xb).float().cpu().numpy())
    model.train(was_training)
    if not outputs:
        return np.zeros((0, model.head.out_features), dtype=np.float32)
    return np.concatenate(outputs)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, loss_fn: nn.Module,
             device: torch.device, batch: int = EVAL_BATCH) -> float | None:
    """The loss on windows (x, y) read ``batch`` at a time, or None when there are none."""
    if len(x) == 0:
        return None
    y_hat = torch.from_numpy(predict(model, x, device, batch))
    return float(loss_fn(y_hat, torch.from_numpy(np.array(y))))


def grad_through_time(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """|d y_hat / d x_t| for the last output, averaged over the batch and features: (time,).

    Small values at early time steps are vanishing gradients: what happened there barely
    moves the prediction. Runs in eval mode (no dropout) and leaves the parameters' ``.grad``
    untouched.
    """
    was_training = model.training
    model.eval()
    try:  # cuDNN computes RNN gradients only in training mode: use torch's own kernels
        with torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
            x = x.detach().clone().requires_grad_(True)
            y = model(x)
            (grad,) = torch.autograd.grad(y[:, -1].sum(), x)
    finally:
        model.train(was_training)
    return grad.abs().mean(dim=(0, 2)).cpu().numpy().astype(np.float32)
