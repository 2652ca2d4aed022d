"""The command line: ``python -m rnncore train ...``, ``runs list|show|export|delete``, ``sweep`` and ``data PATH``;
installed, the ``rnnlab`` command (``rnnlab``): the app, or with a command the same command line.

Every setting's flag comes from its declaration (rnncore.config, rnncore.settings): the same
names, types and ranges as the app and the links. Bad input exits with status 2 and one line on
stderr, before any training; a run that fails or diverges exits with status 1 (a diverged run
still writes its files). ``train --store URL`` also records the run in a workspace of the run store
(a new one unless ``--workspace KEY``), as the app does and under the same limits (rnnlab.toml [limits]);
``runs`` reads a workspace back. ``sweep``
searches settings with an Optuna study (rnncore.sweeps) stored in the run store's database.
``rnnlab`` without a command serves the app (``python -m streamlit run app.py`` in a child process, in the
app's folder: rnncore never imports streamlit).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

SAMPLE_CHARACTERS = 80  # how much text train --task charlm draws from its model at the end


def _data_hint(task: str) -> str:
    """What --data takes for ``task``."""
    from rnncore.data.labelled import LABELLED_GENERATORS, LABELLED_SAMPLES
    from rnncore.data.text import TEXT_SAMPLES

    if task == "charlm":
        return "FILE.txt or " + " or ".join(f"sample:{name}" for name in TEXT_SAMPLES)
    if task == "classify":
        return ("FILE.csv (with --label COL) or " + " or ".join(f"sample:{name}" for name in LABELLED_SAMPLES)
                + " or synthetic:" + "|".join(LABELLED_GENERATORS))
    return "PATH|sample:NAME|synthetic:NAME"


def _help(declared) -> str:
    """A setting flag's help: its valid values; for --task, what each task takes as --data."""
    if declared.name == "task":
        return (f"{declared.describe()}: forecast a series; charlm: a character language model of a text (--data "
                f"{_data_hint('charlm')}); classify: the class of each labelled sequence (--data "
                f"{_data_hint('classify')})")
    return declared.describe()


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
    train.add_argument("--out", help="folder for config.json, history.csv, metrics.json, ... (required without "
                                      "--store)")
    train.add_argument("--store", metavar="URL", help="also record the run in this run store (sqlite:///PATH or "
                                                      "postgresql+psycopg://...)")
    train.add_argument("--workspace", metavar="KEY", help="the store's workspace to record into (default: a new one)")
    train.add_argument("--max-parameters", type=int, default=None, metavar="N",
                       help="the largest model allowed (default: max_parameters in rnnlab.toml; 0: no limit). With "
                            "--store every limit of rnnlab.toml [limits] applies, and this may only lower it")
    for name, declared in SETTINGS.items():
        if declared.kind is dict:  # generator parameters: --param steps=50 samples=20000
            train.add_argument(declared.cli_flag, dest=name, action="extend", nargs="+", default=None,
                               metavar="KEY=VALUE", help="generator parameters, e.g. --param steps=50 samples=2000")
        else:
            train.add_argument(declared.cli_flag, dest=name, type=_typed(declared), default=None,
                               metavar=name.upper(), help=_help(declared))
    runs = commands.add_parser("runs", help="read the runs of a workspace in the run store")
    runs.add_argument("action", choices=["list", "show", "export", "delete"])
    runs.add_argument("run", nargs="?", type=int, help="the run's number (show, export, delete)")
    runs.add_argument("--store", metavar="URL", help="the run store (default: rnnlab.toml [store] url, RNNLAB_STORE)")
    runs.add_argument("--workspace", metavar="KEY", required=True, help="the workspace's key")
    runs.add_argument("--json", action="store_true", help="list and show: JSON (one object per line for list)")
    runs.add_argument("--out", help="export: the zip file to write (default: rnnlab_run_N.zip)")
    runs.add_argument("--tensorboard", metavar="DIR",
                      help="export: TensorBoard event files instead of the zip, in DIR/run_N (every run of the "
                           "workspace without N): each epoch's losses, gradient norm, learning rate and seconds, "
                           "and the settings with the test metrics; then tensorboard --logdir DIR")
    data = commands.add_parser("data", help="show what load_csv makes of a CSV file")
    data.add_argument("path")
    _sweep_parser(commands)
    return parser


