"""Slow learning checks: the models learn what they should, and the tanh RNN fails where it should.

Figures measured here are recorded in docs/PERFORMANCE.md, "Learning checks".
"""

import time

import pytest
import torch

from rnncore.config import ExperimentConfig
from rnncore.training import run_experiment

torch.set_num_threads(1)
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "article_lstm"])
def test_every_cell_beats_persistence_on_a_noisy_sine(cell):
    cfg = ExperimentConfig().replace(
        data={"source": "synthetic:sine", "params": {"length": 800, "noise": 0.1}},
        window={"lookback": 24}, model={"cell": cell, "hidden_size": 16},
        train={"epochs": 15, "lr": 0.01, "batch_size": 32})
    result = run_experiment(cfg)
    model, persistence = result.metrics["test"]["rmse"], result.baselines["persistence"]["test"]["rmse"]
    print(f"sine {cell}: test rmse {model:.4f}, persistence {persistence:.4f}")
    assert model < 0.9 * persistence


def adding(cell: str):
    cfg = ExperimentConfig().replace(
        data={"source": "synthetic:adding", "params": {"steps": 50, "samples": 6000}},
        window={"lookback": 50, "scaler": "none"}, model={"cell": cell, "hidden_size": 32},
        train={"epochs": 20, "lr": 0.005, "batch_size": 64, "clip_norm": 1.0})
    started = time.monotonic()
    result = run_experiment(cfg)
    val_mse = result.metrics["val"]["rmse"] ** 2  # original units: the mean predictor scores 0.167
    print(f"adding-50 {cell}: val MSE {val_mse:.4f} after {len(result.history)} epochs, "
          f"{time.monotonic() - started:.1f} s; curve {[round(r.val_loss, 3) for r in result.history]}")
    return val_mse


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_solve_the_adding_problem(cell):
    assert adding(cell) < 0.05


def test_tanh_rnn_stays_near_the_mean_on_the_adding_problem():
    assert adding("rnn") > 0.12
