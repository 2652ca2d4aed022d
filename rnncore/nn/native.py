"""The LSTM layers (lstm_native.cpp) and a training step's Adam update (adam_native.cpp) in C++, one extension
built on first use, or None.

torch's fused modules have no LSTM with relu and no article LSTM, so those train through the explicit cells
(rnncore/nn/cells.py). In Python each time step costs six to ten small torch ops; the C++ loop does each step's
element-wise work in one vectorized pass, and one call runs a whole layer's forward or backward. It brought a
relu-LSTM training step from 1.8x torch's fused LSTM's to about 0.75x, and the tanh LSTM trains through it
too, faster than the fused one (docs/PERFORMANCE.md, "Cells" and issue 17).
The Python loops stay, as the reference the C++ one is tested against and as the path where it cannot be
built; so do autograd (SequenceModel.loss_and_grads runs a training step's layers without its graph) and
torch.optim's Adam (rnncore/training/update.py's NativeAdam measures, clips and steps in one call).

``module()`` builds the extension the first time it is asked for in a process (about 25 s with g++ and ninja;
the build is kept in ~/.cache/torch_extensions, so later processes load it in a moment, and a lock makes
processes that start together build it once), and returns it; None, with one warning saying why, where it
cannot be built. ``RNNLAB_NATIVE=0`` turns it off (the Python loops then train everything).
``prepare_in_background()`` starts the build in a thread, so a server's first training need not wait for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import shutil
import sys
import threading
from pathlib import Path

SOURCES = [Path(__file__).with_name(name) for name in ("lstm_native.cpp", "adam_native.cpp")]
NAME = "rnnlab_lstm_native"
ENV = "RNNLAB_NATIVE"  # "0": never build or use the C++ loops

log = logging.getLogger(__name__)


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


def missing() -> str | None:
    """What building the extension needs and this machine lacks, or None."""
    if shutil.which(os.environ.get("CXX", "c++")) is None:
        return "no C++ compiler (c++ on PATH; apt-get install g++)"
    try:
        import ninja  # noqa: F401  (torch builds extensions with ninja)
    except ImportError:
        if shutil.which("ninja") is None:
            return "no ninja (pip install ninja)"
    return None


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
    """The built extension, or None (turned off, or it cannot be built here: said once, in a warning)."""
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
            from torch.utils.cpp_extension import load

            name, flags = build_for(torch.backends.cpu.get_cpu_capability())
            with build_directory(name) as where:
                return load(name=name, sources=[str(source) for source in SOURCES], extra_cflags=flags,
                            build_directory=str(where), verbose=False)
        except Exception as exc:  # a failed build leaves the Python loops, which train the same cells
            why = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    log.warning("The explicit LSTM cells train through their Python loops and Adam through torch.optim (slower): "
                "the C++ extension could not be built (%s).", why)
    return None


@contextlib.contextmanager
def build_directory(name: str):
    """The extension's build directory, held by this process alone while it builds or loads there.

    torch's own lock is a file that a process killed while building (a server stopped in its first 25 s)
    leaves behind, and every later process then waits for it forever. This lock is the OS's (``flock``),
    which goes with the process however it ends; whoever holds it is the only builder, so a torch lock file
    found then is one left behind, and is removed."""
    from torch.utils.cpp_extension import get_default_build_root

    root = Path(os.environ.get("TORCH_EXTENSIONS_DIR") or get_default_build_root())
    where = root / f"py{sys.version_info.major}{sys.version_info.minor}_cpu" / name  # torch's place on a CPU torch
    where.mkdir(parents=True, exist_ok=True)
    with open(where / "rnnlab.lock", "a") as held:  # closing the file lets go of the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        (where / "lock").unlink(missing_ok=True)
        yield where


_started = threading.Event()


def prepare_in_background() -> None:
    """Build (or load) the extension in a daemon thread, once per process; ``module()`` then waits for it."""
    if enabled() and not _started.is_set():
        _started.set()
        threading.Thread(target=module, name="rnnlab-native-build", daemon=True).start()
