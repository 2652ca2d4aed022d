"""Reading a big workspace: ``list_runs`` of 1,000 runs, and one run opened whole (``get_run`` + ``weights``).

A workspace of ``--runs`` finished runs on SQLite (a new file in a temp folder, or ``--store URL``), each
with ``--epochs`` epochs, the default config (airline, LSTM of 32 units) and that model's weights
(safetensors, 18 KB) kept; then each read is timed ``--repeats`` times, the median printed.

    python benchmarks/store_listing.py [--runs 1000] [--epochs 50] [--repeats 9] [--store URL | --postgres]

Target: each under 200 ms. The last line is a JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from benchmarks.stores import add_store_arguments, run_on_store
from rnncore.config import ExperimentConfig
from rnncore.io.model_files import model_bytes, model_from_bytes
from rnncore.nn.models import build_model
from rnncore.store import StoreSettings, open_store
from rnncore.training.progress import EpochRecord

BATCH = 100  # runs started in one new_runs


def history(run: int, epochs: int) -> list[EpochRecord]:
    return [EpochRecord(epoch=e, train_loss=1 / e + run / 1e4, val_loss=1.2 / e, seconds=0.005, grad_norm=0.5 / e,
                        layer_grad_norms={"rnn.weight_ih_l0": 0.1, "rnn.weight_hh_l0": 0.2, "head.weight": 0.3},
                        lr=1e-3)
            for e in range(1, epochs + 1)]


def fill(store, key: str, cfg, runs: int, epochs: int) -> float:
    """``runs`` finished runs in the workspace; the seconds it took."""
    model = build_model(cfg.model, 1, 1, torch.Generator().manual_seed(0))
    weights = model_bytes(model)
    metrics = {"rmse": 25.8, "mae": 20.1, "mape": 4.9, "r2": 0.89, "mase": 0.6}
    started = time.perf_counter()
    for first in range(0, runs, BATCH):
        count = min(BATCH, runs - first)
        numbers = store.new_runs(key, [(cfg, {"name": "airline_passengers", "rows": 144, "sha256": None},
                                        sum(p.numel() for p in model.parameters()))] * count, owner="benchmark")
        for number in numbers:
            store.finish_run(key, number, status="finished", reason="finished", message=f"finished {epochs} epochs",
                             details={"epochs": epochs}, history=history(number, epochs), kept_epoch=epochs,
                             results={"metrics": {"val": metrics, "test": metrics},
                                      "baselines": {"persistence": {"val": metrics, "test": metrics}},
                                      "y_unit": "passengers", "partial_epoch": None}, weights=weights)
    return time.perf_counter() - started


def timed(call, repeats: int) -> tuple[float, object]:
    """Median milliseconds of ``call()`` over ``repeats`` (after one warm-up), and its last value."""
    value = call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        value = call()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=9)
    add_store_arguments(parser)
    run_on_store(parser.parse_args(), run)


def run(args) -> None:
    torch.set_num_threads(1)
    cfg = ExperimentConfig()
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as folder:
        path = Path(folder) / "runs.sqlite3"
        url = args.store or f"sqlite:///{path}"
        settings = StoreSettings(max_runs=args.runs, keep_models=args.runs, max_megabytes=10_000)
        store = open_store(url, settings)
        key = store.create_workspace()
        filling = fill(store, key, cfg, args.runs, args.epochs)
        store.close()
        size = path.stat().st_size if path.exists() else None

        store = open_store(url, settings)  # as a server that starts finds it
        middle = args.runs // 2
        listing, runs = timed(lambda: store.list_runs(key), args.repeats)
        assert len(runs) == args.runs and all(r.has_model and r.epochs == args.epochs for r in runs)
        recent, changed = timed(lambda: store.list_runs(key, since=time.time() - 3600), args.repeats)
        assert len(changed) == args.runs

        def one_run():
            return store.get_run(key, middle), store.weights(key, middle)

        opening, (run, (epoch, weights)) = timed(one_run, args.repeats)
        assert len(run.history) == args.epochs and epoch == args.epochs
        model_from_bytes(weights, cfg)
        history_only, _ = timed(lambda: store.get_run(key, middle), args.repeats)
        weights_only, _ = timed(lambda: store.weights(key, middle), args.repeats)
        store.close()
    figures = {"runs": args.runs, "epochs": args.epochs, "repeats": args.repeats, "store": url.split(":")[0],
               "file_mb": None if size is None else round(size / 1e6, 1), "fill_s": round(filling, 1),
               "list_runs_ms": round(listing, 1), "list_runs_since_ms": round(recent, 1),
               "get_run_and_weights_ms": round(opening, 2), "get_run_ms": round(history_only, 2),
               "weights_ms": round(weights_only, 2), "target_ms": 200}
    print(f"{args.runs} runs x {args.epochs} epochs, one {len(weights):,}-byte model each, "
          f"{'SQLite ' + str(figures['file_mb']) + ' MB' if size else url.split(':')[0]}; filled in {filling:.1f} s")
    print(f"list_runs:           {listing:7.1f} ms (median of {args.repeats}; target < 200 ms)")
    print(f"list_runs(since=..): {recent:7.1f} ms (every run changed since then)")
    print(f"get_run + weights:   {opening:7.2f} ms (get_run {history_only:.2f} ms, weights {weights_only:.2f} ms; "
          "target < 200 ms)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
