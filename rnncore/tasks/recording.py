"""A task's run written into a workspace of the run store while it trains, as the Trainer's runs are.

``recorded(store, key, run, data, hooks)`` numbers the run in the workspace and gives the loop's hooks that
also hand each epoch to a ``RunRecorder`` (the epochs written a second at a time, the weights every heartbeat, the run
beating while it lives); ``finish(recorder, result)`` writes the ended run whole: its history, its kept
weights, and its results (the task's metrics.json document under ``results["task"]``, the metrics and
baselines under the keys every run has). A run that failed before it ended is written as failed with why.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from rnncore.store.recorder import RunRecorder
from rnncore.tasks.hooks import ThenCall
from rnncore.training.lineage import FRESH, IMPORTED
from rnncore.training.progress import Status, say


class _Progress(NamedTuple):  # what a RunRecorder reads after each epoch
    history: list
    epoch: int


def recorded(store, key: str, run, data: dict, hooks, owner: str = "",
             content: bytes | None = None) -> tuple[ThenCall, int, RunRecorder]:
    """(hooks that record ``run`` as it trains, its number in the workspace ``key``, the recorder); ``data``: the
    data's identity (name, rows, a file's sha256); ``content``: the file's bytes, kept in the workspace first so
    that the run can be reopened without it. StoreError, and no run stored, when the store cannot take it."""
    if content is not None:
        store.put_data(key, Path(run.cfg.data.source).name, content)
    (number,) = store.new_runs(key, [(run.cfg, data, run.parameters, FRESH.then(data))], owner=owner)
    recorder = RunRecorder(store, key, number, run.model)
    return ThenCall(hooks, lambda record: recorder(_Progress(hooks.history, record.epoch))), number, recorder


def results_of(result) -> dict:
    """What the run store keeps of a task's result (JSON): metrics and baselines as for every run, and the task's
    whole document."""
    return {"metrics": result.metrics, "baselines": result.baselines, "task": result.document()}


def ended(result) -> dict:
    """RunStore.finish_run's arguments for a task's run that ended with ``result`` (a TaskResult)."""
    from rnncore.io.model_files import model_bytes

    return {"status": result.status, "reason": result.reason, "message": result.message, "details": result.details,
            "history": result.history, "kept_epoch": result.kept_epoch, "results": results_of(result),
            "parameters": result.model.num_parameters(), "weights": model_bytes(result.model)}


def finish(recorder: RunRecorder, result) -> list[int]:
    """The run ended with ``result`` (a TaskResult): write it whole (RunStore.finish_run)."""
    return recorder.finish(**ended(result))


def failed(recorder: RunRecorder, history: list, error: Exception) -> None:
    """The run raised before it ended (a bug): written as failed, its epochs kept."""
    details = {"epoch": len(history) + 1, "error": str(error)[:300]}
    recorder.finish(status=Status.FAILED, reason="failed", message=say("failed", **details)["message"], details=details,
                    history=history, kept_epoch=None, results={})


def reopen(store, key: str, stored):
    """(the TaskResult, the data) of a task's run read back from the store (``stored``: RunStore.get_run's): its
    kept weights scored again on its data (a sample, a generator, or the file the workspace kept). StoreError
    no_model or no_data when the store holds no weights or no copy of the file; DataError as the loader says."""
    from rnncore.config import ExperimentConfig
    from rnncore.io.model_files import model_from_bytes
    from rnncore.tasks.build import task_data, task_run

    cfg = ExperimentConfig.from_dict(stored.config)
    weights, content = store.reopening(key, stored)
    data = task_data(cfg, content)
    if cfg.data.task == "charlm" and stored.data.get("rows"):
        data = data[:stored.data["rows"]]  # the characters trained on (a page trains on a long text's beginning)
    run = task_run(cfg, data)
    run.model = model_from_bytes(weights, cfg)
    return run.result(history=stored.history, status=stored.status, reason=stored.reason, details=stored.details,
                      message=stored.message, kept_epoch=stored.kept_epoch), data


def keep_imported(store, key: str, result, data: dict, content: bytes | None = None) -> int:
    """An imported run (a TaskResult, scored again on its data) kept in the workspace ``key`` as a run of its own,
    its data file too where one is given; its number. StoreError, and nothing kept, when the store cannot."""
    if content is not None:
        store.put_data(key, Path(result.config.data.source).name, content)
    (number,) = store.new_runs(key, [(result.config, data, result.model.num_parameters(), IMPORTED.then(data))],
                               owner="import")
    store.finish_run(key, number, **ended(result))
    return number
