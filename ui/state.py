"""Per-session and per-process state (Streamlit's resource cache), and the names of what a session keeps.

Every session-state key no widget owns, and every polling interval, is named here once.
"""

from __future__ import annotations

import secrets
import time

import streamlit as st

from rnncore.lab import Lab
from rnncore.nn import native
from rnncore.training.limits import ServerLimits, load_limits
from rnncore.training.slots import FairSlots

# session-state keys that no widget owns
LANG = "lang"  # the reader's language: "en" or "zh"
MESSAGE = "actions.message"  # an error a button's action left for the page to show
NOTICE = "actions.notice"  # something a load did that the page says once (window settings carried over)
IMPORT_DONE = "import.done"  # the run zip already imported
LINK_RESTORED = "links.restored"  # the link's settings were read (once per session)
LINK_PROBLEMS = "links.problems"  # what the link asked for that could not be used
MEMO, HELD = "memo", "held"  # figures built once per version; live values held for a few seconds
WIDGET_PREFIX = "w."  # widget keys; the Lab's config, not the widgets, is what lasts
INVALID = "controls.invalid"  # settings whose typed value was refused: name -> why (ui.controls)
COOKIES_WRITTEN = "cookies.written"  # the key cookies this session set: name -> value ("": removed)
COOKIES_PENDING = "cookies.pending"  # those the browser has not loaded yet: name -> ticket (ui.cookies)
CLASS_SENT = "class.sent"  # what the last submission scored, said once
COMPARE_SEEN = "compare.seen"  # the runs the picker has offered: a run not seen yet joins the selection
FRAGMENT_PAGE = "fragments.page"  # (script hash, st.Page) of the page the last full run drew
WORKSPACE_SAID = "workspace.said"  # what opening the workspace said, once
WORKSPACE_MEMORY = "workspace.memory"  # why this session keeps runs in memory (a StoreError), while it does
SWEEP_ASKED = "sweep.asked"  # the last sweep asked for (the widgets start from it when the page is opened again)
OVERLAY_SEEN = "teacher.overlay.seen"  # the runs the teacher's overlay has offered: a new one joins it
TASK_MEMO = "tasks.memo"  # (the result shown, {what: value}): its text, trace and zip, computed once, not every rerun

# polling intervals, in seconds
PANEL_SECONDS = 1.0  # the Train page's progress line and loss chart
DETAIL_SECONDS = 3.0  # the prediction chart and the metrics: each redraw costs the browser ~0.1 s of CPU
INSIDE_SECONDS = 3.0  # the Inside page, heavier than the Train page
SIDEBAR_SECONDS = 2.0  # the sidebar's training status
SWEEP_SECONDS = 2.0  # the Sweep page's trials and figures
BOARD_SECONDS = 3.0  # the teacher's board
STORE_RETRY_SECONDS = 30  # how long a run store that could not be opened is left alone before the next try


@st.cache_resource(show_spinner=False)
def server_limits() -> ServerLimits:
    """The server's limits (one for the whole process)."""
    return load_limits()


@st.cache_resource(show_spinner=False)
def cookie_tickets():
    """The one-time tickets through which sessions have the server set their key cookies (ui.cookies)."""
    from ui.cookies import Tickets

    return Tickets()


@st.cache_resource(show_spinner=False)
def _open_store():
    """The server's run store, opened once per process (a failure is not cached: see run_store)."""
    from rnncore.store import open_store

    return open_store()


def run_store():
    """(the server's RunStore, None), or (None, the StoreError that says why there is none now)."""
    return _opened("store")


def classroom():
    """The classes on the server's run store (rnncore.classroom), or None while there is no store."""
    store, _ = run_store()
    return None if store is None else _classroom(store)


@st.cache_resource(show_spinner=False)
def _classroom(_store):
    from rnncore.classroom.classroom import Classroom

    return Classroom(_store)


@st.cache_resource(show_spinner=False)
def _open_sweep_storage():
    """The sweeps' storage (Optuna's tables in the run store's database), opened once per process."""
    from rnncore.sweeps import SweepStorage

    return SweepStorage()


def sweep_storage():
    """(the server's SweepStorage, None), or (None, the SweepError that says why there is none now)."""
    return _opened("sweeps")


_OPENERS = {"store": _open_store, "sweeps": _open_sweep_storage}


@st.cache_resource(show_spinner=False, ttl=STORE_RETRY_SECONDS)
def _failure(what: str):
    """Why the run store ("store") or the sweeps' storage ("sweeps") cannot be opened (None: it can); asked
    again at most every STORE_RETRY_SECONDS, so a database that is down does not make every page wait for its
    timeout. A failure is not cached by the opener itself."""
    from rnncore.errors import KeyedError

    try:
        _OPENERS[what]()
    except KeyedError as exc:
        return exc
    return None


def _opened(what: str):
    failure = _failure(what)
    return (None, failure) if failure is not None else (_OPENERS[what](), None)


def _close_desk(desk) -> None:
    desk.close()


