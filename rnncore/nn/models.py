"""SequenceModel: a recurrent stack and a linear head on its last hidden state.

Standard cells (rnn tanh/relu, lstm tanh, gru) are torch's fused modules; the others (LSTM
with relu as in the article's Keras example, the article LSTM) are
``cells.ExplicitRecurrent``. On the CPU every LSTM trains through the C++ loops
(``cells.NATIVE``) where they are built, the fused module's own parameters included. Both
kinds keep torch's parameter names, so a state dict moves between them, and ``inspect``
runs the same parameters through the explicit cells to show every gate.

``embedding`` (above 0) reads the inputs through a learned linear map to that many values first, without a bias:
on one-hot characters each row of its weight is a character's embedding, and the first layer reads
``embedding`` values instead of the vocabulary's size, as a language model of a large vocabulary does.

``forget_bias`` sets the forget-gate bias of the LSTM and the article LSTM (``bias_ih``
forget slice = forget_bias, ``bias_hh`` forget slice = 0). The GRU has no forget gate;
its update gate z plays that part (``h' = (1 - z) n + z h``: z near 1 keeps the old
state), so forget_bias goes to the update gate, which sits in the same rows. The plain
RNN has no gate and ignores it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from rnncore.config import ModelConfig
from rnncore.nn.cells import GATE_COUNT, GATES, STATES, ExplicitRecurrent, native_for, native_stack_grads, run_stack
from rnncore.nn.losses import loss_and_grad

_FUSED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class Trace:
    """Everything inside one forward pass, per layer; each tensor is (batch, time, hidden)."""

    output: Tensor                   # (batch, output_size), equal to forward(x)
    gates: list[dict[str, Tensor]]   # per layer: gate name (cells.GATES) -> values
    states: list[dict[str, Tensor]]  # per layer: "h" (and "c" for the LSTM) -> values


class SequenceModel(nn.Module):
    """(batch, time, input_size) -> (batch, output_size): recurrent layers, then a linear head."""

    def __init__(self, config: ModelConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("output_size", output_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a whole number greater than zero (got {value!r})")
        self.config, self.input_size, self.output_size = config, input_size, output_size
        self.embed = nn.Linear(input_size, config.embedding, bias=False) if config.embedding else None
        width = config.embedding or input_size  # what the first layer reads
        # torch warns about dropout on a single layer: there is nothing between layers to drop
        dropout = config.dropout if config.num_layers > 1 else 0.0
        if config.fused:
            extra = {"nonlinearity": config.activation} if config.cell == "rnn" else {}
            self.rnn = _FUSED[config.cell](width, config.hidden_size, config.num_layers,
                                           batch_first=True, dropout=dropout, **extra)
        else:
            self.rnn = ExplicitRecurrent(config.cell, width, config.hidden_size, config.num_layers,
                                         activation=config.activation, dropout=dropout, batch_first=True)
        self.head = nn.Linear(config.hidden_size, output_size)
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Every parameter uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) as torch does
        (for the head too: fan-in is hidden_size), drawn from ``generator`` if given; then
        the forget-gate bias from the config."""
        bound = 1.0 / math.sqrt(self.config.hidden_size)
        with torch.no_grad():
            for weight in self.parameters():
                weight.uniform_(-bound, bound, generator=generator)
            if self.embed is not None:  # as torch.nn.Embedding: each character's vector drawn from N(0, 1)
                self.embed.weight.normal_(0.0, 1.0, generator=generator)
            if self.config.cell != "rnn":
                rows = slice(self.config.hidden_size, 2 * self.config.hidden_size)  # forget / update gate
                for layer in range(self.config.num_layers):
                    getattr(self.rnn, f"bias_ih_l{layer}")[rows] = self.config.forget_bias
                    getattr(self.rnn, f"bias_hh_l{layer}")[rows] = 0.0

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape (batch, time, {self.input_size}), got {tuple(x.shape)}")

    def _read(self, x: Tensor) -> Tensor:
        """``x`` checked, through the embedding where there is one: what the first layer reads."""
        self._check_input(x)
        return x if self.embed is None else self.embed(x)

    def forward(self, x: Tensor) -> Tensor:
        x = self._read(x)
        cell, activation = self.config.cell, self.config.activation
        if self.config.fused and native_for(cell, activation, x) is not None:  # faster than the fused module
            _, final, _ = run_stack(self.rnn, cell, activation, x, self.config.num_layers, dropout=self.rnn.dropout,
                                    training=self.training)
        else:
            _, final = self.rnn(x)
            final = final if isinstance(final, tuple) else (final,)
        # the last layer's final h, which is its output at the last step: the backward then never forms a
        # gradient on every step's output (zeros but one, and costly to form, copy and clone)
        return self.head(final[0][-1])

    def forward_steps(self, x: Tensor) -> Tensor:
        """(batch, time, input_size) -> (batch, time, output_size): the head on the last layer's output at every
        step (a language model trained on every position); its last step equals ``forward(x)``."""
        return self.forward_carried(x)[0]

    def forward_carried(self, x: Tensor, state: tuple[Tensor, ...] | None = None) -> tuple[Tensor, tuple[Tensor, ...]]:
        """``forward_steps(x)`` from ``state`` rather than zeros, and the state it ends in: both as torch's ``(h,)``
        or, for the LSTM, ``(h, c)``, each (layers, batch, hidden); ``None``: zeros. A sequence read in pieces, each
        from the state the one before ended in, gives the outputs of the whole."""
        x = self._read(x)
        cell, activation = self.config.cell, self.config.activation
        if self.config.fused and native_for(cell, activation, x) is not None:
            out, final, _ = run_stack(self.rnn, cell, activation, x, self.config.num_layers, dropout=self.rnn.dropout,
                                      training=self.training, state=state)
        else:
            hx = state if state is None or len(state) == 2 else state[0]  # torch's modules take h alone, or (h, c)
            out, final = self.rnn(x, hx)
            final = final if isinstance(final, tuple) else (final,)
        return self.head(out), final

    def loss_and_grads(self, x: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor]) -> Tensor | None:
        """``loss_fn(self(x), y)``, with every parameter's gradient in ``.grad`` as ``backward()`` from None leaves
        it, computed without autograd's graph where the layers run in C++ (cells.native_stack_grads; the loss's
        gradient from losses.loss_and_grad). None where they do not (other cells, the GPU, dropout
        between layers while training, an embedding, no grad mode): the caller then goes through autograd."""
        built = native_for(self.config.cell, self.config.activation, x)
        dropping = self.training and self.config.dropout > 0 and self.config.num_layers > 1
        if built is None or dropping or not torch.is_grad_enabled() or self.embed is not None:
            return None
        self._check_input(x)
        head, loss = self.head, []

        def top(h: Tensor) -> Tensor:  # the head and the loss: the gradient on the last layer's final h
            value, grad = loss_and_grad(loss_fn, torch.addmm(head.bias, h, head.weight.t()), y)
            head.weight.grad, head.bias.grad = grad.t().mm(h), grad.sum(0)
            loss.append(value)
            return grad.mm(head.weight)

        native_stack_grads(built, self.rnn, self.config.cell, self.config.activation, x, self.config.num_layers, top)
        return loss[0]

    @torch.no_grad()
    def inspect(self, x: Tensor) -> Trace:
        """Run ``x`` through the explicit cells in eval mode and keep every gate and state."""
        x = self._read(torch.as_tensor(x, dtype=self.head.weight.dtype, device=self.head.weight.device))
        cell = self.config.cell
        out, _, records = run_stack(self.rnn, cell, self.config.activation, x, self.config.num_layers,
                                    record=True)
        gates = [{name: rec[name] for name in GATES[cell]} for rec in records]
        states = [{name: rec[name] for name in STATES[cell]} for rec in records]
        return Trace(output=self.head(out[:, -1]), gates=gates, states=states)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def layer_parameters(self) -> dict[str, list[nn.Parameter]]:
        """``{"layer 0": [...], ..., "head": [...]}``: for gradient norms per layer."""
        groups = {"embedding": [self.embed.weight]} if self.embed is not None else {}
        groups |= {f"layer {k}": [getattr(self.rnn, f"{name}_l{k}")
                                  for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                   for k in range(self.config.num_layers)}
        groups["head"] = [self.head.weight, self.head.bias]
        return groups


def parameter_count(config: ModelConfig, input_size: int, output_size: int) -> int:
    """How many parameters ``SequenceModel(config, input_size, output_size)`` has, without building it
    (a server refuses a model too large before it takes the memory)."""
    gates = GATE_COUNT[config.cell] * config.hidden_size
    hidden = config.hidden_size
    layers = sum(gates * (width + hidden) + 2 * gates
                 for width in [config.embedding or input_size] + [hidden] * (config.num_layers - 1))
    return input_size * config.embedding + layers + hidden * output_size + output_size


def build_model(config: ModelConfig, input_size: int, output_size: int,
                generator: torch.Generator) -> SequenceModel:
    """A SequenceModel whose parameters all come from ``generator``.

    The model is built on the meta device first, so torch's own initialisation draws
    nothing from the global random generator: runs in other threads are not disturbed
    and the same seed gives the same parameters.
    """
    with torch.device("meta"):
        model = SequenceModel(config, input_size, output_size)
    model.to_empty(device=generator.device)
    model.reset_parameters(generator)
    return model
