"""The explicit cells against torch's own cells and modules, in float64, micrograd style."""

import pytest
import torch
from torch import nn
from torch.autograd import gradcheck

from rnncore.nn.cells import GATES, STATES, ExplicitRecurrent, run_layer

torch.set_num_threads(1)
DTYPE = torch.float64
TOL = dict(atol=1e-10, rtol=1e-10)


def rand(*shape, grad=True):
    return torch.randn(*shape, dtype=DTYPE, requires_grad=grad)


def assert_close_all(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize(("cell", "activation", "make"), [
    ("rnn", "tanh", lambda i, h: nn.RNNCell(i, h, nonlinearity="tanh")),
    ("rnn", "relu", lambda i, h: nn.RNNCell(i, h, nonlinearity="relu")),
    ("lstm", "tanh", nn.LSTMCell),
    ("gru", "tanh", nn.GRUCell),
])
@pytest.mark.parametrize(("input_size", "hidden_size"), [(3, 4), (5, 1)])
def test_one_step_matches_torch_cell(cell, activation, make, input_size, hidden_size):
    torch.manual_seed(0)
    ref = make(input_size, hidden_size).double()
    x = rand(2, input_size)
    state = tuple(rand(2, hidden_size) for _ in STATES[cell])
    theirs = ref(x, state if cell == "lstm" else state[0])
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    out, ours, _ = run_layer(cell, activation, ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh,
                             x[:, None], state)
    assert_close_all(ours, theirs)
    torch.testing.assert_close(out[:, 0], ours[0], **TOL)
    inputs = [x, *state, *ref.parameters()]
    loss_ours = sum((s * torch.linspace(-1, 2, hidden_size, dtype=DTYPE)).sum() for s in ours)
    loss_theirs = sum((s * torch.linspace(-1, 2, hidden_size, dtype=DTYPE)).sum() for s in theirs)
    assert_close_all(torch.autograd.grad(loss_ours, inputs), torch.autograd.grad(loss_theirs, inputs))


@pytest.mark.parametrize(("cell", "make"), [
    ("rnn", lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k)),
    ("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU),
])
@pytest.mark.parametrize("sizes", [(5, 1, 3, 1, True), (2, 4, 2, 7, False), (1, 3, 1, 5, True)])
def test_stack_matches_torch_module(cell, make, sizes):
    input_size, hidden_size, num_layers, steps, batch_first = sizes
    torch.manual_seed(1)
    ref = make(input_size, hidden_size, num_layers, batch_first=batch_first).double()
    activation = getattr(ref, "nonlinearity", "tanh")
    ours = ExplicitRecurrent(cell, input_size, hidden_size, num_layers, activation=activation,
                             batch_first=batch_first).double()
    ours.load_state_dict(ref.state_dict())  # the same parameter names
    x = rand(*((3, steps) if batch_first else (steps, 3)), input_size)
    hx = tuple(rand(num_layers, 3, hidden_size) for _ in STATES[cell])
    hx = hx if cell == "lstm" else hx[0]
    results = []
    for module in (ours, ref):
        out, final = module(x, hx)
        finals = final if isinstance(final, tuple) else (final,)
        loss = (out ** 2).sum() + sum((s ** 3).sum() for s in finals)
        grads = torch.autograd.grad(loss, [x, *(hx if cell == "lstm" else (hx,)), *module.parameters()])
        results.append((out, *finals, *grads))
    assert_close_all(*results)


def article_reference(params, x, h, activation):
    """The article's equations written out gate by gate, as printed: W [h, x]."""
    weight_ih, weight_hh, bias_ih, bias_hh = params
    act = torch.tanh if activation == "tanh" else torch.relu
    w = torch.cat([weight_hh, weight_ih], 1).chunk(4)  # rows: input, forget, candidate, output
    b = (bias_ih + bias_hh).chunk(4)
    outs = []
    for t in range(x.shape[1]):
        hx = torch.cat([h, x[:, t]], 1)
        i = torch.sigmoid(hx @ w[0].T + b[0])
        f = torch.sigmoid(hx @ w[1].T + b[1])
        o = torch.sigmoid(hx @ w[3].T + b[3])
        c = act((hx @ w[2].T) * o + b[2])
        h = f * h + i * c
        outs.append(h)
    return torch.stack(outs, 1)


def relu_lstm_reference(params, x, h, c):
    """Keras LSTM(activation='relu'): relu in the candidate and on c."""
    weight_ih, weight_hh, bias_ih, bias_hh = params
    for t in range(x.shape[1]):
        i, f, g, o = (x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.relu(g)
        h = torch.sigmoid(o) * torch.relu(c)
    return h, c


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_article_lstm_follows_the_printed_equations(activation):
    torch.manual_seed(2)
    hidden, inputs = 3, 2
    params = [rand(4 * hidden, inputs), rand(4 * hidden, hidden), rand(4 * hidden), rand(4 * hidden)]
    x, h0 = rand(2, 6, inputs), rand(2, hidden)
    out, (h_n,), _ = run_layer("article_lstm", activation, *params, x, (h0,))
    expected = article_reference(params, x, h0, activation)
    torch.testing.assert_close(out, expected, **TOL)
    torch.testing.assert_close(h_n, expected[:, -1], **TOL)
    args = [*params, x, h0]
    assert_close_all(torch.autograd.grad((out ** 2).sum(), args),
                     torch.autograd.grad((expected ** 2).sum(), args))


def test_relu_lstm_is_keras_relu_lstm():
    torch.manual_seed(3)
    params = [rand(8, 1), rand(8, 2), rand(8), rand(8)]
    x, h0, c0 = rand(4, 5, 1), rand(4, 2), rand(4, 2)
    _, (h, c), _ = run_layer("lstm", "relu", *params, x, (h0, c0))
    expected = relu_lstm_reference(params, x, h0, c0)
    assert_close_all((h, c), expected)
    args = [*params, x, h0, c0]
    assert_close_all(torch.autograd.grad(h.sum() + (c ** 2).sum(), args),
                     torch.autograd.grad(expected[0].sum() + (expected[1] ** 2).sum(), args))


CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("lstm", "relu"), ("gru", "tanh"),
         ("article_lstm", "tanh"), ("article_lstm", "relu")]


@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_gradcheck(cell, activation):
    torch.manual_seed(4)
    rows = {"rnn": 1, "gru": 3}.get(cell, 4) * 2
    params = (rand(rows, 3), rand(rows, 2), rand(rows), rand(rows))
    x = rand(2, 4, 3)
    state = tuple(rand(2, 2) for _ in STATES[cell])

    def run(*args):
        out, final, _ = run_layer(cell, activation, *args[:5], args[5:])
        return out, *final

    assert gradcheck(run, (*params, x, *state))


@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_record_path_equals_lean_path(cell, activation):
    """record=True runs on autograd; the lean path of the LSTMs has a hand-written backward."""
    torch.manual_seed(5)
    rows = {"rnn": 1, "gru": 3}.get(cell, 4) * 3
    args = [rand(rows, 2), rand(rows, 3), rand(rows), rand(rows), rand(4, 6, 2)]
    runs = []
    for record in (False, True):
        out, final, trace = run_layer(cell, activation, *args, record=record)
        assert (trace is None) != record
        runs.append((out, *final, *torch.autograd.grad((out ** 2).sum() + final[0].sum(), args)))
    assert_close_all(*runs)


@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_recording_without_autograd_keeps_what_recording_on_autograd_keeps(cell, activation):
    """Under no_grad the LSTM records into buffers made once; every gate, state and output is the
    same as on the autograd record path."""
    torch.manual_seed(7)
    rows = {"rnn": 1, "gru": 3}.get(cell, 4) * 5
    args = [rand(rows, 2), rand(rows, 5), rand(rows), rand(rows), rand(3, 8, 2)]
    out, final, trace = run_layer(cell, activation, *args, record=True)
    with torch.no_grad():
        out2, final2, trace2 = run_layer(cell, activation, *args, record=True)
    assert set(trace) == set(trace2)
    assert_close_all((out, *final, *trace.values()), (out2, *final2, *(trace2[k] for k in trace)))


def test_both_forms_of_tanh_agree():
    from rnncore.nn import cells

    x = torch.linspace(-20, 20, 2001, dtype=torch.float64)
    torch.testing.assert_close(cells._sigmoid_tanh(x), torch.tanh(x))
    assert cells._tanh in (torch.tanh, cells._sigmoid_tanh) and isinstance(cells._intel_mkl(), bool)


@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_record_has_every_gate_and_state(cell, activation):
    hidden = 3
    rows = {"rnn": 1, "gru": 3}.get(cell, 4) * hidden
    x = torch.randn(2, 5, 4)
    with torch.no_grad():
        out, final, trace = run_layer(cell, activation, torch.randn(rows, 4), torch.randn(rows, hidden),
                                      torch.randn(rows), torch.randn(rows), x, record=True)
    assert set(trace) == set(GATES[cell]) | set(STATES[cell])
    assert all(value.shape == (2, 5, hidden) for value in trace.values())
    torch.testing.assert_close(trace["h"], out)
    torch.testing.assert_close(trace["h"][:, -1], final[0])
    if cell == "lstm":
        torch.testing.assert_close(trace["c"][:, -1], final[1])
    for name in set(GATES[cell]) & {"input", "forget", "output", "reset", "update"}:
        assert trace[name].min() >= 0 and trace[name].max() <= 1


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(6)
    x = torch.randn(8, 5, 3)
    stacked = ExplicitRecurrent("lstm", 3, 16, num_layers=2, activation="relu", dropout=0.5)
    single = ExplicitRecurrent("lstm", 3, 16, num_layers=1, dropout=0.5)
    for module in (stacked, single):
        module.eval()
        reference = module(x)[0]
        module.train()
        differs = not torch.equal(module(x)[0], reference)
        assert differs == (module is stacked)  # nothing after the last layer is dropped


def test_bad_arguments_say_what_is_wrong():
    w = torch.zeros(4, 1)
    with pytest.raises(ValueError, match="cell must be one of"):
        run_layer("elman", "tanh", w, w, w[:, 0], w[:, 0], torch.zeros(1, 2, 1))
    with pytest.raises(ValueError, match="activation must be tanh or relu"):
        run_layer("rnn", "gelu", w, w, w[:, 0], w[:, 0], torch.zeros(1, 2, 1))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, input_size\)"):
        run_layer("rnn", "tanh", w, w, w[:, 0], w[:, 0], torch.zeros(2, 1))
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        ExplicitRecurrent("lstm", 3, 0)
