"""The character language model against a hand-written PyTorch loop of the same model, interleaved in one run.

Issue 16's case: an LSTM of 128 units on the first 100,000 characters of sample:genesis, lookback 64,
batch 64, Adam, cross-entropy. ``train_charlm`` (windows as views of one one-hot array, the shared training
loop with its gradient norms and probes, the validation loss each epoch, then validation and test bits per
character and the unigram and bigram baselines) against what one would write by hand: ids cut into windows,
each batch one-hot encoded as it is drawn, forward, loss, backward, Adam, the validation loss each epoch and
the test loss at the end. Both train the same model (same initial weights) in one thread.

    python benchmarks/charlm_speed.py [--rounds 3] [--epochs 1] [--characters 100000]

Prints seconds for each and the ratio of speeds, hand loop time / train_charlm time (target: at least 0.9).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ExperimentConfig
from rnncore.data.text import Vocabulary, split_text
from rnncore.nn.models import build_model
from rnncore.tasks.charlm import load_text, train_charlm

CFG = ExperimentConfig().replace(
    data={"source": "sample:genesis"}, window={"lookback": 64, "train_fraction": 0.8, "val_fraction": 0.1},
    model={"cell": "lstm", "hidden_size": 128}, train={"epochs": 1, "batch_size": 64, "lr": 2e-3})


def ours_seconds(cfg: ExperimentConfig, text: str) -> tuple[float, float]:
    start = time.perf_counter()
    result = train_charlm(cfg, text)
    assert result.status == "finished", result.message
    return time.perf_counter() - start, result.metrics["test"]["bits_per_char"]


def hand_seconds(cfg: ExperimentConfig, text: str) -> tuple[float, float]:
    start = time.perf_counter()
    lookback, tc = cfg.window.lookback, cfg.train
    train, val, test = split_text(text, cfg.window.train_fraction, cfg.window.val_fraction)
    vocab = Vocabulary.fit(train)
    size = len(vocab)

    def windows(part: str) -> tuple[torch.Tensor, torch.Tensor]:
        ids = vocab.encode(part)
        return torch.from_numpy(sliding_window_view(ids[:-1], lookback).copy()), torch.from_numpy(ids[lookback:])

    (xt, yt), (xv, yv), (xs, ys) = windows(train), windows(val), windows(test)
    generator = torch.Generator().manual_seed(tc.seed)
    model = build_model(cfg.model, size, size, generator)  # the same initial weights as ours
    optimizer = torch.optim.Adam(model.parameters(), lr=tc.lr)

    @torch.no_grad()
    def loss_on(x, y) -> float:
        model.eval()
        total = sum(F.cross_entropy(model(F.one_hot(x[i:i + 1024], size).float()), y[i:i + 1024],
                                    reduction="sum").item() for i in range(0, len(y), 1024))
        model.train()
        return total / len(y)

    for _ in range(tc.epochs):
        order = torch.randperm(len(yt), generator=generator)
        for i in range(0, len(order), tc.batch_size):
            batch = order[i:i + tc.batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(F.one_hot(xt[batch], size).float()), yt[batch])
            loss.backward()
            optimizer.step()
        loss_on(xv, yv)
    bits = loss_on(xs, ys) / np.log(2)
    return time.perf_counter() - start, bits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--characters", type=int, default=100_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = CFG.replace(train={"epochs": args.epochs})
    text = load_text("sample:genesis")[1][:args.characters]
    print(f"LSTM {cfg.model.hidden_size} units, {len(text):,} characters, lookback {cfg.window.lookback}, "
          f"batch {cfg.train.batch_size}, {args.epochs} epoch(s), {args.rounds} rounds, one thread", flush=True)
    for fn in (ours_seconds, hand_seconds):  # warm up: imports and first calls are neither loop's cost
        fn(cfg.replace(train={"epochs": 1}), text[:5_000])
    ours, hand = [], []
    for round_ in range(1, args.rounds + 1):
        first, second = (ours_seconds, hand_seconds) if round_ % 2 else (hand_seconds, ours_seconds)
        for fn in (first, second):
            seconds, bits = fn(cfg, text)
            (ours if fn is ours_seconds else hand).append(seconds)
            print(f"  round {round_} {'train_charlm' if fn is ours_seconds else 'hand loop   '}: {seconds:6.1f} s, "
                  f"test {bits:.3f} bits per character", flush=True)
    ratio = statistics.median(hand) / statistics.median(ours)
    print(f"median: train_charlm {statistics.median(ours):.1f} s, hand loop {statistics.median(hand):.1f} s; "
          f"speed ratio train_charlm / hand loop {ratio:.3f} (target: at least 0.9)")


if __name__ == "__main__":
    main()
