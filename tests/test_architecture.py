"""The separation DESIGN.md asks for: rnncore knows nothing of Streamlit; pages stay short."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = sorted((ROOT / "rnncore").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_rnncore_never_imports_streamlit_or_the_ui(path):
    assert not imported_modules(path) & {"streamlit", "ui", "views"}


def test_importing_all_of_rnncore_loads_no_streamlit():
    names = ", ".join(f"rnncore.{p.stem}" for p in CORE if p.stem != "__main__")
    code = f"import sys, {names}; assert not [m for m in sys.modules if m.startswith('streamlit')]"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_only_the_ui_and_pages_import_streamlit():
    allowed = {ROOT / "app.py", *(ROOT / "views").glob("*.py"), *(ROOT / "ui").glob("*.py")}
    for path in ROOT.glob("*/*.py"):
        if path.parent.name in ("tests", "benchmarks", ".venv", "venv"):
            continue
        if "streamlit" in imported_modules(path):
            assert path in allowed, path


@pytest.mark.parametrize("path", sorted((ROOT / "views").glob("*.py")) + [ROOT / "app.py"], ids=lambda p: p.name)
def test_pages_read_like_a_description_of_the_ui(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines < 200, f"{path.name} has {lines} lines: move logic into ui/ or rnncore/"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)], "no classes in page scripts"


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_modules_stay_small(path):
    assert path.read_text(encoding="utf-8").count("\n") <= 350, f"{path.name}: is it two modules?"


def test_ruff_finds_nothing():
    """The linter's settings are in pyproject.toml; CI runs only pytest, so pytest runs ruff."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "."], cwd=ROOT, check=False,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
