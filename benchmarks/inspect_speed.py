"""What looking inside costs, and what training through the explicit cells costs.

(a) SequenceModel.inspect on 256 windows of 100 steps, 1-layer LSTM of 64 units, under
    torch.no_grad as the app calls it (rnncore.viz.inspection): the median time (target: under
    30 ms) and its ratio to a plain fused nn.LSTM forward on the same input, measured
    in the same run.
(b) One training step (Adam, MSE; batch 32, lookback 30, 50 units, 1 feature: the
    article's recipe) of our LSTM with tanh and with relu and of the article LSTM (on the CPU all
    three train through the C++ loops where they are built), relative to torch's own fused nn.LSTM
    with a linear head written by hand; the four are measured interleaved.

Run:  python benchmarks/inspect_speed.py        (one thread, as the app runs)
"""

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ModelConfig  # noqa: E402
from rnncore.nn.models import build_model  # noqa: E402


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def bench_inspect(repeats: int = 15) -> None:
    g = torch.Generator().manual_seed(0)
    model = build_model(ModelConfig(cell="lstm", hidden_size=64), 1, 1, g).eval()
    x = torch.randn(256, 100, 1, generator=g)
    plain = torch.nn.LSTM(1, 64, batch_first=True)
    plain.load_state_dict(model.rnn.state_dict())
    with torch.no_grad():
        model.inspect(x)  # warm up
        plain(x)
        inspect_ms = median_ms(lambda: model.inspect(x), repeats)
        fused_ms = median_ms(lambda: plain(x), repeats)
    verdict = "ok" if inspect_ms < 30 else "OVER the 30 ms target"
    print(f"(a) inspect, LSTM 64 units, 256 x 100 steps: median {inspect_ms:.1f} ms ({verdict}); "
          f"fused nn.LSTM forward {fused_ms:.1f} ms; ratio {inspect_ms / fused_ms:.2f}x")


class TorchLSTM(torch.nn.Module):
    """The reference: torch's own fused nn.LSTM and a linear head, written by hand."""

    def __init__(self, hidden: int):
        super().__init__()
        self.lstm, self.head = torch.nn.LSTM(1, hidden, batch_first=True), torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.lstm(x)[0][:, -1])


def training_step(config: ModelConfig | None, x, y, seed: int):
    torch.manual_seed(seed)
    model = TorchLSTM(50) if config is None else build_model(config, 1, 1, torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def bench_training(rounds: int = 40, steps_per_round: int = 5) -> None:
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 30, 1, generator=g), torch.randn(32, 1, generator=g)
    kinds = {"torch's nn.LSTM (tanh)": None,
             "LSTM (tanh), ours": ModelConfig(cell="lstm", hidden_size=50),
             "relu-LSTM, explicit": ModelConfig(cell="lstm", activation="relu", hidden_size=50),
             "article LSTM, explicit": ModelConfig(cell="article_lstm", hidden_size=50)}
    steps = {name: training_step(config, x, y, seed=0) for name, config in kinds.items()}
    times = {name: [] for name in steps}
    for step in steps.values():  # warm up
        step()
    for _ in range(rounds):  # interleaved, so a slow moment of the machine hits all four
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            times[name].append((time.perf_counter() - start) / steps_per_round)
    base = statistics.median(times["torch's nn.LSTM (tanh)"])
    print("(b) training step, batch 32, lookback 30, 50 units, 1 feature, Adam:")
    for name, values in times.items():
        ms = 1000 * statistics.median(values)
        print(f"    {name:24s} {ms:6.2f} ms/step   {ms / (1000 * base):.2f}x torch's fused LSTM")


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    bench_inspect()
    bench_training()
