"""Where a run trains (rnncore/training/devices.py): auto takes the GPU only for a model that is faster there.

A GPU is stood in for by monkeypatching ``devices.gpu_available``; tests/test_cuda.py checks the same on a real one.
"""

import pytest
import torch

from rnncore.config import ConfigError, ExperimentConfig
from rnncore.training import devices

RECIPE = ExperimentConfig().replace(model={"cell": "lstm", "hidden_size": 50, "activation": "relu"},
                                    train={"batch_size": 32, "device": "auto"})


@pytest.mark.parametrize(("model", "batch", "on_cpu"), [
    ({"activation": "relu", "hidden_size": 50}, 32, True),  # the article's recipe: 7x faster on the CPU
    ({"cell": "article_lstm", "hidden_size": 128}, 32, True),
    ({"activation": "relu", "hidden_size": 128}, 64, False),  # 1,048,576: the GPU
    ({"cell": "article_lstm", "hidden_size": 256}, 32, False),
    ({"activation": "relu", "hidden_size": 100}, 100, False),  # exactly the break-even: the GPU
    ({"activation": "relu", "hidden_size": 99}, 100, True),
    ({"hidden_size": 50}, 32, True),  # the recipe with tanh (fused): 1.7x faster on the CPU
    ({"hidden_size": 64}, 32, True),
    ({"hidden_size": 50}, 64, False),  # 160,000: the GPU
    ({"hidden_size": 128}, 32, False),
    ({"cell": "gru", "hidden_size": 8}, 1, False),  # torch's CPU kernels, not our C++ loops: the GPU
    ({"cell": "rnn", "activation": "relu", "hidden_size": 8}, 1, False),
])
def test_which_models_train_faster_on_the_cpu(model, batch, on_cpu):
    cfg = ExperimentConfig().replace(model={"cell": "lstm", **model})
    assert devices.faster_on_cpu(cfg.model, batch) is on_cpu


def test_auto_is_the_cpu_without_a_gpu(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: False)
    assert devices.resolve_device(RECIPE.replace(model={"activation": "tanh"})) == torch.device("cpu")


def test_auto_takes_a_gpu_only_for_a_model_faster_there(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: True)
    assert devices.resolve_device(RECIPE) == torch.device("cpu")
    assert devices.resolve_device(RECIPE.replace(train={"batch_size": 1024})) == torch.device("cuda")
    assert devices.resolve_device(RECIPE.replace(model={"activation": "tanh"})) == torch.device("cpu")
    assert devices.resolve_device(RECIPE.replace(model={"cell": "gru", "activation": "tanh"})) == torch.device("cuda")


def test_a_named_device_is_kept_even_where_the_other_is_faster(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: True)
    assert devices.resolve_device(RECIPE.replace(train={"device": "cuda"})) == torch.device("cuda")
    gru = RECIPE.replace(model={"cell": "gru", "activation": "tanh"})
    assert devices.resolve_device(gru.replace(train={"device": "cpu"})) == torch.device("cpu")
    monkeypatch.setattr(devices, "gpu_available", lambda: False)
    with pytest.raises(ConfigError, match="no CUDA GPU is available; choose cpu or auto"):
        devices.resolve_device(RECIPE.replace(train={"device": "cuda"}))
