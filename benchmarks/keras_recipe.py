"""The source article's Keras recipe against RNN Lab's Trainer on the same windows, alternated in one run.

The recipe (../shared/seed, section 4): ``LSTM(50, activation='relu')``, ``Dense(1)``, Adam, MSE, batch 32;
here with lookback 30 and one validation pass per epoch, on sample:co2 (2,284 weekly values: 1,578 training
windows). Keras runs TensorFlow CPU with its default threads in a virtual environment of its own (made on
first run in ``--venv``, never a dependency of the app or the tests); RNN Lab runs its Trainer in this process
with one torch thread, as the app and the command line do. Each with relu (the article's choice, which torch's
fused LSTM does not offer) and with tanh; RNN Lab trains both through its C++ loops. Both read the windows RNN Lab makes
(scaled on the training part), saved to a temporary .npz.

    python benchmarks/keras_recipe.py [--rounds 3] [--epochs 6] [--venv ~/.cache/rnnlab/tf-venv]

A fifth, as a reference measured in the same run: the recipe with tanh as a hand-written PyTorch loop (torch's
fused LSTM, one thread), whose speed on this machine moves less from day to day than Keras's does.

Each round runs them one after another; an epoch's time is the median of its epochs after the first
(Keras traces its graph in the first). Prints the medians over rounds and the ratios Keras / RNN Lab
(the targets: at least 4 with relu, at least 5 with tanh) and RNN Lab's relu / tanh (at most 1.5).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import venv
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import ExperimentConfig
from rnncore.data.sources import load_source
from rnncore.data.windows import make_windows
from rnncore.training.trainer import Trainer

TENSORFLOW = "tensorflow-cpu==2.21.*"  # the version the issue measured
RECIPE = ExperimentConfig().replace(
    data={"source": "sample:co2"}, window={"lookback": 30, "scaler": "standard"},
    model={"cell": "lstm", "hidden_size": 50, "activation": "relu"},
    train={"batch_size": 32, "lr": 1e-3, "optimizer": "adam", "loss": "mse", "probe_every": 1000})

KERAS = textwrap.dedent('''
    import json, sys, time
    import numpy as np
    import tensorflow as tf
    from tensorflow.keras.layers import LSTM, Dense, Input
    from tensorflow.keras.models import Sequential

    data, epochs, activation = np.load(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    x, y, xv, yv = data["x"], data["y"], data["xv"], data["yv"]
    tf.keras.utils.set_random_seed(0)
    model = Sequential([Input(shape=x.shape[1:]), LSTM(50, activation=activation), Dense(y.shape[1])])
    model.compile(optimizer="adam", loss="mse")

    class Clock(tf.keras.callbacks.Callback):
        seconds = []
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None):  # after the validation pass
            self.seconds.append(time.perf_counter() - self.started)

    model.fit(x, y, epochs=epochs, batch_size=32, validation_data=(xv, yv), callbacks=[Clock()], verbose=0)
    print(json.dumps(Clock.seconds))
''')


def tensorflow_python(where: Path) -> Path:
    """The Python of a virtual environment holding TensorFlow CPU (made and filled on first use)."""
    python = where / "bin" / "python"
    if not python.exists():
        print(f"making {where} with {TENSORFLOW} (once)", flush=True)
        venv.create(where, with_pip=True)
        subprocess.run([python, "-m", "pip", "install", "-q", TENSORFLOW], check=True)
    return python


def keras_epochs(python: Path, windows: Path, epochs: int, activation: str) -> list[float]:
    done = subprocess.run([python, "-c", KERAS, str(windows), str(epochs), activation], check=True, capture_output=True,
                          text=True, env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def ours_epochs(cfg: ExperimentConfig, dataset) -> list[float]:
    result = Trainer(cfg, dataset).run()
    assert result.status == "finished", result.message
    return [record.seconds for record in result.history]


def torch_epochs(windows, epochs: int) -> list[float]:
    """The same recipe with tanh as a hand-written PyTorch loop (torch's fused nn.LSTM, one thread): a reference
    on the same machine in the same run, for how fast this machine is today (Keras's speed here moves more)."""
    x, y = torch.from_numpy(np.array(windows.train.x)), torch.from_numpy(np.array(windows.train.y))
    xv, yv = torch.from_numpy(np.array(windows.val.x)), torch.from_numpy(np.array(windows.val.y))
    generator = torch.Generator().manual_seed(0)
    lstm, head = torch.nn.LSTM(x.shape[2], 50, batch_first=True), torch.nn.Linear(50, y.shape[1])
    params = [*lstm.parameters(), *head.parameters()]
    optimizer, loss_fn = torch.optim.Adam(params, lr=1e-3, fused=True), torch.nn.MSELoss()
    seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 32):
            idx = order[start:start + 32]
            out, _ = lstm(x[idx])
            loss = loss_fn(head(out[:, -1]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            float(loss_fn(head(lstm(xv)[0][:, -1]), yv))  # the validation pass
        seconds.append(time.perf_counter() - started)
    return seconds


def after_first(seconds: list[float]) -> float:
    return statistics.median(seconds[1:] if len(seconds) > 1 else seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--venv", type=Path, default=Path.home() / ".cache" / "rnnlab" / "tf-venv")
    args = parser.parse_args()
    torch.set_num_threads(1)
    python = tensorflow_python(args.venv)
    cfg = RECIPE.replace(train={"epochs": args.epochs})
    dataset = load_source(cfg.data.source)
    windows = make_windows(dataset, cfg.window, cfg.data.target, cfg.data.features)
    print(f"{cfg.data.source}: {len(windows.train.x)} training windows of {cfg.window.lookback} steps, "
          f"{len(windows.val.x)} validation; {args.epochs} epochs a run, {args.rounds} rounds", flush=True)
    runs = {"keras relu": [], "rnnlab relu": [], "keras tanh": [], "rnnlab tanh": [], "torch loop tanh": []}
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "windows.npz"
        np.savez(saved, x=windows.train.x, y=windows.train.y, xv=windows.val.x, yv=windows.val.y)
        for round_ in range(1, args.rounds + 1):
            measured = {}
            for activation in ("relu", "tanh"):
                measured[f"keras {activation}"] = after_first(keras_epochs(python, saved, args.epochs, activation))
                ours = cfg.replace(model={"activation": activation})
                measured[f"rnnlab {activation}"] = after_first(ours_epochs(ours, dataset))
            measured["torch loop tanh"] = after_first(torch_epochs(windows, args.epochs))
            for name, seconds in measured.items():
                runs[name].append(seconds)
            print(f"  round {round_}: " + ", ".join(f"{n} {s * 1000:.0f} ms/epoch" for n, s in measured.items()),
                  flush=True)
    median = {name: statistics.median(seconds) for name, seconds in runs.items()}
    print("median ms per epoch: " + ", ".join(f"{n} {s * 1000:.0f}" for n, s in median.items()))
    print(f"Keras / RNN Lab: relu {median['keras relu'] / median['rnnlab relu']:.2f}x (target 4), "
          f"tanh {median['keras tanh'] / median['rnnlab tanh']:.2f}x (target 5); RNN Lab's relu / tanh "
          f"{median['rnnlab relu'] / median['rnnlab tanh']:.2f} (explicit / fused, target at most 1.5)")
    loop = median["torch loop tanh"]
    print(f"the hand-written PyTorch loop (tanh) / RNN Lab tanh: {loop / median['rnnlab tanh']:.2f}; "
          f"Keras / that loop: relu {median['keras relu'] / loop:.2f}, tanh {median['keras tanh'] / loop:.2f} "
          "(how fast Keras ran on this machine today)")


if __name__ == "__main__":
    main()
