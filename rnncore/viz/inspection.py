"""What the "Inside the cell" page shows, as plain numpy: gates, states, saturation, weights.

Every function takes a model that nobody else is updating (a finished run's model or a
``LiveView`` shadow), runs it without gradients, and returns arrays for ``cell_plots``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SATURATION_WINDOWS = 256


@dataclass
class WindowTrace:
    """One window through one layer: each array is (time, hidden)."""

    inputs: np.ndarray               # (time, features), scaled as the model sees them
    gates: dict[str, np.ndarray]
    states: dict[str, np.ndarray]
    prediction: np.ndarray           # (horizon,), scaled
    target: np.ndarray               # (horizon,), scaled


def _split(windows, split: str):
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be train, val or test (got {split!r})")
    return getattr(windows, split)


def trace_window(model, windows, split: str, index: int, layer: int) -> WindowTrace:
    """Gates and states of ``layer`` for window ``index`` of ``split``."""
    part = _split(windows, split)
    if not 0 <= index < len(part.x):
        raise IndexError(f"window {index} does not exist; {split} has {len(part.x)} windows")
    if not 0 <= layer < model.config.num_layers:
        raise IndexError(f"layer {layer} does not exist; the model has {model.config.num_layers}")
    x = torch.from_numpy(np.array(part.x[index:index + 1]))  # (1, time, features)
    with torch.no_grad():
        trace = model.inspect(x)
    return WindowTrace(inputs=np.asarray(part.x[index], dtype=np.float32),
                       gates={k: v[0].float().numpy() for k, v in trace.gates[layer].items()},
                       states={k: v[0].float().numpy() for k, v in trace.states[layer].items()},
                       prediction=trace.output[0].float().numpy(), target=np.asarray(part.y[index]))


def gate_sample(model, windows, split: str, layer: int,
                most: int = SATURATION_WINDOWS) -> dict[str, np.ndarray]:
    """Every gate of ``layer`` over up to ``most`` windows: name -> (windows*time, hidden)."""
    part = _split(windows, split)
    if len(part.x) == 0:
        return {}
    rows = np.unique(np.linspace(0, len(part.x) - 1, num=min(most, len(part.x))).astype(np.int64))
    with torch.no_grad():
        trace = model.inspect(torch.from_numpy(np.array(part.x[rows])))
    return {k: v.float().reshape(-1, v.shape[-1]).numpy() for k, v in trace.gates[layer].items()}


def parameter_values(model, gradients: dict[str, torch.Tensor] | None = None) -> tuple[dict, dict]:
    """(weights, gradients) as flat float32 arrays per recurrent weight matrix and the head.

    ``gradients`` defaults to each parameter's ``.grad`` (the last batch of training).
    """
    weights, grads = {}, {}
    for name, p in model.named_parameters():
        if "weight" not in name:  # biases are few and say little in a histogram
            continue
        short = name.removeprefix("rnn.")
        weights[short] = p.detach().float().reshape(-1).numpy().copy()
        g = gradients.get(name) if gradients is not None else p.grad
        if g is not None:
            grads[short] = g.detach().float().reshape(-1).numpy().copy()
    return weights, grads
