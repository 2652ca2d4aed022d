"""Epoch time against the length of the series, 10,000 to 1,000,000 rows: it should grow
linearly (time per training window flat), with the windows never copied.

The article's recipe (LSTM of 50 units, tanh, batch 32, lookback 30, one feature) on a noisy sine of each
length, one epoch through the Trainer (the training windows, then the validation pass), one thread. For each
length: seconds for the epoch, microseconds per training window, and the memory the windows take beyond the
series (tracemalloc around make_windows: views, so it stays a small multiple of the series, never
lookback times it).

    python benchmarks/long_series.py [--rows 10000 30000 100000 300000 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ExperimentConfig
from rnncore.data.generators import generate
from rnncore.data.windows import make_windows
from rnncore.training import Trainer

CFG = ExperimentConfig().replace(window={"lookback": 30}, model={"cell": "lstm", "hidden_size": 50},
                                 train={"epochs": 1, "batch_size": 32, "lr": 1e-3, "probe_every": 1000})


def one_length(rows: int) -> dict:
    cfg = CFG.replace(data={"source": "synthetic:sine", "params": {"length": rows, "noise": 0.1}})
    dataset = generate("sine", length=rows, noise=0.1)
    series_bytes = dataset.frame.to_numpy(dtype=np.float32).nbytes
    tracemalloc.start()
    windows = make_windows(dataset, cfg.window, cfg.data.target, cfg.data.features)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    copies = windows.train.x.nbytes  # what the training windows would take as copies
    trainer = Trainer(cfg, dataset, windows=windows)
    start = time.perf_counter()
    result = trainer.run()
    seconds = time.perf_counter() - start
    assert result.status == "finished", result.message
    epoch = trainer.snapshot().history[-1].seconds
    return {"rows": rows, "train": len(windows.train), "epoch": epoch, "run": seconds,
            "us_per_window": 1e6 * epoch / len(windows.train), "peak": peak / series_bytes,
            "copies": copies / series_bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000, 1_000_000])
    args = parser.parse_args()
    torch.set_num_threads(1)
    one_length(2_000)  # warm up
    print("rows       train windows  epoch s   run s    us/window  windows' peak / series  as copies / series")
    found = []
    for rows in args.rows:
        r = one_length(rows)
        found.append(r)
        print(f"{r['rows']:>9,}  {r['train']:>13,}  {r['epoch']:7.2f}  {r['run']:7.2f}  {r['us_per_window']:9.1f}  "
              f"{r['peak']:22.2f}  {r['copies']:18.0f}", flush=True)
    per = [r["us_per_window"] for r in found]
    print(f"time per training window from {min(per):.1f} to {max(per):.1f} us: largest / smallest "
          f"{max(per) / min(per):.2f} (linear growth: close to 1)")


if __name__ == "__main__":
    main()
