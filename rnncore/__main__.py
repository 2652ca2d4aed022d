"""The command line: ``python -m rnncore train ...`` and ``python -m rnncore data PATH``.

Every setting's flag comes from its declaration (rnncore.config, rnncore.settings): the same
names, types and ranges as the app and the links. Bad input exits with status 2 and one line on
stderr, before any training; a run that fails or diverges exits with status 1 (a diverged run
still writes its files).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


class UsageError(ValueError):
    """Bad command-line input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        raise UsageError(f"{message}; see 'python -m {self.prog} --help'")


def _typed(declared):
    """An argparse type that reads a setting's value as its declaration says (ConfigError -> usage error)."""
    from rnncore.errors import ConfigError

    def read(text: str):
        try:
            return declared.parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    read.__name__ = declared.kind.__name__  # argparse names the type in its messages
    return read


def make_parser() -> argparse.ArgumentParser:
    from rnncore.config import SETTINGS

    parser = _Parser(prog="rnncore", description="Train recurrent networks on sequences.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = commands.add_parser("train", help="train a model and write its files to --out")
    train.add_argument("--config", help="a config.json written by an earlier run; other flags override it")
    train.add_argument("--out", required=True, help="folder for config.json, history.csv, metrics.json, ...")
    train.add_argument("--max-parameters", type=int, default=None, metavar="N",
                       help="the largest model allowed (default: max_parameters in rnnlab.toml; 0: no limit)")
    for name, declared in SETTINGS.items():
        if declared.kind is dict:  # generator parameters: --param steps=50 samples=20000
            train.add_argument(declared.cli_flag, dest=name, action="extend", nargs="+", default=None,
                               metavar="KEY=VALUE", help="generator parameters, e.g. --param steps=50 samples=2000")
        else:
            train.add_argument(declared.cli_flag, dest=name, type=_typed(declared), default=None,
                               metavar=name.upper(), help=declared.describe())
    data = commands.add_parser("data", help="show what load_csv makes of a CSV file")
    data.add_argument("path")
    return parser


def _param_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def build_config(args: argparse.Namespace):
    """The ExperimentConfig of ``args``: --config (or the defaults) with the given flags on top."""
    from rnncore.config import SETTINGS, ExperimentConfig
    from rnncore.io.model_files import load_config

    if args.config is None and args.source is None:
        raise UsageError("give --data PATH|sample:NAME|synthetic:NAME (or --config DIR/config.json)")
    cfg = load_config(args.config) if args.config else ExperimentConfig()
    changes: dict[str, dict] = {}
    for name, declared in SETTINGS.items():
        value = getattr(args, name)
        if value is not None and declared.kind is not dict:
            changes.setdefault(declared.section, {})[name] = value
    if args.params:
        params = dict(cfg.data.params) if args.source is None else {}
        for item in args.params:
            key, sep, text = item.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--param {item!r} must look like KEY=VALUE, e.g. --param steps=50")
            params[key.strip()] = _param_value(text.strip())
        changes.setdefault("data", {})["params"] = params
    elif args.source is not None and args.config:
        changes["data"]["params"] = {}  # a new data source does not inherit generator parameters
    return cfg.replace(**changes)


def check_out(text: str) -> Path:
    """The --out folder, checked before training (a run never fails only at the end): it is a folder
    or can be made one, and it can be written. Nothing is made here."""
    if not text.strip():
        raise UsageError("--out must name a folder for the run's files, e.g. --out runs/airline")
    out = Path(text)
    existing = next(p for p in (out, *out.parents) if p.exists())  # "." or "/" at the latest
    if not existing.is_dir():
        where = "is a file" if existing == out else f"lies under the file {existing}"
        raise UsageError(f"--out {text} {where}; choose a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {text}: {existing} cannot be written; choose a folder you can write to")
    return out


def run_limits(args: argparse.Namespace):
    """The model-size limit of rnnlab.toml (as the app applies it), or the one --max-parameters gives."""
    from rnncore.training.limits import RunLimits, load_limits

    most = load_limits().max_parameters if args.max_parameters is None else args.max_parameters
    if most < 0:
        raise UsageError("--max-parameters must be 0 (no limit) or a positive number of parameters")
    return RunLimits(max_parameters=most or None)


def _line(record) -> str:
    val = "-" if record.val_loss is None else f"{record.val_loss:.6f}"
    return (f"epoch {record.epoch:4d}  train_loss {record.train_loss:.6f}  val_loss {val}  "
            f"grad_norm {record.grad_norm:.4g}  lr {record.lr:.3g}  {record.seconds:.2f}s")


def train(args: argparse.Namespace) -> int:
    from rnncore.io.model_files import write_run
    from rnncore.training.trainer import Trainer

    cfg = build_config(args)
    out = check_out(args.out)

    def report(progress) -> None:
        print(f"{_line(progress.history[-1])}  ({progress.epoch}/{progress.epochs})", flush=True)

    trainer = Trainer(cfg, callbacks=[report], limits=run_limits(args))
    print(f"training {cfg.model.cell} on {cfg.data.source}: {trainer.model.num_parameters()} parameters, "
          f"{len(trainer.windows.train)} train windows", flush=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot make the folder ({exc.strerror or exc})") from None
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
    from rnncore.errors import KeyedError
    from rnncore.io.model_files import ModelFileError

    try:
        args = make_parser().parse_args(argv)
        return train(args) if args.command == "train" else data(args)
    except (UsageError, KeyedError, ModelFileError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"rnncore: error: {message}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"rnncore: error: cannot use{where}: {exc.strerror or exc}; check the path", file=sys.stderr)
        return 2
    except MemoryError:
        print("rnncore: error: out of memory; choose a smaller model, batch or data set", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnncore: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
