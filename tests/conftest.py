"""Shared test setup: two pytest-xdist workers unless told otherwise, one torch thread, the app's run store in
pytest's own temporary folder, Debian's chromium for the browser tests, and a throwaway PostgreSQL for the run
store's tests (tests/postgres.py)."""

import os
import shutil

import pytest
import torch

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.postgres import postgres_server  # noqa: F401 (a session fixture: one server for every test file)
from tests.stores import backend, store  # noqa: F401 (fixtures: a store on SQLite and on PostgreSQL)

torch.set_num_threads(1)

IN_CI = os.environ.get("CI") == "true"
WORKERS, DIST = 2, "loadgroup"  # most of the suite waits on servers and browsers, not on the CPU


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """``pytest`` runs on WORKERS pytest-xdist workers, the browser tests in one group (so on one worker, one
    chromium at a time); ``-n N`` (``-n 0``: none) or ``-p no:xdist`` says otherwise. Set here, not in addopts,
    where ``-n`` would be an unknown option without the plugin. Runs before pytest-xdist's own hook, which
    turns the count into its workers."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    if hasattr(config, "workerinput"):  # a worker: it groups its tests as the controller schedules them
        config.option.loadgroup = config.workerinput["rnnlab_dist"] == "loadgroup"
    elif config.option.numprocesses is None and not config.option.usepdb:
        config.option.numprocesses = WORKERS
        if config.option.dist == "no":
            config.option.dist = DIST


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """(pytest-xdist, on the controller) Tell each worker how tests are distributed: a worker reads only the
    command line, where the default of pytest_cmdline_main is not."""
    node.workerinput["rnnlab_dist"] = node.config.option.dist


@pytest.fixture(scope="session", autouse=True)
def app_store(tmp_path_factory):
    """The app's run store during tests: a throwaway SQLite file in pytest's temporary folder (one per
    pytest-xdist worker), removed at the end, never the one in data/ beside the code; unless someone set
    RNNLAB_STORE themselves."""
    if "RNNLAB_STORE" in os.environ:
        yield os.environ["RNNLAB_STORE"]
        return
    folder = tmp_path_factory.mktemp("rnnlab-store", numbered=False)
    url = f"sqlite:///{folder}/store.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNLAB_STORE", url)
        yield url
    shutil.rmtree(folder)


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run one at a time (with pytest-xdist's workers: all in one group, so on one worker; marked
    before a worker's own hook reads the groups). Without chromium, skip them, except under CI, where they must
    run (and fail)."""
    skip = None
    if _chromium() is None and not IN_CI:
        skip = pytest.mark.skip(reason="browser test: chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
            _name_group(config, item, "browser")
            if skip is not None:
                item.add_marker(skip)


def _name_group(config, item, group: str) -> None:
    """On a pytest-xdist worker with ``--dist loadgroup``: the item's group in its node id (``id@group``, which
    the controller's scheduler reads), as pytest-xdist does. pytest-xdist 3.8 writes it where pytest kept the id
    before 9.2; pytest 9.2 keeps a structured id, which is written here (pytest-xdist issue 1386)."""
    if not getattr(config.option, "loadgroup", False) or not hasattr(item, "_id"):
        return
    from _pytest.nodeid import NodeId

    item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, never a browser downloaded by `playwright install`."""
    executable = _chromium()
    if executable is None:
        pytest.fail("chromium is not installed, and CI=true requires the browser tests to run "
                    "(apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}
