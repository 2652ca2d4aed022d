"""What recording a run in the run store costs its training: the same run with a RunRecorder on SQLite
and with no store, alternating.

The airline sample and the default model (LSTM of 32 units, ``ExperimentConfig()``), 300 epochs a
run (about 2 s: the default 50 end before the recorder's first write), one torch thread. Each round
trains the run three times in rotating order (so a drift in the machine's speed hits all alike): with
no store; recorded as the app records it, ``new_runs``, a RunRecorder as the Trainer's callback (it
copies the weights every ``heartbeat_seconds`` or every ``checkpoint_epochs`` epochs, whichever comes
first; its writer thread stores the epochs that ended and the latest copy once a second, and beats),
then ``recorder.finish`` with the kept weights; and recorded with weights copied by time alone
(``checkpoint_epochs`` above the run's length), to show what the copies every few epochs cost.
Throughput is epochs per second of ``Trainer.run()``; the rows before and the finish after are timed
apart.

    python benchmarks/store_overhead.py [--rounds 10] [--epochs 300] [--checkpoint-epochs N]
                                        [--store URL | --postgres]

Prints epochs per second for each, the ratio recorded / plain (target: recording costs under 2 %,
a ratio of at least 0.98), and as its last line a JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from benchmarks.stores import add_store_arguments, run_on_store
from rnncore.config import ExperimentConfig
from rnncore.data.sources import load_source
from rnncore.io.model_files import model_bytes
from rnncore.store import RunRecorder, StoreSettings, load_store_settings, open_store
from rnncore.training import Trainer


def plain_seconds(cfg, dataset, _store, _key) -> tuple[float, float, float]:
    """The same run without a store. It has a per-epoch callback too, as every run of the app (its live
    view) and of the command line (its epoch line) has: the Progress snapshot a callback gets is not the
    store's cost."""
    trainer = Trainer(cfg, dataset, callbacks=[lambda progress: None])
    started = time.perf_counter()
    result = trainer.run()
    seconds = time.perf_counter() - started
    assert result.status == "finished", result.message
    return 0.0, seconds, 0.0


def recorded_seconds(cfg, dataset, store, key) -> tuple[float, float, float]:
    """(seconds of new_runs, of Trainer.run() with the recorder, of recorder.finish)."""
    recorder = None

    def after_epoch(progress):
        recorder(progress)

    trainer = Trainer(cfg, dataset, callbacks=[after_epoch])
    started = time.perf_counter()
    (number,) = store.new_runs(key, [(cfg, dataset.identity(), 0)], owner="benchmark")
    recorder = RunRecorder(store, key, number, trainer.model)
    trained = time.perf_counter()
    result = trainer.run()
    ended = time.perf_counter()
    assert result.status == "finished", result.message
    recorder.finish(status=str(result.status), reason="finished", message=result.message, details={},
                    history=result.history, kept_epoch=len(result.history), results={"metrics": result.metrics},
                    parameters=result.parameters, weights=model_bytes(result.model))
    assert recorder.error is None, recorder.error
    return trained - started, ended - trained, time.perf_counter() - ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=300,
                        help="epochs a run (the default config's 50 last 0.35 s: shorter than one write interval)")
    parser.add_argument("--checkpoint-epochs", type=int, default=None, metavar="N",
                        help="copy the weights at least every N epochs (default: checkpoint_epochs of rnnlab.toml)")
    add_store_arguments(parser)
    run_on_store(parser.parse_args(), run)


def run(args) -> None:
    torch.set_num_threads(1)
    cfg = ExperimentConfig().replace(train={"epochs": args.epochs})
    dataset = load_source(cfg.data.source, cfg.data.params, layout=cfg.data.layout)
    every = args.checkpoint_epochs or load_store_settings().checkpoint_epochs
    roomy = {"max_runs": 100_000, "keep_models": 100_000, "max_megabytes": 100_000}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as folder:
        url = args.store or f"sqlite:///{Path(folder) / 'runs.sqlite3'}"
        store = open_store(url, StoreSettings(checkpoint_epochs=every, **roomy))
        by_time = open_store(url, StoreSettings(checkpoint_epochs=args.epochs + 1, **roomy))  # the same database
        key = store.create_workspace()
        variants = {"plain": (plain_seconds, store), "recorded": (recorded_seconds, store),
                    "recorded_by_time": (recorded_seconds, by_time)}
        names = list(variants)
        for variant, on in variants.values():  # warm-up
            variant(cfg.replace(train={"epochs": 5}), dataset, on, key)
        times = {name: [] for name in names}
        for i in range(args.rounds):  # each round runs every variant, in an order that rotates
            for name in names[i % len(names):] + names[:i % len(names)]:
                variant, on = variants[name]
                times[name].append(variant(cfg, dataset, on, key))
        stored = store.list_runs(key)
        assert all(r.epochs == cfg.train.epochs for r in stored[len(names) - 1:]), "an epoch was not stored"
        store.close()
        by_time.close()
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    plain = statistics.median(t[1] for t in times["plain"])
    figures = {"epochs": cfg.train.epochs, "rounds": args.rounds, "store": backend, "torch": torch.__version__,
               "checkpoint_epochs": every,
               "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
               "plain_epochs_per_s": round(cfg.train.epochs / plain, 2)}
    print(f"airline, {cfg.model.cell.upper()} {cfg.model.hidden_size}, {cfg.train.epochs} epochs a run, "
          f"{args.rounds} rounds ({', '.join(names)} in rotating order), torch {torch.__version__}, 1 thread, "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; recorded: weights every "
          f"{every} epochs or heartbeat, recorded_by_time: every heartbeat only")
    print(f"{'no store':<30} {cfg.train.epochs / plain:7.1f} epochs/s (median {plain:.3f} s a run)")
    for name in names[1:]:
        seconds = statistics.median(t[1] for t in times[name])
        per_round = statistics.median(p[1] / t[1] for p, t in zip(times["plain"], times[name], strict=True))
        before, after = (1000 * statistics.median(t[k] for t in times[name]) for k in (0, 2))
        label = f"{name}, {backend}"
        print(f"{label:<30} {cfg.train.epochs / seconds:7.1f} epochs/s (median {seconds:.3f} s a run); "
              f"new_runs {before:.1f} ms before, finish {after:.1f} ms after")
        print(f"{'':<30} ratio {name} / plain {plain / seconds:.4f} (per-round median {per_round:.4f}): "
              f"recording costs {100 * (seconds / plain - 1):+.2f} % (target < 2 %)")
        figures[name] = {"epochs_per_s": round(cfg.train.epochs / seconds, 2), "ratio": round(plain / seconds, 4),
                         "ratio_per_round_median": round(per_round, 4),
                         "overhead_percent": round(100 * (seconds / plain - 1), 2),
                         "new_runs_ms": round(before, 2), "finish_ms": round(after, 2)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
