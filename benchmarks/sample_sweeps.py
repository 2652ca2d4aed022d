"""How each bundled sample's defaults were chosen: seeded sweeps (rnncore.sweeps, as ``python -m rnncore sweep``
runs them) within the class budget, one sweep per way of preparing the data.

For a series, each variant fixes the window's differencing and scaling (a sweep compares trials by their
validation loss on scaled values, which differ between variants), and searches the cell, its size, the layers,
the learning rate, the lookback (at least one season, so that seasonal naive is shown) and the batch size, with
100 epochs and early stopping after 20 epochs without a better validation loss. Each variant's best trial is
trained again and the variant whose best run has the lowest validation RMSE in the data's units is chosen: the
test part is never looked at to choose. A text or a labelled set is one variant: its own searched settings, its
own objective (validation bits per character, validation accuracy).

Every run obeys the class budget (the Teacher page's defaults, ``Challenge``'s: epochs, parameters, seconds). The
recorded defaults round the learning rate to two significant digits; where the chosen run took most of the
budget's seconds here, the sweep's trial within 2 % of it on validation that trains in a fraction of the time is
recorded instead (docs/PERFORMANCE.md says where).

    python benchmarks/sample_sweeps.py SAMPLE [--trials 20] [--seed 0]

It prints a line per trial, then each variant's best run on validation and test and the chosen one, and last a
JSON object: the chosen settings, as ``samples.json`` (or the text and labelled sample tables) record them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

import optuna

from rnncore.classroom.challenge import Challenge
from rnncore.config import ExperimentConfig
from rnncore.sweeps import SearchSpace, Sweep
from rnncore.training.limits import RunLimits

SERIES_SEARCH = "cell=rnn|lstm|gru,hidden_size=8:36,num_layers=1:2,lr=0.001:0.03,batch_size=8:64"
SERIES_TRAIN = {"epochs": 100, "patience": 20}
# sample: (task, the search space, the fixed settings, the variants: the differencings and the scalers tried)
PLANS = {
    "airline_passengers": ("forecast", SERIES_SEARCH + ",lookback=12:36", {"train": SERIES_TRAIN},
                           "none first seasonal", "standard minmax"),
    "sunspots": ("forecast", SERIES_SEARCH + ",lookback=11:44", {"train": SERIES_TRAIN}, "none first seasonal",
                 "standard minmax"),
    "stocks": ("forecast", SERIES_SEARCH + ",lookback=4:26", {"train": SERIES_TRAIN}, "none first",
               "standard minmax"),
    # 2,284 weeks, every trial 16 times airline's: one scaler, larger batches, and the trend differenced away
    "co2": ("forecast", SERIES_SEARCH.replace("batch_size=8:64", "batch_size=16:128") + ",lookback=52:64",
            {"train": SERIES_TRAIN}, "first seasonal", "standard"),
    "genesis": ("charlm", "cell=rnn|lstm|gru,hidden_size=16:38,lr=0.002:0.02,lookback=16:64,batch_size=32:128",
                {"train": {"epochs": 3}}, "", ""),
    "tang300": ("charlm", "cell=rnn|lstm|gru,hidden_size=4:14,lr=0.002:0.03,lookback=8:48,batch_size=16:128",
                {"train": {"epochs": 10}}, "", ""),
    "italy_power_demand": ("classify", "cell=rnn|lstm|gru,hidden_size=4:32,lr=0.001:0.03,batch_size=8:64",
                           {"train": {"epochs": 30, "patience": 10}}, "", ""),
}


def budget() -> RunLimits:
    """The class budget: a challenge's defaults, which the Teacher page offers."""
    return RunLimits(max_epochs=Challenge.max_epochs, max_parameters=Challenge.max_parameters,
                     max_seconds=Challenge.max_seconds)


def variants(name: str) -> list[ExperimentConfig]:
    task, _, fixed, differences, scalers = PLANS[name]
    base = ExperimentConfig().replace(data={"source": f"sample:{name}", "task": task}, **fixed)
    if task != "forecast":
        return [base]
    return [base.replace(window={"difference": d, "scaler": s}) for d in differences.split() for s in scalers.split()]


def scores(cfg: ExperimentConfig) -> tuple[dict, dict, int, float]:
    """(the model's val and test scores, the baselines' test scores, its parameters, seconds) of a run of
    ``cfg``."""
    from rnncore.tasks.build import task_run
    from rnncore.training.trainer import run_experiment

    started = time.perf_counter()
    result = run_experiment(cfg, task=task_run(cfg))
    metric = {"forecast": "rmse", "charlm": "bits_per_char", "classify": "accuracy"}[cfg.data.task]
    seconds = time.perf_counter() - started
    model = {split: result.metrics[split][metric] for split in ("val", "test")}
    baselines = {name: by_split["test"][metric] for name, by_split in result.baselines.items()}
    return model, baselines, sum(p.numel() for p in result.model.parameters()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", choices=list(PLANS))
    parser.add_argument("--trials", type=int, default=20, help="trials of each variant's sweep")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    task, search = PLANS[args.sample][:2]
    space = SearchSpace.parse(search)
    best_of = []
    with tempfile.TemporaryDirectory() as folder:
        for number, variant in enumerate(variants(args.sample)):
            base = variant.replace(train={"seed": args.seed})
            print(f"{args.sample} variant {number}: difference {base.window.difference}, scaler "
                  f"{base.window.scaler}; {space.describe()}", flush=True)
            with Sweep.create(base, space, trials=args.trials, storage=f"sqlite:///{folder}/sweeps.sqlite3",
                              study=f"{args.sample}-{number}", limits=budget()) as sweep:
                sweep.run(lambda outcome: print("  " + outcome.line(), flush=True))
                best = sweep.best()
                if best is None:
                    continue
                cfg = sweep.config_of(best)
            model, baselines, parameters, seconds = scores(cfg)
            print(f"  best: trial {best.number}; val {model['val']:.5g}, test {model['test']:.5g}; baselines on "
                  f"test {json.dumps({k: round(v, 5) for k, v in baselines.items()})}; {parameters} parameters, "
                  f"{seconds:.1f} s", flush=True)
            best_of.append((model["val"], number, cfg))
    higher = task == "classify"
    _, number, chosen = max(best_of, key=lambda b: b[0]) if higher else min(best_of, key=lambda b: b[0])
    print(f"chosen: variant {number}")
    default = ExperimentConfig()
    picked = {section: {k: v for k, v in getattr(chosen, section).__dict__.items()
                        if v != getattr(getattr(default, section), k) and k not in ("seed",)}
              for section in ("window", "model", "train")}
    print(json.dumps({section: values for section, values in picked.items() if values}))


if __name__ == "__main__":
    main()
