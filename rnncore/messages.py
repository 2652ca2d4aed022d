"""Everything rnncore says to people, as keys with English templates: one home for each message.

``DATA_MESSAGES`` (DataError), ``DATA_NOTES`` (the cleaning notes of a Dataset), ``CONFIG_MESSAGES``
(ConfigError), ``BUNDLE_MESSAGES`` (BundleError: a refused run zip) and ``RUN_MESSAGES`` (what a run
says about itself: Progress.reason) and ``STORE_MESSAGES`` (StoreError: the run store cannot do what was
asked) and ``SETTINGS_MESSAGES`` (SettingsError: rnnlab.toml cannot be used). An error or note carries its
key and details (rnncore.errors),
and its English text is always the template filled with them; the app's English table imports these
templates (ui/lang/en_core.py) and its other languages translate them key by key.

The texts name settings, files and values, never the app's pages or buttons: where to click is
the app's to add (``where.*`` keys in ui/lang).
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
    "empty_text": "{name} is empty; choose a plain-text file (.txt) with some text in it",
    "binary_text": "{name} holds binary data (NUL bytes), not text; save it as plain text (.txt, UTF-8)",
    "not_utf8": "{name} is not UTF-8 text (byte {byte} on line {line}); save it again as plain text in UTF-8 (in "
                "most editors: Save as, encoding UTF-8)",
    "text_too_short": "{name} has {count} characters; a language model needs at least {least} to learn from, "
                      "validate and test on",
    "no_file": "no file at {path}; check the path",
    # rnncore.data.labelled: sequences with a label each, for classification
    "unknown_label": "no label column {column}; the columns are: {columns}",
    "no_label": "no label column found (columns: {columns}); name it label or class, or choose it (--label COL)",
    "label_missing": "the label column {column} is empty on data row {row}; give every sequence its class",
    "one_class": "every sequence has the label {value} in column {column}; a classifier needs at least two "
                 "classes (is {column} the label column?)",
    "too_many_classes": "column {column} has {count} distinct labels, over the limit of {limit}; choose the label "
                        "column (--label COL), or merge rare classes",
    "not_a_number": "column {column} holds {value} on data row {row}, not a number; every value of a sequence "
                    "must be a number",
    "sequence_gap": "the sequence on data row {row} has no value at step {step} of {steps}; give every sequence "
                    "the same number of steps (cut the longer ones or pad the shorter ones)",
    "long_gap": "data row {row} has no value in column {column}; fill it in or remove the row",
    "no_features": "no column of numbers besides the sequence id, the step and the label (columns: {columns})",
    "ragged": "the sequences have from {least} to {most} steps (sequence {sequence} has {least}); give every "
              "sequence the same number of steps",
    "label_changes": "the label in column {column} changes inside sequence {sequence}; a sequence has one class, "
                     "the same on each of its rows",
    "few_steps": "the sequences have {steps} step(s); a recurrent network needs at least {least}",
    "labelled_not_finite": "the sequences hold infinite values or values beyond {limit}; rescale or remove them",
    "few_in_class": "class {label} has only {count} sequence(s); each class needs at least {least} (one each for "
                    "training, validation and test): add sequences or merge the class into another",
    "cannot_stratify": "{count} sequences in {classes} classes cannot be split with train_fraction "
                       "{train_fraction} and val_fraction {val_fraction} so that every part holds every class; "
                       "use more sequences, or larger validation and test parts",
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
    "too_large": "column {column} holds values too large for the model (first on line {line}: {value}); the model "
                 "computes with 32-bit numbers, which reach about 3.4e38. Rescale the column, e.g. divide it by 1e30",
    "infinite_average": "column {column}: the rows with the same time (first {first}) average to an infinite value, "
                        "as their sum is too large; rescale the column (e.g. divide it by 1e30) or remove the "
                        "repeated rows",
    "only_comments": "the file holds only {count} comment line(s) starting with #, and no table; add a header line "
                     "and rows of numbers below the comments",
    "all_missing": "all values are missing; fill in the numbers and try again",
    "no_numbers": "no column of numbers found (columns: {columns}); the file needs at least one numeric column",
    "too_few_rows": "only {rows} row(s) of data; a model needs at least {min_rows} rows. Use a longer series",
    # raised elsewhere (rnncore.lab, rnncore.generators), ready for data_error(...)
    "no_data": "no data is loaded: load a CSV file, a sample or a generated sequence first",
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
    "no_period_to_difference": "seasonal differencing needs a seasonal period, and none is known for {name}; "
                               "choose first differences, or data with a regular time step",
    "few_sequences": "the memory task has {count} sequences, too few to split with train_fraction "
                     "{train_fraction} and val_fraction {val_fraction}; generate more samples (e.g. samples=2000)",
})

# Dataset.notes: the cleaning steps load_csv applied
DATA_NOTES = MappingProxyType({
    "read_as": "read as {encoding} text",
    "read_latin1": "read as Latin-1 (Windows-1252) text because the file is not valid UTF-8",
    "encoding_doubt": "the file could also be {other} text; it was read as {encoding}, in which its characters are "
                      "more common ones. If the column names look wrong, save the file as 'CSV UTF-8'",
    "separated_semicolons": "columns separated by semicolons",
    "separated_tabs": "columns separated by tabs",
    "separated_bars": "columns separated by bars",
    "sep_line": "the first line {line} declares the column separator {separator}; columns split there and the "
                "line skipped",
    "comments": "skipped {count} comment line(s) starting with # at the top of the file",
    "comment_header": "the comment line {line} names the columns ({columns}); used as the header",
    "no_header": "the first line holds data, not column names; columns are numbered",
    "row_numbers": "dropped an unnamed column of row numbers",
    "decimal_commas": "decimal commas read as decimal points (3,14 is 3.14)",
    "not_numbers": "column {column}: {count} value(s) that are not numbers treated as missing",
    "thousands": "column {column}: thousands separators removed",
    "currency": "column {column}: currency signs removed ($1,000 is 1000)",
    "percent": "column {column}: percent signs removed; the values are in percent (12% is 12)",
    "parentheses": "column {column}: numbers in parentheses read as negative, as accounts write them ((12) is -12)",
    "digits": "column(s) {columns}: digits of other scripts and fullwidth digits or signs (like ٣, ۳, ３ or −) read "
              "as 0-9, +, - and .",
    "text_columns": "dropped text column(s) {columns}: only numbers are modelled",
    "label_guessed": "no column is named label or class: the first column, {column}, is taken as the label",
    "labelled_id_dropped": "column {column} names the sequences; it is not a time step and is left out",
    "empty_columns": "dropped empty column(s) {columns}",
    "no_time": "no time column found; rows are numbered in file order",
    "time_from_parts": "time axis built from the columns {year} and {part}",
    "time_column": "column {column} used as the time axis",
    "date_order": "column {column}: the dates read both day-first and month-first; read as {pattern} ({example} is "
                  "{date}), the order that gives regular time steps",
    "epoch_seconds": "column {column}: numbers read as Unix time in seconds since 1970 ({example} is {date})",
    "epoch_milliseconds": "column {column}: numbers read as Unix time in milliseconds since 1970 ({example} is "
                          "{date})",
    "excel_dates": "column {column}: numbers read as Excel serial dates, days since 1899-12-30 ({example} is "
                   "{date})",
    "year_month_numbers": "column {column}: numbers read as year and month, YYYYMM ({example} is {date})",
    "counter_dropped": "column {column} counts time steps or rows in order ({first}, {second}, ...), so it gives the "
                       "row order and is not modelled",
    "time_moved_last": "column {column} is named as a time or a counter but is not in order; kept as a value column "
                       "after the others, so it is not the default target",
    "utc": "timestamps with time zones converted to UTC",
    "no_time_rows": "dropped {count} row(s) whose time could not be read",
    "sorted": "rows were not in time order; sorted by time",
    "averaged": "{count} row(s) repeated an earlier timestamp (first {first}); rows with the same time were "
                "averaged",
    "inserted": "{count} missing time step(s) inserted (first {first}) as empty rows",
    "irregular": "time steps are irregular; rows kept as they are",
    "filled_time": "filled {count} missing value(s) by time interpolation ({columns})",
    "filled": "filled {count} missing value(s) by interpolation ({columns})",
    "unstacked_months": "a table of {years} years by months read as one monthly series of {rows} rows, each "
                        "year's months in order; {gaps} empty cell(s) inside filled by interpolation, other "
                        "columns left out ({dropped})",
    "unstacked_quarters": "a table of {years} years by quarters read as one quarterly series of {rows} rows, "
                          "each year's quarters in order; {gaps} empty cell(s) inside filled by interpolation, "
                          "other columns left out ({dropped})",
    # rnncore.generators
    "generated": "generated by {name} with {settings}, seed={seed}",
    "sequences": "{samples} sequences of {steps} steps; the table shows sample 0 (target {target}); predicting "
                 "the mean gives MSE {baseline}",
})

CHOOSE_AT_MOST = "above this server's limit {limit_name}={limit}; choose at most {limit}"

# RunResult.baseline_notes: why a baseline is missing (the app puts the baseline's name before it)
BASELINE_NOTES = MappingProxyType({
    "sequences": "does not apply to independent sequences",
    "no_period": "needs a seasonal period, and none is known for this data",
    "short_lookback": "needs a lookback of at least one period ({period} steps); the lookback is {lookback}",
})

# ConfigError: a setting that cannot be used, and what to do
CONFIG_MESSAGES = MappingProxyType({
    # rnncore.settings: what each declared setting may hold (rnncore.config declares them)
    "whole_number": "{name} must be a whole number (got {value})",
    "number": "{name} must be a number (got {value})",
    "finite": "{name} must be a finite number (got {value})",
    "text": "{name} must be text (got {value})",
    "text_list": "{name} must be a list of column names (got {value})",
    "choice": "{name} must be one of {choices} (got {value})",
    "between": "{name} must be between {low} and {high} (got {value})",
    "at_least": "{name} must be at least {low} (got {value})",
    "params": "{name} must be a mapping of parameter names to values",
    # rnncore.config: what one section checks across its settings
    "source": "source must name a sample (sample:NAME), a generator (synthetic:NAME) or a file",
    "param_type": "generator parameter {name} must be a number or a word",
    "param_finite": "generator parameter {name} must be a finite number",
    "fractions": "train_fraction + val_fraction must be below 1 so that a test part remains",
    "task_run": "a {task} run is built from its data first: Trainer(cfg, task=rnncore.tasks.build.task_run(cfg, "
                "data)); or train it with python -m rnncore train --task {task}",
    "gru_tanh": "the GRU cell supports only the tanh activation; choose tanh or another cell",
    "no_gpu": "device 'cuda' was asked for but no CUDA GPU is available; choose cpu or auto",
    # rnncore.config: reading a config file or a link
    "unusable_value": "{name} has an unusable value {value}",
    "unknown_setting": "unknown setting '{setting}'",
    "unknown_link_parameter": "unknown link parameter '{name}'",
    "not_object": "a config must be a JSON object with data, window, model and train",
    "config_version": "this config was written by RNN Lab config version {version}; this version reads "
                      "version {supported}",
    "unknown_sections": "unknown config section(s): {sections}",
    "section_not_object": "config section {name} must be an object",
    "not_json": "the config is not valid JSON ({detail})",
    # what from_query(query, problems) did about each problem of a link
    "ignored": "{problem}; ignored",
    "default_used": "{problem}; the default was used",
    "defaults_used": "{problem}; the defaults for {section} were used",
    "unknown_link_parameter_ignored": "unknown link parameter '{name}' ignored",
    # rnncore.training (RunLimits), rnncore.lab, rnncore.results
    "over_limit": "{name} is {value}, " + CHOOSE_AT_MOST,
    "over_parameter_limit": "the model's parameter count is {value}, " + CHOOSE_AT_MOST,
    "run_going": "a run is still going: stop it before starting another",
    "running_elsewhere": "this run is training in another tab or on another server; wait until it ends there, or "
                         "stop it there",
    "model_gone": "this run's model is no longer kept in memory (only the latest few are); export runs you "
                  "want to continue",
    "forecast_steps": "steps must be at least 1",
    "forecast_method": "method must be recursive or direct (got {method})",
    "direct_horizon": "a direct forecast reaches at most the horizon ({horizon} steps); use method='recursive' "
                      "or train with a longer horizon",
    "recursive_target": "a recursive forecast feeds predictions back as inputs, so the target must be the only "
                        "feature (features are {features}); use method='direct' or train on the target alone",
    # rnncore.generators
    "ar2_stationary": "ar2 is not stationary with these coefficients; choose phi1 and phi2 with phi1 + phi2 < 1, "
                      "phi2 - phi1 < 1 and -1 < phi2 < 1 (e.g. phi1=0.6, phi2=-0.3)",
    "gen_whole": "{param} must be a whole number for {generator} (got {value})",
    "gen_finite": "{param} must be a finite number for {generator} (got {value})",
    "gen_low": "{param} must be at least {low} for {generator} (got {value})",
    "gen_high": "{param} must be at most {high} for {generator} (got {value})",
    "gen_unknown": "unknown parameter {param} for {generator}; it takes: {params}",
    "gen_unknown_length": "unknown parameter {param} for {generator}; it takes: {params}; set steps and samples "
                          "instead of length",
    "gen_seed": "seed must be a non-negative whole number (got {seed})",
    "gen_too_many_values": "{generator} would make {formula} = {count} values, more than the {limit} a generated "
                           "data set may hold; make one of these smaller: {params}",
    "gen_too_many_steps": "{generator} would take {formula} = {count} integration steps, more than the {limit} "
                          "this server takes for a generated series; make one of these smaller: {params}",
})

ADVICE = "Export the run again with RNN Lab and upload that zip unchanged"
MADE_WITH_EXPORT = "use a zip exported by RNN Lab"
NOT_OURS = "this zip is not a run exported by RNN Lab"

# BundleError: why a run zip cannot be imported, and what to do
BUNDLE_MESSAGES = MappingProxyType({
    "empty": "the upload is empty or not a file; use a run zip exported by RNN Lab",
    "not_zip": "this is not a zip file, or it is truncated or damaged ({detail}); use the whole zip as RNN Lab "
               "exported it",
    "unsafe_path": "the zip holds a file with an unsafe path ({name}); a run zip holds only plain file names. "
                   + ADVICE,
    "too_many_files": "the zip holds {count} files; a run zip holds {expected}. " + ADVICE,
    "twice": "the zip holds {name} twice. " + ADVICE,
    "member_too_big": "{name} would unpack to {size} MB, above the limit of {limit} MB per file; this is not a "
                      "run zip from RNN Lab (runs are far smaller)",
    "too_big": "the zip would unpack to {size} MB, above the limit of {limit} MB; this is not a run zip from "
               "RNN Lab",
    "damaged": "{name} in the zip is damaged ({detail}). " + ADVICE,
    "wrong_size": "{name} in the zip is not the size its header says. " + ADVICE,
    "no_manifest": NOT_OURS + " (it has no manifest.json); " + MADE_WITH_EXPORT,
    "manifest_json": "manifest.json in the zip is not valid JSON. " + ADVICE,
    "wrong_format": NOT_OURS + " (its manifest says format {found}, not {expected}); " + MADE_WITH_EXPORT,
    "wrong_version": "this run zip has bundle version {found}; this RNN Lab reads version {expected}. Open it "
                     "with the RNN Lab that made it, or export the run again",
    "manifest_files": "manifest.json does not list the files of a run ({files}). " + ADVICE,
    "extra_file": "the zip holds {name}, which is not part of a run; only the declared files are accepted "
                  "(pickles and other files are never loaded). Remove it, or export the run again with RNN Lab",
    "missing": "the zip lacks {files}. " + ADVICE,
    "checksum": "{name} does not match its checksum in manifest.json: the zip was changed or damaged after "
                "export. " + ADVICE,
    "bad_config": "{name} in the zip cannot be used: {error}",
    "unreadable_tensors": "{name} is not a readable safetensors file ({detail}). " + ADVICE,
    "foreign_weights": "{name} was not written by RNN Lab (no input_size/output_size in its metadata). " + ADVICE,
    "weights_mismatch": "{name} does not fit the model in {config} ({cell}, hidden_size {hidden_size}, "
                        "{layers} layer(s)): {detail}. " + ADVICE,
    "unreadable_file": "{name} in the zip cannot be read ({detail}). " + ADVICE,
    "bad_document": "{name} in the zip does not hold what a run zip holds ({problem}). " + ADVICE,
    "too_many_rows": "{name} in the zip has {rows} rows, more than a run can have ({limit}). " + ADVICE,
    "bad_sizes": "{name} says the model reads {inputs} input column(s) and predicts {outputs} step(s); a run has "
                 "1 to {most_inputs} inputs and 1 to {most_outputs} steps. " + ADVICE,
    "other_data": "the data {source} is not the data the run was trained on ({why}); load that data and import "
                  "the zip again",
})


# Progress.reason: what a run says about itself (the details fill the template)
RUN_MESSAGES = MappingProxyType({
    "starting": "starting",
    "queued": "waiting for a free training slot (all are in use)",
    "queued_workspace": "waiting for this workspace's other run to end (a workspace trains {limit} at a time)",
    "pausing": "pausing after this epoch",
    "paused": "paused after epoch {epoch}",
    "running": "training epoch {epoch}",
    "stopping": "stopping after epoch {epoch}",
    "stopped_idle": "stopped before it started",
    "stopped_queued": "stopped while queued",
    "stopped": "stopped after epoch {epoch}",
    "stopped_mid": "stopped during epoch {epoch}; the weights of epoch {kept} are kept",
    "time_limit_mid": "time limit reached during epoch {epoch}; the weights of epoch {kept} are kept",
    "time_limit": "time limit reached after epoch {epoch}; the weights of epoch {kept} are kept",
    "early_stop": "early stopping after epoch {epoch}: the validation loss has not improved for {patience} "
                  "epochs; the weights of epoch {kept} are kept",
    "finished": "finished {epochs} epochs; the weights of epoch {kept} are kept (best validation loss: epoch "
                "{best})",
    "early_stop_no_val": "early stopping after epoch {epoch}: the training loss has not improved for {patience} "
                         "epochs (there is no validation part); the weights of epoch {kept} are kept",
    "finished_no_val": "finished {epochs} epochs; the weights of epoch {kept} are kept (there is no validation "
                       "part; best training loss: epoch {best})",
    "failed": "training failed in epoch {epoch}: {error}",
    "diverged": "training diverged in epoch {epoch}: the loss became {value}, not a finite number (learning rate "
                "{lr}). Try a lower "
                "learning rate or gradient clipping (e.g. 1.0); the weights of epoch {kept} are kept",
    "diverged_at_once": "training diverged in epoch {epoch}: the loss became {value}, not a finite number "
                        "(learning rate {lr}). Try a "
                        "lower learning rate or gradient clipping (e.g. 1.0); the initial weights are kept",
    "imported": "imported {cell} run: {epochs} epoch(s), trained on {source}; evaluated again on that data (a run "
                "zip does not store per-layer gradient norms)",
    "imported_task": "imported {cell} run: {epochs} epoch(s), trained on {source}; scored again on that data",
    "submitted": "submitted to the class as run {run}",
    "imported_no_data": "imported {cell} run: {epochs} epoch(s), trained on {source}; the data is not part of "
                        "the zip: load it again to evaluate or retrain the model",
    # rnncore.store: a run read back from the run store
    "interrupted": "interrupted: the server stopped while this run trained, after {epochs} epoch(s); continue it "
                   "from the weights of epoch {kept}",
    "interrupted_early": "interrupted: the server stopped while this run trained, before it kept any weights; "
                         "start it again",
    "elsewhere": "training in another tab or on another server ({epochs} epoch(s) so far)",
})

# StoreError: the run store (rnncore.store) cannot do what was asked; nothing stored is changed by it
KEEP_URL = "check the store URL (rnnlab.toml [store] url, or RNNLAB_STORE)"
STORE_MESSAGES = MappingProxyType({
    "bad_url": "the store URL {url} cannot be used ({detail}); use sqlite:///PATH/FILE.sqlite3 or "
               "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE",
    "unreachable": "the run store {where} cannot be reached ({detail}); check that the database server is running, "
                   "and " + KEEP_URL,
    "corrupt": "the run store {where} is not a database RNN Lab can read ({detail}); nothing in it was changed. "
               "Move the file aside to start a new store, or " + KEEP_URL,
    "locked": "the run store {where} is locked by another program; try again in a moment",
    "full": "the disk under the run store {where} is full; nothing stored was lost. Free some space and try again",
    "failed": "the run store {where} refused the change ({detail}); nothing was changed, try again",
    "newer_schema": "the run store {where} was written by a newer RNN Lab (schema version {found}; this one reads "
                    "up to {known}); nothing was read or changed. Upgrade RNN Lab, or " + KEEP_URL,
    "bad_workspace_key": "{workspace} is not a workspace key (a key is 32 to 64 letters, digits, - and _); copy the "
                         "whole workspace link again",
    "no_workspace": "there is no workspace with the key {workspace} in this store; check the key, or start a new "
                    "workspace",
    "no_run": "there is no run {run} in this workspace; 'runs list' shows the runs there are",
    "run_training": "run {run} is training (in a browser tab, or a train or sweep command); stop it there first "
                    "(Stop on its Train page, or Ctrl+C), then delete it",
    "quota_runs": "this workspace already holds {count} runs, the most it may ({limit}, max_runs in rnnlab.toml); "
                  "delete runs you no longer need",
    "quota_bytes": "this would make the workspace {size} MB, over its quota of {limit} MB (max_megabytes in "
                   "rnnlab.toml); delete runs or files you no longer need",
    "no_model": "run {run} keeps no model (it was removed to stay within the workspace's quota, or the run ended "
                "before its first epoch); train it again",
    "no_data": "the data run {run} was trained on ({source}) is not in the store; load it and try again",
})

# what the run store did that a page says once (a Note's table)
STORE_NOTES = MappingProxyType({
    "models_removed": "the models of runs {runs} were removed to keep this workspace within its quota (keep_models "
                      "and max_megabytes in rnnlab.toml); their curves and metrics are kept",
    "store_down": "runs are kept in this tab's memory only for now: {error}",
    "data_not_kept": "this file is not kept in the workspace, so runs on it cannot be reopened after a reload: {error}",
})

# SettingsError: rnnlab.toml or an RNNLAB_* variable cannot be used (rnncore.training.limits); nothing starts until it
# is fixed. {place} is FILE:LINE, {setting} what was written there ("FILE:LINE: name = value", or "NAME=value")
SETTINGS_MESSAGES = MappingProxyType({
    "unreadable": "{file} cannot be read ({problem}); make it a UTF-8 text file that the server may read",
    "syntax": "{file} is not valid TOML at line {line}, column {column} ({text}): {problem}; fix that line (a "
              "number is written without a unit, text in double quotes: max_seconds = 600, url = \"\")",
    "outside": "{place}: {name} is not in a section; put it under {sections}",
    "unknown_section": "{place}: there is no section [{section}]; the sections are {sections} (check the spelling)",
    "unknown_key": "{place}: [{section}] has no setting {name}; its settings are {choices} (check the spelling)",
    "whole": "{setting}: {name} must be a positive whole number, e.g. {example}",
    "whole_or_zero": "{setting}: {name} must be 0 or a positive whole number, e.g. {example}",
    "positive": "{setting}: {name} must be a positive number, e.g. {example}",
    "text": "{setting}: {name} must be text in double quotes, e.g. {example}",
})

# ClassError: a class, a challenge or a submission refused (rnncore.classroom); nothing is changed by it
CLASS_MESSAGES = MappingProxyType({
    "bad_room": "{room} is not a room code: a code is 6 letters and digits (no 0, O, 1 or I); ask your teacher for it",
    "no_room": "there is no class with the room code {room}; check the code with your teacher",
    "bad_teacher_key": "this teacher link is not one this server knows; use the whole link you got when you made "
                       "the class",
    "name_empty": "type a display name (1 to {most} characters) so that your teacher knows whose runs these are",
    "name_long": "a display name has at most {most} characters (this one has {count}); choose a shorter one",
    "name_taken": "someone in this class is already called {name}; choose another display name",
    "too_many_attempts": "too many tries from here in the last minute ({count}); wait a minute and try again",
    "not_member": "this workspace is not in a class; join one with its room code first",
    "closed": "the class {room} takes no submissions now; your teacher opens it",
    "too_many_submissions": "you sent {count} submissions in the last minute, the most the class takes; wait a "
                            "minute and send your best run",
    "not_finished": "only a run that ended with its weights can be submitted (run {run} is {status})",
    "other_data": "run {run} was trained on {source}, not on the challenge's data; load the challenge data from the "
                  "class page and train on it",
    "other_window": "run {run} uses {setting} = {value}, the challenge asks for {wanted}; keep the challenge's "
                    "window and split",
    "cell_not_allowed": "the challenge allows the cells {cells}; run {run} uses {cell}",
    "over_budget": "run {run} is over the challenge's budget ({over}); train within the budget",
    "over_setting": "{name} = {value} against {limit}",  # each limit a run breaks, in over_budget's {over}
    "over_parameters": "{value} parameters against {limit}",
    "no_time_limit": "no time limit of its own against {limit} s",
    "other_cell": "the cell {cell}, not one of {cells}",
    "bad_challenge": "the challenge cannot be used: {problem}",
    "challenge_file_gone": "the challenge's data file {source} is no longer in the store; ask the teacher to make the "
                           "class again with the file",
    "too_short": "the challenge data is too short to hold out a test part and still train ({detail})",
    "no_model": "run {run} keeps no model in the store; train it again before you submit it",
    "imported_run": "run {run} was imported from a file, or goes on from a run that was; a class takes only runs "
                    "this server trained from the start: train one on the challenge's data",
    "unknown_lineage": "run {run} was stored before this server kept where a run's weights come from, so it cannot "
                       "be shown to be trained here; train it again on the challenge's data",
    "mixed_data": "some epochs of run {run}, or of the run it goes on from, trained on other data than the "
                  "challenge's; train a run on the challenge's data from the start",
    "name_kept": "your submissions to this class are under the name {name}; join it again under that name",
    "no_student": "this student is no longer in the class",
    "no_submission": "the class holds no submission {submission} (it was removed)",
})

# SweepError: a sweep (rnncore.sweeps) cannot start or go on; an existing study is left as it was
SEARCH_SYNTAX = "write NAME, NAME=LOW:HIGH or NAME=A|B, e.g. hidden_size=4:64,lr=0.0001:0.1,cell=lstm|gru"
SWEEP_MESSAGES = MappingProxyType({
    "unknown_setting": "{name} cannot be searched; the settings a sweep can search are: {choices}",
    "nothing_to_search": "the search space is empty; name at least one setting to search, e.g. hidden_size,lr",
    "twice": "{name} is named twice in the search space; name each setting once",
    "bad_range": "cannot read the search range {text} of {name}; " + SEARCH_SYNTAX,
    "empty_range": "the search range of {name} is empty ({low} to {high}); give two different bounds, or fix "
                   "{name} as a setting instead of searching it",
    "empty_choices": "the search range of {name} names no choice; name two or more of {choices}",
    "inverted_range": "the search range of {name} runs backwards ({low} to {high}); give the lower bound first: "
                      "{name}={high}:{low}",
    "outside": "the search range of {name} ({low} to {high}) leaves the values {name} may take ({valid}); choose "
               "bounds inside them",
    "unknown_choice": "{name} has no choice {value}; choose among {choices}",
    "choices_only": "{name} is a choice, not a number; name its choices, e.g. {name}={example}",
    "over_limit": "the search range of {name} reaches {high}, above this server's limit {limit_name}={limit}; "
                  "search up to {limit} at most",
    "too_many_parameters": "the largest model of the search space ({cell}, hidden_size {hidden_size}, num_layers "
                           "{num_layers}) has {count} parameters, above this server's limit max_parameters={limit}; "
                           "lower the top of hidden_size or num_layers",
    "bad_combination": "some configurations of the search space are not valid: {problem}",
    "lookback_too_long": "the data is too short for lookback {lookback}, the top of its search range: {problem}",
    "no_validation": "a sweep scores each trial by its validation loss, and the data leaves no validation part "
                     "(val_fraction {val_fraction}); give val_fraction 0.1 or more",
    "zero_trials": "a sweep needs a budget of at least one trial ({trials} given)",
    "bad_seconds": "the sweep's time budget must be 0 (none) or a positive number of seconds ({seconds} given)",
    "unknown_pruner": "unknown pruner {pruner}; choose one of {choices}",
    "bad_url": "the sweep's storage URL {url} cannot be used ({detail}); use sqlite:///PATH/FILE.sqlite3 or "
               "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE",
    "unreachable": "the sweep's storage {where} cannot be reached ({detail}); check that the database server is "
                   "running and that the URL is right (by default the run store's: rnnlab.toml [store] url, or "
                   "RNNLAB_STORE)",
    "storage": "the sweep's storage {where} cannot be used: {problem}",
    "storage_failed": "the sweep's storage {where} refused a change ({detail}); the trials stored so far are kept, "
                      "try again",
    "bad_study_name": "{study} cannot name a study; use 1 to {most} letters, digits, - _ and .",
    "no_study": "there is no study {study} in {where}; start it first (studies there: {studies})",
    "not_ours": "the study {study} in {where} was not made by an RNN Lab sweep (it records no search space); choose "
                "another study name",
    "other_space": "the study {study} already exists with another search space ({stored}); nothing in it was "
                   "changed. Choose another study name, or search the same space to continue it",
    "other_settings": "the study {study} already exists with other fixed settings ({differences}); nothing in it was "
                      "changed. Choose another study name, or give the same settings to continue it",
    "sweep_going": "the sweep {study} is still training; stop it first, or wait for it to end",
    "not_yours": "a study named {study} already exists in another workspace; choose another study name",
    "no_trial_ended": "none of the sweep's {count} trial(s) ended with a validation loss; the last said: {message}",
})
