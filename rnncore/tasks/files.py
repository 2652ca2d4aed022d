"""A text or classification run's files (issue 16): what ``train --task`` writes to ``--out`` and what the
Text & labels page downloads as a zip: config.json and model.safetensors (rnncore.io.model_files: never
pickle), history.csv, metrics.json (the task's metrics under ``test`` and ``val``, its baselines under
``baselines``, and ``data``: where the data came from) and, for a language model, vocabulary.json.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path


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
        (out / "vocabulary.json").write_text(json.dumps(list(vocab.chars), ensure_ascii=False) + "\n",
                                             encoding="utf-8")


def task_zip(result, data: dict) -> bytes:
    """The run's files (as ``write_task`` writes them) in one zip."""
    with tempfile.TemporaryDirectory(prefix="rnnlab-task-") as folder:
        write_task(Path(folder), result, data)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(Path(folder).iterdir()):
                bundle.write(path, path.name)
    return buffer.getvalue()
