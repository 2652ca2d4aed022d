"""The explicit LSTM cells' C++ time loops (rnncore/nn/native.py, lstm_native.cpp) against their Python loops,
autograd on the plain loop, ``gradcheck`` and torch.nn.LSTM; and the switch that turns them off."""

import os
import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.autograd import gradcheck

from rnncore.nn import cells, native
from rnncore.nn.cells import ExplicitRecurrent

torch.set_num_threads(1)
CELLS = [("lstm", "relu"), ("lstm", "tanh"), ("article_lstm", "relu"), ("article_lstm", "tanh")]


def layer_inputs(cell, dtype, steps=7, batch=5, inputs=3, hidden=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randn(shape, generator=g, dtype=dtype, requires_grad=True) * 0.5
               for shape in [(4 * hidden, inputs), (4 * hidden, hidden), (4 * hidden,), (4 * hidden,)]]
    weights = [w.detach().requires_grad_() for w in weights]
    x = torch.randn(steps, batch, inputs, generator=g, dtype=dtype, requires_grad=True)
    state = [torch.randn(batch, hidden, generator=g, dtype=dtype, requires_grad=True)
             for _ in range(2 if cell == "lstm" else 1)]
    return weights, x, state


def outputs_and_grads(run, cell, activation, dtype):
    weights, x, state = layer_inputs(cell, dtype)
    out, *final = run(cell, activation, weights, x, state)
    loss = (out ** 2).sum() + sum((f * (k + 2)).sum() for k, f in enumerate(final))  # every output counts
    return [out, *final], torch.autograd.grad(loss, [*weights, x, *state])


def by_native(built):
    return lambda cell, activation, weights, x, state: cells._NativeLayer.apply(built, cell, activation, *weights,
                                                                               x, *state)


def by_python(cell, activation, weights, x, state):
    return cells._LayerFunction.apply(cell, activation, *weights, x, *state)


def by_autograd(cell, activation, weights, x, state):
    """The plain loop, differentiated by autograd (the record path runs on autograd)."""
    out, final, _ = cells._loop(cell, activation, weights, x, tuple(state), record=True)
    return (out, *final)


