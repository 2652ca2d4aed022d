"""The character language model at equal wall time: RNN Lab's way against the old one and a hand loop.

An LSTM of 128 units on the first 100,000 characters of sample:genesis, lookback 64, batch 64, Adam, lr 0.002,
cross-entropy, one thread, the same initial weights, each loop given the same seconds:

- ``run_experiment``: RNN Lab as it trains a text (a window every half window, the next character predicted at every
  step after the first half; the shared loop with its validation loss, gradient norms and time limit).
- ``last position``: a hand loop of the old way, a window ending at every character and only the character after
  it predicted.
- ``every position``: a hand loop as char-rnn trains, windows one after another, every step predicted.

Each is scored the same way: the test part's bits per character, the character after each window of
``lookback`` (what the unigram and bigram baselines are scored on). The hand loops stop mid-epoch when their time
is up and keep the weights they have; ``run_experiment`` keeps the weights of its last whole epoch.

    python benchmarks/charlm_speed.py [--seconds 60] [--characters 100000]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ExperimentConfig
from rnncore.data.text import Vocabulary, baseline_bits, load_text, split_text
from rnncore.nn.models import build_model
from rnncore.tasks.build import task_run
from rnncore.training import run_experiment

CFG = ExperimentConfig().replace(
    data={"source": "sample:genesis", "task": "charlm"},
    window={"lookback": 64, "train_fraction": 0.8, "val_fraction": 0.1},
    model={"cell": "lstm", "hidden_size": 128}, train={"epochs": 10_000, "batch_size": 64, "lr": 2e-3, "patience": 0})


def ours(cfg: ExperimentConfig, text: str, seconds: float) -> tuple[float, float, int]:
    """(seconds, test bits per character, epochs) of run_experiment under a time limit."""
    start = time.perf_counter()
    cfg = cfg.replace(train={"max_seconds": seconds})
    result = run_experiment(cfg, task=task_run(cfg, text))
    return time.perf_counter() - start, result.metrics["test"]["bits_per_char"], len(result.history)


def by_hand(cfg: ExperimentConfig, text: str, seconds: float, every_position: bool) -> tuple[float, float, int]:
    """(seconds, test bits per character, epochs begun) of a hand-written loop."""
    start = time.perf_counter()
    lookback, tc = cfg.window.lookback, cfg.train
    train, _, test = split_text(text, cfg.window.train_fraction, cfg.window.val_fraction)
    vocab = Vocabulary.fit(train)
    size = len(vocab)
    ids = torch.from_numpy(vocab.encode(train))
    if every_position:  # windows one after another, the next character at every step
        n = (len(ids) - 1) // lookback
        xt, yt = ids[:n * lookback].reshape(n, lookback), ids[1:n * lookback + 1].reshape(n, lookback)
    else:  # a window ending at every character, the one after it
        xt, yt = torch.from_numpy(sliding_window_view(ids.numpy()[:-1], lookback).copy()), ids[lookback:]
    test_ids = vocab.encode(test)
    xs = torch.from_numpy(sliding_window_view(test_ids[:-1], lookback).copy())
    ys = torch.from_numpy(test_ids[lookback:])
    generator = torch.Generator().manual_seed(tc.seed)
    model = build_model(cfg.model, size, size, generator)  # the same initial weights as run_experiment's
    optimizer = torch.optim.Adam(model.parameters(), lr=tc.lr)
    epochs = 0
    while time.perf_counter() - start < seconds:
        epochs += 1
        order = torch.randperm(len(xt), generator=generator)
        for i in range(0, len(order), tc.batch_size):
            if time.perf_counter() - start >= seconds:
                break
            batch = order[i:i + tc.batch_size]
            x = F.one_hot(xt[batch], size).float()
            optimizer.zero_grad()
            if every_position:
                loss = F.cross_entropy(model.forward_steps(x).transpose(1, 2), yt[batch])
            else:
                loss = F.cross_entropy(model(x), yt[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        total = sum(F.cross_entropy(model(F.one_hot(xs[i:i + 1024], size).float()), ys[i:i + 1024],
                                    reduction="sum").item() for i in range(0, len(ys), 1024))
    return time.perf_counter() - start, total / len(ys) / math.log(2), epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="each loop's training time")
    parser.add_argument("--characters", type=int, default=100_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = CFG
    text = load_text("sample:genesis")[:args.characters]
    train, _, test = split_text(text, cfg.window.train_fraction, cfg.window.val_fraction)
    vocab = Vocabulary.fit(train)
    base = baseline_bits(vocab.encode(train), vocab.encode(test), len(vocab), context=cfg.window.lookback)
    print(f"LSTM {cfg.model.hidden_size} units, {len(text):,} characters, lookback {cfg.window.lookback}, batch "
          f"{cfg.train.batch_size}, lr {cfg.train.lr:g}, {args.seconds:g} s each, one thread; test baselines: "
          + ", ".join(f"{name} {bits:.3f}" for name, bits in base.items()), flush=True)
    ours(cfg, text[:5_000], 1.0)  # warm up: imports and first calls are no loop's cost
    for name, run in (("run_experiment", lambda: ours(cfg, text, args.seconds)),
                      ("last position (hand)", lambda: by_hand(cfg, text, args.seconds, every_position=False)),
                      ("every position (hand)", lambda: by_hand(cfg, text, args.seconds, every_position=True))):
        seconds, bits, epochs = run()
        print(f"  {name:22s} {seconds:6.1f} s, {epochs:4d} epoch(s), test {bits:.3f} bits per character", flush=True)


if __name__ == "__main__":
    main()
