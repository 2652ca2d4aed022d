"""The separation DESIGN.md asks for: rnncore knows nothing of Streamlit and has no import cycle;
pages stay short and hold no classes."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = sorted((ROOT / "rnncore").rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in CORE}


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` names, at the top or inside a function (a lazy import is still an import)."""
    names = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x
                kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(kept + ([base] if base else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}  # "from pkg import module"
    return names


def edges(name: str) -> set[str]:
    """The rnncore modules that importing ``name`` runs: each one named, and the package __init__ above it
    unless the importer lives inside that package (then it is already being imported)."""
    out = set()
    for target in imported_modules(MODULES[name]):
        if target not in MODULES or name.startswith(target + "."):  # its own package: already importing
            continue
        out.add(target)
        parts = target.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in MODULES and not (name == parent or name.startswith(parent + ".")):
                out.add(parent)
    out.discard(name)
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_rnncore_has_no_import_cycle():
    graph = {name: edges(name) for name in MODULES}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_rnncore_is_grouped_into_subpackages():
    flat = sorted(p.name for p in (ROOT / "rnncore").glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "config.py", "errors.py", "home.py", "messages.py",
                    "settings.py"], flat


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_rnncore_never_imports_streamlit_or_the_ui(path):
    assert not {n.split(".")[0] for n in imported_modules(path)} & {"streamlit", "ui", "views"}


def test_importing_all_of_rnncore_loads_no_streamlit():
    names = ", ".join(n for n in MODULES if n != "rnncore.__main__")
    code = f"import sys, {names}; assert not [m for m in sys.modules if m.startswith('streamlit')]"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_only_the_ui_and_pages_import_streamlit():
    allowed = {ROOT / "app.py", ROOT / "navigation.py", *(ROOT / "views").glob("*.py"), *(ROOT / "ui").rglob("*.py")}
    for path in ROOT.rglob("*.py"):
        if {"tests", "benchmarks", ".venv", "venv", ".git", "build"} & set(path.relative_to(ROOT).parts):
            continue
        if "streamlit" in {n.split(".")[0] for n in imported_modules(path)}:
            assert path in allowed, path


SCRIPTS = [*sorted((ROOT / "views").glob("*.py")), ROOT / "app.py", ROOT / "navigation.py"]  # pages and their frame


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_pages_read_like_a_description_of_the_ui(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines < 150, f"{path.name} has {lines} lines: move logic into ui/ or rnncore/"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)], "no classes in page scripts"


def test_ruff_finds_nothing():
    """The linter's settings are in pyproject.toml; CI runs only pytest, so pytest runs ruff."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "."], cwd=ROOT, check=False,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
