"""The project as a package: the wheel holds the app and rnncore and nothing else of the checkout, and installed in
a fresh virtual environment its ``rnnlab`` command trains, reads the run store and serves the app, away from the
checkout, with its data in RNNLAB_HOME."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from rnncore import __main__ as cli
from tests.browser import free_port

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["rnnlab/app.py", "rnnlab/navigation.py", "rnnlab/views/train.py", "rnnlab/ui/__init__.py",
           "rnnlab/ui/lang/zh.py", "rnnlab/sample_data/airline_passengers.csv", "rnnlab/sample_data/samples.json",
           "rnnlab/sample_data/README.md", "rnnlab/rnnlab.toml", "rnnlab/.streamlit/config.toml",
           "rnnlab/docs/icon.png", "rnncore/__main__.py", "rnncore/home.py", "rnncore/nn/lstm_native.cpp",
           "rnncore/nn/adam_native.cpp"]
LEFT_OUT = ("build", "dist", ".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis")
LOCAL = ("data", "runs", "out", "test-results", "screenshots")  # the checkout's own outputs (.gitignore)


def _source(tmp_path: Path) -> Path:
    """A copy of the checkout to build from (setuptools builds in the tree: build/ and *.egg-info stay out of the
    checkout), with a data/ folder as a server leaves one."""
    copy = tmp_path / "source"

    def ignored(folder, names):
        return [n for n in names if n in LEFT_OUT or n.endswith(".egg-info") or (Path(folder) == ROOT and n in LOCAL)]

    shutil.copytree(ROOT, copy, ignore=ignored)
    (copy / "data").mkdir()
    (copy / "data" / "rnnlab.sqlite3").write_bytes(b"a server's runs")
    return copy


def _wheel(tmp_path: Path) -> Path:
    wheels = tmp_path / "wheels"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(_source(tmp_path)), "--no-deps",
                           "--no-build-isolation", "-w", str(wheels)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = wheels.glob("rnnlab-*.whl")
    return wheel


def _health(url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.read().decode().strip()
    except OSError:
        return None


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


class FakeServer:
    """A stand-in for the Streamlit child process: how it was started, what it was sent; its ``wait`` is
    interrupted (Ctrl+C) ``interrupts`` times first."""

    started: list = []
    interrupts = 0

    def __init__(self, command, cwd):
        self.command, self.cwd, self.sent = command, cwd, []
        FakeServer.started.append(self)

    def wait(self):
        if FakeServer.interrupts:
            FakeServer.interrupts -= 1
            raise KeyboardInterrupt
        return 0

    def send_signal(self, number):
        self.sent.append(number)


@pytest.fixture
def fake_server(monkeypatch):
    monkeypatch.setattr(FakeServer, "started", [])
    monkeypatch.setattr(FakeServer, "interrupts", 0)
    monkeypatch.setattr(cli.subprocess, "Popen", FakeServer)
    return FakeServer


def test_rnnlab_serves_the_app_from_its_folder_with_the_options_given(fake_server, capsys):
    assert cli.rnnlab(["--port", "8502", "--server.address", "0.0.0.0"]) == 0
    (server,) = fake_server.started
    assert server.command == [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                              "8502", "--server.address", "0.0.0.0"]
    assert server.cwd == ROOT  # where Streamlit finds .streamlit/config.toml
    assert f"settings from {ROOT / 'rnnlab.toml'}" in capsys.readouterr().out


def test_ctrl_c_stops_the_server_and_the_command_says_it_was_interrupted(fake_server):
    fake_server.interrupts = 1
    assert cli.rnnlab([]) == 130
    (server,) = fake_server.started
    assert server.sent == [signal.SIGINT]


def test_rnnlab_with_a_command_is_the_command_line(capsys):
    path = str(ROOT / "sample_data" / "airline_passengers.csv")
    assert cli.rnnlab(["data", path]) == 0
    said = capsys.readouterr().out
    assert cli.main(["data", path]) == 0
    assert capsys.readouterr().out == said and "airline_passengers" in said
    assert cli.rnnlab(["trian"]) == 2
    assert "invalid choice: 'trian'" in capsys.readouterr().err


def test_a_port_that_is_no_port_is_refused(fake_server, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.rnnlab(["--port", "70000"])
    assert exit_.value.code == 2 and "--port 70000" in capsys.readouterr().err
    assert fake_server.started == []


@pytest.mark.slow
def test_the_wheel_installs_a_command_that_trains_reads_the_store_and_serves_the_app(tmp_path):
    wheel = _wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [n for n in SHIPPED if n not in names]
    assert not [n for n in names if n.split("/")[0] not in ("rnncore", "rnnlab") and ".dist-info/" not in n]
    folders = {n.split("/")[1] for n in names if n.startswith("rnnlab/") and n.count("/") > 1}
    assert folders == {"ui", "views", "sample_data", ".streamlit", "docs"}  # no tests/, benchmarks/, data/, deploy/
    assert {n for n in names if n.startswith("rnnlab/") and n.count("/") == 1} == {
        "rnnlab/app.py", "rnnlab/navigation.py", "rnnlab/rnnlab.toml"}  # no setup.py, README.md, requirements
    assert not [n for n in names if n.startswith("rnnlab/docs/") and n != "rnnlab/docs/icon.png"]
    checkout_code = {p.relative_to(ROOT).as_posix() for folder in ("rnncore", "ui", "views")
                     for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts}
    packaged = {n.removeprefix("rnnlab/") for n in names if n.endswith(".py")}
    assert checkout_code <= packaged, checkout_code - packaged  # a new module or subpackage is shipped too
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "rnnlab = rnncore.__main__:rnnlab" in entry_points

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python, rnnlab = bin_dir / "python", bin_dir / "rnnlab"
    elsewhere, mine = tmp_path / "elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RNNLAB_", "PYTHONPATH", "STREAMLIT_"))}
    env.update(RNNLAB_HOME=str(mine), RNNLAB_NATIVE="0")

    def run(*command, **kwargs):
        done = subprocess.run([str(c) for c in command], cwd=elsewhere, env=env, capture_output=True, text=True,
                              timeout=300, check=False, **kwargs)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run(python, "-m", "pip", "install", "--no-deps", "--no-index", wheel)  # torch and the rest: the system's
    where = run(python, "-c", "import rnncore, rnncore.home as h; print(rnncore.__file__); print(h.app_folder())")
    module, app = map(Path, where.split())
    assert venv in module.parents and ROOT not in module.parents
    assert app == module.parents[1] / "rnnlab" and (app / "app.py").is_file()

    out = tmp_path / "run"
    said = run(rnnlab, "train", "--data", "sample:airline_passengers", "--epochs", "2", "--hidden", "4", "--out", out,
               "--store", f"sqlite:///{mine / 'rnnlab.sqlite3'}")
    for name in ("config.json", "history.csv", "metrics.json", "predictions.csv", "model.safetensors"):
        assert (out / name).is_file(), name
    key = said.split("workspace ", 1)[1].split()[0]
    listed = run(rnnlab, "runs", "list", "--workspace", key)  # the default store: the one in RNNLAB_HOME
    assert "finished" in listed and listed.count("\n") == 1

    page = run(python, "-c", "import sys; from streamlit.testing.v1 import AppTest; import rnncore.home as h; "
               "at = AppTest.from_file(str(h.app_folder() / 'navigation.py'), default_timeout=120); at.run(); "
               "print(len(at.exception), len(at.markdown), sys.modules['ui'].__file__)")
    errors, texts, ui = page.split()[-3:]  # the Home page, drawn from the installed ui/ and views/
    assert errors == "0" and int(texts) > 0 and Path(ui).parent == app / "ui"

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"  # a file, not a pipe no one reads while it runs: a full pipe blocks the writer
    with open(log, "w") as output:
        server = subprocess.Popen([str(rnnlab), "--port", str(port), "--server.headless", "true", "--server.address",
                                   "127.0.0.1", "--server.fileWatcherType", "none"], cwd=elsewhere, env=env,
                                  stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        assert _wait_for(lambda: server.poll() is not None or _health(url) == "ok", timeout=120)
        assert _health(url) == "ok", log.read_text() if server.poll() is not None else "no answer"
        server.send_signal(signal.SIGINT)  # to the command alone, as `kill -INT` would: it stops the server
        try:
            assert server.wait(timeout=120) == 130  # (a busy machine: the same time it is given to start)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the command did not stop within 120 s of Ctrl+C; it said:\n{log.read_text()[-3000:]}")
        assert _health(url) is None
        assert f"runs kept in {mine / 'rnnlab.sqlite3'}" in log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
