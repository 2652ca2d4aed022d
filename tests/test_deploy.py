"""deploy/: what `docker build` sends (and so what the image holds), read from the root's .dockerignore as Docker reads
it (docker-py's matcher, the rules of both builders): the app, its settings and its locked requirements, never the
repository's history, tests, benchmarks, run store or caches."""

from __future__ import annotations

import subprocess
from pathlib import Path

from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parents[1]
# what a checkout may hold beside its tracked files, none of which may reach the image
LEFT_AROUND = [".git/HEAD", ".git/objects/ab/cdef", "data/rnnlab.sqlite3", "data/rnnlab.sqlite3-wal", "runs/a/x.csv",
               "rnncore/__pycache__/config.cpython-311.pyc", "ui/__pycache__/state.cpython-311.pyc",
               ".pytest_cache/v/cache", ".ruff_cache/x", ".hypothesis/examples/x", ".benchmarks/x.json",
               ".venv/bin/python", "build/lib/rnncore/config.py", "rnnlab.egg-info/PKG-INFO", "deploy/.env",
               "test-results/x.png", "sample_data/scratch.sqlite3"]
OUT = [".git/", ".ci/", "tests/", "benchmarks/", "data/", "runs/", "deploy/", ".venv/", "build/", ".pytest_cache/",
       ".ruff_cache/", ".hypothesis/", ".benchmarks/", "test-results/", "rnnlab.egg-info/"]
IN = ["app.py", "navigation.py", "rnnlab.toml", "requirements.txt", "requirements.lock", ".streamlit/config.toml",
      "docs/icon.png", "rnncore/config.py", "ui/state.py", "views/train.py", "sample_data/airline_passengers.csv"]


def dockerignore() -> list[str]:
    """The patterns of .dockerignore, as docker-py reads the file (comments and blank lines left out)."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_the_image_gets_the_app_and_nothing_else(tmp_path):
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    tracked = [name for name in listed.stdout.split("\0") if name]  # the checkout's files, new ones included
    for name in [*tracked, *LEFT_AROUND]:  # a copy of the checkout's names (empty files), and what lies around
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    sent = {path.replace("\\", "/") for path in exclude_paths(str(tmp_path), dockerignore(), "deploy/Dockerfile")}
    files = {path for path in sent if (tmp_path / path).is_file()}
    assert not [path for path in files if path.startswith(tuple(OUT)) and path != "deploy/Dockerfile"]
    assert not [path for path in files if "__pycache__" in path or path.endswith((".pyc", ".sqlite3", "-wal"))]
    assert not [path for path in files if path.startswith("docs/") and path != "docs/icon.png"]
    assert set(IN) <= files
    shipped = [name for name in tracked if name.startswith(("rnncore/", "ui/", "views/", "sample_data/", ".streamlit"))]
    assert len(shipped) > 100 and set(shipped) <= files  # every file of the app's packages and data