def _sweep_parser(commands) -> None:
    """``sweep``: an Optuna study over the declared settings (rnncore.sweeps); the setting flags are train's."""
    from rnncore.config import SETTINGS
    from rnncore.sweeps import PRUNERS, SEARCHABLE

    sweep = commands.add_parser("sweep", help="search settings: an Optuna study, each trial a training run")
    sweep.add_argument("--trials", type=int, default=None, metavar="N",
                       help="the study's budget of trials, all workers together (required unless --join)")
    sweep.add_argument("--search", default=None, metavar="SPACE",
                       help="the settings searched, each NAME (its default range), NAME=LOW:HIGH or NAME='A|B', "
                            f"comma-separated; searchable: {', '.join(SEARCHABLE)} (default: cell,hidden_size,"
                            "num_layers,lr)")
    sweep.add_argument("--pruner", choices=PRUNERS, default="median",
                       help="stop unpromising trials early: median, hyperband, or none (default median)")
    sweep.add_argument("--seconds", type=float, default=None, metavar="T",
                       help="this worker's time budget in seconds (default: none)")
    sweep.add_argument("--storage", metavar="URL", help="the database of the study (default: the run store's, "
                                                        "rnnlab.toml [store] url or RNNLAB_STORE)")
    sweep.add_argument("--study", metavar="NAME", help="the study's name (default: a new name from the time); the "
                                                       "same name and space continue a study")
    sweep.add_argument("--join", action="store_true",
                       help="join the existing study --study: train its trials until its budget is spent")
    sweep.add_argument("--workspace", metavar="KEY", help="also record each trial as a run in this workspace of "
                                                          "the run store at --storage ('new': a new workspace)")
    sweep.add_argument("--config", help="a config.json written by an earlier run; other flags override it")
    for name, declared in SETTINGS.items():
        if declared.kind is dict:
            sweep.add_argument(declared.cli_flag, dest=name, action="extend", nargs="+", default=None,
                               metavar="KEY=VALUE", help="generator parameters, e.g. --param steps=50 samples=2000")
        else:
            sweep.add_argument(declared.cli_flag, dest=name, type=_typed(declared), default=None,
                               metavar=name.upper(), help=_help(declared))


def _param_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def build_config(args: argparse.Namespace):
    """The ExperimentConfig of ``args``: --config (or the defaults, with the settings recommended for a bundled
    sample of --data) with the given flags on top."""
    from rnncore.config import SETTINGS, ExperimentConfig
    from rnncore.io.model_files import load_config
    from rnncore.tasks.build import recommended

    if args.config is None and args.source is None:
        raise UsageError(f"give --data {_data_hint(args.task or 'forecast')} (or --config DIR/config.json)")
    if args.config:
        cfg = load_config(args.config)
    else:
        data = {"source": args.source, "task": args.task or ExperimentConfig().data.task}
        cfg = recommended(ExperimentConfig().replace(data=data))
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


def check_out(text: str, flag: str = "--out") -> Path:
    """The folder of ``flag`` (--out), checked before training (a run never fails only at the end): it is a
    folder or can be made one, and it can be written. Nothing is made here."""
    if not text.strip():
        raise UsageError(f"{flag} must name a folder for the run's files, e.g. {flag} runs/airline")
    out = Path(text)
    existing = next(p for p in (out, *out.parents) if p.exists())  # "." or "/" at the latest
    if not existing.is_dir():
        where = "is a file" if existing == out else f"lies under the file {existing}"
        raise UsageError(f"{flag} {text} {where}; choose a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {text}: {existing} cannot be written; choose a folder you can write to")
    return out


def run_limits(args: argparse.Namespace):
    """The limits the run obeys. Recorded in a run store (--store): the server's (rnnlab.toml [limits],
    RNNLAB_*), all of them, as every door of a shared store applies them; --max-parameters may only lower the
    model-size limit there. Otherwise the model-size limit of rnnlab.toml, or the one --max-parameters gives."""
    from dataclasses import replace

    from rnncore.training.limits import RunLimits, load_limits

    given = args.max_parameters
    if given is not None and given < 0:
        raise UsageError("--max-parameters must be 0 (no limit) or a positive number of parameters")
    server = load_limits()
    if args.store is None:
        most = server.max_parameters if given is None else given
        return RunLimits(max_parameters=most or None)
    limits = server.run_limits()
    return replace(limits, max_parameters=min(given, limits.max_parameters)) if given else limits


def _line(record) -> str:
    val = "-" if record.val_loss is None else f"{record.val_loss:.6f}"
    return (f"epoch {record.epoch:4d}  train_loss {record.train_loss:.6f}  val_loss {val}  "
            f"grad_norm {record.grad_norm:.4g}  lr {record.lr:.3g}  {record.seconds:.2f}s")


