"""Each Home scenario, run as the app runs it (its configs side by side in one Lab, the server's default
three training slots), with the effect it is there to show, and how long it took.

    python benchmarks/scenarios.py [--only KEY ...]

Prints one line a scenario: its seconds, whether the effect showed, and the figures behind it. The
target: each shows its effect within 90 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

import torch  # noqa: E402

from rnncore.data.sources import load_source  # noqa: E402
from rnncore.lab import Lab  # noqa: E402
from rnncore.lab.scenarios import SCENARIOS  # noqa: E402


def test_rmse(record, name="model"):
    return record.metrics["test"]["rmse"] if name == "model" else record.baselines[name]["test"]["rmse"]


def val(record, epoch=None):
    losses = [r.val_loss for r in record.history]
    return min(losses) if epoch is None else losses[min(epoch, len(losses)) - 1]


def learned(record, below: float = 0.05) -> float:
    """The first epoch whose validation loss is below ``below`` (inf: none)."""
    return next((r.epoch for r in record.history if r.val_loss < below), float("inf"))


# what each scenario must show: (passed, what it measured)
EFFECTS = {
    "airline": lambda r: (test_rmse(r[0]) < min(test_rmse(r[0], "persistence"), test_rmse(r[0], "seasonal_naive")),
                          f"model {test_rmse(r[0]):.1f}, persistence {test_rmse(r[0], 'persistence'):.1f}, "
                          f"seasonal naive {test_rmse(r[0], 'seasonal_naive'):.1f}"),
    "memory": lambda r: (min(val(r[1]), val(r[2])) < 0.5 * 0.167 and val(r[0]) > min(val(r[1]), val(r[2])),
                         f"best val MSE: rnn {val(r[0]):.3f}, lstm {val(r[1]):.3f}, gru {val(r[2]):.3f} (mean 0.167)"),
    "article": lambda r: (all(x.status == "finished" for x in r),
                          f"val loss: relu LSTM {val(r[0]):.4f}, article LSTM {val(r[1]):.4f}"),
    "exploding": lambda r: (r[0].status == "diverged" and r[1].status == "finished",
                            f"no clipping: {r[0].status}; clipping at 1: {r[1].status}, val {val(r[1]):.4f}"),
    "forget_bias": lambda r: (learned(r[1]) < learned(r[0]),
                              f"first epoch with val MSE below 0.05: bias 0 epoch {learned(r[0])}, "
                              f"bias 1 epoch {learned(r[1])}"),
    "scaling": lambda r: (test_rmse(r[1]) < test_rmse(r[0]),
                          f"test RMSE: no scaling {test_rmse(r[0]):.1f}, min-max {test_rmse(r[1]):.1f}"),
    "overfitting": lambda r: (len(r[1].history) < len(r[0].history) and r[0].kept_epoch != r[1].kept_epoch,
                              f"no early stopping: {len(r[0].history)} epochs, kept {r[0].kept_epoch}, "
                              f"test {test_rmse(r[0]):.1f}; early stopping: {len(r[1].history)} epochs, "
                              f"kept {r[1].kept_epoch}, test {test_rmse(r[1]):.1f}"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for scenario in SCENARIOS:
        if args.only and scenario.key not in args.only:
            continue
        lab = Lab(slots=threading.BoundedSemaphore(3))
        started = time.monotonic()
        data = scenario.configs[0].data
        runs = lab.start_series(scenario.configs, dataset=load_source(data.source, data.params))
        lab.join()
        seconds = time.monotonic() - started
        shown, figures = EFFECTS[scenario.key]([run.record for run in runs])
        verdict = "shows its effect" if shown else "DOES NOT show its effect"
        print(f"{scenario.key:12s} {seconds:6.1f} s  {verdict:24s} {figures}", flush=True)


if __name__ == "__main__":
    main()
