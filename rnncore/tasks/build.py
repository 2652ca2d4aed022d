"""A task's data and its run, from a config whose ``data.task`` names it: the one place that knows
which module trains which task, and which settings a bundled sample of a task recommends (``recommended``; the
next run's settings follow the data loaded through ``follow_data``)."""

from __future__ import annotations

import dataclasses

from rnncore.config import SETTINGS, DataConfig, ExperimentConfig
from rnncore.tasks.run import TaskRun


def task_data(cfg: ExperimentConfig, content: bytes | None = None):
    """The data ``cfg`` names for its task: a text (charlm) or a LabelledSet (classify); ``content``: the file's
    bytes where they were kept (an upload, a run store's copy) rather than read from its path. DataError when
    it cannot be used."""
    from pathlib import Path

    source = cfg.data.source
    if cfg.data.task == "charlm":
        from rnncore.data.text import read_text
        from rnncore.tasks.charlm import load_text

        return read_text(content, Path(source).name) if content is not None else load_text(source)[1]
    from rnncore.data.labelled import load_labelled, read_labelled

    if content is not None:
        return read_labelled(content, label=cfg.data.label, name=Path(source).stem)
    return load_labelled(source, label=cfg.data.label, params=cfg.data.params, seed=cfg.train.seed)


def task_run(cfg: ExperimentConfig, data) -> TaskRun:
    """The TaskRun of ``cfg``'s task on ``data`` (task_data's)."""
    from rnncore.tasks.charlm import CharRun
    from rnncore.tasks.classify import ClassRun

    if cfg.data.task == "charlm":
        return CharRun(cfg, data)
    if cfg.data.task == "classify":
        return ClassRun(cfg, data)
    raise ValueError(f"task must be charlm or classify for a TaskRun (got {cfg.data.task!r})")


def data_identity(data, name: str, content: bytes | None = None) -> dict:
    """What a task's run keeps of its data to find it again, as a forecast's ``Dataset.identity`` does: its name
    (a LabelledSet's own; ``name`` for a text), rows (characters or sequences), a file's SHA-256 (``content``: its
    bytes; None for a sample or a generator); and a labelled set's label column and layout."""
    import hashlib

    from rnncore.data.labelled import LabelledSet

    identity = {"name": data.name if isinstance(data, LabelledSet) else name, "rows": len(data),
                "sha256": hashlib.sha256(content).hexdigest() if content is not None else None}
    if isinstance(data, LabelledSet):
        identity |= {"label": data.label, "layout": data.layout}
    return identity


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
