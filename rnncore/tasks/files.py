"""A text or classification run's files: what ``train --task`` writes to ``--out``, and its zip (the one format
of every task's, rnncore.io.bundle, which reads it back); an imported one scored again on its data (``rescore``),
a stored one read back and scored again (``reopen``).

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
import tempfile
from pathlib import Path

from rnncore.errors import BundleError
from rnncore.io.bundle import FORMAT, TASK_FILES, VOCABULARY, ImportedTask


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
        contents = {name: Path(folder, name).read_bytes() for name in TASK_FILES[result.task]}
    return write_bundle(FORMAT, contents, data, task=result.task, kept_epoch=result.kept_epoch)


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
