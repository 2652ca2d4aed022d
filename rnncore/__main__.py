"""The command line: ``python -m rnncore train ...`` and ``python -m rnncore data PATH``.

Bad input exits with status 2 and one line on stderr; a run that fails or diverges exits
with status 1 (a diverged run still writes its files).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# flag -> (config section, field, type)
FLAGS = {
    "data": ("data", "source", str), "target": ("data", "target", str), "features": ("data", "features", str),
    "lookback": ("window", "lookback", int), "horizon": ("window", "horizon", int),
    "stride": ("window", "stride", int), "train_fraction": ("window", "train_fraction", float),
    "val_fraction": ("window", "val_fraction", float), "scaler": ("window", "scaler", str),
    "cell": ("model", "cell", str), "hidden": ("model", "hidden_size", int),
    "layers": ("model", "num_layers", int), "activation": ("model", "activation", str),
    "dropout": ("model", "dropout", float), "forget_bias": ("model", "forget_bias", float),
    "epochs": ("train", "epochs", int), "batch_size": ("train", "batch_size", int),
    "lr": ("train", "lr", float),
    "optimizer": ("train", "optimizer", str), "weight_decay": ("train", "weight_decay", float),
    "clip_norm": ("train", "clip_norm", float), "loss": ("train", "loss", str),
    "patience": ("train", "patience", int), "scheduler": ("train", "scheduler", str),
    "seed": ("train", "seed", int), "max_seconds": ("train", "max_seconds", float),
    "device": ("train", "device", str),
}


class UsageError(ValueError):
    """Bad command-line input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        raise UsageError(f"{message}; see 'python -m {self.prog} --help'")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rnncore", description="Train recurrent networks on sequences.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = commands.add_parser("train", help="train a model and write its files to --out")
    train.add_argument("--config", help="a config.json written by an earlier run; other flags override it")
    train.add_argument("--out", required=True, help="folder for config.json, history.csv, metrics.json, ...")
    train.add_argument("--param", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                       help="generator parameters, e.g. --param steps=50 samples=20000")
    for flag, (_, name, kind) in FLAGS.items():
        train.add_argument("--" + flag.replace("_", "-"), type=kind, default=None, help=name)
    data = commands.add_parser("data", help="show what load_csv makes of a CSV file")
    data.add_argument("path")
    return parser


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def build_config(args: argparse.Namespace):
    """The ExperimentConfig of ``args``: --config (or the defaults) with the given flags on top."""
    from rnncore.config import ExperimentConfig
    from rnncore.io.model_files import load_config

    if args.config is None and args.data is None:
        raise UsageError("give --data PATH|sample:NAME|synthetic:NAME (or --config DIR/config.json)")
    cfg = load_config(args.config) if args.config else ExperimentConfig()
    changes: dict[str, dict] = {}
    for flag, (section, name, _) in FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            changes.setdefault(section, {})[name] = value.split(",") if name == "features" else value
    if args.param:
        params = dict(cfg.data.params) if args.data is None else {}
        for item in args.param:
            key, sep, text = item.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--param {item!r} must look like KEY=VALUE, e.g. --param steps=50")
            params[key.strip()] = _value(text.strip())
        changes.setdefault("data", {})["params"] = params
    elif args.data is not None and args.config:
        changes["data"]["params"] = {}  # a new data source does not inherit generator parameters
    return cfg.replace(**changes)


def _line(record) -> str:
    val = "-" if record.val_loss is None else f"{record.val_loss:.6f}"
    return (f"epoch {record.epoch:4d}  train_loss {record.train_loss:.6f}  val_loss {val}  "
            f"grad_norm {record.grad_norm:.4g}  lr {record.lr:.3g}  {record.seconds:.2f}s")


def train(args: argparse.Namespace) -> int:
    from rnncore.io.model_files import write_run
    from rnncore.training.trainer import Trainer

    cfg = build_config(args)
    out = Path(args.out)

    def report(progress) -> None:
        print(f"{_line(progress.history[-1])}  ({progress.epoch}/{progress.epochs})", flush=True)

    trainer = Trainer(cfg, callbacks=[report])
    print(f"training {cfg.model.cell} on {cfg.data.source}: {trainer.model.num_parameters()} parameters, "
          f"{len(trainer.windows.train)} train windows", flush=True)
    result = trainer.run()
    if result.status == "failed":
        print(f"rnncore: {result.message}", file=sys.stderr)
        return 1
    write_run(out, result)
    test = result.metrics["test"]
    print(f"{result.message}. test rmse {test['rmse']:.6g}, mae {test['mae']:.6g}; files in {out}")
    for name, by_split in result.baselines.items():
        print(f"  baseline {name}: test rmse {by_split['test']['rmse']:.6g}")
    if result.status == "diverged":
        print(f"rnncore: {result.message}", file=sys.stderr)
        return 1
    return 0


def data(args: argparse.Namespace) -> int:
    from rnncore.data.dataset import describe
    from rnncore.data.reading import load_csv

    print(describe(load_csv(args.path)))
    return 0


def main(argv: list[str] | None = None) -> int:
    import torch

    torch.set_num_threads(1)
    from rnncore.config import ConfigError
    from rnncore.errors import DataError
    from rnncore.io.model_files import ModelFileError

    try:
        args = make_parser().parse_args(argv)
        return train(args) if args.command == "train" else data(args)
    except (UsageError, ConfigError, DataError, ModelFileError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"rnncore: error: {message}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"rnncore: error: cannot use{where}: {exc.strerror or exc}; check the path", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnncore: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
