"""Explicit recurrent cells that expose every gate, with torch's parameter names.

``run_layer`` runs one layer over a whole sequence. The input projection ``x @ W_ih^T``
is computed for all time steps in one matmul; the loop over time then does only the
recurrent matmul ``h @ W_hh^T`` and a handful of element-wise ops per step. Gates are
kept only when ``record=True`` (inspection); the lean path trains the cells that
torch's fused modules do not offer (LSTM with relu, the article LSTM). On the CPU the
LSTMs' loops run in C++ where it is built (``NATIVE``, rnncore/nn/native.py): training,
predicting and inspecting, the tanh LSTM of torch's fused module included.

Weights are stacked as torch stacks them: LSTM rows ``input, forget, candidate (g),
output``; GRU ``reset, update, candidate (n)``. The article LSTM uses the LSTM's order
``input, forget, candidate, output``, so the same weights mean the same gates in both.

Equations (``act`` is tanh, or relu where chosen; ``σ`` the logistic sigmoid)::

    rnn           h' = act(W_ih x + b_ih + W_hh h + b_hh)                  (torch.nn.RNN)
    lstm          i, f, o = σ(W x + U h + b);  g = act(W_g x + U_g h + b_g)
                  c' = f c + i g;  h' = o act(c')      (torch.nn.LSTM for tanh; Keras for relu)
    gru           r, z = σ(W x + b_i + U h + b_h);  n = tanh(W_n x + b_in + r (U_n h + b_hn))
                  h' = (1 - z) n + z h                                     (torch.nn.GRU)
    article_lstm  i, f, o = σ(W x + U h + b);  c = act((W_c x + U_c h) o + b_c)
                  h' = f h + i c                        (the source article; no memory cell)

``b`` is ``b_ih + b_hh`` throughout (``b_c`` too).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from rnncore.nn import native

GATES = {
    "rnn": (),
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
    "article_lstm": ("input", "forget", "output", "candidate"),
}
STATES = {"rnn": ("h",), "lstm": ("h", "c"), "gru": ("h",), "article_lstm": ("h",)}
GATE_COUNT = {"rnn": 1, "lstm": 4, "gru": 3, "article_lstm": 4}
SIGMOID_GATES = ("input", "forget", "output", "reset", "update")  # gates that lie in [0, 1]
# the cells that train through the C++ loops (rnncore/nn/native.py) on the CPU where they are built: each
# measured faster there than in Python and than torch's fused LSTM (docs/PERFORMANCE.md)
NATIVE = frozenset({("lstm", "relu"), ("lstm", "tanh"), ("article_lstm", "relu"), ("article_lstm", "tanh")})


def native_for(cell: str, activation: str, x: Tensor):
    """The built C++ loops that run this layer on ``x``, or None: they run on the CPU."""
    if (cell, activation) not in NATIVE or x.device.type != "cpu":
        return None
    return native.module()


def _intel_mkl() -> bool:
    """Whether torch's CPU tanh is MKL's fast one: torch built with MKL on an Intel CPU. MKL takes a generic,
    slow path on other vendors' CPUs (on the AMD EPYC machine torch.tanh measured 5x slower than sigmoid; on
    the Intel Xeon one 3.5x faster than the sigmoid form below). Decided by the CPU's vendor, never by
    timing, so every process on a machine computes the same way; the vendor is read on Linux only (/proc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            intel = "GenuineIntel" in info.read(4096)
    except OSError:
        return False
    return intel and torch.backends.mkl.is_available()


def _sigmoid_tanh(x: Tensor) -> Tensor:
    """tanh(x) = 2 sigmoid(2x) - 1: faster than torch.tanh where that is not MKL's on an Intel CPU."""
    return torch.sigmoid(x * 2) * 2 - 1


_tanh = torch.tanh if _intel_mkl() else _sigmoid_tanh


_ACTIVATIONS = {"tanh": _tanh, "relu": torch.relu}


def run_layer(cell: str, activation: str, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor,  # noqa: PLR0917
              bias_hh: Tensor, x: Tensor, state: tuple[Tensor, ...] | None = None, record: bool = False,
              ) -> tuple[Tensor, tuple[Tensor, ...], dict[str, Tensor] | None]:
    """Run one recurrent layer over ``x`` of shape (batch, time, input_size).

    ``state`` is ``(h,)`` or, for the LSTM, ``(h, c)``, each (batch, hidden); zeros if None.
    Returns ``(outputs, final_state, record)``: outputs are the hidden states (batch, time,
    hidden); with ``record=True``, ``record`` maps every gate name (GATES) and state name
    (STATES) to a (batch, time, hidden) tensor, else it is None.
    """
    if cell not in GATES:
        raise ValueError(f"cell must be one of {', '.join(GATES)} (got {cell!r})")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be tanh or relu (got {activation!r})")
    if cell == "gru" and activation != "tanh":
        raise ValueError("the GRU cell supports only the tanh activation")
    if x.dim() != 3:
        raise ValueError(f"x must have shape (batch, time, input_size), got {tuple(x.shape)}")
    if state is None:
        zeros = x.new_zeros(x.shape[0], weight_hh.shape[1])
        state = (zeros, zeros) if cell == "lstm" else (zeros,)
    x = x.transpose(0, 1)  # time first: each step reads a contiguous slice of the projection
    weights = (weight_ih, weight_hh, bias_ih, bias_hh)
    built = native_for(cell, activation, x)
    if cell in ("lstm", "article_lstm") and not record and torch.is_grad_enabled():
        if built is not None:
            outputs, *final = _NativeLayer.apply(built, cell, activation, *weights, x.contiguous(), *state)
        else:
            outputs, *final = _LayerFunction.apply(cell, activation, *weights, x, *state)
        return outputs.transpose(0, 1), tuple(final), None
    if built is not None and not torch.is_grad_enabled():  # predicting, inspecting: the C++ loop, no graph
        outputs, final, trace = _traced(built, cell, activation, weights, x, state)
        trace = trace if record else None
    else:
        outputs, final, trace = _loop(cell, activation, weights, x, state, record=record)
    if trace is not None:
        trace = {name: value.transpose(0, 1) for name, value in trace.items()}
    return outputs.transpose(0, 1), final, trace


def _loop(cell, activation, weights, x, state, *, record):
    """The time loop, time first: x (T, B, I) -> outputs (T, B, H), final state, trace or None."""
    weight_ih, weight_hh, bias_ih, bias_hh = weights
    hidden = weight_hh.shape[1]
    act = _ACTIVATIONS[activation]
    w_hh = weight_hh.t()
    log = [] if record else None  # per step: the gates in GATES order, then c for the LSTM
    if cell == "rnn":
        xw = F.linear(x, weight_ih, bias_ih + bias_hh).unbind(0)
        hs, final = _rnn(xw, state[0], w_hh, act)
    elif cell == "lstm" and record and not torch.is_grad_enabled():  # inspect: no graph, so into buffers
        return _lstm_into(F.linear(x, weight_ih, bias_ih + bias_hh), state, w_hh, act)
    elif cell == "lstm":
        xw = F.linear(x, weight_ih, bias_ih + bias_hh).unbind(0)
        hs, final = _lstm(xw, state, w_hh, act, log=log)
    elif cell == "gru":
        xw = F.linear(x, weight_ih, bias_ih)
        hs, final = _gru(xw, state[0], w_hh, bias_hh, log=log)
    else:  # the article LSTM: b_c is added after the product with o, so it stays out of xw
        bias = bias_ih + bias_hh
        bias_c = bias[2 * hidden: 3 * hidden]
        gate_bias = torch.cat([bias[: 2 * hidden], torch.zeros_like(bias_c), bias[3 * hidden:]])
        xw = F.linear(x, weight_ih, gate_bias).unbind(0)
        hs, final = _article_lstm(xw, state[0], w_hh, bias_c, act, log=log)
    outputs = torch.stack(hs)
    if log is None:
        return outputs, final, None
    names = GATES[cell] + STATES[cell][1:]
    trace = {name: torch.stack(values) for name, values in zip(names, zip(*log, strict=True), strict=True)}
    trace["h"] = outputs
    return outputs, final, trace


def _rnn(xw, h, w_hh, act):
    hs = []
    for xw_t in xw:
        h = act(torch.addmm(xw_t, h, w_hh))
        hs.append(h)
    return hs, (h,)


def _lstm(xw, state, w_hh, act, *, log):
    h, c = state
    hidden = h.shape[1]
    hs = []
    for xw_t in xw:
        gates = torch.addmm(xw_t, h, w_hh)
        i, f, _, o = gates.sigmoid().chunk(4, 1)  # one sigmoid over all four; g is taken below
        g = act(gates[:, 2 * hidden: 3 * hidden])
        c = torch.addcmul(f * c, i, g)
        h = o * act(c)
        hs.append(h)
        if log is not None:
            log.append((i, f, g, o, c))
    return hs, (h, c)


def _lstm_into(xw, state, w_hh, act):
    """The LSTM's loop recording every gate without autograd (``inspect`` under no_grad): each step writes
    its gates, c and h into buffers made once, so nothing is stacked after the loop (stacking was about a
    third of ``inspect``). The gates are views of one (time, batch, 4 hidden) buffer, as torch orders them."""
    h, c = state
    steps, (batch, hidden) = xw.shape[0], h.shape
    gates_all = xw.new_empty((steps, batch, 4 * hidden))
    cs, hs = xw.new_empty((steps, batch, hidden)), xw.new_empty((steps, batch, hidden))
    for t in range(steps):
        pre = torch.addmm(xw[t], h, w_hh)
        kept = gates_all[t]
        torch.sigmoid(pre, out=kept)  # i, f, o; the g slot is overwritten just below
        kept[:, 2 * hidden: 3 * hidden] = act(pre[:, 2 * hidden: 3 * hidden])
        i, f, g, o = kept.chunk(4, 1)
        c = torch.addcmul(f * c, i, g, out=cs[t])
        h = torch.mul(o, act(c), out=hs[t])
    trace = dict(zip(GATES["lstm"], gates_all.chunk(4, 2), strict=True))
    trace["c"], trace["h"] = cs, hs
    return hs, (h.clone(), c.clone()), trace


def _gru(xw, h, w_hh, bias_hh, *, log):
    hidden = h.shape[1]
    xw_rz = xw[..., : 2 * hidden].unbind(0)
    xw_n = xw[..., 2 * hidden:].unbind(0)
    hs = []
    for xw_rz_t, xw_n_t in zip(xw_rz, xw_n, strict=True):
        hw_rz, hw_n = torch.addmm(bias_hh, h, w_hh).split([2 * hidden, hidden], 1)
        r, z = (xw_rz_t + hw_rz).sigmoid().chunk(2, 1)
        n = _tanh(torch.addcmul(xw_n_t, r, hw_n))
        h = torch.lerp(n, h, z)  # (1 - z) n + z h
        hs.append(h)
        if log is not None:
            log.append((r, z, n))
    return hs, (h,)


def _article_lstm(xw, h, w_hh, bias_c, act, *, log):
    hidden = h.shape[1]
    hs = []
    for xw_t in xw:
        pre = torch.addmm(xw_t, h, w_hh)  # W x + U h (+ b for i, f, o; no bias in the c slice)
        i, f, _, o = pre.sigmoid().chunk(4, 1)
        c = act(torch.addcmul(bias_c, pre[:, 2 * hidden: 3 * hidden], o))
        h = torch.addcmul(f * h, i, c)
        hs.append(h)
        if log is not None:
            log.append((i, f, o, c))
    return hs, (h,)


class _LayerFunction(torch.autograd.Function):
    """An LSTM or article-LSTM layer with backpropagation through time written out by hand.

    Autograd would record about ten nodes per time step; here the forward loop builds no
    graph, everything the backward pass needs is formed for all steps at once, and the
    backward loop takes four or five ops per step. Weight gradients are one matmul each.
    Time first: x (T, B, I), outputs (T, B, H). Tested against autograd and torch.nn.LSTM.
    """

    @staticmethod
    def forward(ctx, cell, activation, weight_ih, weight_hh, bias_ih, bias_hh, x, *state):  # noqa: PLR0917
        weights = (weight_ih, weight_hh, bias_ih, bias_hh)
        out, final, trace = _loop(cell, activation, weights, x, state, record=True)
        h_prev = torch.cat([state[0][None], out[:-1]])
        i, f, o, g = trace["input"], trace["forget"], trace["output"], trace["candidate"]
        relu = activation == "relu"
        slope_g = (g > 0).to(g.dtype) if relu else 1 - g * g  # act' at the candidate
        if cell == "lstm":
            c = trace["c"]
            c_prev = torch.cat([state[1][None], c[:-1]])
            act_c = torch.relu(c) if relu else _tanh(c)
            slope_c = (c > 0).to(c.dtype) if relu else 1 - act_c * act_c
            # d gates = [dc, dc, dc, dh] * q, where dc is the gradient on the memory cell c
            q = torch.cat([g * i * (1 - i), c_prev * f * (1 - f), i * slope_g, act_c * o * (1 - o)], 2)
            ctx.save_for_backward(weight_ih, weight_hh, x, h_prev, f, o * slope_c, q)
        else:
            hidden = weight_hh.shape[1]
            rows = slice(2 * hidden, 3 * hidden)
            u = F.linear(x, weight_ih[rows]) + F.linear(h_prev, weight_hh[rows])  # W_c x + U_c h
            i_slope = i * slope_g
            # d gates = [dh, dh, dh, dh] * q
            q = torch.cat([g * i * (1 - i), h_prev * f * (1 - f), i_slope * o, i_slope * u * o * (1 - o)], 2)
            ctx.save_for_backward(weight_ih, weight_hh, x, h_prev, f, i_slope, q)
        ctx.cell = cell
        return (out, *final)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out, grad_hn, *grad_cn):
        weight_ih, weight_hh, x, h_prev, f, k, q = ctx.saved_tensors
        steps, hidden = grad_out.shape[0], weight_hh.shape[1]
        grad_gates = torch.empty_like(q)
        dh = grad_out[-1] + grad_hn
        if ctx.cell == "lstm":
            dc = grad_cn[0]
            for t in reversed(range(steps)):
                if t < steps - 1:
                    dh = torch.addmm(grad_out[t], grad_gates[t + 1], weight_hh)
                dc = torch.addcmul(dc, dh, k[t])
                torch.mul(torch.cat([dc, dc, dc, dh], 1), q[t], out=grad_gates[t])
                dc = dc * f[t]
            grad_state = (grad_gates[0] @ weight_hh, dc)
        else:  # h' = f h + i c: the gradient on h also flows straight through f
            dhs = []
            for t in reversed(range(steps)):
                if t < steps - 1:
                    dh = torch.addmm(torch.addcmul(grad_out[t], dh, f[t + 1]), grad_gates[t + 1], weight_hh)
                dhs.append(dh)
                torch.mul(dh.repeat(1, 4), q[t], out=grad_gates[t])
            grad_state = (torch.addmm(dh * f[0], grad_gates[0], weight_hh),)
        flat = grad_gates.reshape(-1, grad_gates.shape[2])
        grad_weight_ih = flat.t() @ x.reshape(-1, x.shape[2])
        grad_weight_hh = flat.t() @ h_prev.reshape(-1, hidden)
        grad_bias = flat.sum(0)
        if ctx.cell == "article_lstm":  # b_c is added outside the product with o
            grad_bias[2 * hidden: 3 * hidden] = (torch.stack(dhs[::-1]) * k).sum((0, 1))
        grad_x = grad_gates @ weight_ih if ctx.needs_input_grad[6] else None
        return (None, None, grad_weight_ih, grad_weight_hh, grad_bias, grad_bias.clone(), grad_x, *grad_state)


