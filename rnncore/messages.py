"""What rnncore says to people, as keys with English templates: data, settings and run zips.

A page translates a DataError, ConfigError or BundleError by ``e.key`` and ``e.details`` (ui.i18n:
``dataerror.KEY``, ``configerror.KEY``, ``bundleerror.KEY``) and a note of Dataset.notes by the
(key, details) pair at the same place in Dataset.note_keys; the English text is always the template
filled with those details, so text and key cannot drift apart. The tables for settings and run zips
are in rnncore.messages_errors.
"""

from __future__ import annotations

from types import MappingProxyType

SAVE_AS_CSV = "open it in a spreadsheet program and save it as 'CSV (comma delimited)'"
NOT_CSV = "this is {what}, not a CSV text file; " + SAVE_AS_CSV
SHORTER = "use a shorter file or resample it to a coarser time step"

# DataError: why the data cannot be used and what to do
DATA_MESSAGES = MappingProxyType({
    "unreadable": "could not read the file as a table ({detail}); check that every row has as many fields as "
                  "the header, or " + SAVE_AS_CSV,
    "unknown_sample": "unknown sample {name}; choose one of {choices}",
    "no_file": "no file at {path}; check the path",
    "too_big": "the file is over the limit of {limit} MB; " + SHORTER,
    "empty_file": "the file is empty; choose a CSV file with a header line and rows of numbers",
    "file_xlsx": NOT_CSV.format(what="an Excel workbook (.xlsx) or another zip archive"),
    "file_xls": NOT_CSV.format(what="an old Excel workbook (.xls)"),
    "file_pdf": NOT_CSV.format(what="a PDF document"),
    "file_gzip": NOT_CSV.format(what="a gzip archive"),
    "file_png": NOT_CSV.format(what="a PNG image"),
    "file_jpeg": NOT_CSV.format(what="a JPEG image"),
    "file_parquet": NOT_CSV.format(what="a Parquet file"),
    "binary_file": "the file holds binary data (NUL bytes), not CSV text; " + SAVE_AS_CSV,
    "html_file": "the file is an HTML web page (or other markup), not CSV; download the raw CSV file rather "
                 "than the page that shows it",
    "long_line": "a line is longer than {limit} characters, so the file is not a table of rows; check that it "
                 "has one row per line",
    "too_many_rows": "the file has {rows} rows, over the limit of {limit}; " + SHORTER,
    "too_many_columns": "the file has {columns} columns, over the limit of {limit}; keep only the columns you "
                        "need",
    "no_rows": "the file has a header line but no rows of data; add rows below the header",
    "infinite": "column {column} holds infinite values (first on line {line}); replace them by numbers or "
                "leave those cells empty",
    "all_missing": "all values are missing; fill in the numbers and try again",
    "no_numbers": "no column of numbers found (columns: {columns}); the file needs at least one numeric column",
    "too_few_rows": "only {rows} row(s) of data; a model needs at least {min_rows} rows. Use a longer series",
    # raised elsewhere (rnncore.lab, rnncore.generators), ready for data_error(...)
    "no_data": "no data is loaded: upload a CSV file or pick a sample on the Data page",
    "load_run_data": "load the data this run was trained on ({source}) first",
    "unknown_generator": "unknown generator {name}; choose one of: {choices}",
    # rnncore.windows
    "no_columns": "data set {name} has no numeric columns to learn from",
    "unknown_target": "unknown target column {column}; the columns are: {columns}",
    "unknown_features": "unknown feature column(s) {unknown}; the columns are: {columns}",
    "window_rows": "the series has {rows} rows, but lookback {lookback} and horizon {horizon} with "
                   "train_fraction {train_fraction} and val_fraction {val_fraction} need at least {need} rows; "
                   "lower the lookback or horizon, raise train_fraction, or use a longer series",
    "not_finite": "column {column} has missing or infinite values; clean or fill them first",
    "no_forecast": "a memory task has no continuation to forecast; take a sample from a split",
    "unknown_channels": "unknown input channel(s) {unknown}; the channels are: {channels}",
    "few_sequences": "the memory task has {count} sequences, too few to split with train_fraction "
                     "{train_fraction} and val_fraction {val_fraction}; generate more samples (e.g. samples=2000)",
})

# Dataset.notes: the cleaning steps load_csv applied
DATA_NOTES = MappingProxyType({
    "read_as": "read as {encoding} text",
    "read_latin1": "read as Latin-1 (Windows-1252) text because the file is not valid UTF-8",
    "separated_semicolons": "columns separated by semicolons",
    "separated_tabs": "columns separated by tabs",
    "separated_bars": "columns separated by bars",
    "no_header": "the first line holds data, not column names; columns are numbered",
    "row_numbers": "dropped an unnamed column of row numbers",
    "decimal_commas": "decimal commas read as decimal points (3,14 is 3.14)",
    "not_numbers": "column {column}: {count} value(s) that are not numbers treated as missing",
    "thousands": "column {column}: thousands separators removed",
    "text_columns": "dropped text column(s) {columns}: only numbers are modelled",
    "empty_columns": "dropped empty column(s) {columns}",
    "no_time": "no time column found; rows are numbered in file order",
    "time_from_parts": "time axis built from the columns {year} and {part}",
    "time_column": "column {column} used as the time axis",
    "utc": "timestamps with time zones converted to UTC",
    "no_time_rows": "dropped {count} row(s) whose time could not be read",
    "sorted": "rows were not in time order; sorted by time",
    "averaged": "{count} row(s) repeated an earlier timestamp (first {first}); rows with the same time were "
                "averaged",
    "inserted": "{count} missing time step(s) inserted (first {first}) as empty rows",
    "irregular": "time steps are irregular; rows kept as they are",
    "filled_time": "filled {count} missing value(s) by time interpolation ({columns})",
    "filled": "filled {count} missing value(s) by interpolation ({columns})",
    # rnncore.generators
    "generated": "generated by {name} with {settings}, seed={seed}",
    "sequences": "{samples} sequences of {steps} steps; the table shows sample 0 (target {target}); predicting "
                 "the mean gives MSE {baseline}",
})


def note(notes: list[str], keys: list[tuple[str, dict]], key: str, **details) -> None:
    """Append the English note for ``key`` to ``notes`` and (key, details) to ``keys``."""
    notes.append(DATA_NOTES[key].format(**details))
    keys.append((key, details))
