"""One way in for every kind of data: a sample, a generator, or a CSV file (a path or its bytes)."""

from __future__ import annotations

from rnncore.config import source_kind
from rnncore.data.dataset import Dataset
from rnncore.data.generators import generate
from rnncore.data.reading import load_csv
from rnncore.data.samples import load_sample


def load_source(source: str, params: dict | None = None, content: bytes | None = None) -> Dataset:
    """"sample:NAME", "synthetic:NAME" (a generator with ``params``) or a CSV file.

    A file is read from ``content`` when given (an upload named ``source``), else from the path
    ``source``. DataError (or ConfigError for a generator's parameters) when it cannot be used.
    """
    kind, name = source_kind(source), source.partition(":")[2]
    if kind == "sample":
        return load_sample(name)
    if kind == "synthetic":
        return generate(name, **(params or {}))
    if content is not None:
        return load_csv(content, name=source)
    return load_csv(source)