def train(args: argparse.Namespace) -> int:
    """train: one run of any task (--task forecast, charlm or classify) by the Trainer, its files in --out (the
    model, config.json, history and metrics.json, as DESIGN.md names them) and, with --store, recorded in a
    workspace as it trains."""
    from rnncore.tasks.build import task_data, task_run
    from rnncore.training.progress import Status
    from rnncore.training.trainer import Trainer

    cfg = build_config(args)
    if args.out is None and args.store is None:
        raise UsageError("give --out DIR for the run's files (or --store URL to record it in a run store)")
    out = check_out(args.out) if args.out is not None else None
    content = _file_bytes(cfg)
    data = task_data(cfg, content)

    def report(progress) -> None:
        print(f"{_line(progress.history[-1])}  ({progress.epoch}/{progress.epochs})", flush=True)

    limits = run_limits(args)
    trainer = Trainer(cfg, task=task_run(cfg, data, limits=limits), callbacks=[report], limits=limits)
    print(f"training {cfg.model.cell} on {_data_line(data)}: {trainer.model.num_parameters()} parameters, "
          f"{len(trainer.windows.train)} train windows", flush=True)
    store = _open(args.store) if args.store is not None else None
    recorder = _record(store, args.workspace, trainer, content) if store is not None else None
    _make(out)
    try:
        result = trainer.run()
    except RuntimeError:  # it failed with nothing to evaluate: its progress says why
        result = None
    final = trainer.snapshot()
    if recorder is not None:
        _finish(recorder, trainer, result if final.status != Status.FAILED else None)
    if final.status == Status.FAILED:
        print(f"rnncore: {final.message}", file=sys.stderr)
        return 1
    if out is not None:
        _write(out, result, trainer)
    where = f"; files in {out}" if out is not None else ""
    SAID[cfg.data.task](result, data, where)
    if result.status == Status.DIVERGED:
        print(f"rnncore: {result.message}", file=sys.stderr)
        return 1
    return 0


def _make(out: Path | None) -> None:
    """The --out folder made now (it was checked before training); a failure said in one line."""
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot make the folder ({exc.strerror or exc})") from None


def _write(out: Path, result, trainer) -> None:
    """The run's files in ``out``: a forecast's (rnncore.io.model_files) or a text or labels task's (its
    metrics.json with the vocabulary or the classes)."""
    from rnncore.io.model_files import write_run
    from rnncore.tasks.files import write_task

    if result.config.data.task == "forecast":
        write_run(out, result)
        return
    try:
        write_task(out, result, {"source": result.config.data.source, **trainer.task.identity()})
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write the run's files ({exc.strerror or exc})") from None


def _file_bytes(cfg) -> bytes | None:
    """A data file's bytes, read once: the data, and the workspace's copy of it (None for a sample or a
    generator, or a path that cannot be read: the loader says what is wrong with it)."""
    from rnncore.data.reading import MAX_BYTES

    if cfg.data.kind != "file":
        return None
    try:
        with open(cfg.data.source, "rb") as file:
            return file.read(MAX_BYTES + 1)
    except OSError:
        return None


def _data_line(data) -> str:
    """What the run trains on, in a line: a series' name, a text's characters, a labelled set's sequences (its
    notes said first)."""
    from rnncore.data.labelled import LabelledSet
    from rnncore.data.text import Text

    if isinstance(data, Text):
        return f"{data.name} ({len(data):,} characters)"
    if isinstance(data, LabelledSet):
        for note in data.notes:
            print(f"  note: {note}", flush=True)
        counts = ", ".join(f"{name} {count}" for name, count in data.counts.items())
        return f"{data.name} ({len(data)} sequences of {data.x.shape[1]} steps; label {data.label!r}: {counts})"
    return data.name


def _said_forecast(result, data, where: str) -> None:
    test = result.metrics["test"]
    print(f"{result.message}. test rmse {test['rmse']:.6g}, mae {test['mae']:.6g}{where}")
    for name, by_split in result.baselines.items():
        print(f"  baseline {name}: test rmse {by_split['test']['rmse']:.6g}")


