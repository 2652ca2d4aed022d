"""Server settings from rnnlab.toml, overridable by RNNLAB_* environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "rnnlab.toml"


@dataclass(frozen=True)
class ServerLimits:
    max_concurrent: int = 3
    max_epochs: int = 1000
    max_parameters: int = 500_000
    max_lookback: int = 1000
    max_seconds: float = 600.0
    keep_runs: int = 30
    keep_models: int = 3


def load_limits(path: Path = SETTINGS_FILE, environ: dict | None = None) -> ServerLimits:
    """Read [limits] from the TOML file, then RNNLAB_* overrides; bad values keep the default."""
    environ = os.environ if environ is None else environ
    values = {}
    if path.exists():
        values = tomllib.loads(path.read_text(encoding="utf-8")).get("limits", {})
    out = {}
    for f in fields(ServerLimits):
        raw = environ.get(f"RNNLAB_{f.name.upper()}", values.get(f.name, f.default))
        try:
            number = float(raw)
        except (TypeError, ValueError):
            continue
        if number > 0:
            out[f.name] = int(number) if f.type == "int" else number
    return ServerLimits(**out)
