"""rnnlab.toml and the RNNLAB_* variables: a file that is not TOML, a name nobody reads or a value that cannot be used
is said (the file, the line, what to write), never dropped for the defaults; the command line exits 2 with one
line, and the app shows only that, in both languages, until it is fixed."""

from __future__ import annotations

import pytest

from rnncore.__main__ import main
from rnncore.errors import SettingsError
from rnncore.store import load_settings, load_store_settings
from rnncore.training.limits import ServerLimits, load_limits
from tests.apptest import new_app, stop_everything
from tests.test_cli import TINY, cli

# the file that was dropped whole: max_concurrent and max_epochs were ignored because of the last line
BROKEN = "[limits]\nmax_concurrent = 1\nmax_epochs = 50\nmax_seconds = 60s\n"


def settings(folder, text: str):
    path = folder / "rnnlab.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(read, *args, **kwargs) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        read(*args, **kwargs)
    return caught.value


def test_a_file_that_is_not_toml_is_refused_with_its_line_and_column(tmp_path):
    path = settings(tmp_path, BROKEN)
    for read in (load_limits, load_store_settings):
        error = refused(read, path, environ={})
        assert error.key == "syntax"
        assert (error.details["line"], error.details["column"]) == (4, 17)
        assert error.details["text"] == "max_seconds = 60s" and error.details["file"] == str(path)
        assert str(error).startswith(f"{path} is not valid TOML at line 4, column 17 (max_seconds = 60s)")
    fixed = settings(tmp_path, BROKEN.replace("60s", "60"))
    assert load_limits(fixed, environ={}).max_concurrent == 1  # and every other line of it is read
    assert (load_limits(fixed, environ={}).max_epochs, load_limits(fixed, environ={}).max_seconds) == (50, 60)
    assert load_limits(tmp_path / "none.toml", environ={}) == ServerLimits()  # no file: the defaults
    assert load_settings(environ={})[0].max_concurrent >= 1  # the shipped rnnlab.toml reads


@pytest.mark.parametrize("line, key, said", [
    ("max_epochs = -5", "whole", "FILE:3: max_epochs = -5: max_epochs must be a positive whole number, e.g. "
                                 "max_epochs = 1000"),
    ('max_epochs = "abc"', "whole", 'FILE:3: max_epochs = "abc": max_epochs must be a positive whole number'),
    ("max_epochs = 2.5", "whole", "FILE:3: max_epochs = 2.5: max_epochs must be a positive whole number"),
    ("max_epochs = true", "whole", "FILE:3: max_epochs = true:"),
    ("max_seconds = 0", "positive", "FILE:3: max_seconds = 0: max_seconds must be a positive number, e.g. "
                                    "max_seconds = 600"),
    ("training_nice = -3", "whole_or_zero", "training_nice must be 0 or a positive whole number"),
])
def test_a_value_that_cannot_be_used_is_refused_not_replaced_by_the_default(tmp_path, line, key, said):
    path = settings(tmp_path, f"# a comment\n[limits]\n{line}\nmax_concurrent = 2\n")
    error = refused(load_limits, path, environ={})
    assert error.key == key and said.replace("FILE", str(path)) in str(error)


def test_a_value_of_the_environment_that_cannot_be_used_is_refused(tmp_path):
    path = settings(tmp_path, "[limits]\nmax_epochs = 50\n")
    error = refused(load_limits, path, environ={"RNNLAB_MAX_EPOCHS": "abc"})
    assert str(error) == "RNNLAB_MAX_EPOCHS=abc: RNNLAB_MAX_EPOCHS must be a positive whole number, e.g. " \
                         "RNNLAB_MAX_EPOCHS=1000"
    assert refused(load_store_settings, path, environ={"RNNLAB_STORE_MAX_MEGABYTES": "-1"}).key == "positive"
    assert load_limits(path, environ={"RNNLAB_MAX_EPOCHS": "70"}).max_epochs == 70
    assert load_limits(path, environ={"RNNLAB_MAX_EPOCHS": ""}).max_epochs == 50  # empty: not set


@pytest.mark.parametrize("text, key, said", [
    ("[limits]\nmax_epoch = 50\n", "unknown_key", "FILE:2: [limits] has no setting max_epoch; its settings are "
                                                  "max_concurrent, max_per_workspace, max_epochs,"),
    ("[store]\nmax_run = 5\n", "unknown_key", "FILE:2: [store] has no setting max_run"),
    ("[limits]\nmax_epochs = 50\n\n[limit]\nmax_concurrent = 1\n", "unknown_section",
     "FILE:4: there is no section [limit]; the sections are [limits], [store]"),
    ("max_concurrent = 1\n[limits]\n", "outside", "FILE:1: max_concurrent is not in a section"),
    ("[store]\nurl = 5\n", "text", "FILE:2: url = 5: url must be text in double quotes"),
])
def test_a_name_nobody_reads_is_refused(tmp_path, text, key, said):
    path = settings(tmp_path, text)
    error = refused(load_settings, path, environ={})
    assert error.key == key and said.replace("FILE", str(path)) in str(error)


def test_the_command_line_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RNNLAB_HOME", str(tmp_path))  # its rnnlab.toml is read instead of the shipped one
    settings(tmp_path, BROKEN)
    assert main(["train", "--data", "sample:airline_passengers", *TINY, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 4, column 17 (max_seconds = 60s)" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()
    settings(tmp_path, "[store]\nmax_run = 5\n")
    assert main(["runs", "list", "--store", f"sqlite:///{tmp_path}/s.sqlite3", "--workspace", "k" * 32]) == 2
    assert "[store] has no setting max_run" in capsys.readouterr().err
    shell = cli("train", "--data", "sample:airline_passengers", *TINY, "--out", str(tmp_path / "run"))
    assert shell.returncode == 2 and shell.stderr.count("\n") == 1 and "max_run" in shell.stderr
    assert not (tmp_path / "run").exists()


@pytest.fixture
def app_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_HOME", str(tmp_path))
    yield tmp_path
    stop_everything()


def test_the_app_shows_only_the_error_on_every_page_until_it_is_fixed(app_home, monkeypatch):
    settings(app_home, BROKEN)
    at = new_app()
    for page in (None, "views/train.py", "views/teacher.py"):
        if page:
            at.switch_page(page)
            at.run()
        assert not at.exception and len(at.error) == 1 and len(at.main.children) == 1 and not at.sidebar.children
        said = at.error[0].value
        assert "line 4, column 17" in said and "第 4 行第 17 列" in said  # in English, then in Chinese
        assert not at.button and not at.number_input
    settings(app_home, BROKEN.replace("60s", "60"))
    at.run()
    assert not at.error and at.sidebar.children and not at.exception
    monkeypatch.setenv("RNNLAB_MAX_EPOCHS", "-1")  # the environment is read as often
    at.run()
    assert len(at.error) == 1 and "RNNLAB\\_MAX\\_EPOCHS must be a positive whole number" in at.error[0].value