def _said_charlm(result, text: str, where: str) -> None:
    import torch

    from rnncore.tasks.charlm import sample

    test = result.metrics["test"]
    print(f"{result.message}. test {test['bits_per_char']:.4g} bits per character (perplexity "
          f"{test['perplexity']:.4g}){where}")
    for baseline, by_split in result.baselines.items():
        print(f"  baseline {baseline}: test {by_split['test']['bits_per_char']:.4g} bits per character")
    if test["bits_per_char"] >= result.baselines["bigram"]["test"]["bits_per_char"]:
        print("  the model does not beat the bigram baseline: train longer, or a larger model")
    lookback, seed = result.config.window.lookback, result.config.train.seed
    drawn = sample(result.model, result.vocab, text[:lookback], SAMPLE_CHARACTERS, lookback, 0.8,
                   torch.Generator().manual_seed(seed))
    print(f"  a sample (temperature 0.8) after the text's first {lookback} characters: {drawn!r}")


def _said_classify(result, data, where: str) -> None:
    test, majority = result.metrics["test"], result.baselines["majority"]["test"]
    print(f"{result.message}. test accuracy {test['accuracy']:.4g}, macro-F1 {test['macro_f1']:.4g}{where}")
    print(f"  baseline majority: test accuracy {majority['accuracy']:.4g}, macro-F1 {majority['macro_f1']:.4g}")
    if test["accuracy"] <= majority["accuracy"]:
        print("  the model does not beat always answering the majority class: train longer, or a larger model")
    wrong = result.misclassified("test")
    print(f"  {len(wrong)} of {len(result.parts.test)} test sequences misclassified" +
          (": " + ", ".join(f"#{i} {t} as {p}" for i, t, p in wrong[:5]) + (" ..." if len(wrong) > 5 else "")
           if wrong else ""))


SAID = {"forecast": _said_forecast, "charlm": _said_charlm, "classify": _said_classify}  # a run's last lines


def _open(url: str | None):
    from rnncore.store import open_store

    return open_store(url or None)


def _record(store, key: str | None, trainer, content: bytes | None):
    """The run's row in the store (a new workspace unless ``key``), its data file kept there, and a RunRecorder on
    the trainer; the workspace key is printed (it is the way back to the run)."""
    from rnncore.lab.records import record_run

    key = _workspace(store, key)
    if content is not None:
        store.put_data(key, Path(trainer.cfg.data.source).name, content)
    recorder = record_run(store, key, trainer, owner="cli")
    print(f"recording as run {recorder.number} in {store.where}", flush=True)
    return recorder


def _workspace(store, key: str | None) -> str:
    """The workspace ``key`` (StoreError when there is none), or a new one, its key printed: the way back to it."""
    if key is None:
        key = store.create_workspace()
        print(f"workspace {key} (new; keep this key: it is the only way back to its runs)", flush=True)
    elif not store.has_workspace(key):
        from rnncore.errors import StoreError

        raise StoreError.keyed("no_workspace", workspace=f"{key[:6]}…")
    return key


def _finish(recorder, trainer, result) -> None:
    from rnncore.lab.records import finish_recorded

    finish_recorded(recorder, trainer, result)


def runs(args: argparse.Namespace) -> int:
    """runs list|show|export|delete: a workspace of the run store, read back."""
    import json

    store = _open(args.store)
    key = args.workspace
    if args.action == "list":
        for summary in store.list_runs(key):
            if args.json:
                print(json.dumps(summary.as_json()))
            else:
                best = "-" if summary.best_val is None else f"{summary.best_val:.6g}"
                print(f"{summary.number:5d}  {summary.task:8s}  {summary.status:11s}  {summary.epochs:4d} epochs  "
                      f"{summary.cell:12s}  best val_loss {best}")
        return 0
    if args.tensorboard is not None:
        if args.action != "export":
            raise UsageError(f"--tensorboard is for runs export, not runs {args.action}")
        return _tensorboard(store, key, args)
    if args.run is None:
        raise UsageError(f"runs {args.action} needs the run's number, e.g. 'runs {args.action} 1 --workspace KEY'")
    if args.action == "delete":
        store.delete_run(key, args.run)
        print(f"deleted run {args.run}")
        return 0
    stored = store.get_run(key, args.run)
    if args.action == "show":
        doc = {**stored.as_json(), "history": [vars(r) for r in stored.history], "results": stored.results}
        if args.json:
            print(json.dumps(doc))
        else:
            print(f"run {stored.number}: {stored.status}, {stored.epochs} epochs, {stored.cell}, "
                  f"{stored.parameters} parameters, data {stored.data.get('name') or stored.config['data']['source']}")
            print(f"  {stored.message}")
            test = stored.results.get("metrics", {}).get("test")
            if test:
                print("  test " + ", ".join(f"{k} {v:.6g}" for k, v in test.items() if isinstance(v, float)))
        return 0
    out = Path(args.out or f"rnnlab_run_{args.run}.zip")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; name the zip file to write, e.g. --out {out / 'run.zip'}")
    out.write_bytes(_export(store, key, stored) if stored.task == "forecast" else _export_task(store, key, stored))
    print(f"wrote {out}")
    return 0


