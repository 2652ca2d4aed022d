"""Training throughput on the CPU and on a CUDA GPU, by batch size and hidden size.

One training step of the article's recipe shape (an LSTM, lookback 30, one feature, a linear head, MSE, fused
Adam) for each batch size and hidden size below, on the CPU with one torch thread (as the app trains) and, where
there is one, on the GPU, in the same run. Prints a Markdown table of ms per step and windows per second, and
where the CPU is the faster of the two.

    python benchmarks/device_throughput.py [--cell lstm] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ModelConfig  # noqa: E402
from rnncore.nn.models import build_model  # noqa: E402

BATCHES = (32, 128, 512, 1024)  # windows per step
HIDDEN = (50, 128, 256, 512)  # units in the one recurrent layer
LOOKBACK = 30  # steps in each window


def step_ms(cell: str, activation: str, batch: int, hidden: int, device: str, seconds: float) -> float:
    """The median time of one training step, measured for about ``seconds`` after two warm-up steps."""
    model = build_model(ModelConfig(cell=cell, activation=activation, hidden_size=hidden), 1, 1,
                        torch.Generator().manual_seed(0)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(batch, LOOKBACK, 1, generator=g).to(device), torch.randn(batch, 1, generator=g).to(device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()
    for _ in range(2):
        step()
    times, deadline = [], time.perf_counter() + seconds
    while len(times) < 3 or time.perf_counter() < deadline:
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def measured_devices() -> tuple[list[str], str]:
    """The devices to measure: the CPU with one torch thread (as the app trains) and the GPU where there is one;
    and the GPU's name."""
    torch.set_num_threads(1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    return devices, torch.cuda.get_device_name(0) if "cuda" in devices else "none (the GPU columns are left out)"


def print_header(devices: list[str], columns: str, gpu_columns: str) -> None:
    """A Markdown table's header: ``columns``, then ``gpu_columns`` where a GPU is measured."""
    header = f"| {columns} |" + (f" {gpu_columns} |" if "cuda" in devices else "")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell", default="lstm", help="lstm, gru, rnn or article_lstm")
    parser.add_argument("--activation", default="tanh", help="tanh or relu")
    parser.add_argument("--seconds", type=float, default=1.0, help="measuring time per entry and device")
    args = parser.parse_args()
    devices, gpu = measured_devices()
    print(f"torch {torch.__version__}; {args.cell} ({args.activation}), lookback {LOOKBACK}, 1 feature; GPU: {gpu}")
    print_header(devices, "batch | hidden | CPU ms/step | CPU windows/s", "GPU ms/step | GPU windows/s | faster")
    cpu_wins = []
    for batch in BATCHES:
        for hidden in HIDDEN:
            ms = {d: step_ms(args.cell, args.activation, batch, hidden, d, args.seconds) for d in devices}
            row = f"| {batch} | {hidden} | {ms['cpu']:.2f} | {1000 * batch / ms['cpu']:,.0f} |"
            if "cuda" in ms:
                faster = "CPU" if ms["cpu"] < ms["cuda"] else "GPU"
                if faster == "CPU":
                    cpu_wins.append((batch, hidden))
                ratio = max(ms.values()) / min(ms.values())
                row += f" {ms['cuda']:.2f} | {1000 * batch / ms['cuda']:,.0f} | {faster} {ratio:.1f}x |"
            print(row, flush=True)
    if "cuda" in devices:
        print("the CPU was faster at (batch, hidden): " + (", ".join(map(str, cpu_wins)) or "none"))


if __name__ == "__main__":
    main()
