"""What a server allows: the limits of each run (RunLimits) and of the whole server (ServerLimits).

``rnnlab.toml`` (``[limits]``) sets them, ``RNNLAB_<NAME>`` environment variables override it; the
app and the command line read the same file, so a run refused by one is refused by the other. A file
that is not TOML, a name it does not know or a value that cannot be used is a SettingsError naming the
line (or the variable): nothing starts until it is fixed.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.errors import ConfigError, SettingsError, config_error
from rnncore.home import settings_file

SECTIONS = ("limits", "store")  # rnnlab.toml's sections: ServerLimits, StoreSettings (rnncore.store.load_settings)
# where tomllib's message says the error is: "Invalid value (at line 11, column 15)", or "(at end of document)"
_AT = re.compile(r"(?P<problem>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)", re.S)
_HEADER = re.compile(r"\s*\[\s*([^\]\s]+)\s*\]")


@dataclass(frozen=True)
class RunLimits:
    """Caps a shared server puts on each run; None means no limit. A setting whose declaration names a
    limit (``Setting.limit``) is capped by it; ``max_parameters`` caps the model's size."""

    max_epochs: int | None = None
    max_parameters: int | None = None
    max_lookback: int | None = None
    max_seconds: float | None = None

    def cap(self, name: str) -> float | None:
        """The server's cap on setting ``name`` (e.g. "epochs"), or None."""
        limit = SETTINGS[name].limit
        return getattr(self, limit) if limit else None

    def check_value(self, name: str, value) -> None:
        """ConfigError when setting ``name`` holds ``value`` above the server's cap on it."""
        limit = self.cap(name)
        if limit is not None and value and value > limit:  # 0 is "off" for max_seconds
            raise config_error("over_limit", name=name, value=f"{value:g}", limit_name=SETTINGS[name].limit,
                               limit=f"{limit:g}")

    def within(self, cfg: ExperimentConfig) -> tuple[ExperimentConfig, list[ConfigError]]:
        """``cfg`` with every setting above its cap set back to its default (a link's settings), and a
        ConfigError ("default_used") for each."""
        problems, changed = [], {}
        for name, declared in SETTINGS.items():
            try:
                self.check_value(name, getattr(getattr(cfg, declared.section), name))
            except ConfigError as exc:
                problems.append(config_error("default_used", problem=exc))
                changed.setdefault(declared.section, {})[name] = declared.default
        return cfg.replace(**changed), problems

    def check(self, cfg: ExperimentConfig, parameters: int | None = None) -> None:
        """ConfigError naming the first setting (or the parameter count) above its limit."""
        for name, declared in SETTINGS.items():
            self.check_value(name, getattr(getattr(cfg, declared.section), name))
        if self.max_parameters is not None and parameters is not None and parameters > self.max_parameters:
            raise config_error("over_parameter_limit", value=f"{parameters:g}", limit_name="max_parameters",
                               limit=f"{self.max_parameters:g}")

    def seconds(self, cfg: ExperimentConfig) -> float:
        """How long the run may train, in seconds: the smaller of its own max_seconds and the server's; 0 (no
        limit) only where neither sets one. A run's max_seconds of 0 asks for no limit of its own, so under a
        server's max_seconds it stops there."""
        return min([s for s in (cfg.train.max_seconds, self.max_seconds) if s], default=0)


@dataclass(frozen=True)
class ServerLimits:
    """The server's settings: how many train at once, each run's limits, how much a session keeps."""

    max_concurrent: int = 3  # trainings at once in one server process; the rest queue
    max_per_workspace: int = 1  # of those, how many one workspace (its tabs, a comparison's runs) may train
    max_epochs: int = 1000  # per run
    max_parameters: int = 500_000  # model size per run
    max_lookback: int = 1000  # time steps per window
    max_seconds: float = 600.0  # wall-clock seconds per run
    grace_seconds: float = 60.0  # how long a workspace's runs train on once its last tab closed (a reload: at once)
    keep_runs: int = 30  # runs kept in a session's history
    keep_models: int = 3  # of those, how many keep their model in memory
    # how far below page scripts the OS runs a training thread (Linux nice, 0 to 19; 0: at the same priority)
    training_nice: int = field(default=10, metadata={"zero": True})

    def run_limits(self) -> RunLimits:
        return RunLimits(max_epochs=self.max_epochs, max_parameters=self.max_parameters,
                         max_lookback=self.max_lookback, max_seconds=self.max_seconds)


