"""The character language model at equal wall time: RNN Lab's way against the old one and a hand loop.

An LSTM of 128 units on the first 100,000 characters of sample:genesis (or ``--data``), lookback 64, batch 64, Adam,
lr 0.002, cross-entropy, one thread, the same initial weights, each loop given the same seconds:

- ``run_experiment``: RNN Lab as it trains a text (a window every half window, shuffled, each from a zero state, the
  next character predicted at every step after the first half; the shared loop with its validation loss, gradient
  norms and time limit).
- ``run_experiment, state carried``: the same with ``initial_state="carried"`` (the text read as 64 streams side by
  side, windows in order, each from the state the one before ended in, every step predicted).
- ``last position``: a hand loop of the old way, a window ending at every character and only the character after
  it predicted.
- ``every position``: a hand loop, windows one after another, shuffled, each from a zero state, every step predicted.
- ``state carried``: a hand loop as char-rnn and d2l train, 64 streams side by side, windows in order, the state
  carried (detached) from each window to the next, every step predicted.

Each is scored the same way: the test part's bits per character, the character after each window of
``lookback`` (what the unigram and bigram baselines are scored on). The hand loops stop mid-epoch when their time
is up and keep the weights they have; ``run_experiment`` keeps the weights of its last whole epoch.

    python benchmarks/charlm_speed.py [--seconds 60] [--characters 100000] [--data sample:tang300]
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
    data={"task": "charlm"},
    window={"lookback": 64, "train_fraction": 0.8, "val_fraction": 0.1},
    model={"cell": "lstm", "hidden_size": 128}, train={"epochs": 10_000, "batch_size": 64, "lr": 2e-3, "patience": 0})


def ours(cfg: ExperimentConfig, text: str, seconds: float) -> tuple[float, float, int]:
    """(seconds, test bits per character, epochs) of run_experiment under a time limit."""
    start = time.perf_counter()
    cfg = cfg.replace(train={"max_seconds": seconds})
    result = run_experiment(cfg, task=task_run(cfg, text))
    return time.perf_counter() - start, result.metrics["test"]["bits_per_char"], len(result.history)


def by_hand(cfg: ExperimentConfig, text: str, seconds: float, way: str) -> tuple[float, float, int]:
    """(seconds, test bits per character, epochs begun) of a hand-written loop: ``way`` "last", "every" or
    "carried"."""
    start = time.perf_counter()
    lookback, tc = cfg.window.lookback, cfg.train
    train, _, test = split_text(text, cfg.window.train_fraction, cfg.window.val_fraction)
    vocab = Vocabulary.fit(train, cfg.data.vocabulary)  # as run_experiment keeps it
    size = len(vocab)
    ids = torch.from_numpy(vocab.encode(train))
    if way == "every":  # windows one after another, the next character at every step
        n = (len(ids) - 1) // lookback
        xt, yt = ids[:n * lookback].reshape(n, lookback), ids[1:n * lookback + 1].reshape(n, lookback)
    elif way == "carried":  # batch_size streams side by side
        used = (len(ids) - 1) // tc.batch_size // lookback * lookback * tc.batch_size
        xt, yt = ids[:used].reshape(tc.batch_size, -1), ids[1:used + 1].reshape(tc.batch_size, -1)
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
        state = None
        if way == "carried":  # the window at each step of every stream, in order
            batches = [(slice(None), slice(i, i + lookback)) for i in range(0, xt.shape[1], lookback)]
        else:
            order = torch.randperm(len(xt), generator=generator)
            batches = [(order[i:i + tc.batch_size], slice(None)) for i in range(0, len(order), tc.batch_size)]
        for rows, steps in batches:
            if time.perf_counter() - start >= seconds:
                break
            x = F.one_hot(xt[rows][:, steps], size).float()
            optimizer.zero_grad()
            if way == "carried":
                out, state = model.forward_carried(x, state)
                state = tuple(s.detach() for s in state)
                loss = F.cross_entropy(out.transpose(1, 2), yt[rows][:, steps])
            elif way == "every":
                loss = F.cross_entropy(model.forward_steps(x).transpose(1, 2), yt[rows])
            else:
                loss = F.cross_entropy(model(x), yt[rows])
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
    parser.add_argument("--data", default="sample:genesis", help="a bundled text or a text file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = CFG.replace(data={"source": args.data})
    text = load_text(args.data)[:args.characters]
    train, _, test = split_text(text, cfg.window.train_fraction, cfg.window.val_fraction)
    vocab = Vocabulary.fit(train, cfg.data.vocabulary)  # as run_experiment keeps it
    base = baseline_bits(vocab.encode(train), vocab.encode(test), len(vocab), context=cfg.window.lookback)
    print(f"LSTM {cfg.model.hidden_size} units, {len(text):,} characters, lookback {cfg.window.lookback}, batch "
          f"{cfg.train.batch_size}, lr {cfg.train.lr:g}, {args.seconds:g} s each, one thread; test baselines: "
          + ", ".join(f"{name} {bits:.3f}" for name, bits in base.items()), flush=True)
    ours(cfg, text[:5_000], 1.0)  # warm up: imports and first calls are no loop's cost
    carried = cfg.replace(window={"initial_state": "carried"})
    for name, run in (("run_experiment", lambda: ours(cfg, text, args.seconds)),
                      ("run_experiment, state carried", lambda: ours(carried, text, args.seconds)),
                      ("last position (hand)", lambda: by_hand(cfg, text, args.seconds, "last")),
                      ("every position (hand)", lambda: by_hand(cfg, text, args.seconds, "every")),
                      ("state carried (hand)", lambda: by_hand(cfg, text, args.seconds, "carried"))):
        seconds, bits, epochs = run()
        print(f"  {name:30s} {seconds:6.1f} s, {epochs:4d} epoch(s), test {bits:.3f} bits per character", flush=True)


if __name__ == "__main__":
    main()
