"""Where RNN Lab's files are (rnncore/home.py): a checkout keeps everything in it; installed, the shipped files
come from the package rnnlab and what RNN Lab makes goes to RNNLAB_HOME or the platform's per-user folder."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from rnncore import home
from rnncore.data.labelled import load_labelled
from rnncore.data.samples import list_samples, load_sample
from rnncore.data.text import load_text
from rnncore.store import load_store_settings
from rnncore.training.limits import load_limits

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """rnncore as installed: a site-packages folder with rnncore/ and the package rnnlab (app.py, the samples,
    rnnlab.toml) beside it, and no app.py beside rnncore/. Yields that rnnlab folder."""
    site = tmp_path / "site-packages"
    (site / "rnncore").mkdir(parents=True)
    shipped = site / "rnnlab"
    shipped.mkdir()
    (shipped / "app.py").write_text("")
    shutil.copy(ROOT / "rnnlab.toml", shipped / "rnnlab.toml")
    monkeypatch.setattr(home, "_code_root", lambda: site)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("RNNLAB_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user" / "data"))
    return shipped


def test_a_checkout_keeps_its_files_where_they_are(monkeypatch):
    monkeypatch.delenv("RNNLAB_HOME", raising=False)
    assert home.checkout() == ROOT and home.app_folder() == ROOT
    assert home.sample_folder() == ROOT / "sample_data"
    assert home.settings_file() == ROOT / "rnnlab.toml"
    assert home.data_folder() == ROOT / "data" and home.store_file() == ROOT / "data" / "rnnlab.sqlite3"
    monkeypatch.delenv("RNNLAB_STORE", raising=False)
    assert load_store_settings().store_url == f"sqlite:///{ROOT / 'data' / 'rnnlab.sqlite3'}"


def test_rnnlab_home_takes_the_store_and_a_users_settings_from_a_checkout_too(tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    monkeypatch.setenv("RNNLAB_HOME", str(mine))
    monkeypatch.delenv("RNNLAB_STORE", raising=False)
    assert home.data_folder() == mine and home.sample_folder() == ROOT / "sample_data"
    assert load_store_settings().store_url == f"sqlite:///{mine / 'rnnlab.sqlite3'}"
    assert home.settings_file() == ROOT / "rnnlab.toml"  # none of the user's: the shipped one
    mine.mkdir()
    (mine / "rnnlab.toml").write_text("[limits]\nmax_epochs = 7\n")
    assert home.settings_file() == mine / "rnnlab.toml"
    assert load_limits(environ={"RNNLAB_HOME": str(mine)}).max_epochs == 7
    assert load_limits(environ={}).max_epochs == 1000  # the checkout's rnnlab.toml


def test_installed_the_shipped_files_come_from_the_package_and_the_data_from_the_users_folder(installed, tmp_path):
    assert home.checkout() is None and home.app_folder() == installed
    assert home.sample_folder() == installed / "sample_data"
    assert home.data_folder() == tmp_path / "user" / "data" / "rnnlab"
    assert home.settings_file() == installed / "rnnlab.toml"
    (home.data_folder()).mkdir(parents=True)
    (home.data_folder() / "rnnlab.toml").write_text("[limits]\nmax_concurrent = 2\n")
    assert home.settings_file() == home.data_folder() / "rnnlab.toml"
    assert load_limits(environ={"XDG_DATA_HOME": str(tmp_path / "user" / "data")}).max_concurrent == 2


def test_installed_rnnlab_home_is_the_data_folder(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("RNNLAB_STORE", raising=False)
    assert home.data_folder() == tmp_path / "elsewhere"
    assert load_store_settings().store_url == f"sqlite:///{tmp_path / 'elsewhere' / 'rnnlab.sqlite3'}"


def test_a_relative_rnnlab_home_is_taken_from_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RNNLAB_HOME", "lab")
    assert home.data_folder() == tmp_path / "lab"


def test_the_samples_are_read_from_where_home_says_when_asked(installed):
    """Every loader of a bundled file (series, text, labelled set) reads from the app's folder of the moment."""
    samples = installed / "sample_data"
    samples.mkdir()
    series = json.loads((ROOT / "sample_data" / "samples.json").read_text(encoding="utf-8"))["airline_passengers"]
    (samples / "samples.json").write_text(json.dumps({"airline_passengers": series}), encoding="utf-8")
    lines = (ROOT / "sample_data" / series["file"]).read_text(encoding="utf-8").splitlines()
    (samples / series["file"]).write_text("\n".join(lines[:61]) + "\n", encoding="utf-8")  # 60 of its months
    (samples / "genesis.txt").write_text("In the beginning. " * 40, encoding="utf-8")
    table = (ROOT / "sample_data" / "italy_power_demand.csv").read_text(encoding="utf-8").splitlines()
    (samples / "italy_power_demand.csv").write_text("\n".join(table[:41]) + "\n", encoding="utf-8")

    assert list_samples() == ["airline_passengers"]
    assert len(load_sample("airline_passengers").frame) == 60
    assert load_text("sample:genesis") == "In the beginning. " * 40
    assert len(load_labelled("sample:italy_power_demand").x) == 40


@pytest.mark.parametrize(("platform", "environ", "folder"), [
    ("linux", {}, "HOME/.local/share/rnnlab"),
    ("linux", {"XDG_DATA_HOME": "/srv/xdg"}, "/srv/xdg/rnnlab"),
    ("linux", {"XDG_DATA_HOME": "relative/xdg"}, "HOME/.local/share/rnnlab"),  # the XDG spec: an absolute path only
    ("freebsd14", {}, "HOME/.local/share/rnnlab"),
    ("darwin", {"XDG_DATA_HOME": "/srv/xdg"}, "HOME/Library/Application Support/RNN Lab"),
    ("win32", {"LOCALAPPDATA": "C:\\Users\\ada\\AppData\\Local"}, "C:\\Users\\ada\\AppData\\Local/RNN Lab"),
    ("win32", {}, "HOME/AppData/Local/RNN Lab"),
])
def test_each_platforms_per_user_folder(platform, environ, folder, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", platform)
    expected = Path(folder.replace("HOME", str(tmp_path)))
    assert home.user_folder(environ) == expected
    monkeypatch.setattr(home, "_code_root", lambda: tmp_path / "site-packages")  # installed: no app.py beside it
    assert home.data_folder(environ) == expected
    assert home.data_folder({**environ, "RNNLAB_HOME": str(tmp_path / "mine")}) == tmp_path / "mine"
