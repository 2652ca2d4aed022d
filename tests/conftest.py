"""Shared test setup: one torch thread, Debian's chromium for the browser tests, and a throwaway PostgreSQL
for the run store's tests (tests/postgres.py)."""

import os
import shutil
import tempfile

import pytest
import torch

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.postgres import postgres_server  # noqa: F401 (a session fixture: one server for every test file)
from tests.stores import backend, store  # noqa: F401 (fixtures: a store on SQLite and on PostgreSQL)

torch.set_num_threads(1)

# The app's run store during tests: a throwaway SQLite file, never the one in data/ beside the code; one per
# pytest-xdist worker (a worker inherits the controller's environment, so the file is made again here unless
# someone set RNNLAB_STORE themselves).
if "RNNLAB_STORE" not in os.environ or os.environ.get("RNNLAB_STORE_OF_TESTS") == "1":
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    _folder = tempfile.mkdtemp(prefix=f"rnnlab-test-store-{_worker}-")
    os.environ["RNNLAB_STORE"], os.environ["RNNLAB_STORE_OF_TESTS"] = f"sqlite:///{_folder}/store.sqlite3", "1"

IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def built():
    """The C++ extension (rnncore/nn/native.py); under CI it must build."""
    from rnncore.nn import native

    why = native.missing()
    if why is not None:
        if IN_CI:
            pytest.fail(f"{why}, and CI=true requires the C++ loops (.ci/run installs g++, requirements ninja)")
        pytest.skip(f"the C++ loops cannot be built here: {why}")
    found = native.module()
    assert found is not None, "the C++ loops did not build (the warning in the log says why)"
    return found


def _chromium() -> str | None:
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    """Browser tests run one at a time (with pytest-xdist's workers: all in one group, so on one worker).
    Without chromium, skip them, except under CI, where they must run (and fail)."""
    skip = None
    if _chromium() is None and not IN_CI:
        skip = pytest.mark.skip(reason="browser test: chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
            if skip is not None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, never a browser downloaded by `playwright install`."""
    executable = _chromium()
    if executable is None:
        pytest.fail("chromium is not installed, and CI=true requires the browser tests to run "
                    "(apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}