@st.cache_resource(scope="session", on_release=_close_desk, show_spinner=False)
def _session_desk():
    from rnncore.sweeps import SweepDesk

    return SweepDesk()


def sweep_desk():
    """This browser session's sweeps (rnncore.sweeps.SweepDesk); its sweep stops when the tab closes."""
    return _session_desk()


@st.cache_resource(show_spinner=False)
def native_loops() -> None:
    """Once per server process: build (or load) the explicit LSTM cells' C++ loops in the background, so the
    first relu-LSTM or article-LSTM training need not wait for the compiler (rnncore/nn/native.py)."""
    native.prepare_in_background()


@st.cache_resource(show_spinner=False)
def training_slots() -> FairSlots:
    """How many trainings may run at once in this server process (and of one workspace), shared fairly between
    groups (a class, or a workspace on its own) and their workspaces; the rest queue. Training runs below the
    page scripts, so clicks come first."""
    limits = server_limits()
    return FairSlots(limits.max_concurrent, nice=limits.training_nice, per_workspace=limits.max_per_workspace)


class Seat:
    """Which Lab a browser session works with: its own while it has no workspace (no run store), else its
    workspace's, which every tab of that workspace shares (rnncore.lab.shared)."""

    def __init__(self):
        self.own: Lab | None = None  # made when first asked for; handed to the workspace when it gets one
        self.key: str | None = None  # the workspace it works in


def _leave(seat: Seat) -> None:
    """The tab closed: its workspace's training goes on for the grace period (a reload finds it); a tab without
    a workspace stops its training (it ends after the current batch). No waiting here: Streamlit may call this
    on the server's own thread."""
    if seat.key is not None:
        workspace_labs().leave(seat.key, seat)
    elif seat.own is not None:
        seat.own.stop()


@st.cache_resource(show_spinner=False)
def _one_torch_thread() -> bool:
    """Once per process: one intra-op thread per training (measured: 2 threads made small-RNN steps
    3x to 40x slower on a 2-core machine, and the dashboard trained at half the command line's speed)."""
    import torch

    torch.set_num_threads(1)
    return True


@st.cache_resource(scope="session", on_release=_leave, show_spinner=False)
def _seat() -> Seat:
    return Seat()


@st.cache_resource(show_spinner=False)
def workspace_labs():
    """The Labs of the workspaces this server works in, each shared by its tabs (rnncore.lab.shared)."""
    from rnncore.lab.shared import SharedLabs

    return SharedLabs(grace=server_limits().grace_seconds)


def _new_lab() -> Lab:
    _one_torch_thread()
    limits = server_limits()
    # a workspace of its own until it works in one of the store (ui.classroom.share_slots)
    group = training_slots().group(f"session:{secrets.token_hex(8)}")
    return Lab(slots=group, limits=limits.run_limits(), keep_models=limits.keep_models,
               max_runs=limits.keep_runs)


def lab() -> Lab:
    """The Lab this browser session works with: its workspace's (shared by its tabs), or its own."""
    seat = _seat()
    if seat.key is not None:
        shared = workspace_labs().lab(seat.key)
        if shared is not None:
            return shared
        seat.key = None  # the server forgot it (its caches were cleared): a Lab of its own again
    if seat.own is None:
        seat.own = _new_lab()
    return seat.own


def work_in(key: str, archive) -> Lab:
    """From now on this session works with workspace ``key``'s Lab: the one its other tabs share, or, for the
    first tab, this session's own Lab moved into the workspace (``archive``, a StoreArchive of ``key``: its data,
    settings and the runs it kept in memory go with it) or a new one; either way, with nothing loaded yet, the
    data and settings of the workspace's latest run."""
    seat = _seat()
    if seat.key == key:
        return lab()

    def make() -> Lab:
        made = seat.own if seat.key is None and seat.own is not None else _new_lab()
        made.use_archive(archive)
        made.reopen_latest()
        return made

    shared = workspace_labs().enter(key, seat, make)
    if seat.key is not None:
        workspace_labs().leave(seat.key, seat, at_once=True)  # gone to another workspace, not a reload
    seat.key, seat.own = key, None
    return shared


def memo(name: str, version: tuple, build):
    """``build()``'s result for ``version``, computed once per version in this session.

    Figures are rebuilt only when what they show changed; an unchanged figure goes out
    as the same spec, which the browser does not redraw.
    """
    store = st.session_state.setdefault(MEMO, {})
    hit = store.get(name)
    if hit is None or hit[0] != version:
        store[name] = hit = (version, build())
    return hit[1]


def held(name: str, owner, value, every: float):
    """``value``, or the one this returned for the same ``owner`` less than ``every`` seconds ago.

    A live chart that changes at most that often: each redraw costs the browser CPU, and on
    a shared machine that is CPU the training would use. None is never held.
    """
    store = st.session_state.setdefault(HELD, {})
    kept = store.get(name)
    now = time.monotonic()
    if kept is None or kept[0] != owner or kept[1] is None or now - kept[2] >= every:
        store[name] = kept = (owner, value, now)
    return kept[1]
