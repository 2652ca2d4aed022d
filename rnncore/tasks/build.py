"""A task's data and its run, from a config whose ``data.task`` names it: the one place that knows
which module trains which task, and which settings a bundled sample of a task recommends (``recommended``; the
next run's settings follow the data loaded through ``follow_data``)."""

from __future__ import annotations

import dataclasses

from rnncore.config import SETTINGS, DataConfig, ExperimentConfig
from rnncore.training.task import TaskRun

# the settings a task does not read (a page leaves their widgets out); every other setting applies to it
UNUSED = {"forecast": frozenset({"label", "class_weights", "vocabulary", "initial_state"}),
          "charlm": frozenset({"target", "features", "layout", "label", "class_weights", "horizon", "stride", "scaler",
                               "difference", "loss"}),
          "classify": frozenset({"target", "features", "layout", "vocabulary", "lookback", "horizon", "stride",
                                 "difference", "loss", "initial_state"})}
# where a task's settings start, by section, for data with no recommended settings (a file, a generated set);
# a setting named in neither table starts at its declared default
STARTING = {"forecast": {},
            "charlm": {"window": {"lookback": 32}, "model": {"hidden_size": 64},
                       "train": {"epochs": 30, "batch_size": 64, "lr": 0.005}},
            "classify": {"model": {"hidden_size": 16}, "train": {"epochs": 10, "batch_size": 32, "lr": 0.01}}}


def task_data(cfg: ExperimentConfig, content: bytes | None = None):
    """The data ``cfg`` names for its task: a Dataset (forecast), a Text (charlm) or a LabelledSet (classify);
    ``content``: the file's bytes where they were kept (an upload, a run store's copy) rather than read from its
    path. DataError when it cannot be used."""
    from pathlib import Path

    data = cfg.data
    if data.task == "forecast":
        from rnncore.data.sources import load_source

        return load_source(data.source, data.params, content, layout=data.layout)
    if data.task == "charlm":
        from rnncore.data.text import load_text, read_text

        return read_text(content, Path(data.source).name) if content is not None else load_text(data.source)
    from rnncore.data.labelled import load_labelled, read_labelled

    if content is not None:
        return read_labelled(content, label=data.label, name=Path(data.source).stem)
    return load_labelled(data.source, label=data.label, params=data.params, seed=cfg.train.seed)


def task_run(cfg: ExperimentConfig, data=None, windows=None, limits=None) -> TaskRun:
    """The run of ``cfg``'s task on ``data`` (task_data's, loaded here when None; a forecast's ``windows`` where
    they are made already), built, for the Trainer (``Trainer(cfg, task=...)``); ``limits`` (RunLimits) checked
    before the model takes any memory."""
    from rnncore.tasks.charlm import CharRun
    from rnncore.tasks.classify import ClassRun
    from rnncore.training.forecast import ForecastRun

    if limits is not None:
        limits.check(cfg)  # a setting over a cap is said first, before the data is read or cut
    if data is None and windows is None:
        data = task_data(cfg)
    task = cfg.data.task
    if task == "forecast":
        return ForecastRun(cfg, data, windows, limits)
    return (CharRun if task == "charlm" else ClassRun)(cfg, data, limits)


def model_sizes(cfg: ExperimentConfig, data) -> tuple[int, int]:
    """(inputs, outputs) of a model of ``cfg``'s task on ``data`` (a series': its inputs and horizon; a text's: its
    vocabulary; a labelled set's: its features and classes): what its parameters are counted from before it is
    built."""
    task = cfg.data.task
    if task == "forecast":
        return len(cfg.data.features) or 1, cfg.window.horizon
    if data is None:  # (before the data is read: at most the vocabulary; one feature, two classes)
        return (cfg.data.vocabulary, cfg.data.vocabulary) if task == "charlm" else (1, 2)
    if task == "charlm":
        from rnncore.data.text import Vocabulary, split_text

        size = len(Vocabulary.fit(split_text(data, cfg.window.train_fraction, cfg.window.val_fraction)[0],
                                  cfg.data.vocabulary))
        return size, size
    return data.x.shape[2], len(data.classes)


def data_of(cfg: ExperimentConfig, identity: dict | None = None, content: bytes | None = None):
    """The data a run of ``cfg`` trained on, read again (``task_data``): a text cut to the characters it trained
    on (``identity``'s rows: a page trains on a long text's beginning)."""
    data = task_data(cfg, content)
    rows = (identity or {}).get("rows")
    if cfg.data.task == "charlm" and rows:
        data = data.cut(rows)
    return data


def rescored(cfg: ExperimentConfig, model, data, **ended):
    """The result of ``model`` (weights already in it) on ``data``, as a run of ``cfg`` that ended so (``ended``:
    history, status, reason, details, message, kept_epoch) gives it: a stored run read back, a zip imported."""
    run = task_run(cfg, data)
    run.model = model
    return run.result(**ended)


def follow_data(before: ExperimentConfig, data: DataConfig) -> ExperimentConfig:
    """The next run's settings on loading ``data``, after ``before``: a bundled sample's recommended settings; data
    of another task than ``before``'s starts from that task's settings (``STARTING``); on other data of the same
    task, the settings as they were, but each a sample recommended and the person left as it was goes back to where
    the task starts it (it was chosen for that sample, and may not fit: seasonal differences on data with no
    season), while the person's own changes stay."""
    from rnncore.data.samples import RECOMMENDED, with_defaults

    same_task = before.data.task == data.task
    cfg = dataclasses.replace(before, data=data) if same_task else ExperimentConfig(data=data).replace(
        **STARTING[data.task])
    if data.kind == "sample":
        return recommended(cfg)
    if not same_task or before.data.kind != "sample":
        return cfg
    suggested, own = recommended(before), {section: dict(values) for section, values in STARTING[data.task].items()}
    for name in RECOMMENDED:
        section = SETTINGS[name].section
        if (value := getattr(getattr(before, section), name)) != getattr(getattr(suggested, section), name):
            own.setdefault(section, {})[name] = value
    return with_defaults(cfg, own)


def recommended(cfg: ExperimentConfig) -> ExperimentConfig:
    """``cfg`` with the settings recommended for its data where that is a bundled sample of its task (chosen by a
    sweep within the class budget, sample_data/README.md); ``cfg`` as it is for any other data."""
    from rnncore.data.samples import with_defaults

    kind, _, name = cfg.data.source.partition(":")
    settings = recommendations(cfg.data.task, name) if kind == "sample" else None
    return cfg if settings is None else with_defaults(cfg, settings)


def recommendations(task: str, name: str) -> dict | None:
    """The settings (by section) recommended for ``task``'s bundled sample ``name``; None for no such sample."""
    from rnncore.data.samples import list_samples, sample_defaults

    if task == "forecast":
        return sample_defaults(name) if name in list_samples() else None
    if task == "charlm":
        from rnncore.data.text import TEXT_SAMPLES as table
    else:
        from rnncore.data.labelled import LABELLED_SAMPLES as table
    return table[name].defaults if name in table else None