def _tensorboard(store, key: str, args: argparse.Namespace) -> int:
    """runs export [N] --tensorboard DIR: run N's event files (every run's of the workspace without N), each in
    DIR/run_N, which must not hold files yet. All or nothing: every run is read before anything is written, and
    what was written is removed where a later one fails."""
    import shutil

    from rnncore.io.tensorboard_files import write_events

    if args.out is not None:
        raise UsageError("--out names the zip, --tensorboard the event files' folder: give one of them")
    root = check_out(args.tensorboard, "--tensorboard")
    numbers = [args.run] if args.run is not None else [summary.number for summary in store.list_runs(key)]
    if not numbers:
        print("the workspace has no runs: nothing to write")
        return 0
    targets = {number: root / f"run_{number}" for number in numbers}
    for folder in targets.values():
        if folder.exists() and not (folder.is_dir() and not any(folder.iterdir())):
            raise UsageError(f"--tensorboard {args.tensorboard}: {folder} exists already; remove it or choose "
                             "another folder")
    stored = [store.get_run(key, number) for number in numbers]
    written = []
    try:
        for run in stored:
            write_events(targets[run.number], run.history, run.config, run.results, run.created)
            written.append(targets[run.number])
            print(f"wrote {targets[run.number]}")
    except BaseException:
        for folder in written:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    print(f"see them with: tensorboard --logdir {root}")
    return 0


def _export_task(store, key: str, stored) -> bytes:
    """The zip of a stored task run, as the pages download it: its model scored again on its data."""
    from rnncore.tasks.files import reopen, task_zip

    result, _ = reopen(store, key, stored)
    return task_zip(result, {"source": stored.config["data"]["source"], **stored.data})


def _export(store, key: str, stored) -> bytes:
    """The zip the app downloads for a stored run: its model evaluated again on its data."""
    from rnncore.config import ExperimentConfig
    from rnncore.data.sources import load_source
    from rnncore.io.bundle import export_run
    from rnncore.io.model_files import model_from_bytes
    from rnncore.training.results import evaluate

    cfg = ExperimentConfig.from_dict(stored.config)
    weights, content = store.reopening(key, stored)
    dataset = load_source(cfg.data.source, cfg.data.params, content=content, layout=cfg.data.layout)
    model = model_from_bytes(weights, cfg)
    return export_run(evaluate(cfg, model, dataset, stored.history, stored.status, stored.message))


def sweep(args: argparse.Namespace) -> int:
    """sweep: make (or continue, or --join) a study and train its trials, a line each, then the best."""
    import optuna

    from rnncore.config import SETTINGS
    from rnncore.sweeps import SearchSpace, Sweep

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own line per trial says it
    if args.join:
        given = [SETTINGS[name].cli_flag for name in SETTINGS if getattr(args, name) is not None]
        given += [flag for flag, value in (("--trials", args.trials), ("--search", args.search),
                                           ("--config", args.config)) if value is not None]
        if args.pruner != "median":
            given.append("--pruner")
        if given:
            raise UsageError(f"--join trains the study's own space and settings; leave out {', '.join(given)}")
        if args.study is None:
            raise UsageError("--join needs the study's name: --study NAME (the sweep that made it printed it)")
    else:
        cfg = build_config(args)
        if args.trials is None:
            raise UsageError("give --trials N: the study's budget of trials, e.g. --trials 20")
        space = SearchSpace.parse(args.search) if args.search is not None else SearchSpace()
    common = {"storage": args.storage or None, "seconds": args.seconds}
    if args.join:
        worker = Sweep.join(args.study, **common)
    else:
        worker = Sweep.create(cfg, space, trials=args.trials, pruner=args.pruner, study=args.study, **common)
    with worker:
        storage = worker.storage
        if args.workspace is not None:  # the run store in the same database
            store, key = storage.store, args.workspace
            if key == "new":
                key = store.create_workspace()
                print(f"workspace {key} (new; keep this key: it is the only way back to its runs)", flush=True)
            elif not store.has_workspace(key):
                from rnncore.errors import StoreError

                raise StoreError.keyed("no_workspace", workspace=f"{key[:6]}…")
            worker.record_into(store, key)
        plan = worker.plan
        print(f"sweep {worker.name} in {storage.where} (worker {worker.worker}): {plan.space.describe()}; "
              f"{worker.budget} trials of up to {plan.base.train.epochs} epochs, pruner {plan.pruner}, "
              f"seed {plan.seed}", flush=True)
        print(f"  more workers: python -m rnncore sweep --join --study {worker.name} --storage {storage.where}",
              flush=True)
        mine = worker.run(lambda outcome: print(outcome.line(), flush=True))
        every = worker.outcomes()
        counts = {state: sum(o.state == state for o in every) for state in ("complete", "pruned", "failed")}
        tally = ", ".join(f"{n} {state}" for state, n in counts.items())
        print(f"{len(mine)} trial(s) here, {sum(o.epochs for o in mine)} epochs; the study has {len(every)} of "
              f"{worker.budget} trials ({tally})")
        best = worker.best()
        if best is None:
            from rnncore.errors import SweepError

            last = next((o.message for o in reversed(every) if o.message), "-")
            print(f"rnncore: {SweepError.keyed('no_trial_ended', count=len(every), message=last)}", file=sys.stderr)
            return 1
        params = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.params.items())
        print(f"best: trial {best.number}, {worker.objective[0]} {best.value:.6g}, {best.epochs} epochs: {params}")
        return 0