@pytest.mark.parametrize(("cell", "activation"), CELLS)
@pytest.mark.parametrize("reference", [by_python, by_autograd], ids=["python loop", "autograd"])
def test_the_cpp_loop_gives_the_outputs_and_every_gradient_of_the_python_one(built, cell, activation, reference):
    ours, our_grads = outputs_and_grads(by_native(built), cell, activation, torch.float64)
    theirs, their_grads = outputs_and_grads(reference, cell, activation, torch.float64)
    for a, b in zip([*ours, *our_grads], [*theirs, *their_grads], strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


# which outputs the loss reads: every h and the final state, only the last h (as SequenceModel's head does), only
# the sequence of h (as the next layer of a stack does), only the LSTM's final c. The rest get no gradient (None).
USES = {"all": (True, True, True), "final h": (False, True, False), "outputs": (True, False, False),
        "final c": (False, False, True)}


@pytest.mark.parametrize(("cell", "activation", "uses"), [(cell, activation, uses) for cell, activation in CELLS
                                                           for uses in USES if cell == "lstm" or uses != "final c"])
def test_the_cpp_loop_gives_every_gradient_when_the_loss_reads_only_some_outputs(built, cell, activation, uses):
    def grads(run):
        weights, x, state = layer_inputs(cell, torch.float64, seed=2)
        out, *final = run(cell, activation, weights, x, state)
        read = [t for t, used in zip([out, *final], USES[uses], strict=False) if used]
        loss = sum((t * torch.linspace(-1, 2, t.shape[-1], dtype=t.dtype)).sum() for t in read)
        return torch.autograd.grad(loss, [*weights, x, *state], allow_unused=True)
    for a, b in zip(grads(by_native(built)), grads(by_autograd), strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


def test_the_products_through_aten_give_what_those_through_blas_do(built, tmp_path):
    """Where torch exports no BLAS the loops' per-step products go through ATen: the same layer, built so."""
    from torch.utils.cpp_extension import load

    name, flags = native.build_for(torch.backends.cpu.get_cpu_capability())
    aten = load(name=f"{name}_aten_gemm", sources=[str(source) for source in native.SOURCES],
                extra_cflags=[*flags, "-DRNNLAB_ATEN_GEMM"],
                build_directory=str(tmp_path), verbose=False)
    assert not aten.direct_blas()
    assert built.direct_blas() == torch.backends.mkl.is_available()  # the x86 wheels: MKL's sgemm_, dgemm_
    for cell, activation in CELLS:
        for dtype in (torch.float32, torch.float64):
            ours = outputs_and_grads(by_native(built), cell, activation, dtype)
            theirs = outputs_and_grads(by_native(aten), cell, activation, dtype)
            for a, b in zip([*ours[0], *ours[1]], [*theirs[0], *theirs[1]], strict=True):
                torch.testing.assert_close(a, b, atol=1e-5 if dtype == torch.float32 else 1e-12, rtol=1e-5)


@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_gradcheck_on_the_cpp_loop(built, cell, activation):
    weights, x, state = layer_inputs(cell, torch.float64, steps=4, batch=2, inputs=2, hidden=3, seed=1)

    def run(*tensors):
        return cells._NativeLayer.apply(built, cell, activation, *tensors)
    assert gradcheck(run, (*weights, x, *state))


def test_float32_matches_torchs_lstm(built):
    torch.manual_seed(3)
    ref = nn.LSTM(2, 8, batch_first=True)
    x = torch.randn(4, 9, 2)
    theirs, (h, c) = ref(x)
    ours, *final = cells._NativeLayer.apply(built, "lstm", "tanh", ref.weight_ih_l0, ref.weight_hh_l0,
                                           ref.bias_ih_l0, ref.bias_hh_l0, x.transpose(0, 1).contiguous(),
                                           torch.zeros(4, 8), torch.zeros(4, 8))
    torch.testing.assert_close(ours.transpose(0, 1), theirs, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(final[0], h[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(final[1], c[0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("cell", ["lstm", "article_lstm"])
def test_a_two_layer_stack_trains_through_the_cpp_loop_as_through_the_python_one(built, cell, monkeypatch):
    torch.manual_seed(4)
    stack = ExplicitRecurrent(cell, 3, 5, num_layers=2, activation="relu", batch_first=True).double()
    x = torch.randn(6, 8, 3, dtype=torch.float64)

    def loss_and_grads():
        stack.zero_grad()
        out, _ = stack(x)
        loss = out.pow(2).mean()
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in stack.parameters()]
    calls = []
    real = cells._NativeLayer.apply
    monkeypatch.setattr(cells._NativeLayer, "apply", lambda *a: calls.append(a[1]) or real(*a))
    native_loss, native_grads = loss_and_grads()
    assert calls == [cell, cell], "both layers go through the C++ loop"
    monkeypatch.setattr(cells, "NATIVE", frozenset())  # the Python loops for the same stack
    python_loss, python_grads = loss_and_grads()
    assert calls == [cell, cell]
    torch.testing.assert_close(native_loss, python_loss, atol=1e-12, rtol=1e-10)
    for a, b in zip(native_grads, python_grads, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


def test_rnnlab_native_0_keeps_the_python_loops():
    code = ("from rnncore.nn import native; import torch; from rnncore.nn.cells import ExplicitRecurrent;"
            "m = ExplicitRecurrent('lstm', 1, 4, activation='relu'); m(torch.randn(3, 2, 1))[0].sum().backward();"
            "print(native.module() is None, native._build.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "RNNLAB_NATIVE": "0"}, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.stdout.split() == ["True", "1"], done.stdout + done.stderr
    assert "C++ loops are not built" not in done.stderr  # turned off is not a failure to say


def test_a_machine_without_a_compiler_trains_through_the_python_loops_and_says_so_once(tmp_path):
    code = ("import logging; logging.basicConfig(); from rnncore.nn import native; import torch;"
            "from rnncore.nn.cells import ExplicitRecurrent;"
            "m = ExplicitRecurrent('article_lstm', 1, 4, activation='relu');"
            "[m(torch.randn(3, 2, 1))[0].sum().backward() for _ in range(2)]; print(native.module() is None)")
    env = {**os.environ, "CXX": str(tmp_path / "no-such-compiler"), "RNNLAB_NATIVE": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env=env, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.stdout.split() == ["True"], done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if "C++ loops are not built" in line]
    assert len(said) == 1 and "no C++ compiler" in said[0] and "slower" in said[0], done.stderr


@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_float32_through_the_vectorized_exp_matches_the_python_loop(built, cell, activation):
    """float32 takes lstm_native.cpp's own exp (float64 takes std::exp): within float32's rounding, saturated
    gates included, and a NaN still comes out as NaN (the loop then stops the run as diverged)."""
    weights, x, state = layer_inputs(cell, torch.float32)
    x = x.detach() * torch.linspace(-40, 40, x.numel()).reshape(x.shape)  # far into every gate's saturation
    ours, *_ = by_native(built)(cell, activation, weights, x, state)
    theirs, *_ = by_python(cell, activation, weights, x, state)
    torch.testing.assert_close(ours, theirs, atol=2e-5, rtol=1e-4)
    x[2, 1, 0] = float("nan")
    ours, *_ = by_native(built)(cell, activation, weights, x, state)
    assert ours[2:, 1].isnan().all() and not ours[:2].isnan().any()


def test_torchs_fused_lstm_trains_and_predicts_through_the_cpp_loop_on_the_cpu(built, monkeypatch):
    from rnncore.config import ModelConfig
    from rnncore.nn.models import build_model

    model = build_model(ModelConfig(cell="lstm", hidden_size=6, num_layers=2), 2, 1,
                        torch.Generator().manual_seed(5)).double()
    assert isinstance(model.rnn, nn.LSTM)
    x = torch.randn(4, 9, 2, dtype=torch.float64)
    calls = []
    real = cells._NativeLayer.apply
    monkeypatch.setattr(cells._NativeLayer, "apply", lambda *a: calls.append(a[1]) or real(*a))

    def output_and_grads():
        model.zero_grad()
        out = model(x)
        out.pow(2).sum().backward()
        return out.detach(), [p.grad.clone() for p in model.parameters()]
    ours, our_grads = output_and_grads()
    assert calls == ["lstm", "lstm"], "both layers train through the C++ loop"
    monkeypatch.setattr(cells, "NATIVE", frozenset())  # torch's own fused LSTM for the same parameters
    theirs, their_grads = output_and_grads()
    assert calls == ["lstm", "lstm"]
    torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=1e-10)
    for a, b in zip(our_grads, their_grads, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)
    monkeypatch.setattr(cells, "NATIVE", frozenset(CELLS))
    traced = []
    real_traced = cells._traced
    monkeypatch.setattr(cells, "_traced", lambda *a: traced.append(a[1]) or real_traced(*a))
    with torch.no_grad():
        torch.testing.assert_close(model(x), ours, atol=1e-12, rtol=1e-10)
    assert calls == ["lstm", "lstm"] and traced == ["lstm", "lstm"], "predicting: the C++ loop, without a graph"


def test_the_cpp_loops_are_only_for_cpu_tensors(built):
    x = torch.zeros(3, 2, 1)
    assert cells.native_for("lstm", "tanh", x) is built
    assert cells.native_for("gru", "tanh", x) is None
    assert cells.native_for("lstm", "tanh", torch.zeros(3, 2, 1, device="meta")) is None  # as on a GPU


@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_inspect_through_the_cpp_loop_records_what_the_python_loop_does(built, cell, activation, monkeypatch):
    from rnncore.config import ModelConfig
    from rnncore.nn.models import build_model

    model = build_model(ModelConfig(cell=cell, activation=activation, hidden_size=5, num_layers=2), 2, 1,
                        torch.Generator().manual_seed(6)).double()
    x = torch.randn(3, 8, 2, dtype=torch.float64)
    traced = []
    real = cells._traced
    monkeypatch.setattr(cells, "_traced", lambda *a: traced.append(a[1]) or real(*a))
    ours = model.inspect(x)
    assert traced == [cell, cell]
    monkeypatch.setattr(cells, "NATIVE", frozenset())
    theirs = model.inspect(x)
    assert traced == [cell, cell]
    torch.testing.assert_close(ours.output, theirs.output, atol=1e-12, rtol=1e-10)
    for our_layers, their_layers in ((ours.gates, theirs.gates), (ours.states, theirs.states)):
        for a, b in zip(our_layers, their_layers, strict=True):
            assert a.keys() == b.keys()
            for name in a:
                torch.testing.assert_close(a[name], b[name], atol=1e-12, rtol=1e-10, msg=name)


def test_the_cpp_loop_lets_other_python_threads_run_meanwhile(built):
    import threading
    import time

    x, h0 = torch.randn(3000, 64, 1), torch.zeros(64, 64)
    w_ih, w_hh, bias = torch.randn(4 * 64, 1), torch.randn(4 * 64, 64) * 0.1, torch.zeros(4 * 64)
    took = []

    def run():
        start = time.perf_counter()
        built.lstm_layer_forward(x, w_ih, w_hh, bias, bias, h0, h0, False)
        took.append(time.perf_counter() - start)
    worker = threading.Thread(target=run)
    last, longest = time.perf_counter(), 0.0
    worker.start()
    while worker.is_alive():  # this thread needs the GIL for every step of its loop
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    assert took[0] > 0.05, "the call was too short to tell"
    assert longest < took[0] / 2, f"held the GIL: {longest:.3f} s without Python in a {took[0]:.3f} s call"


def recipe_model(cell, activation, layers, dropout=0.0, seed=1):
    from rnncore.config import ExperimentConfig
    from rnncore.nn.models import build_model

    config = ExperimentConfig().replace(model={"cell": cell, "activation": activation, "hidden_size": 6,
                                               "num_layers": layers, "dropout": dropout}).model
    return build_model(config, 3, 2, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("cell", "activation"), CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_a_training_step_without_the_graph_gives_autograds_loss_and_gradients(built, cell, activation, layers, loss):
    from rnncore.training.steps import LOSSES

    model = recipe_model(cell, activation, layers).double()
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(5, 7, 3, generator=g, dtype=torch.float64), torch.randn(5, 2, generator=g, dtype=torch.float64)
    loss_fn = LOSSES[loss]()
    expected = loss_fn(model(x), y)
    expected.backward()
    grads = {name: param.grad for name, param in model.named_parameters()}
    for param in model.parameters():
        param.grad = None
    value = model.loss_and_grads(x, y, loss_fn)
    assert value is not None and not value.requires_grad
    torch.testing.assert_close(value, expected.detach(), atol=1e-12, rtol=1e-10)
    for name, param in model.named_parameters():
        torch.testing.assert_close(param.grad, grads[name], atol=1e-12, rtol=1e-10, msg=name)


def test_the_step_without_the_graph_is_declined_where_it_does_not_apply(built):
    from rnncore.training.steps import LOSSES

    x, y, loss_fn = torch.randn(4, 5, 3), torch.randn(4, 2), LOSSES["mse"]()
    assert recipe_model("gru", "tanh", 1).loss_and_grads(x, y, loss_fn) is None  # torch's fused GRU
    dropping = recipe_model("lstm", "relu", 2, dropout=0.3)
    assert dropping.loss_and_grads(x, y, loss_fn) is None  # dropout between layers while training
    assert dropping.eval().loss_and_grads(x, y, loss_fn) is not None  # (no dropout in eval mode)
    with torch.no_grad():
        assert recipe_model("lstm", "relu", 1).loss_and_grads(x, y, loss_fn) is None


@pytest.mark.parametrize(("cell", "activation"), [("lstm", "relu"), ("article_lstm", "tanh")])
def test_an_epoch_without_the_graph_trains_as_one_through_autograd(built, cell, activation, monkeypatch):
    import numpy as np

    from rnncore.config import ExperimentConfig
    from rnncore.training.steps import LOSSES, train_epoch
    from rnncore.training.update import make_optimizer

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 9, 3)).astype(np.float32), rng.normal(size=(64, 2)).astype(np.float32)
    results, models, used = [], [], []
    for graph in (False, True):
        model = recipe_model(cell, activation, 2)
        if graph:  # the same model through autograd
            monkeypatch.setattr(model, "loss_and_grads", lambda *args: None)
        else:
            own = model.loss_and_grads
            monkeypatch.setattr(model, "loss_and_grads", lambda *args, own=own: used.append(1) or own(*args))
        optimizer = make_optimizer(model.parameters(), ExperimentConfig().train)
        results.append(train_epoch(model, x, y, np.arange(64), batch_size=16, optimizer=optimizer,
                                   loss_fn=LOSSES["mse"](), clip_norm=1.0, device=torch.device("cpu"),
                                   before_batch=lambda: None, forward=model))
        models.append(model)
    assert len(used) == 4  # every batch went without the graph
    (loss_a, norm_a, layers_a), (loss_b, norm_b, layers_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-5) and norm_a == pytest.approx(norm_b, rel=1e-5)
    assert layers_a == pytest.approx(layers_b, rel=1e-5)
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(), nn.HuberLoss(delta=0.3),
                                     nn.SmoothL1Loss(), nn.MSELoss(reduction="sum")],
                         ids=["mse", "mae", "huber", "huber-0.3", "smooth-l1 (autograd)", "mse-sum (autograd)"])
def test_a_loss_and_its_gradient_on_the_outputs_are_autograds(loss_fn):
    from rnncore.nn.losses import loss_and_grad

    g = torch.Generator().manual_seed(3)
    out = torch.randn(40, 2, generator=g, dtype=torch.float64) * 2  # differences below and above each delta
    y = torch.randn(40, 2, generator=g, dtype=torch.float64)
    y[0] = out[0]  # a difference of zero (sign 0)
    leaf = out.clone().requires_grad_()
    expected = loss_fn(leaf, y)
    (grad,) = torch.autograd.grad(expected, leaf)
    value, ours = loss_and_grad(loss_fn, out, y)
    assert not value.requires_grad
    torch.testing.assert_close(value, expected.detach(), atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(ours, grad, atol=1e-12, rtol=1e-12)
