"""RNN Lab where the POSIX-only modules are missing, as on Windows: every module of rnncore and ui imports,
every page's imports resolve, the C++ loops take their Windows path (not built, said in one line), a sweep's
lock works, and every cell trains.

The checks run in child processes (``block()`` there), so that the blocked modules stay blocked there alone.
CI runs them on Linux; nothing here can run Windows itself.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("fcntl", "resource", "pwd", "grp", "termios")  # on POSIX only
MODES = ["with fcntl", "without fcntl"]  # a child's argument: whether it blocks them
PAGES = [*sorted((ROOT / "views").glob("*.py")), ROOT / "navigation.py", ROOT / "app.py"]


class Missing(importlib.abc.MetaPathFinder):
    """Finds none of BLOCKED, as Windows' Python does."""

    def find_spec(self, name, path=None, target=None):
        if name in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def block() -> None:
    """From now on this process cannot import any of BLOCKED."""
    for name in BLOCKED:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, Missing())


class Child:
    """``python -c code *args`` from the repository root; its lines are read as they come."""

    def __init__(self, code: str, *args: str):
        self.process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()  # None: its output ended
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def said(self, timeout: float = 60) -> str | None:
        """Its next line, or None if it says nothing within ``timeout`` seconds or has ended."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self.lines.put(None)
        return line

    def go_on(self) -> None:
        """Answer the line it waits for on its stdin."""
        self.process.stdin.write("go on\n")
        self.process.stdin.flush()


def module_names(package: str) -> list[str]:
    names = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def import_what_it_imports(page: Path) -> None:
    """Compile a page script and import every module it names (the page itself runs only in Streamlit)."""
    tree = ast.parse(page.read_text(encoding="utf-8"))
    compile(tree, str(page), "exec")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):  # "from package import module"
                    importlib.import_module(f"{node.module}.{alias.name}")


def on_windows(store: str) -> None:
    """The child's check: prints a line for each part done; any failure exits with its traceback."""
    import logging

    block()
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")

    from rnncore.nn import native

    real, sys.platform = sys.platform, "win32"  # native's own check, for its one call; nothing else runs now
    try:
        assert native.module() is None
    finally:
        sys.platform = real
    for name in [*module_names("rnncore"), *module_names("ui")]:
        importlib.import_module(name)
    for page in PAGES:
        import_what_it_imports(page)
    print("imported", flush=True)

    from rnncore.sweeps.storage import SweepStorage

    storage = SweepStorage(store)
    try:
        with storage.claim("portable"):
            print("claimed", flush=True)
    finally:
        storage.close()

    import math

    import torch

    from rnncore import ExperimentConfig, run_experiment
    from rnncore.config import ACTIVATIONS, CELLS

    torch.set_num_threads(1)
    for cell in CELLS:
        for activation in ACTIVATIONS:
            if cell == "gru" and activation != "tanh":
                continue
            cfg = ExperimentConfig().replace(
                data={"source": "sample:airline_passengers"}, window={"lookback": 12},
                model={"cell": cell, "activation": activation, "hidden_size": 8}, train={"epochs": 2})
            history = run_experiment(cfg).history
            assert len(history) == 2 and all(math.isfinite(epoch.train_loss) for epoch in history), history
            print("trained", cell, activation, flush=True)


def test_without_the_posix_modules_everything_imports_and_every_cell_trains(tmp_path):
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    code = f"from tests.test_portable import on_windows; on_windows({store!r})"
    env = {**os.environ, "RNNLAB_STORE": store, "TORCH_EXTENSIONS_DIR": str(tmp_path / "extensions"),
           "RNNLAB_NATIVE": "1"}
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split("\n")[:2] == ["imported", "claimed"], done.stdout
    trained = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("trained")]
    assert trained == [["rnn", "tanh"], ["rnn", "relu"], ["lstm", "tanh"], ["lstm", "relu"], ["gru", "tanh"],
                       ["article_lstm", "tanh"], ["article_lstm", "relu"]]
    said = [line for line in done.stderr.splitlines() if "rnncore.nn.native" in line]
    assert len(said) == 1 and "Windows" in said[0], done.stderr
    assert not list((tmp_path / "extensions").glob("**/*.so"))


CLAIM = """import sys
if sys.argv[2] == "without fcntl":
    from tests.test_portable import block
    block()
from rnncore.sweeps.storage import SweepStorage
storage = SweepStorage(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
with storage.claim("study"):
    print("claimed", flush=True)
    sys.stdin.readline()
storage.close()
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_sweeps_claim_on_sqlite_holds_off_another_process_until_it_ends(tmp_path, mode):
    from rnncore.sweeps.storage import SweepStorage

    store = f"sqlite:///{tmp_path / 'sweeps.sqlite3'}"
    SweepStorage(store).close()  # the database's tables, made before two processes open it
    first, second = Child(CLAIM, store, mode), Child(CLAIM, store, mode)
    assert [first.said(), second.said()] == ["ready", "ready"]
    first.go_on()
    assert first.said() == "claimed"
    second.go_on()
    assert second.said(timeout=2) is None, "it claimed the study while the first held it"
    first.go_on()
    assert second.said() == "claimed"
    second.go_on()
    assert first.process.wait(30) == 0 and second.process.wait(30) == 0
