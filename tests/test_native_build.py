"""Building the C++ extension (rnncore/nn/native.py): its build directory, named by the sources' hash, and the
lock and temporary folder that keep a killed build from harming the next one.

Most tests need no compiler: the children here stand torch's build (cpp_extension.load) in with one that
writes the library's file and then waits for the test to say that it is done.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.utils import cpp_extension

from rnncore.nn import native
from tests.test_portable import MODES, ROOT, Child

NAME, FLAGS = "rnnlab_test_extension", ["-O3"]
BUILD = """import sys
if sys.argv[2] == "without fcntl":
    from tests.test_portable import block
    block()
from pathlib import Path
from torch.utils import cpp_extension
from rnncore.nn import native

def build(name, sources, extra_cflags, build_directory, verbose):
    print("building", flush=True)
    (Path(build_directory) / f"{name}.so").write_text(sys.argv[3])
    sys.stdin.readline()  # the test says when the build is done
    return "built"

cpp_extension.load = build
native._import = lambda name, library: "loaded " + library.read_text()
print("asking", flush=True)
print(native.built(sys.argv[1], sys.argv[4:]), flush=True)
"""


@pytest.fixture
def extensions(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "extensions"))
    return tmp_path / "extensions"


def builder(mode: str, tag: str) -> Child:
    """Another process that asks native.built for NAME; its build writes ``tag`` and lasts until ``go_on()``."""
    return Child(BUILD, NAME, mode, tag, *FLAGS)


def leftovers(where: Path) -> list[Path]:
    return sorted(where.parent.glob(f"{where.name}.building-*"))


def test_the_folder_changes_when_a_source_changes_and_not_otherwise(extensions, tmp_path, monkeypatch):
    where = native.build_directory(NAME, FLAGS)
    assert where.is_relative_to(extensions)
    checkout = tmp_path / "another checkout"
    checkout.mkdir()
    copies = [Path(shutil.copy(source, checkout)) for source in native.SOURCES]
    monkeypatch.setattr(native, "SOURCES", copies)
    assert native.build_directory(NAME, FLAGS) == where  # the same sources elsewhere share the build
    kept = copies[1].read_bytes()
    copies[1].write_bytes(kept.replace(b"{", b"{ ", 1))
    changed = native.build_directory(NAME, FLAGS)
    assert changed != where and changed.parent == where.parent
    copies[1].write_bytes(kept)
    assert native.build_directory(NAME, FLAGS) == where
    assert native.build_directory(NAME, [*FLAGS, "-mavx2"]) != where
    monkeypatch.setattr(torch, "__version__", "0.0.0+other")
    assert native.build_directory(NAME, FLAGS) != where


@pytest.mark.parametrize("mode", MODES)
def test_a_builder_killed_halfway_leaves_nothing_where_the_next_one_loads_from(extensions, mode):
    where = native.build_directory(NAME, FLAGS)
    killed = builder(mode, "half built")
    assert [killed.said(), killed.said()] == ["asking", "building"]
    killed.process.kill()
    killed.process.wait(10)
    assert not where.exists()
    assert len(leftovers(where)) == 1
    after = builder(mode, "whole")
    assert [after.said(), after.said()] == ["asking", "building"]  # the lock went with the killed process
    after.go_on()
    assert after.said() == "built"
    assert after.process.wait(30) == 0
    assert [p.name for p in where.iterdir()] == [f"{NAME}.so"]
    assert (where / f"{NAME}.so").read_text() == "whole"
    assert leftovers(where) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_second_process_waits_for_the_first_and_loads_its_build(extensions, mode):
    first = builder(mode, "the first's")
    assert [first.said(), first.said()] == ["asking", "building"]
    second = builder(mode, "the second's")
    assert second.said() == "asking"
    assert second.said(timeout=2) is None, "it went on while the first was building"
    first.go_on()
    assert first.said() == "built"
    assert second.said() == "loaded the first's"
    assert first.process.wait(30) == 0 and second.process.wait(30) == 0


def test_a_failed_build_leaves_nothing(extensions, monkeypatch):
    def fails(name, sources, extra_cflags, build_directory, verbose):
        (Path(build_directory) / "lstm_native.o").write_text("")
        raise RuntimeError("Error building extension")

    monkeypatch.setattr(cpp_extension, "load", fails)
    where = native.build_directory(NAME, FLAGS)
    with pytest.raises(RuntimeError, match="Error building"):
        native.built(NAME, FLAGS)
    assert not where.exists()
    assert leftovers(where) == []


def test_another_process_loads_the_extension_this_one_built(built):
    """The real build: another process finds it in its build directory and loads it without building."""
    code = ("from rnncore.nn import native; from torch.utils import cpp_extension;"
            "cpp_extension.load = None; m = native.module(); print(m.__file__)")
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "RNNLAB_NATIVE": "1"})
    assert done.returncode == 0, done.stderr
    name, flags = native.build_for(torch.backends.cpu.get_cpu_capability())
    assert Path(done.stdout.strip()) == native.build_directory(name, flags) / f"{name}.so"


def test_each_platform_says_why_it_builds_nothing_and_what_would(extensions, tmp_path, monkeypatch, caplog):
    """Windows tries no build; macOS asks xcode-select first (its stub c++ would open a dialog and wait), with
    a time limit, and never runs c++ when that fails; elsewhere the missing compiler's hint is Linux's."""
    tools = tmp_path / "bin"
    tools.mkdir()
    ran = tmp_path / "c++ ran"
    for name, script in [("xcode-select", "exec sleep 600"), ("c++", f"touch '{ran}'")]:
        (tools / name).write_text(f"#!/bin/sh\n{script}\n")
        (tools / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setenv(native.ENV, "1")
    monkeypatch.setattr(native, "PROBE_SECONDS", 1)
    said = {}
    for platform in ("win32", "darwin", "linux"):
        monkeypatch.setattr(sys, "platform", platform)
        if platform == "linux":
            monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
        caplog.clear()
        assert native._build.__wrapped__() is None
        said[platform] = [r.getMessage() for r in caplog.records if r.name == native.__name__]
    assert not ran.exists()
    assert all(len(lines) == 1 and "slower" in lines[0] for lines in said.values()), said
    assert "Windows" in said["win32"][0] and "install" not in said["win32"][0]
    assert "xcode-select --install" in said["darwin"][0] and "apt-get" not in said["darwin"][0]
    assert "apt-get install g++" in said["linux"][0]
