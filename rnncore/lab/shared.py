"""The Labs of a server's workspaces, shared by every browser tab that works in one.

A run belongs to its workspace, not to a tab: a reload (a new session of the same browser), or a second tab
with the same workspace cookie, finds the workspace's Lab here, with its run training on, its data and its
settings, and owns its controls like the first. A session enters its workspace's Lab (``enter``) and leaves
it when its tab closes (``leave``); when the last one has left, the Lab trains on for ``grace`` seconds (a
reload, a closed lid opened again) and is then closed: its training stops and it is forgotten, to be made
again from the run store by the next session of that workspace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from rnncore.lab.workbench import Lab


@dataclass
class _Entry:
    lab: Lab
    seats: set = field(default_factory=set)  # the sessions in it now
    timer: threading.Timer | None = None  # closes it when nobody came back within the grace period


class SharedLabs:
    def __init__(self, grace: float):
        self.grace = grace  # seconds a workspace's Lab trains on after its last tab closed
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def enter(self, key: str, seat: Hashable, make: Callable[[], Lab]) -> Lab:
        """The Lab of workspace ``key`` for the session ``seat`` (made by ``make`` when the workspace has none
        here); a Lab waiting to close stays open."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(make())
            if entry.timer is not None:
                entry.timer.cancel()
                entry.timer = None
            entry.seats.add(seat)
            return entry.lab

    def leave(self, key: str, seat: Hashable, at_once: bool = False) -> None:
        """Session ``seat`` left workspace ``key``: its tab closed, and the last one out starts the grace period;
        or it went to another workspace (``at_once``: the Lab of a workspace no session is in any more, and that
        trains nothing, is closed now)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or seat not in entry.seats:
                return
            entry.seats.discard(seat)
            if entry.seats or entry.timer is not None:
                return
            if not (at_once and not entry.lab.busy):
                entry.timer = threading.Timer(self.grace, self._close, args=(key, entry))
                entry.timer.daemon = True
                entry.timer.start()
                return
            del self._entries[key]
        entry.lab.close()

    def _close(self, key: str, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is not entry or entry.seats:
                return  # someone came back meanwhile
            del self._entries[key]
        entry.lab.close()  # outside the lock: it waits for the training thread

    def close(self, key: str) -> None:
        """Close workspace ``key``'s Lab now (the workspace was deleted): its training stops; any session still in
        it finds no Lab here and gets one of its own."""
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None and entry.timer is not None:
                entry.timer.cancel()
        if entry is not None:
            entry.lab.close()

    def lab(self, key: str) -> Lab | None:
        """The Lab of workspace ``key`` here, if there is one."""
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else entry.lab

    def sessions(self, key: str) -> int:
        """How many sessions work in workspace ``key`` now."""
        with self._lock:
            entry = self._entries.get(key)
            return 0 if entry is None else len(entry.seats)
