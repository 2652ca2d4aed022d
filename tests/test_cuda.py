"""The GPU: every cell gives on CUDA what it gives on the CPU, and a run on CUDA reproduces itself.

These need a CUDA GPU and are skipped without one (CI has none); benchmarks/gpu_check.sh runs them together
with the throughput table on a machine that has one.
"""

import pytest
import torch

from rnncore.config import ExperimentConfig, ModelConfig
from rnncore.data.generators import generate
from rnncore.nn.models import build_model
from rnncore.training import Trainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh"), ("lstm", "relu"),
         ("article_lstm", "tanh"), ("article_lstm", "relu")]


def outputs_and_grads(model, x):
    model.zero_grad()
    out = model(x)
    out.pow(2).sum().backward()
    return [out.detach().cpu()] + [p.grad.detach().cpu() for p in model.parameters()]


@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_a_cell_gives_the_same_outputs_and_gradients_on_cuda_as_on_the_cpu(cell, activation):
    config = ModelConfig(cell=cell, activation=activation, hidden_size=12, num_layers=2)
    model = build_model(config, 3, 2, torch.Generator().manual_seed(0)).double()
    x = torch.randn(5, 17, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    on_cpu = outputs_and_grads(model, x)
    on_gpu = outputs_and_grads(model.cuda(), x.cuda())
    for a, b in zip(on_cpu, on_gpu, strict=True):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-8)
    with torch.no_grad():  # what inspect records, too
        torch.testing.assert_close(model(x.cuda()).cpu(), on_cpu[0], atol=1e-10, rtol=1e-8)
        trace = model.inspect(x.cuda())
    model.cpu()
    with torch.no_grad():
        reference = model.inspect(x)
    for ours, theirs in zip(trace.gates + trace.states, reference.gates + reference.states, strict=True):
        for name in theirs:
            torch.testing.assert_close(ours[name].cpu(), theirs[name], atol=1e-10, rtol=1e-8, msg=name)


@pytest.mark.parametrize("model", [{"cell": "lstm"}, {"cell": "lstm", "activation": "relu"},
                                   {"cell": "gru", "num_layers": 2, "dropout": 0.2}], ids=["lstm", "relu", "gru"])
def test_a_run_on_cuda_reproduces_its_own_history(model):
    cfg = ExperimentConfig().replace(data={"source": "synthetic:sine", "params": {"length": 400}},
                                     window={"lookback": 16}, model={"hidden_size": 16, **model},
                                     train={"epochs": 4, "device": "cuda", "seed": 3})
    data = generate("sine", length=400)
    runs = [Trainer(cfg, data).run() for _ in range(2)]
    histories = [[(r.train_loss, r.val_loss, r.grad_norm) for r in run.history] for run in runs]
    assert histories[0] == histories[1]
    assert runs[0].metrics["test"] == runs[1].metrics["test"]


def test_auto_trains_the_articles_recipe_on_the_cpu_and_a_larger_lstm_on_the_gpu():
    recipe = ExperimentConfig().replace(data={"source": "synthetic:sine", "params": {"length": 400}},
                                        model={"cell": "lstm", "hidden_size": 50, "activation": "relu"},
                                        train={"batch_size": 32, "device": "auto", "epochs": 1})
    data = generate("sine", length=400)
    assert Trainer(recipe, data).device.type == "cpu"  # 7x faster on the CPU (devices.py)
    larger = Trainer(recipe.replace(model={"activation": "tanh", "hidden_size": 128}), data)
    assert larger.device.type == "cuda"
    assert larger.run().status == "finished"


def test_the_text_and_label_tasks_train_on_cuda_and_reproduce_themselves():
    from rnncore.data.labelled import generate_labelled
    from rnncore.data.text import load_text
    from rnncore.tasks.build import task_run
    from rnncore.tasks.charlm import sample
    from rnncore.training import run_experiment
    from rnncore.viz.text_views import text_trace

    def history(result):
        return [(r.train_loss, r.val_loss, r.grad_norm) for r in result.history]

    text = load_text("sample:tang300")[:4000]
    cfg = ExperimentConfig().replace(data={"task": "charlm"},
                                     model={"cell": "lstm", "hidden_size": 24, "activation": "relu"},
                                     window={"lookback": 8}, train={"epochs": 2, "device": "cuda", "seed": 0})
    runs = [run_experiment(cfg, task=task_run(cfg, text)) for _ in range(2)]
    assert runs[0].status == "finished" and history(runs[0]) == history(runs[1])
    model = runs[0].model
    assert next(model.parameters()).device.type == "cuda"
    drawn = [sample(model, runs[0].vocab, "床前", 20, 8, 0.8, torch.Generator().manual_seed(1)) for _ in range(2)]
    assert drawn[0] == drawn[1] and len(drawn[0]) == 20
    assert text_trace(model, runs[0].vocab, text[:30]).next_probs.shape == (30, len(runs[0].vocab))

    data = generate_labelled("waveform", seed=0, samples=200, steps=20)
    cfg = ExperimentConfig().replace(data={"task": "classify", "class_weights": "balanced"},
                                     model={"cell": "gru", "hidden_size": 8},
                                     train={"epochs": 2, "device": "cuda", "seed": 0})
    runs = [run_experiment(cfg, task=task_run(cfg, data)) for _ in range(2)]
    assert runs[0].status == "finished" and history(runs[0]) == history(runs[1])
    assert runs[0].metrics["test"] == runs[1].metrics["test"]
