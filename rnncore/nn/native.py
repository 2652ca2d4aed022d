"""The LSTM layers (lstm_native.cpp) and a training step's Adam update (adam_native.cpp) in C++, one extension
built on first use, or None.

torch's fused modules have no LSTM with relu and no article LSTM, so those train through the explicit cells
(rnncore/nn/cells.py). In Python each time step costs six to ten small torch ops; the C++ loop does each step's
element-wise work in one vectorized pass, and one call runs a whole layer's forward or backward. It brought a
relu-LSTM training step from 1.8x torch's fused LSTM's to about 0.75x, and the tanh LSTM trains through it
too, faster than the fused one (docs/PERFORMANCE.md, "Cells").
The Python loops stay, as the reference the C++ one is tested against and as the path where it cannot be
built; so do autograd (SequenceModel.loss_and_grads runs a training step's layers without its graph) and
torch.optim's Adam (rnncore/training/update.py's NativeAdam measures, clips and steps in one call).

``module()`` builds the extension the first time it is asked for in a process (about 25 s with g++ and ninja)
and returns it; None, with one warning saying why and what it costs, where it is not built. The build is kept
in torch's extensions folder (~/.cache/torch_extensions), in a folder named by the hash of the sources, the
compiler flags and torch's version: later processes load it in a moment, and two checkouts on one machine
share a build where their sources are the same and keep one each where they differ. A build runs in a
temporary folder that is moved into place only when it succeeded (a server killed halfway leaves the folder
it loads from untouched), under a file lock that the OS lets go of however its process ends, so processes
that start together build it once.
It is built on Linux and on macOS with the Xcode command-line tools; not on Windows (its loops use GCC and
Clang constructs, such as weak symbols, that MSVC lacks). ``RNNLAB_NATIVE=0`` turns it off (the Python
loops then train everything).
``prepare_in_background()`` starts the build in a thread, so a server's first training need not wait for it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

SOURCES = [Path(__file__).with_name(name) for name in ("lstm_native.cpp", "adam_native.cpp")]
NAME = "rnnlab_lstm_native"
ENV = "RNNLAB_NATIVE"  # "0": never build or use the C++ loops
PROBE_SECONDS = 10  # the most a probe of the machine's tools may take
# What training loses without the extension: epochs of the Keras recipe, measured (docs/PERFORMANCE.md)
COST = ("the relu and article LSTMs train through Python loops, 2.2x to 2.6x slower an epoch, the tanh LSTM through "
        "torch's fused LSTM, 1.2x to 1.4x slower, and Adam through torch.optim (docs/PERFORMANCE.md)")

log = logging.getLogger(__name__)


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


def missing() -> str | None:
    """Why the extension is not built on this machine, with what would build it, or None."""
    if sys.platform == "win32":
        return "Windows: they use GCC and Clang constructs that MSVC lacks, so no build is tried there"
    if sys.platform == "darwin" and not _command_line_tools():
        return "no Xcode command-line tools (xcode-select --install)"
    if shutil.which(os.environ.get("CXX", "c++")) is None:
        hint = "xcode-select --install" if sys.platform == "darwin" else (
            "install g++ with the distribution's package manager, e.g. apt-get install g++")
        return f"no C++ compiler (c++ on PATH; {hint})"
    try:
        import ninja  # noqa: F401  (torch builds extensions with ninja)
    except ImportError:
        if shutil.which("ninja") is None:
            return "no ninja (pip install ninja)"
    return None


def _command_line_tools() -> bool:
    """Whether macOS has its command-line tools; without them its ``c++`` is a stub that opens an install
    dialog and waits, so it is never run before this says yes."""
    try:
        return subprocess.run(["xcode-select", "-p"], capture_output=True, timeout=PROBE_SECONDS,
                              check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# The vector instructions the loops are compiled for: those torch itself uses on this CPU (ATEN_CPU_CAPABILITY
# overrides it), named in the build, so that a build cache shared by two machines never loads the wrong one.
VECTOR_FLAGS = {
    "AVX2": ["-mavx2", "-mfma"],
    "AVX512": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw", "-mfma"],
}


def build_for(capability: str) -> tuple[str, list[str]]:
    """The extension's name and compiler flags for a CPU capability as torch names it ("DEFAULT", "AVX2", ...)."""
    extra = VECTOR_FLAGS.get(capability, [])
    name = f"{NAME}_{capability.lower()}" if extra else NAME
    return name, ["-O3", "-fno-trapping-math", *extra]  # -fno-trapping-math: see exp_ in lstm_native.cpp


