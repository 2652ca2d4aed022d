"""Building the C++ extension: the build directory's lock (rnncore/nn/native.py, build_directory).

torch's own lock is a file; a process killed while building left it behind, and every later process waited
for it forever (a server stopped during its first build never trained again). These tests need no compiler:
they hold the lock, not build.
"""

import subprocess
import sys
import time

import pytest

from rnncore.nn import native

NAME = "rnnlab_test_extension"
ENTER = ("import sys, time; from rnncore.nn import native\n"
         "with native.build_directory(sys.argv[1]):\n"
         "    print('in', flush=True); time.sleep(float(sys.argv[2]))\n"
         "print('out', flush=True)\n")


@pytest.fixture
def extensions(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    return tmp_path


def enter(seconds: float) -> subprocess.Popen:
    """Another process that takes the build directory's lock and holds it for ``seconds``."""
    return subprocess.Popen([sys.executable, "-c", ENTER, NAME, str(seconds)], stdout=subprocess.PIPE, text=True)


def test_a_lock_file_left_by_a_killed_build_is_removed(extensions):
    with native.build_directory(NAME) as where:
        pass
    (where / "lock").touch()  # what torch's FileBaton leaves when its process is killed
    started = time.monotonic()
    with native.build_directory(NAME) as again:
        assert again == where
        assert not (where / "lock").exists()
    assert time.monotonic() - started < 5
    assert where.is_relative_to(extensions)


def test_a_second_process_waits_while_one_builds(extensions):
    with native.build_directory(NAME) as where:
        (where / "lock").touch()  # torch's lock of the process building now: not ours to remove
        other = enter(0)
        time.sleep(1.5)
        assert other.poll() is None, "it went in while this process held the build directory"
        assert (where / "lock").exists()
    out, _ = other.communicate(timeout=30)
    assert out.split() == ["in", "out"]


def test_the_lock_of_a_killed_process_goes_with_it(extensions):
    holder = enter(600)
    assert holder.stdout.readline().strip() == "in"
    holder.kill()
    holder.wait(10)
    started = time.monotonic()
    with native.build_directory(NAME):
        assert time.monotonic() - started < 5
