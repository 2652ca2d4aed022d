"""A text of a large vocabulary read one-hot or through an embedding, at equal wall time.

An LSTM of 128 units on sample:tang300 (Tang poems, 2,579 kinds of character) with every character in the
vocabulary (data.vocabulary 3000), lookback 32, batch 64, Adam, lr 0.005, one thread, the same seed, each run given
the same seconds through the Trainer: ``embedding`` 0 (each character one-hot: the first layer reads 2,579 values)
against ``embedding`` 64 (each character a learned vector of 64). Both are scored the same way, the test part's
bits per character next to the unigram and bigram baselines.

    python benchmarks/charlm_embedding.py [--seconds 60] [--embedding 64]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ExperimentConfig
from rnncore.data.text import load_text
from rnncore.tasks.build import task_run
from rnncore.training import run_experiment

CFG = ExperimentConfig().replace(
    data={"source": "sample:tang300", "task": "charlm", "vocabulary": 3000},
    window={"lookback": 32, "train_fraction": 0.8, "val_fraction": 0.1},
    model={"cell": "lstm", "hidden_size": 128},
    train={"epochs": 10_000, "batch_size": 64, "lr": 0.005, "patience": 0})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="each run's training time")
    parser.add_argument("--embedding", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    text = load_text("sample:tang300")
    rows = {}
    for embedding in (0, args.embedding):
        cfg = CFG.replace(model={"embedding": embedding}, train={"max_seconds": args.seconds})
        run = task_run(cfg, text)
        result = run_experiment(cfg, task=run)
        epochs = len(result.history)
        rows[embedding] = (run.parameters, epochs, sum(r.seconds for r in result.history) / epochs,
                           result.metrics["test"]["bits_per_char"])
        print(f"embedding {embedding:4d}: {run.parameters:,} parameters, {epochs} epochs in {args.seconds:g} s, "
              f"{rows[embedding][2]:.3f} s an epoch, test {rows[embedding][3]:.3f} bits per character", flush=True)
    base = result.baselines
    print(f"baselines: unigram {base['unigram']['test']['bits_per_char']:.3f}, bigram "
          f"{base['bigram']['test']['bits_per_char']:.3f} bits per character (vocabulary {len(run.parts.vocab)})")
    print(f"an epoch, one-hot / embedding: {rows[0][2] / rows[args.embedding][2]:.2f}x")


if __name__ == "__main__":
    main()