_lock = threading.Lock()  # one build at a time in a process; the others wait for it


def module():
    """The built extension, or None (turned off, or not built here: said once, in a warning)."""
    with _lock:
        return _build()


@functools.cache
def _build():
    if not enabled():
        return None
    why = missing()
    if why is None:
        try:
            import torch

            return built(*build_for(torch.backends.cpu.get_cpu_capability()))
        except Exception as exc:  # a failed build leaves the Python loops, which train the same cells
            why = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    log.warning("The C++ loops are not built (%s): %s.", why, COST)
    return None


def build_directory(name: str, flags: list[str]) -> Path:
    """The folder of the extension ``name`` built from SOURCES with ``flags`` by this torch: named by their hash,
    so that different sources never share a folder and equal ones (two checkouts of one version) always do."""
    import torch
    from torch.utils.cpp_extension import get_default_build_root

    digest = hashlib.sha256()
    for part in [torch.__version__.encode(), *(flag.encode() for flag in flags),
                 *(part for source in SOURCES for part in (source.name.encode(), source.read_bytes()))]:
        digest.update(len(part).to_bytes(8, "big") + part)
    root = Path(os.environ.get("TORCH_EXTENSIONS_DIR") or get_default_build_root())
    return root / f"py{sys.version_info.major}{sys.version_info.minor}_cpu" / f"{name}-{digest.hexdigest()[:16]}"


def built(name: str, flags: list[str]):
    """The extension, loaded from its build directory; built first where that holds none.

    The build runs in a temporary folder beside it, moved into place (one rename) only once it succeeded, so a
    process killed while building (its ninja and compilers may run on) never leaves a half-built directory.
    All of it happens under the directory's file lock, which the OS lets go of however its process ends
    (filelock: ``flock`` on POSIX, ``msvcrt.locking`` on Windows): whoever holds it is the only builder, so
    the temporary folders found then are those of killed builds, and are removed."""
    from filelock import FileLock

    where = build_directory(name, flags)
    where.parent.mkdir(parents=True, exist_ok=True)
    library = where / f"{name}.so"  # torch's name for it off Windows
    with FileLock(where.with_name(where.name + ".lock")):
        for left in where.parent.glob(f"{where.name}.building-*"):
            shutil.rmtree(left, ignore_errors=True)
        if library.exists():
            return _import(name, library)
        building = where.with_name(f"{where.name}.building-{uuid.uuid4().hex[:12]}")
        building.mkdir()
        try:
            extension = _compile(name, flags, building)
            shutil.rmtree(where, ignore_errors=True)  # a folder without the library is no build
            os.replace(building, where)
        finally:
            shutil.rmtree(building, ignore_errors=True)  # what a failed build left
        return extension


def _compile(name: str, flags: list[str], folder: Path):
    """Build the extension in ``folder`` with torch's cpp_extension (ninja) and load it from there."""
    from torch.utils.cpp_extension import load

    return load(name=name, sources=[str(source) for source in SOURCES], extra_cflags=flags,
                build_directory=str(folder), verbose=False)


def _import(name: str, library: Path):
    """Load the built extension ``library`` (torch is imported first, for the symbols it needs)."""
    spec = importlib.util.spec_from_file_location(name, library)
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)
    return extension


_started = threading.Event()


def prepare_in_background() -> None:
    """Build (or load) the extension in a daemon thread, once per process; ``module()`` then waits for it."""
    if enabled() and not _started.is_set():
        _started.set()
        threading.Thread(target=module, name="rnnlab-native-build", daemon=True).start()
