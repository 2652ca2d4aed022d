"""The server's training slots, shared fairly between groups and between the workspaces of a group.

``FairSlots(n, per_workspace=k)`` lets ``n`` runs train at once in the process, at most ``k`` of one
workspace (None: no such cap). Each asks through a handle (``slots.group(name, workspace)``: an object with
``acquire(timeout)`` and ``release()``, what the Trainer uses). A group is a class (its students' workspaces
share it) or a workspace on its own; a session without a run store is its own workspace. When a slot frees,
it goes to the waiting run whose group trains the fewest runs now, then whose workspace does (the one that
has waited longest among equals), of those whose workspace may train one more: thirty students of one
class queueing many runs never keep another class, or a teacher, waiting behind all of them, and one
student's four tabs never keep another student waiting.

A thread that gets a slot then runs ``nice`` steps below the server's other threads (Linux gives each
thread its own nice value), so page scripts, which answer a click, come before training: with three
trainings and thirty tabs on two cores, a student waits for a page, not behind an epoch. Training still
takes every cycle the pages leave (docs/PERFORMANCE.md, "Classroom load").
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections import Counter

# what a run says while it waits for a slot (reasons of RUN_MESSAGES): for a free one, or for its own
# workspace's other runs
QUEUED, QUEUED_WORKSPACE = "queued", "queued_workspace"


def run_below(nice: int) -> bool:
    """Lower the calling thread's priority by ``nice`` (at most to 19); False where the OS cannot do it
    for one thread (only Linux can), or may not."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return False
    me = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + nice))
    except OSError:
        return False
    return True


class FairSlots:
    def __init__(self, slots: int, nice: int = 0, per_workspace: int | None = None):
        self.slots, self.nice, self.per_workspace = slots, nice, per_workspace
        self._lowered = threading.local()  # whether this thread runs below the pages already
        self._cond = threading.Condition()
        self._running: Counter[str] = Counter()  # group -> runs training
        self._in_workspace: Counter[str] = Counter()  # workspace -> runs training
        self._waiting: dict[int, tuple[str, str]] = {}  # ticket -> (group, workspace): who waits, in arrival order
        self._tickets = itertools.count()
        self._arrived: dict[int, int] = {}  # thread -> its ticket: a Trainer asks again every 50 ms, keeping its turn

    def group(self, name: str, workspace: str | None = None) -> GroupSlots:
        """The handle of ``workspace``'s runs (by default the group's own name: a workspace on its own) in
        group ``name``."""
        return GroupSlots(self, name, name if workspace is None else workspace)

    def running(self) -> dict[str, int]:
        """Runs training now, by group."""
        with self._cond:
            return {group: n for group, n in self._running.items() if n}

    def workspace_full(self, workspace: str) -> bool:
        """Whether ``workspace`` trains as many runs as a workspace may: its next one waits for them."""
        with self._cond:
            return self._full(workspace)

    def _full(self, workspace: str) -> bool:
        return self.per_workspace is not None and self._in_workspace[workspace] >= self.per_workspace

    def _next(self) -> int | None:
        """The ticket whose turn it is: of the waiting runs whose workspace may train one more, the one whose
        group runs the fewest, then whose workspace does; the oldest of equals."""
        turns = [(self._running[group], self._in_workspace[workspace], ticket)
                 for ticket, (group, workspace) in self._waiting.items() if not self._full(workspace)]
        return min(turns)[2] if turns else None

    def acquire(self, group: str, timeout: float | None = None, workspace: str | None = None) -> bool:
        workspace = group if workspace is None else workspace
        deadline = None if timeout is None else time.monotonic() + timeout
        me = threading.get_ident()
        with self._cond:
            ticket = self._arrived.setdefault(me, next(self._tickets))
            self._waiting[ticket] = (group, workspace)
            try:
                while not (sum(self._running.values()) < self.slots and self._next() == ticket):
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                self._running[group] += 1
                self._in_workspace[workspace] += 1
                del self._arrived[me]
            finally:
                del self._waiting[ticket]
                self._cond.notify_all()
        if not getattr(self._lowered, "done", False):  # once: a thread's nice only goes up
            run_below(self.nice)
            self._lowered.done = True
        return True

    def release(self, group: str, workspace: str | None = None) -> None:
        workspace = group if workspace is None else workspace
        with self._cond:
            if self._running[group] <= 0 or self._in_workspace[workspace] <= 0:
                raise ValueError(f"group {group!r} (workspace {workspace!r}) released a slot it does not hold")
            self._running[group] -= 1
            self._in_workspace[workspace] -= 1
            self._cond.notify_all()


class GroupSlots:
    """One workspace's handle on the FairSlots, in its group: the semaphore-like object a Trainer is given."""

    def __init__(self, slots: FairSlots, name: str, workspace: str):
        self.slots, self.name, self.workspace = slots, name, workspace

    def acquire(self, timeout: float | None = None) -> bool:
        return self.slots.acquire(self.name, timeout, self.workspace)

    def release(self) -> None:
        self.slots.release(self.name, self.workspace)

    def waiting_for(self) -> tuple[str, dict]:
        """Why a run of this handle that asked and did not get a slot waits, as a run says it (a reason of
        RUN_MESSAGES and its details): for its own workspace's other runs, or for a free slot."""
        if self.slots.workspace_full(self.workspace):
            return QUEUED_WORKSPACE, {"limit": self.slots.per_workspace}
        return QUEUED, {}
