"""What a server allows: the limits of each run (RunLimits) and of the whole server (ServerLimits).

``rnnlab.toml`` (``[limits]``) sets them, ``RNNLAB_<NAME>`` environment variables override it; the
app and the command line read the same file, so a run refused by one is refused by the other.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.errors import config_error

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "rnnlab.toml"


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

    def check(self, cfg: ExperimentConfig, parameters: int | None = None) -> None:
        """ConfigError naming the first setting (or the parameter count) above its limit."""
        for name, declared in SETTINGS.items():
            limit = self.cap(name)
            value = getattr(getattr(cfg, declared.section), name)
            if limit is not None and value and value > limit:  # 0 is "off" for max_seconds
                raise config_error("over_limit", name=name, value=f"{value:g}", limit_name=declared.limit,
                                   limit=f"{limit:g}")
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
    keep_runs: int = 30  # runs kept in a session's history
    keep_models: int = 3  # of those, how many keep their model in memory
    # how far below page scripts the OS runs a training thread (Linux nice, 0 to 19; 0: at the same priority)
    training_nice: int = field(default=10, metadata={"zero": True})

    def run_limits(self) -> RunLimits:
        return RunLimits(max_epochs=self.max_epochs, max_parameters=self.max_parameters,
                         max_lookback=self.max_lookback, max_seconds=self.max_seconds)


def read_section(kind, section: str, prefix: str, path: Path = SETTINGS_FILE, environ: dict | None = None,
                 **given):
    """The dataclass ``kind`` from ``[section]`` of the TOML file, each number overridden by the environment
    variable ``prefix + NAME``; a bad or missing number (not a positive finite one, or negative where the
    field's metadata allows zero) keeps its default. ``given`` fields are taken as they are."""
    environ = os.environ if environ is None else environ
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8")).get(section, {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        values = {}
    out = dict(given)
    for f in fields(kind):
        if f.name in given:
            continue
        raw = environ.get(f"{prefix}{f.name.upper()}", values.get(f.name, f.default))
        try:
            number = float(raw)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number) and (number > 0 or (number == 0 and f.metadata.get("zero"))):
            out[f.name] = int(number) if f.type == "int" else number
    return kind(**out)


def load_limits(path: Path = SETTINGS_FILE, environ: dict | None = None) -> ServerLimits:
    """Read [limits] from the TOML file, then RNNLAB_* overrides; a bad or missing value keeps the default."""
    return read_section(ServerLimits, "limits", "RNNLAB_", path, environ)
