"""Trainer throughput against a minimal hand-written PyTorch loop, interleaved in one run.

The article's recipe: LSTM with 50 units, batch 32, lookback 30, one feature (a noisy sine
of 3,000 rows). Both loops train the same model (same init), on the same windows, in the
same batch order, and compute the validation loss once per epoch; the Trainer also records
gradient norms per layer, probes gradients through time and runs its controls.

    python benchmarks/trainer_throughput.py [--rounds 5] [--epochs 3]

Prints epochs per second for each and the ratio Trainer / hand loop (target: at least 0.9).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ExperimentConfig
from rnncore.data.generators import generate
from rnncore.nn.models import build_model
from rnncore.training import Trainer

CFG = ExperimentConfig().replace(
    data={"source": "synthetic:sine", "params": {"length": 3000, "noise": 0.1}},
    window={"lookback": 30}, model={"cell": "lstm", "hidden_size": 50},
    train={"epochs": 3, "batch_size": 32, "lr": 1e-3})


def trainer_seconds(cfg, dataset) -> float:
    trainer = Trainer(cfg, dataset)
    trainer.start()
    trainer.join()
    assert trainer.snapshot().status == "finished", trainer.snapshot().message
    return trainer.snapshot().elapsed


def hand_loop_seconds(cfg, windows) -> float:
    """What one would write by hand: shuffle, batch, forward, MSE, backward, Adam; val loss per epoch."""
    generator = torch.Generator().manual_seed(cfg.train.seed)
    model = build_model(cfg.model, windows.train.x.shape[2], windows.horizon, generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.train.lr)
    loss_fn = nn.MSELoss()
    x, y = windows.train.x, windows.train.y
    x_val, y_val = torch.from_numpy(np.array(windows.val.x)), torch.from_numpy(np.array(windows.val.y))
    started = time.perf_counter()
    for _ in range(cfg.train.epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator).numpy()
        for start in range(0, len(order), cfg.train.batch_size):
            idx = order[start:start + cfg.train.batch_size]
            loss = loss_fn(model(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            float(loss_fn(model(x_val), y_val))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = CFG.replace(train={"epochs": args.epochs})
    dataset = generate("sine", length=3000, noise=0.1)
    windows = Trainer(cfg, dataset).windows
    trainer_times, hand_times = [], []
    trainer_seconds(cfg.replace(train={"epochs": 1}), dataset)  # warm-up
    for _ in range(args.rounds):  # interleaved, so drifts in machine speed hit both alike
        trainer_times.append(trainer_seconds(cfg, dataset))
        hand_times.append(hand_loop_seconds(cfg, windows))
    t, h = statistics.median(trainer_times), statistics.median(hand_times)
    print(f"{len(windows.train)} train windows, {cfg.train.epochs} epochs per round, {args.rounds} rounds, "
          f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    print(f"Trainer:   {cfg.train.epochs / t:.2f} epochs/s (median {t:.3f} s per round)")
    print(f"hand loop: {cfg.train.epochs / h:.2f} epochs/s (median {h:.3f} s per round)")
    print(f"ratio Trainer / hand loop: {h / t:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