def _native_forward(built, cell, relu, weights, x, state):
    """The C++ forward of a layer over x (T, B, I): hs, cs (the LSTM's c, the article LSTM's candidate) and the
    gates it keeps (the LSTM's i, f, g, o; the article LSTM's i, f, u, o), each time first."""
    if cell == "lstm":
        return built.lstm_layer_forward(x, *weights, state[0], state[1], relu)
    return built.article_layer_forward(x, *weights, state[0], relu)


def _traced(built, cell, activation, weights, x, state):
    """``_loop`` with record=True under no_grad, through the C++ loop: what it keeps is the trace."""
    hs, cs, gates = _native_forward(built, cell, activation == "relu", weights, x.contiguous(), state)
    i, f, g_or_u, o = gates.chunk(4, 2)
    if cell == "lstm":
        trace, final = {"input": i, "forget": f, "candidate": g_or_u, "output": o, "c": cs}, (hs[-1], cs[-1])
    else:
        trace, final = {"input": i, "forget": f, "output": o, "candidate": cs}, (hs[-1],)
    trace["h"] = hs
    return hs, final, trace


class _NativeLayer(torch.autograd.Function):
    """The same layers as _LayerFunction, in C++ (lstm_native.cpp): one call forward and one backward, whose time
    loops take per step one BLAS product and one vectorized pass over batch x hidden for every element-wise operation,
    and whose products over the whole sequence are one matmul each. A gradient on an output the loss does not
    use stays None, not a tensor of zeros (a model that reads only the last h never forms the one on every h).
    Tested against _LayerFunction, autograd and ``gradcheck``."""

    @staticmethod
    def forward(ctx, built, cell, activation, weight_ih, weight_hh, bias_ih, bias_hh, x, *state):  # noqa: PLR0917
        ctx.set_materialize_grads(False)
        relu = activation == "relu"
        hs, cs, gates = _native_forward(built, cell, relu, (weight_ih, weight_hh, bias_ih, bias_hh), x, state)
        final = (hs[-1], cs[-1]) if cell == "lstm" else (hs[-1],)
        ctx.save_for_backward(weight_ih, weight_hh, x, *state, hs, cs, gates)
        ctx.built, ctx.cell, ctx.relu = built, cell, relu
        return (hs, *final)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out, grad_hn, *grad_cn):
        need_x = ctx.needs_input_grad[7]
        if ctx.cell == "lstm":
            weight_ih, weight_hh, x, h0, c0, hs, cs, gates = ctx.saved_tensors
            grads = ctx.built.lstm_layer_backward(grad_out, grad_hn, grad_cn[0], x, weight_ih, weight_hh, h0, c0,
                                                  hs, cs, gates, ctx.relu, need_x)
        else:
            weight_ih, weight_hh, x, h0, hs, cs, gates = ctx.saved_tensors
            grads = ctx.built.article_layer_backward(grad_out, grad_hn, x, weight_ih, weight_hh, h0, hs, cs, gates,
                                                     ctx.relu, need_x)
        return (None, None, None, *grads)


