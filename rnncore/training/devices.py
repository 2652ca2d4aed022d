"""Where a run trains: the CPU or a CUDA GPU, and which of the two is the faster for a model.

Measured with the Trainer on the article's data set, a GPU against one thread of a CPU (docs/PERFORMANCE.md,
"the GPU, measured"). On a GPU a batch costs about the same at every size here: little for torch's fused cells
(cuDNN), more for the relu LSTM and the article's LSTM, which cuDNN has no kernel for and which run step by step
in Python there, launching kernels rather than computing. On the
CPU the LSTMs run in our C++ loops (cells.NATIVE), whose batch costs about batch x hidden²; the GRU and the plain
RNN run torch's CPU kernels, which the GPU beat at every size measured. So the CPU is the faster only for an LSTM
and below a break-even of batch x hidden² (the number of layers and the lookback scale both devices alike).
"""

from __future__ import annotations

import torch

from rnncore.config import ExperimentConfig, ModelConfig
from rnncore.errors import config_error
from rnncore.nn.cells import NATIVE

# batch_size x hidden_size² where an LSTM's epoch takes as long on the CPU as on the GPU (s per epoch, CPU / GPU):
# fused, the CPU faster at 32 x 64² (131,072: 0.105 / 0.121), the GPU at 64 x 50² (160,000: 0.086 / 0.068);
# explicit, the CPU faster at 64 x 96² (589,824: 0.127 / 0.238) and at 64 x 128² as a relu LSTM (1,048,576:
# 0.279 / 0.305), the GPU at the same size as the article's LSTM (0.296 / 0.251)
FUSED_BREAK_EVEN = 150_000
EXPLICIT_BREAK_EVEN = 1_000_000


def gpu_available() -> bool:
    return torch.cuda.is_available()


def break_even(model: ModelConfig) -> int | None:
    """The batch_size x hidden_size² below which this model trains faster on the CPU, or None: the GPU at any size."""
    if (model.cell, model.activation) not in NATIVE:
        return None
    return FUSED_BREAK_EVEN if model.fused else EXPLICIT_BREAK_EVEN


def cost(model: ModelConfig, batch_size: int) -> int:
    """batch_size x hidden_size²: what an LSTM's batch costs on the CPU, in proportion (the module's docstring)."""
    return batch_size * model.hidden_size ** 2


def faster_on_cpu(model: ModelConfig, batch_size: int) -> bool:
    """Whether this model trains faster on the CPU than on a GPU (the module's docstring says how it was measured)."""
    limit = break_even(model)
    return limit is not None and cost(model, batch_size) < limit


def resolve_device(cfg: ExperimentConfig) -> torch.device:
    """The device a run of ``cfg`` trains on: its ``train.device``, where auto is a GPU when there is one and the
    model is faster there; ConfigError (no_gpu) for cuda on a machine without a CUDA GPU."""
    name = cfg.train.device
    if name == "auto":
        gpu = gpu_available() and not faster_on_cpu(cfg.model, cfg.train.batch_size)
        return torch.device("cuda" if gpu else "cpu")
    if name == "cuda" and not gpu_available():
        raise config_error("no_gpu")
    return torch.device(name)