def read_settings(path: Path) -> tuple[dict, list[str]]:
    """rnnlab.toml at ``path`` as {section: {name: value}} (empty where there is no such file), and its lines.
    SettingsError where it cannot be read, is not TOML, or holds something outside SECTIONS."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsError.keyed("unreadable", file=str(path), problem=problem) from None
    lines = text.splitlines()
    try:
        settings = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = _AT.fullmatch(str(exc))
        line = int(at["line"]) if at and at["line"] else max(len(lines), 1)
        column = int(at["column"]) if at and at["column"] else len(lines[-1]) + 1 if lines else 1
        shown = lines[line - 1].strip() if line <= len(lines) else ""
        raise SettingsError.keyed("syntax", file=str(path), line=line, column=column,
                                  problem=at["problem"] if at else str(exc), text=shown) from None
    sections = ", ".join(f"[{name}]" for name in SECTIONS)
    for name, value in settings.items():
        if not isinstance(value, dict):
            raise SettingsError.keyed("outside", place=_place(path, lines, None, name), name=name, sections=sections)
        if name not in SECTIONS:
            raise SettingsError.keyed("unknown_section", place=_place(path, lines, name), section=name,
                                      sections=sections)
    return settings, lines


def _place(path: Path, lines: list[str], section: str | None, name: str | None = None) -> str:
    """FILE:LINE of the header of ``[section]``, or of the setting ``name`` in it (section None: before any
    header); FILE where it is not found."""
    current = None
    key = re.compile(rf"\s*[\"']?{re.escape(name)}[\"']?\s*=") if name is not None else None
    for number, line in enumerate(lines, 1):
        if header := _HEADER.match(line):
            current = header[1].strip("\"'")
            if key is None and current == section:
                return f"{path}:{number}"
        elif key is not None and current == section and key.match(line):
            return f"{path}:{number}"
    return str(path)


def _usable(f, raw, name: str, setting: str, example: str):
    """The value of the dataclass field ``f`` from ``raw`` (a TOML value, or an environment variable's text
    when ``raw`` is a str and ``f`` is a number); SettingsError where it is not one ``f`` may take."""
    if f.type == "str":
        if isinstance(raw, str):
            return raw
        raise SettingsError.keyed("text", setting=setting, name=name, example=example)
    number = None
    if isinstance(raw, str):
        try:
            number = float(raw)
        except ValueError:
            pass
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        number = float(raw)
    zero = bool(f.metadata.get("zero"))
    usable = number is not None and math.isfinite(number) and (number > 0 or (zero and number == 0))
    if f.type == "int":
        if usable and number == int(number):
            return raw if isinstance(raw, int) else int(number)
        key = "whole_or_zero" if zero else "whole"
    elif usable:
        return number
    else:
        key = "positive"
    raise SettingsError.keyed(key, setting=setting, name=name, example=example)


def read_section(kind, section: str, prefix: str, path: Path | None = None, environ: dict | None = None):
    """The dataclass ``kind`` from ``[section]`` of the TOML file, each value overridden by its environment
    variable (``prefix + NAME``, or the one its field's metadata names) where that is set and not empty; a field
    neither gives keeps its default. SettingsError for a file that cannot be used (read_settings), a name
    ``kind`` has no field for, or a value its field cannot take: a number that is not positive and finite (0 is
    allowed where the field's metadata says "zero"), a fraction for a whole number, or text for a number."""
    environ = os.environ if environ is None else environ
    path = settings_file(environ) if path is None else path  # the rnnlab.toml in use
    settings, lines = read_settings(path)
    values = settings.get(section, {})
    names = [f.name for f in fields(kind)]
    for name in values:
        if name not in names:
            raise SettingsError.keyed("unknown_key", place=_place(path, lines, section, name), section=section,
                                      name=name, choices=", ".join(names))
    out = {}
    for f in fields(kind):
        if f.name in values:
            written = f"{_place(path, lines, section, f.name)}: {f.name} = {_toml(values[f.name])}"
            out[f.name] = _usable(f, values[f.name], f.name, written, f"{f.name} = {_toml(f.default)}")
        variable = f.metadata.get("variable", f"{prefix}{f.name.upper()}")
        if environ.get(variable, ""):
            out[f.name] = _usable(f, environ[variable], variable, f"{variable}={environ[variable]}",
                                  f"{variable}={_toml(f.default)}")
    return kind(**out)


def _toml(value) -> str:
    """``value`` as rnnlab.toml writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def load_limits(path: Path | None = None, environ: dict | None = None) -> ServerLimits:
    """[limits] of rnnlab.toml, then RNNLAB_<NAME> overrides; a missing value keeps its default, one that cannot
    be used is a SettingsError (read_section)."""
    return read_section(ServerLimits, "limits", "RNNLAB_", path, environ)
