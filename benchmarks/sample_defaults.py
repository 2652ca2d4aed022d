"""Each bundled sample's default run against its baselines on test: the settings a student gets by loading the
sample and pressing Start (``rnncore.tasks.build.recommended``: samples.json's ``defaults``, the text and
labelled sample tables), trained once per seed, scored on the test part next to every baseline.

    python benchmarks/sample_defaults.py [--samples airline_passengers,genesis,...] [--seeds 0,1,2] [--markdown]

A line per sample and baseline: the model's test score, the baseline's, and their ratio (model / baseline: below 1
beats an error, above 1 beats an accuracy). A default must beat every naive baseline of its sample (a series:
the training mean, persistence, seasonal naive; a text: the unigram and bigram models; a labelled set: the
majority class), except one its sample records it cannot (samples.json ``unbeaten``, with the reason in
sample_data/README.md); the linear model (a fitted autoregression) is shown but not required. Every run must fit
the class budget (``Challenge``'s defaults: epochs, parameters, seconds). The exit status is 1 when a default
misses either, 0 otherwise; ``--markdown`` prints the table PERFORMANCE.md holds.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.classroom.challenge import Challenge
from rnncore.config import ExperimentConfig
from rnncore.data import list_samples
from rnncore.data.labelled import LABELLED_SAMPLES
from rnncore.data.samples import sample_unbeaten
from rnncore.tasks.build import recommended, task_run
from rnncore.tasks.charlm import TEXT_SAMPLES
from rnncore.training.trainer import run_experiment

# task: (the metric scored, whether higher is better, the naive baselines a default must beat)
TASKS = {"forecast": ("rmse", False, ("mean", "persistence", "seasonal_naive")),
         "charlm": ("bits_per_char", False, ("unigram", "bigram")),
         "classify": ("accuracy", True, ("majority",))}


def bundled() -> dict[str, str]:
    """Every bundled sample: name -> task."""
    return ({name: "forecast" for name in list_samples()} | {name: "charlm" for name in TEXT_SAMPLES}
            | {name: "classify" for name in LABELLED_SAMPLES})


def default_config(name: str, task: str, seed: int) -> ExperimentConfig:
    cfg = ExperimentConfig().replace(data={"source": f"sample:{name}", "task": task})
    return recommended(cfg).replace(train={"seed": seed})


def default_run(cfg: ExperimentConfig) -> dict:
    """The run's test score, its baselines' test scores, parameters, epochs trained and seconds."""
    metric = TASKS[cfg.data.task][0]
    started = time.perf_counter()
    result = run_experiment(cfg, task=task_run(cfg))
    seconds = time.perf_counter() - started
    return {"model": result.metrics["test"][metric], "epochs": len(result.history), "seconds": seconds,
            "parameters": sum(p.numel() for p in result.model.parameters()), "status": result.status,
            "baselines": {name: by_split["test"][metric] for name, by_split in result.baselines.items()}}


def short(cfg: ExperimentConfig) -> str:
    """The default run in a few words: cell, size, window, training."""
    m, w, tr = cfg.model, cfg.window, cfg.train
    window = {"forecast": f"lookback {w.lookback}, {w.scaler}, difference {w.difference}; ",
              "charlm": f"lookback {w.lookback}; "}.get(cfg.data.task, "")  # a classifier reads whole sequences
    stop = f", patience {tr.patience}" if tr.patience else ""
    return (f"{m.cell.upper()} {m.hidden_size}×{m.num_layers}; {window}{tr.epochs} epochs{stop}, lr {tr.lr:g}, "
            f"batch {tr.batch_size}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default=",".join(bundled()), help="comma-separated (default: every one)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0: the default run's)")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tasks, budget = bundled(), Challenge()
    names = [name.strip() for name in args.samples.split(",") if name.strip()]
    unknown = [name for name in names if name not in tasks]
    if unknown:
        parser.error(f"no bundled sample {', '.join(unknown)}; there are: {', '.join(tasks)}")
    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread, "
          f"torch {torch.__version__}; class budget: {budget.max_epochs} epochs, {budget.max_parameters:,} "
          f"parameters, {budget.max_seconds:g} s", flush=True)
    missed, rows = [], []
    for name in names:
        task = tasks[name]
        metric, higher, naive = TASKS[task]
        allowed = set(sample_unbeaten(name)) if task == "forecast" else set()
        for seed in (int(s) for s in args.seeds.split(",")):
            cfg = default_config(name, task, seed)
            run = default_run(cfg)
            over = [what for what, value, limit in (("epochs", run["epochs"], budget.max_epochs),
                                                    ("parameters", run["parameters"], budget.max_parameters),
                                                    ("seconds", run["seconds"], budget.max_seconds)) if value > limit]
            print(f"{name} (seed {seed}): {short(cfg)}; {run['parameters']:,} parameters, {run['epochs']} epochs, "
                  f"{run['seconds']:.1f} s, {run['status']}; test {metric} {run['model']:.4g}", flush=True)
            if over:
                missed.append(f"{name} seed {seed}: over the class budget ({', '.join(over)})")
            said = []
            for base, value in run["baselines"].items():
                ratio = run["model"] / value if value else float("inf")
                beats = run["model"] > value if higher else run["model"] < value
                required = base in naive and base not in allowed
                why = "" if beats else " (required)" if required else " (as samples.json says)" \
                    if base in allowed else " (not required)"
                print(f"  {base:15s} {value:10.4g}   ratio {ratio:6.3f}   {'beats' if beats else 'does not beat'}{why}",
                      flush=True)
                if required and not beats:
                    missed.append(f"{name} seed {seed}: test {metric} {run['model']:.4g} does not beat {base} "
                                  f"{value:.4g}")
                said.append(f"{base} {value:.4g} ({ratio:.2f}{'' if beats else ', **not beaten**'})")
            rows.append(f"| {name} | {seed} | {short(cfg)} | {run['parameters']:,} | {run['epochs']} | "
                        f"{run['seconds']:.1f} | test {metric} **{run['model']:.4g}** | {'; '.join(said)} |")
    if args.markdown:
        print("\n| sample | seed | default run | parameters | epochs | seconds | model | baselines (ratio) |")
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(rows))
    for line in missed:
        print(f"MISSED: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
