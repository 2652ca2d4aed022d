"""A seeded sweep on the airline series against the default configuration, and what pruning saved.

The default configuration (``ExperimentConfig()``: the airline sample, an LSTM of 32 units, lookback 24,
50 epochs, Adam 0.001) trains once; its test RMSE and the seasonal naive baseline's are the marks. A
``--trials`` sweep (TPE seeded with ``--seed``, the median pruner, the default search space: cell,
hidden_size, num_layers, lr) trains every trial with the same budget of epochs; its best trial (by
validation loss, never by test) is trained again and scored on test. Then every trial of the sweep is
trained again in full, unpruned, to count the epochs pruning saved (the same trials, so the same
configurations: a pruned trial's first epochs are exactly the unpruned run's, the runs being seeded).

    python benchmarks/sweep_quality.py [--trials 30] [--epochs 50] [--seed 0] [--pruner median]
            [--search cell,hidden_size,...] [--difference none|first|seasonal]

``--search`` widens (or narrows) the space, as the command line's ``sweep --search`` reads it;
``--difference`` fixes the window's differencing for the default configuration and the sweep alike.

Targets: the best trial's test RMSE below the default configuration's and the seasonal naive baseline's;
pruning saves at least 30 % of the epochs. The last line is a JSON object of the figures.
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

from rnncore.config import ExperimentConfig
from rnncore.data.sources import load_source
from rnncore.sweeps import SearchSpace, Sweep
from rnncore.training.trainer import Trainer


def test_rmse(cfg: ExperimentConfig, dataset) -> tuple[float, dict, int]:
    """Test RMSE of ``cfg`` trained to the end, the baselines' test RMSE, and the epochs it trained."""
    trainer = Trainer(cfg, dataset)
    result = trainer.run()
    baselines = {name: split["test"]["rmse"] for name, split in result.baselines.items()}
    return result.metrics["test"]["rmse"], baselines, len(trainer.snapshot().history)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=50, help="epochs of every run (the default configuration's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pruner", default="median", choices=("median", "hyperband"))
    parser.add_argument("--search", default=None, help="the space searched (default: cell,hidden_size,num_layers,lr)")
    parser.add_argument("--difference", default="none", choices=("none", "first", "seasonal"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    base = ExperimentConfig().replace(train={"epochs": args.epochs, "seed": args.seed},
                                      window={"difference": args.difference})
    space = SearchSpace.parse(args.search) if args.search else SearchSpace()
    dataset = load_source(base.data.source)
    started = time.perf_counter()
    default_rmse, baselines, _ = test_rmse(base, dataset)
    default_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="rnnlab-sweep-") as folder:
        started = time.perf_counter()
        with Sweep.create(base, space, trials=args.trials, pruner=args.pruner,
                          storage=f"sqlite:///{folder}/sweep.sqlite3", study="quality", dataset=dataset) as sweep:
            sweep.run(lambda o: print(o.line(), flush=True))
            outcomes = sweep.outcomes()
            best = sweep.best()
            best_cfg = sweep.config_of(best)
        sweep_seconds = time.perf_counter() - started

    best_rmse, _, _ = test_rmse(best_cfg, dataset)
    started = time.perf_counter()
    unpruned = 0
    unpruned_best = (float("inf"), None)
    for o in outcomes:  # the same trials again, each trained in full
        trainer = Trainer(sweep.config_of(o), dataset)
        trainer.run()
        history = trainer.snapshot().history
        unpruned += len(history)
        value = min(r.val_loss for r in history if r.val_loss is not None)
        unpruned_best = min(unpruned_best, (value, o.number))
    unpruned_seconds = time.perf_counter() - started
    pruned = sum(o.epochs for o in outcomes)
    saved = 1 - pruned / unpruned

    states = {s: sum(o.state == s for o in outcomes) for s in ("complete", "pruned", "failed")}
    figures = {
        "trials": args.trials, "epochs": args.epochs, "seed": args.seed, "pruner": args.pruner,
        "space": space.describe(), "difference": args.difference, **states,
        "best_trial": best.number, "best_params": best.params, "best_val_loss": round(best.value, 6),
        "test_rmse_best": round(best_rmse, 3), "test_rmse_default": round(default_rmse, 3),
        "test_rmse_seasonal_naive": round(baselines["seasonal_naive"], 3),
        "test_rmse_persistence": round(baselines["persistence"], 3),
        "beats_default": best_rmse < default_rmse, "beats_seasonal_naive": best_rmse < baselines["seasonal_naive"],
        "epochs_pruned": pruned, "epochs_unpruned": unpruned, "saved_fraction": round(saved, 3),
        "unpruned_best_trial": unpruned_best[1], "unpruned_best_val_loss": round(unpruned_best[0], 6),
        "seconds_default": round(default_seconds, 1), "seconds_sweep": round(sweep_seconds, 1),
        "seconds_unpruned": round(unpruned_seconds, 1)}
    print(f"default configuration: test RMSE {default_rmse:.2f} ({default_seconds:.1f} s); seasonal naive "
          f"{baselines['seasonal_naive']:.2f}, persistence {baselines['persistence']:.2f}")
    print(f"sweep: {args.trials} trials ({states['complete']} complete, {states['pruned']} pruned, "
          f"{states['failed']} failed) in {sweep_seconds:.1f} s; best trial {best.number} {best.params}: "
          f"val_loss {best.value:.4g}, test RMSE {best_rmse:.2f}")
    print(f"epochs: {pruned} with pruning, {unpruned} unpruned ({unpruned_seconds:.1f} s): {saved:.0%} saved "
          "(target >= 30 %)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
