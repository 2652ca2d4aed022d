"""A text or classification run's files: what ``train --task`` writes to ``--out``, the zip the Text &
labels page downloads, and that zip read back; a stored run read back and scored again (``reopen``), and an
imported one kept in a workspace (``keep_imported``).

The files: config.json and model.safetensors (rnncore.io.model_files: never pickle), history.csv, metrics.json
(the task's metrics under ``test`` and ``val``, its baselines under ``baselines``, ``data``: where the data came
from) and, for a language model, vocabulary.json. The zip adds manifest.json (format ``rnnlab-task-run``, the
task, the data's identity, each file's SHA-256) and is read back as a forecast's run zip is
(rnncore.io.bundle.read_bundle: sizes checked before reading, checksums, no pickle). The data is not in the
zip: ``import_task`` gives the model, its settings and history; ``rescore`` scores it again on the data its
config names, refusing data that is not the run's.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rnncore.errors import BundleError, ConfigError
from rnncore.io.bundle import TASK_FORMAT

VOCABULARY = "vocabulary.json"
COMMON = ("config.json", "model.safetensors", "history.csv", "metrics.json")
FILES = {"charlm": (*COMMON, VOCABULARY), "classify": COMMON}  # a task's files


def write_task(out: Path, result, data: dict) -> None:
    """The run's files in the folder ``out`` (made if missing); ``data``: the source and what it held."""
    from rnncore.io.model_files import history_frame, save_model

    out.mkdir(parents=True, exist_ok=True)
    save_model(out, result.model, result.config)
    history_frame(result.history).to_csv(out / "history.csv", index=False, float_format="%.9g")
    document = {**result.document(), "data": data}
    (out / "metrics.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    vocab = getattr(result, "vocab", None)
    if vocab is not None:
        (out / VOCABULARY).write_text(json.dumps(list(vocab.chars), ensure_ascii=False) + "\n", encoding="utf-8")


def task_zip(result, data: dict) -> bytes:
    """The run's files (as ``write_task`` writes them) and a manifest, in one zip; ``data``: the data's identity
    (source, name, rows, a file's sha256)."""
    from rnncore.io.bundle import write_bundle

    with tempfile.TemporaryDirectory(prefix="rnnlab-task-") as folder:
        write_task(Path(folder), result, data)
        contents = {name: Path(folder, name).read_bytes() for name in FILES[result.task]}
    return write_bundle(TASK_FORMAT, contents, data, task=result.task, kept_epoch=result.kept_epoch)


@dataclass
class ImportedTask:
    """A task's run zip read back: everything but the data (``data``: the identity of what it trained on)."""

    config: object  # ExperimentConfig
    model: object  # SequenceModel with the exported weights
    history: list
    metrics: dict  # metrics.json as exported (shown for the record; rescore computes the scores again)
    vocabulary: tuple[str, ...] | None  # charlm: the characters it reads, index 0 the unknown symbol
    data: dict
    kept_epoch: int | None = None  # whose weights they are (None: not said)


def _files_of(manifest: dict) -> tuple[str, ...]:
    task = manifest.get("task")
    if not isinstance(task, str) or task not in FILES:
        raise BundleError.keyed("bad_document", name="manifest.json", problem="task charlm or classify")
    return FILES[task]


def import_task(data: bytes, limits=None) -> ImportedTask:
    """Read a zip made by ``task_zip``; BundleError for anything else: a forecast's zip, a damaged or changed zip,
    a config out of range or over ``limits`` (RunLimits), weights that do not fit it, a vocabulary that does not
    fit the weights."""
    from rnncore.config import SETTINGS, ExperimentConfig
    from rnncore.data.labelled import MAX_CLASSES
    from rnncore.data.reading import MAX_COLUMNS
    from rnncore.io.bundle import bundled_history, bundled_identity, bundled_model, model_sizes, read_bundle
    from rnncore.nn.models import parameter_count
    from rnncore.training.limits import RunLimits

    manifest, contents = read_bundle(data, TASK_FORMAT, _files_of, expected="5 (a classifier) or 6 (a language model)")
    most = int(SETTINGS["vocabulary"].high)
    task = manifest["task"]
    sizes = model_sizes(contents["model.safetensors"], *((most, most) if task == "charlm" else (MAX_COLUMNS,
                                                                                                    MAX_CLASSES)))
    try:
        cfg = ExperimentConfig.from_json(contents["config.json"])
        if cfg.data.task != task:
            raise ConfigError(f"its task is {cfg.data.task}, the manifest's {task}")
        (limits or RunLimits()).check(cfg, parameter_count(cfg.model, *sizes))
    except ConfigError as exc:
        raise BundleError.keyed("bad_config", name="config.json", error=exc) from None
    try:
        history = bundled_history(contents["history.csv"])
        metrics = json.loads(contents["metrics.json"])
        vocabulary = tuple(json.loads(contents[VOCABULARY])) if task == "charlm" else None
    except BundleError:
        raise
    except (ValueError, UnicodeDecodeError, TypeError, RecursionError) as exc:
        raise BundleError.keyed("unreadable_file", name="history.csv, metrics.json or vocabulary.json",
                                detail=str(exc)[:200]) from None
    _check_metrics(metrics, task)
    if vocabulary is not None and (len(vocabulary) != sizes[0] or not all(isinstance(c, str) for c in vocabulary)):
        raise BundleError.keyed("bad_document", name=VOCABULARY, problem=f"{sizes[0]} characters, as the model reads")
    model = bundled_model(cfg, contents["model.safetensors"], sizes)
    kept = manifest.get("kept_epoch")
    kept = kept if isinstance(kept, int) and not isinstance(kept, bool) and kept >= 0 else None
    return ImportedTask(cfg, model, history, metrics, vocabulary, bundled_identity(manifest.get("data")), kept)


def _check_metrics(doc, task: str) -> None:
    """metrics.json holds the task's metrics on test as finite numbers."""
    from rnncore.training.task import OBJECTIVES

    metric = OBJECTIVES[task][0]
    test = doc.get("test") if isinstance(doc, dict) else None
    value = test.get(metric) if isinstance(test, dict) else None
    if doc.get("task") != task or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BundleError.keyed("bad_document", name="metrics.json", problem=f"the {task} run's test {metric}")


def rescore(imported: ImportedTask, data):
    """The TaskResult of the imported model on ``data`` (task_data's, for the run's config), status imported.
    BundleError other_data when ``data`` is not what it trained on (a language model's vocabulary differs, a
    classifier's classes or sequence shape)."""
    from rnncore.tasks.build import task_run
    from rnncore.training.progress import Status, say

    cfg = imported.config
    run = task_run(cfg, data)
    mine = run.model
    if imported.vocabulary is not None and tuple(run.parts.vocab.chars) != imported.vocabulary:
        raise BundleError.keyed("other_data", source=cfg.data.source, why="its characters differ")
    if (mine.input_size, mine.output_size) != (imported.model.input_size, imported.model.output_size):
        raise BundleError.keyed("other_data", source=cfg.data.source, why=(
            f"the model reads {imported.model.input_size} and gives {imported.model.output_size}; this data has "
            f"{mine.input_size} and {mine.output_size}"))
    run.model = imported.model  # (the run built to check it is scored with the imported weights)
    details = {"cell": cfg.model.cell, "epochs": len(imported.history), "source": cfg.data.source}
    return run.result(history=imported.history, status=Status.IMPORTED, reason="imported_task", details=details,
                      message=say("imported_task", **details)["message"], kept_epoch=imported.kept_epoch)


def reopen(store, key: str, stored):
    """(the TaskResult, the data) of a task's run read back from the store (``stored``: RunStore.get_run's): its
    kept weights scored again on its data (a sample, a generator, or the file the workspace kept). StoreError
    no_model or no_data when the store holds no weights or no copy of the file; DataError as the loader says."""
    from rnncore.config import ExperimentConfig
    from rnncore.io.model_files import model_from_bytes
    from rnncore.tasks.build import data_of, rescored

    cfg = ExperimentConfig.from_dict(stored.config)
    weights, content = store.reopening(key, stored)
    data = data_of(cfg, stored.data, content)
    result = rescored(cfg, model_from_bytes(weights, cfg), data, history=stored.history, status=stored.status,
                      reason=stored.reason, details=stored.details, message=stored.message,
                      kept_epoch=stored.kept_epoch)
    return result, data


def keep_imported(store, key: str, result, data: dict, content: bytes | None = None) -> int:
    """An imported run (a TaskResult, scored again on its data) kept in the workspace ``key`` as a run of its own,
    its data file too where one is given; its number. StoreError, and nothing kept, when the store cannot."""
    from rnncore.lab.records import RunRecord, ended_fields
    from rnncore.training.lineage import IMPORTED
    from rnncore.training.progress import Status

    if content is not None:
        store.put_data(key, Path(result.config.data.source).name, content)
    (number,) = store.new_runs(key, [(result.config, data, result.parameters, IMPORTED.then(data))], owner="import")
    record = RunRecord(id=number, config=result.config, status=Status(result.status), message=result.message,
                       reason=result.reason, details=dict(result.details), history=list(result.history),
                       kept_epoch=result.kept_epoch)
    record.keep(result)
    store.finish_run(key, number, **ended_fields(record, result))
    return number
