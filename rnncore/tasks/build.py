"""A task's data and its run, from a config whose ``data.task`` names it: the one place that knows
which module trains which task, and which settings a bundled sample of a task recommends (``recommended``; the
next run's settings follow the data loaded through ``follow_data``)."""

from __future__ import annotations

import dataclasses

from rnncore.config import SETTINGS, DataConfig, ExperimentConfig
from rnncore.training.task import TaskRun


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
        from rnncore.data.text import read_text
        from rnncore.tasks.charlm import load_text

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
    """The next run's settings on loading ``data``, after ``before``: a bundled sample's recommended settings; on
    other data, the settings as they were, but each a sample recommended and the person left as it was goes back
    to its declared default (it was chosen for that sample, and may not fit: seasonal differences on data with no
    season), while the person's own changes stay."""
    from rnncore.data.samples import RECOMMENDED, with_defaults

    cfg = dataclasses.replace(before, data=data)
    if data.kind == "sample":
        return recommended(cfg)
    if before.data.kind != "sample":
        return cfg
    suggested, own = recommended(before), {}
    for name in RECOMMENDED:
        section = SETTINGS[name].section
        if (value := getattr(getattr(before, section), name)) != getattr(getattr(suggested, section), name):
            own.setdefault(section, {})[name] = value
    return with_defaults(cfg, own)


def recommended(cfg: ExperimentConfig) -> ExperimentConfig:
    """``cfg`` with the settings recommended for its data where that is a bundled sample of its task (chosen by a
    sweep within the class budget, sample_data/README.md); ``cfg`` as it is for any other data."""
    from rnncore.data.samples import list_samples, sample_defaults, with_defaults

    kind, _, name = cfg.data.source.partition(":")
    if kind != "sample":
        return cfg
    if cfg.data.task == "forecast":
        return with_defaults(cfg, sample_defaults(name)) if name in list_samples() else cfg
    if cfg.data.task == "charlm":
        from rnncore.tasks.charlm import TEXT_SAMPLES as table
    else:
        from rnncore.data.labelled import LABELLED_SAMPLES as table
    return with_defaults(cfg, table[name].defaults) if name in table else cfg
