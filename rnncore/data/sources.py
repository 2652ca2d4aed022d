"""One way in for every kind of data: a sample, a generator, or a CSV file (a path or its bytes)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from rnncore.config import source_kind
from rnncore.data.dataset import Dataset
from rnncore.data.generators import generate
from rnncore.data.layouts import apply_layout
from rnncore.data.reading import MAX_BYTES, load_csv
from rnncore.data.samples import load_sample
from rnncore.errors import data_error


def load_source(source: str, params: dict | None = None, content: bytes | None = None,
                layout: str = "table") -> Dataset:
    """"sample:NAME", "synthetic:NAME" (a generator with ``params``) or a CSV file, in ``layout``.

    A file is read from ``content`` when given (an upload named ``source``), else from the path
    ``source``. DataError (or ConfigError for a generator's parameters) when it cannot be used.
    """
    return apply_layout(_load(source, params, content), layout)


def _load(source: str, params: dict | None, content: bytes | None) -> Dataset:
    kind, name = source_kind(source), source.partition(":")[2]
    if kind == "sample":
        return load_sample(name)
    if kind == "synthetic":
        return generate(name, **(params or {}))
    uploaded = content is not None
    if not uploaded:
        if not os.path.isfile(source):
            raise data_error("no_file", path=repr(str(source)))
        with open(source, "rb") as file:
            content = file.read(MAX_BYTES + 1)  # load_csv refuses a larger one
    dataset = load_csv(content, name=source if uploaded else Path(source).stem)
    dataset.checksum = hashlib.sha256(content).hexdigest()  # the file's identity, whatever its name
    return dataset
