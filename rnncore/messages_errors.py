"""What a bad setting (ConfigError) or a refused run zip (BundleError) says, as keys with English templates.

Both errors are a ``KeyedError``: ``str(e)`` is the English template of ``e.key`` filled with
``e.details``, and a page says the same in its reader's language from ``e.prefix + "." + e.key``
(ui.i18n.explain_error). A detail may itself be a KeyedError (a config inside a zip, a problem
in a link): its own text is filled in, translated the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class KeyedError(ValueError):
    """An error whose English message is ``messages[key]`` filled with ``details`` (or a free text, key None)."""

    prefix = ""  # the key family in the language tables, e.g. "configerror"
    messages: Mapping[str, str] = MappingProxyType({})

    def __init__(self, message: str, key: str | None = None, **details):
        super().__init__(message)
        self.key, self.details = key, details

    @classmethod
    def keyed(cls, key: str, **details) -> KeyedError:
        """The error for ``key``: its English template filled with ``details``."""
        return cls(cls.messages[key].format(**details), key, **details)


CHOOSE_AT_MOST = "above this server's limit {limit_name}={limit}; choose at most {limit}"

# ConfigError: a setting that cannot be used, and what to do
CONFIG_MESSAGES = MappingProxyType({
    # rnncore.config: the checks of each section
    "whole_number": "{name} must be a whole number",
    "number": "{name} must be a number",
    "text": "{name} must be text",
    "choice": "{name} must be one of {choices} (got {value})",
    "source": "source must name a sample (sample:NAME), a generator (synthetic:NAME) or a file",
    "params": "params must be a mapping of parameter names to values",
    "param_type": "generator parameter {name} must be a number or a word",
    "param_finite": "generator parameter {name} must be a finite number",
    "lookback": "lookback must be at least 1 time step",
    "horizon": "horizon must be at least 1 time step",
    "stride": "stride must be at least 1",
    "train_fraction": "train_fraction must be between 0 and 1, e.g. 0.7",
    "val_fraction": "val_fraction must be between 0 and 1, e.g. 0.15",
    "fractions": "train_fraction + val_fraction must be below 1 so that a test part remains",
    "hidden_size": "hidden_size must be greater than zero",
    "num_layers": "num_layers must be greater than zero",
    "dropout": "dropout must be at least 0 and below 1",
    "gru_tanh": "the GRU cell supports only the tanh activation; choose tanh or another cell",
    "forget_bias": "forget_bias must be a finite number",
    "epochs": "epochs must be at least 1",
    "batch_size": "batch_size must be at least 1",
    "lr": "lr (learning rate) must be greater than zero, e.g. 0.001",
    "lr_high": "lr (learning rate) must be at most 10; try 0.001",
    "weight_decay": "weight_decay must be zero or positive",
    "clip_norm": "clip_norm must be zero (off) or positive",
    "patience": "patience must be zero (off) or a positive number of epochs",
    "seed": "seed must be a non-negative integer",
    "max_seconds": "max_seconds must be zero (no limit) or positive",
    "probe_every": "probe_every must be at least 1",
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
})

ADVICE = "Export the run again with RNN Lab and upload that zip unchanged"
MADE_WITH_EXPORT = "upload a zip made with 'Export run'"
NOT_OURS = "this zip is not a run exported by RNN Lab"

# BundleError: why a run zip cannot be imported, and what to do
BUNDLE_MESSAGES = MappingProxyType({
    "empty": "the upload is empty or not a file; upload a run zip made with 'Export run'",
    "not_zip": "this is not a zip file, or it is truncated or damaged ({detail}); upload the whole zip made with "
               "'Export run'",
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
})