@torch.no_grad()
def native_stack_grads(built, module: nn.Module, cell: str, activation: str, x: Tensor, num_layers: int,
                       top: Callable[[Tensor], Tensor]) -> None:
    """A training step's forward and backward through ``num_layers`` C++ layers, without autograd (no dropout).

    Runs the layers over ``x`` (batch, time, input) from zero states, hands the last layer's final h to ``top``,
    which returns the gradient on it (the head's and the loss's part), and sets the gradient of every layer
    parameter of ``module`` (torch's names) in ``.grad``. The same C++ calls _NativeLayer makes, without the
    graph: on the article's recipe autograd's part was a third of a training step (docs/PERFORMANCE.md)."""
    relu = activation == "relu"
    zeros = x.new_zeros(x.shape[0], module.weight_hh_l0.shape[1])
    inputs, kept = x.transpose(0, 1).contiguous(), []
    for layer in range(num_layers):
        weights = [getattr(module, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        hs, cs, gates = _native_forward(built, cell, relu, weights, inputs, (zeros, zeros))
        kept.append((inputs, weights, hs, cs, gates))
        inputs = hs
    grad_h, grad_out = top(inputs[-1]), None
    for layer in reversed(range(num_layers)):
        inputs, weights, hs, cs, gates = kept[layer]
        w_ih, w_hh = weights[0], weights[1]
        if cell == "lstm":
            grads = built.lstm_layer_backward(grad_out, grad_h, None, inputs, w_ih, w_hh, zeros, zeros, hs, cs,
                                              gates, relu, layer > 0)
        else:
            grads = built.article_layer_backward(grad_out, grad_h, inputs, w_ih, w_hh, zeros, hs, cs, gates, relu,
                                                 layer > 0)
        for weight, grad in zip(weights, grads[:4], strict=True):
            weight.grad = grad
        grad_out, grad_h = grads[4], None  # the gradient on this layer's input: the outputs of the one below


def run_stack(module: nn.Module, cell: str, activation: str, x: Tensor, num_layers: int, *,
              dropout: float = 0.0, training: bool = False, state: tuple[Tensor, ...] | None = None,
              record: bool = False) -> tuple[Tensor, tuple[Tensor, ...], list[dict[str, Tensor]] | None]:
    """Run ``num_layers`` layers whose weights are ``module.weight_ih_l{k}`` etc. (torch's names).

    Works on torch.nn.RNN/LSTM/GRU as well as on ExplicitRecurrent. ``x`` is (batch, time,
    input); ``state`` as torch's ``h_0`` or ``(h_0, c_0)`` (layers, batch, hidden). Returns
    the last layer's outputs, the final states stacked as torch does (``(h_n,)`` or
    ``(h_n, c_n)``) and, with ``record``, one record dict per layer.
    """
    finals, records = [], []
    for layer in range(num_layers):
        if layer > 0 and dropout > 0:
            x = F.dropout(x, dropout, training)
        weights = [getattr(module, f"{name}_l{layer}")
                   for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        layer_state = None if state is None else tuple(s[layer] for s in state)
        x, final, rec = run_layer(cell, activation, *weights, x, layer_state, record)
        finals.append(final)
        records.append(rec)
    final_states = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))
    return x, final_states, records if record else None


class ExplicitRecurrent(nn.Module):
    """A stack of explicit cells, a drop-in for torch.nn.RNN/LSTM/GRU (same parameter names).

    ``forward(x, hx=None)`` returns ``(output, h_n)``, or ``(output, (h_n, c_n))`` for the
    LSTM, as torch does; dropout is applied between layers in training mode.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,  # noqa: PLR0917
                 activation: str = "tanh", dropout: float = 0.0, batch_first: bool = False) -> None:
        super().__init__()
        if cell not in GATES:
            raise ValueError(f"cell must be one of {', '.join(GATES)} (got {cell!r})")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if not 0 <= dropout < 1:
            raise ValueError("dropout must be at least 0 and below 1")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be tanh or relu (got {activation!r})")
        self.cell, self.activation = cell, activation
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.dropout, self.batch_first = float(dropout), batch_first
        rows = GATE_COUNT[cell] * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(rows, width)))
            self.register_parameter(f"weight_hh_l{layer}", nn.Parameter(torch.empty(rows, hidden_size)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(rows)))
            self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.empty(rows)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, x: Tensor, hx: Tensor | tuple[Tensor, Tensor] | None = None):
        if not self.batch_first:
            x = x.transpose(0, 1)
        state = (hx,) if isinstance(hx, Tensor) else hx
        out, final, _ = run_stack(self, self.cell, self.activation, x, self.num_layers,
                                  dropout=self.dropout, training=self.training, state=state)
        if not self.batch_first:
            out = out.transpose(0, 1)
        return out, (final if self.cell == "lstm" else final[0])

    def extra_repr(self) -> str:
        return (f"{self.cell}, {self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"activation={self.activation}, dropout={self.dropout}, batch_first={self.batch_first}")
