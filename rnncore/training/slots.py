"""The server's training slots, shared fairly between groups (a class, or one person's session).

``FairSlots(n)`` lets ``n`` runs train at once in the process. Each group asks through its own handle
(``slots.group(name)``: an object with ``acquire(timeout)`` and ``release()``, what the Trainer uses);
when a slot frees, it goes to the waiting group that trains the fewest runs now (the one that has
waited longest among equals), so thirty students of one class queueing many runs never keep another
class, or a teacher, waiting behind all of them.

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
    def __init__(self, slots: int, nice: int = 0):
        self.slots, self.nice = slots, nice
        self._lowered = threading.local()  # whether this thread runs below the pages already
        self._cond = threading.Condition()
        self._running: Counter[str] = Counter()
        self._waiting: dict[int, tuple[str, int]] = {}  # ticket -> (group, ticket): who waits, in arrival order
        self._tickets = itertools.count()
        self._arrived: dict[int, int] = {}  # thread -> its ticket: a Trainer asks again every 50 ms, keeping its turn

    def group(self, name: str) -> GroupSlots:
        return GroupSlots(self, name)

    def running(self) -> dict[str, int]:
        with self._cond:
            return {group: n for group, n in self._running.items() if n}

    def _next(self) -> int | None:
        """The ticket whose turn it is: of the groups waiting, the one running the fewest; its oldest."""
        if not self._waiting:
            return None
        return min(self._waiting, key=lambda ticket: (self._running[self._waiting[ticket][0]], ticket))

    def acquire(self, group: str, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        me = threading.get_ident()
        with self._cond:
            ticket = self._arrived.setdefault(me, next(self._tickets))
            self._waiting[ticket] = (group, ticket)
            try:
                while not (sum(self._running.values()) < self.slots and self._next() == ticket):
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                self._running[group] += 1
                del self._arrived[me]
            finally:
                del self._waiting[ticket]
                self._cond.notify_all()
        if not getattr(self._lowered, "done", False):  # once: a thread's nice only goes up
            run_below(self.nice)
            self._lowered.done = True
        return True

    def release(self, group: str) -> None:
        with self._cond:
            if self._running[group] <= 0:
                raise ValueError(f"group {group!r} released a slot it does not hold")
            self._running[group] -= 1
            self._cond.notify_all()


class GroupSlots:
    """One group's handle on the FairSlots: the semaphore-like object a Trainer is given."""

    def __init__(self, slots: FairSlots, name: str):
        self.slots, self.name = slots, name

    def acquire(self, timeout: float | None = None) -> bool:
        return self.slots.acquire(self.name, timeout)

    def release(self) -> None:
        self.slots.release(self.name)
