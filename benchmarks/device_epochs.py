"""Whole epochs on the CPU and on a CUDA GPU, as the app trains them.

device_throughput.py times one bare training step; this times what a user waits for: the Trainer's epoch
(batches drawn from the windows, each copied to the device, the validation pass, the probe), for the article's
recipe and for larger models, on the CPU with one torch thread and on the GPU, in the same run. Prints a
Markdown table of the median seconds per epoch after the first.

    python benchmarks/device_epochs.py [--epochs 3] [--case CELL:ACTIVATION:HIDDEN:BATCH ...]

--case runs models of one's own choosing on the article's data set instead (the break-even in
rnncore/training/devices.py was measured so): lstm:relu:128:32 is a relu LSTM of 128 units at batch 32.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from device_throughput import measured_devices, print_header  # noqa: E402  (beside this file)

from rnncore.config import ExperimentConfig, ModelConfig  # noqa: E402
from rnncore.data.sources import load_source  # noqa: E402
from rnncore.training.devices import cost  # noqa: E402
from rnncore.training.trainer import Trainer  # noqa: E402

# (name, data source, model, batch size): the article's recipe on its data set, then bigger models on a long series
CASES = [
    ("recipe relu", "sample:co2", {"cell": "lstm", "hidden_size": 50, "activation": "relu"}, 32),
    ("recipe tanh", "sample:co2", {"cell": "lstm", "hidden_size": 50}, 32),
    ("lstm 128, batch 128", "synthetic:sine", {"cell": "lstm", "hidden_size": 128}, 128),
    ("lstm 256, batch 256", "synthetic:sine", {"cell": "lstm", "hidden_size": 256}, 256),
    ("lstm 512, batch 512", "synthetic:sine", {"cell": "lstm", "hidden_size": 512}, 512),
    ("gru 256, batch 256", "synthetic:sine", {"cell": "gru", "hidden_size": 256}, 256),
]
SINE_LENGTH = 4_000  # steps of the long series (about 2,800 training windows)


def epoch_seconds(source: str, model: dict, batch: int, device: str, epochs: int) -> float:
    """The median seconds of an epoch after the first (which pays for the warm-up)."""
    cfg = ExperimentConfig().replace(
        data={"source": source, "params": {"length": SINE_LENGTH} if source.startswith("synthetic") else {}},
        window={"lookback": 30, "scaler": "standard"}, model=model,
        train={"epochs": epochs, "batch_size": batch, "device": device, "seed": 0, "probe_every": 1000})
    data = load_source(cfg.data.source, dict(cfg.data.params))
    result = Trainer(cfg, data).run()
    assert result.status == "finished", result.message
    return statistics.median(record.seconds for record in result.history[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs a run (the first is not counted)")
    parser.add_argument("--case", action="append", default=[], metavar="CELL:ACTIVATION:HIDDEN:BATCH",
                        help="a model to time on sample:co2 instead of the table's (repeatable)")
    args = parser.parse_args()
    cases = CASES
    if args.case:
        cases = []
        for case in args.case:
            cell, activation, hidden, batch = case.split(":")
            model = {"cell": cell, "activation": activation, "hidden_size": int(hidden)}
            cases.append((f"{cell} {activation} {hidden}", "sample:co2", model, int(batch)))
    devices, gpu = measured_devices()
    print(f"torch {torch.__version__}; lookback 30; GPU: {gpu}")
    print_header(devices, "run | batch | batch x hidden² | CPU s/epoch", "GPU s/epoch | faster")
    for name, source, model, batch in cases:
        seconds = {d: epoch_seconds(source, model, batch, d, args.epochs) for d in devices}
        row = f"| {name} | {batch} | {cost(ModelConfig(**model), batch):,} | {seconds['cpu']:.3f} |"
        if "cuda" in seconds:
            faster = "CPU" if seconds["cpu"] < seconds["cuda"] else "GPU"
            row += f" {seconds['cuda']:.3f} | {faster} {max(seconds.values()) / min(seconds.values()):.1f}x |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
