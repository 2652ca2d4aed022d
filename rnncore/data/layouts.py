"""Tables laid out wide: one row a year, one column a month (or a quarter), read as one series.

Climate and economic tables are often printed that way (El Niño's year × month table). Read as it
stands, such a file is twelve yearly series of a few rows each; unstacked, it is one monthly series.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from rnncore.data.dataset import Dataset, resolution
from rnncore.errors import Note

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
PARTS = {"months": 12, "quarters": 4}


def _part(column: str) -> tuple[str, int] | None:
    """("months", 1..12) for Jan, January, 1月; ("quarters", 1..4) for Q1; None for anything else."""
    name = column.strip().lower()
    if (match := re.fullmatch(r"(\d{1,2})\s*月", name)) and 1 <= int(match[1]) <= 12:
        return "months", int(match[1])
    if (match := re.fullmatch(r"q([1-4])", name)):
        return "quarters", int(match[1])
    for number, month in enumerate(MONTHS, start=1):
        if name == month or (len(name) > 3 and name.startswith(month) and name.isalpha()):
            return "months", number
    return None


def wide_layout(dataset: Dataset) -> str | None:
    """"months" or "quarters" when the data set is a grid of years by months (or quarters), else None."""
    if dataset.sequences is not None or resolution(dataset.frame.index) != "year":
        return None
    parts = [_part(str(c)) for c in dataset.frame.columns]
    for kind, count in PARTS.items():
        numbers = sorted(n for p in parts if p is not None and p[0] == kind for n in [p[1]])
        if numbers == list(range(1, count + 1)):
            return kind
    return None


def unstack(dataset: Dataset) -> Dataset:
    """One series from a grid of years by months or quarters: each year's parts in order, dated."""
    kind = wide_layout(dataset)
    if kind is None:
        return dataset
    columns = {p[1]: c for c in dataset.frame.columns if (p := _part(str(c))) is not None and p[0] == kind}
    step = 12 // PARTS[kind]
    parts = [columns[n] for n in sorted(columns)]
    grid = dataset.frame[parts].to_numpy(dtype=np.float64, copy=True)
    if dataset.filled is not None:  # the reader filled gaps along the years; along the months they are gaps
        grid[dataset.filled[parts].to_numpy()] = np.nan
    years = dataset.frame.index.year
    stamps = pd.DatetimeIndex([pd.Timestamp(year=y, month=1 + step * k, day=1)
                               for y in years for k in range(PARTS[kind])])
    values = pd.Series(grid.ravel(), index=stamps)
    present = values.notna().to_numpy()
    if present.any():  # cells not yet filled at the end (this year's later months), or before the start
        first, last = present.argmax(), len(present) - present[::-1].argmax()
        values = values.iloc[first:last]
    gaps = int(values.isna().sum())
    frame = values.interpolate(method="time").to_frame("value")
    others = [c for c in dataset.frame.columns if c not in columns.values()]
    note = Note.keyed(f"unstacked_{kind}", years=len(years), rows=len(frame), gaps=gaps,
                      dropped=", ".join(map(repr, others)) or "-")
    return Dataset(frame=frame, name=dataset.name, notes=[*dataset.notes, note], description=dataset.description,
                   period=PARTS[kind], checksum=dataset.checksum)


def apply_layout(dataset: Dataset, layout: str) -> Dataset:
    """The data set read in ``layout`` (rnncore.config.LAYOUTS): as it stands, or unstacked."""
    return unstack(dataset) if layout == "unstack" else dataset