def data(args: argparse.Namespace) -> int:
    from rnncore.data.dataset import describe
    from rnncore.data.reading import load_csv

    print(describe(load_csv(args.path)))
    return 0


COMMANDS = {"train": train, "runs": runs, "data": data, "sweep": sweep}


def main(argv: list[str] | None = None) -> int:
    import torch

    torch.set_num_threads(1)
    from rnncore.errors import KeyedError
    from rnncore.io.model_files import ModelFileError

    try:
        args = make_parser().parse_args(argv)
        from rnncore.store import load_settings

        load_settings()  # rnnlab.toml and RNNLAB_*: no command starts while they cannot be used
        return COMMANDS[args.command](args)
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


def rnnlab(argv: list[str] | None = None) -> int:
    """The ``rnnlab`` command: ``rnnlab COMMAND ...`` is ``python -m rnncore COMMAND ...``; without a command
    it serves the app (``rnnlab --port 8502``; other options go to Streamlit, e.g. --server.address 0.0.0.0)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and not argv[0].startswith("-"):
        return main(argv)
    parser = argparse.ArgumentParser(
        prog="rnnlab", description="RNN Lab: serve the app in the browser (Ctrl+C stops it).",
        epilog=f"commands: rnnlab {'|'.join(COMMANDS)} ... is python -m rnncore {'|'.join(COMMANDS)} ...; "
               "see rnnlab COMMAND --help. Other options go to streamlit run (streamlit run --help).")
    parser.add_argument("--port", type=int, metavar="N", help="the port to serve on (default 8501)")
    args, options = parser.parse_known_args(argv)
    if args.port is not None:
        if not 0 < args.port < 65536:
            parser.error(f"--port {args.port}: give a port from 1 to 65535, e.g. --port 8502")
        options = ["--server.port", str(args.port), *options]
    return serve(options)


def serve(options: list[str]) -> int:
    """Run the app's Streamlit server as a child process, in the app's folder (its .streamlit/config.toml), until
    it ends; its exit status, or 130 after Ctrl+C. SIGTERM to this process is passed on; Ctrl+C stops it (a second
    one kills it)."""
    from rnncore.home import app_folder, settings_file, store_file

    folder = app_folder()
    print(f"RNN Lab: settings from {settings_file()}; runs kept in {store_file()} unless rnnlab.toml [store] url "
          "or RNNLAB_STORE names another store", flush=True)
    # Ctrl+C stops it even where it was started with SIGINT ignored (a parent that ignores it passes that on, and
    # the server would then ignore it too); set before the child starts, which then begins with the default
    interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)
    child = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(folder / "app.py"), *options],
                             cwd=folder)
    previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        try:
            code = child.wait()
        except KeyboardInterrupt:  # a terminal's Ctrl+C reached the child too; a `kill -INT` of this process did not
            if os.name == "posix":
                child.send_signal(signal.SIGINT)
            try:
                child.wait()
            except KeyboardInterrupt:
                child.kill()
                child.wait()
            code = 130  # interrupted, as python -m rnncore says it
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, interrupt)
    return code if code >= 0 else 128 - code  # killed by signal N: 128 + N, as a shell says it


if __name__ == "__main__":
    sys.exit(main())
