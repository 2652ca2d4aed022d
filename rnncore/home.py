"""Where RNN Lab's files are: the files it ships (the app, the samples, the default rnnlab.toml) and the
folder of what it makes (the SQLite run store). Every path is resolved when asked for.

From a checkout (app.py beside rnncore/) everything is in the checkout: rnnlab.toml at its root, the samples
in sample_data/, the store in data/. Installed (``pip install``), the shipped files are the package ``rnnlab``
installed beside rnncore, and what RNN Lab makes goes to a per-user data folder (``user_folder``). Where
``RNNLAB_HOME`` is set, that folder is the data folder, from a checkout too. A ``rnnlab.toml`` in the data
folder (installed, or RNNLAB_HOME) is read instead of the shipped one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HOME = "RNNLAB_HOME"  # the environment variable naming the data folder
SETTINGS_NAME = "rnnlab.toml"
STORE_NAME = "rnnlab.sqlite3"
APP_PACKAGE = "rnnlab"  # the installed package of the app's files (app.py, ui/, views/, sample_data/, ...)


def _code_root() -> Path:
    """The folder that holds rnncore/: a checkout's root, or the installed packages' folder."""
    return Path(__file__).resolve().parents[1]


def checkout() -> Path | None:
    """The checkout rnncore runs from (the folder of app.py beside rnncore/), or None when installed."""
    root = _code_root()
    return root if (root / "app.py").is_file() else None


def app_folder() -> Path:
    """The folder of app.py and navigation.py, and of the files shipped beside them (ui/, views/, sample_data/,
    rnnlab.toml, .streamlit/config.toml, docs/icon.png): the checkout, or the installed package ``rnnlab``."""
    return checkout() or _code_root() / APP_PACKAGE


def sample_folder() -> Path:
    """The folder of the bundled data sets and texts (their sources in its README.md)."""
    return app_folder() / "sample_data"


def user_folder(environ: dict | None = None, platform: str | None = None) -> Path:
    """The platform's per-user data folder of RNN Lab: on Windows %LOCALAPPDATA%\\RNN Lab, on macOS
    ~/Library/Application Support/RNN Lab, elsewhere $XDG_DATA_HOME/rnnlab (~/.local/share/rnnlab)."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        local = environ.get("LOCALAPPDATA")
        return (Path(local) if local else Path.home() / "AppData" / "Local") / "RNN Lab"
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "RNN Lab"
    xdg = environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"  # the XDG spec ignores a relative one
    return base / "rnnlab"


def home(environ: dict | None = None) -> Path | None:
    """The user's folder of RNN Lab: RNNLAB_HOME if set, else (installed) the platform's ``user_folder``; None
    from a checkout without RNNLAB_HOME (its own folders are used)."""
    environ = os.environ if environ is None else environ
    if given := environ.get(HOME, "").strip():
        return Path(given).expanduser().absolute()
    return None if checkout() else user_folder(environ)


def data_folder(environ: dict | None = None) -> Path:
    """The folder of what RNN Lab makes (the SQLite run store), made by whoever writes there first."""
    return home(environ) or app_folder() / "data"


def store_file(environ: dict | None = None) -> Path:
    """The default run store's SQLite file."""
    return data_folder(environ) / STORE_NAME


def settings_file(environ: dict | None = None) -> Path:
    """The rnnlab.toml read: the user's own in their folder (``home``) where there is one, else the shipped one."""
    user = home(environ)
    if user is not None and (user / SETTINGS_NAME).is_file():
        return user / SETTINGS_NAME
    return app_folder() / SETTINGS_NAME
