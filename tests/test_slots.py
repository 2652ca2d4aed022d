"""The server's training slots are shared fairly between groups (rnncore.training.slots)."""

import os
import sys
import threading
import time
from collections import Counter

import pytest

from rnncore.errors import SettingsError
from rnncore.training.limits import load_limits
from rnncore.training.slots import FairSlots, run_below


def test_a_freed_slot_goes_to_the_group_that_trains_the_fewest():
    slots = FairSlots(2)
    crowd, teacher = slots.group("class A"), slots.group("class B")
    assert crowd.acquire(0.1) and crowd.acquire(0.1)  # class A takes both slots
    order, asked = [], {}

    def wait(handle, name):
        while not handle.acquire(0.05):  # as a Trainer asks: again and again, until its turn
            asked[name].set()  # it has asked once: its turn is kept
        order.append(name)

    def ask(handle, name) -> threading.Thread:
        asked[name] = threading.Event()
        thread = threading.Thread(target=wait, args=(handle, name))
        thread.start()
        assert asked[name].wait(30), f"{name} never asked"
        return thread

    waiting = [ask(crowd, f"A{i}") for i in range(5)]
    late = ask(teacher, "B")
    crowd.release()  # the first free slot: class B asked last, but runs nothing
    assert wait_until(lambda: order)
    assert order == ["B"], order
    crowd.release()
    assert wait_until(lambda: len(order) == 2)
    assert order == ["B", "A0"]  # then class A's runs, in the order they asked
    assert slots.running() == {"class A": 1, "class B": 1}
    teacher.release()
    crowd.release()
    for thread in [*waiting, late]:
        for _ in range(10):
            if not thread.is_alive():
                break
            time.sleep(0.2)
            if slots.running():
                for group, count in list(slots.running().items()):
                    for _ in range(count):
                        slots.release(group)
        thread.join(timeout=5)
    assert order[:2] == ["B", "A0"] and sorted(order[2:]) == ["A1", "A2", "A3", "A4"]


def test_a_waiter_that_gives_up_keeps_no_one_waiting():
    slots = FairSlots(1)
    a, b = slots.group("a"), slots.group("b")
    assert a.acquire(0.1)
    assert not b.acquire(0.05)  # gave up (its run was stopped while queued)
    a.release()
    assert a.acquire(0.1)  # the slot is not held for b


def _nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux gives each thread its own nice value")
def test_a_thread_runs_below_the_pages_once_it_holds_a_slot_and_no_other_thread_does():
    slots = FairSlots(1, nice=7)
    before, seen = _nice_of_this_thread(), {}
    lowered = min(19, before + 7)

    def train(name, hold: threading.Event | None = None):
        seen[f"{name} asking"] = _nice_of_this_thread()
        while not slots.acquire(name, 0.05):
            seen.setdefault(f"{name} queued", _nice_of_this_thread())
        seen[f"{name} holding"] = _nice_of_this_thread()
        if hold is not None:
            hold.wait(5)
        slots.release(name)
        assert slots.acquire(name, 1)  # a second slot for the same thread does not lower it again
        seen[f"{name} again"] = _nice_of_this_thread()
        slots.release(name)

    hold = threading.Event()
    first = threading.Thread(target=train, args=("a", hold))
    first.start()
    assert wait_until(lambda: "a holding" in seen)
    waiting = threading.Thread(target=train, args=("c",))
    waiting.start()
    assert wait_until(lambda: "c queued" in seen)
    assert seen["c queued"] == before  # waiting for a slot is not training
    hold.set()
    first.join(5)
    waiting.join(5)
    assert seen == {"a asking": before, "a holding": lowered, "a again": lowered,
                    "c asking": before, "c queued": before, "c holding": lowered, "c again": lowered}
    assert _nice_of_this_thread() == before  # the thread that made the slots, and the pages, are untouched


def test_run_below_refuses_nothing_it_cannot_do():
    assert run_below(0) is False  # nothing asked
    assert isinstance(run_below(1), bool)


def test_the_training_nice_setting_may_be_zero_where_other_numbers_may_not(tmp_path):
    settings = tmp_path / "rnnlab.toml"
    settings.write_text("[limits]\ntraining_nice = 4\nmax_concurrent = 2\n")
    assert load_limits(settings, environ={}).training_nice == 4
    assert load_limits(tmp_path / "missing.toml", environ={}).training_nice == 10
    off = load_limits(settings, environ={"RNNLAB_TRAINING_NICE": "0"})
    assert (off.training_nice, off.max_concurrent) == (0, 2)  # 0 turns it off
    with pytest.raises(SettingsError, match="RNNLAB_MAX_CONCURRENT must be a positive whole number"):
        load_limits(settings, environ={"RNNLAB_MAX_CONCURRENT": "0"})  # 0 slots: nothing would train
    with pytest.raises(SettingsError, match="RNNLAB_TRAINING_NICE must be 0 or a positive whole number"):
        load_limits(settings, environ={"RNNLAB_TRAINING_NICE": "-3"})


def wait_until(condition, timeout: float = 30.0) -> bool:
    """Poll ``condition()`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Tab(threading.Thread):
    """A run of one tab: asks for a slot as a Trainer does, trains until told to end, then frees it."""

    lock = threading.Lock()

    def __init__(self, handle, name: str, log: list, training: Counter):
        super().__init__(daemon=True)
        self.handle, self.name, self.log, self.training = handle, name, log, training
        self.asked, self.holds, self.end = threading.Event(), threading.Event(), threading.Event()
        self.most = 0  # how many runs of its workspace trained when it began (itself included)

    def run(self) -> None:
        while not self.handle.acquire(0.05):
            self.asked.set()  # it has its place in the queue
        with self.lock:
            self.training[self.handle.workspace] += 1
            self.most = self.training[self.handle.workspace]
            self.log.append(self.name)
        self.holds.set()
        self.end.wait(30)
        with self.lock:
            self.training[self.handle.workspace] -= 1
        self.handle.release()


def test_one_workspace_trains_one_run_at_a_time_and_never_keeps_another_workspace_waiting():
    """One student's four tabs and another student's one, three slots, one run per workspace."""
    slots = FairSlots(3, per_workspace=1)
    log, training = [], Counter()
    tabs = [Tab(slots.group("workspace:ada"), f"ada{i}", log, training) for i in range(4)]
    for tab in tabs:
        tab.start()
    assert wait_until(lambda: sum(tab.holds.is_set() for tab in tabs) == 1 and all(
        tab.asked.is_set() for tab in tabs if not tab.holds.is_set()))
    ben = slots.group("workspace:ben")
    assert ben.acquire(timeout=0)  # another workspace trains at once: two slots are free for it
    assert slots.running() == {"workspace:ada": 1, "workspace:ben": 1}  # one slot stays free
    waiting = next(tab for tab in tabs if not tab.holds.is_set())
    assert waiting.handle.waiting_for() == ("queued_workspace", {"limit": 1})
    for done in range(1, 4):  # ada's runs train one after the other
        holder = next(tab for tab in tabs if tab.holds.is_set() and not tab.end.is_set())
        holder.end.set()
        holder.join(5)
        assert wait_until(lambda started=done + 1: len(log) == started)
    next(tab for tab in tabs if not tab.end.is_set()).end.set()  # the last one
    for tab in tabs:
        tab.join(5)
    assert sorted(log) == ["ada0", "ada1", "ada2", "ada3"] and max(tab.most for tab in tabs) == 1
    ben.release()
    assert slots.running() == {}


def test_a_class_shares_its_slots_fairly_between_its_students_workspaces():
    """A freed slot goes to the group that trains the fewest, then, within it, to the workspace that does."""
    slots = FairSlots(3, per_workspace=3)
    ada, ben = slots.group("class:1", "workspace:ada"), slots.group("class:1", "workspace:ben")
    teacher = slots.group("workspace:teacher")
    assert ada.acquire(0) and ada.acquire(0) and teacher.acquire(0)
    log, training = [], Counter()
    ada_again = Tab(ada, "ada", log, training)
    ada_again.start()
    assert wait_until(ada_again.asked.is_set)  # ada asked first
    ben_first = Tab(ben, "ben", log, training)
    ben_first.start()
    assert wait_until(ben_first.asked.is_set)
    assert ben.waiting_for() == ("queued", {})  # waiting for a free slot, not for its own workspace
    teacher.release()
    assert wait_until(lambda: log == ["ben"])  # ben trains nothing yet; ada trains two
    ada.release()
    assert wait_until(lambda: log == ["ben", "ada"])
    for tab in (ada_again, ben_first):
        tab.end.set()
        tab.join(5)
    ada.release()
    assert slots.running() == {}


def test_two_labs_of_one_workspace_queue_one_behind_the_other_and_say_why():
    from rnncore.config import ExperimentConfig
    from rnncore.lab import Lab

    slots = FairSlots(3, per_workspace=1)
    first, second = Lab(slots=slots.group("workspace:ada")), Lab(slots=slots.group("workspace:ada"))
    other = Lab(slots=slots.group("workspace:ben"))
    long = ExperimentConfig().replace(model={"hidden_size": 4}, train={"epochs": 1000, "batch_size": 64})
    try:
        first.start(long)
        assert wait_until(lambda: first.status() == "running")
        second.start(long)
        other.start(long)
        assert wait_until(lambda: other.status() == "running")  # another workspace trains at once
        assert wait_until(lambda: second.current.progress().reason == "queued_workspace")
        assert second.status() == "queued" and first.status() == "running"
        assert "this workspace's other run" in second.current.progress().message
        first.stop()
        assert first.join(60)
        assert wait_until(lambda: second.status() == "running")  # then the next one of the workspace
    finally:
        for lab in (first, second, other):
            lab.stop()
            lab.join(60)


def test_the_app_queues_a_session_as_its_workspace_and_says_it_waits_for_its_own_other_run(monkeypatch):
    from rnncore.store import key_id
    from tests.apptest import run_until, session_lab, start_training, stop_everything, texts
    from tests.test_app_workspace import open_app

    monkeypatch.setenv("RNNLAB_MAX_PER_WORKSPACE", "1")
    try:
        at = open_app()
        lab = session_lab()
        handle = lab.slots
        assert handle.name == handle.workspace == f"workspace:{key_id(lab.archive.key)}"
        other_tab = handle.slots.group(handle.name, handle.workspace)  # another tab of this workspace, training
        assert other_tab.acquire(0)
        try:
            start_training(at, epochs=3, hidden_size=4)
            run_until(at, lambda a: "Another run of this workspace" in texts(a), timeout=30)
            assert "Another run of this workspace" in texts(at) and lab.status() == "queued"
        finally:
            other_tab.release()
        assert lab.join(timeout=120) and lab.runs[-1].status == "finished"
    finally:
        stop_everything()


def test_a_text_or_label_run_says_it_waits_for_its_own_workspace():
    from rnncore.config import ExperimentConfig
    from rnncore.data.labelled import generate_labelled
    from rnncore.tasks.build import task_run
    from rnncore.training.trainer import Trainer

    slots = FairSlots(3, per_workspace=1)
    other_tab = slots.group("workspace:ada")
    assert other_tab.acquire(0)
    cfg = ExperimentConfig().replace(data={"source": "synthetic:sign_memory", "task": "classify"},
                                     model={"hidden_size": 4}, train={"epochs": 1})
    trainer = Trainer(cfg, task=task_run(cfg, generate_labelled("sign_memory", samples=60)),
                      slots=slots.group("workspace:ada"))
    trainer.start()
    try:
        assert wait_until(lambda: trainer.snapshot().reason == "queued_workspace")
    finally:
        other_tab.release()
    assert trainer.join(timeout=60) and trainer.snapshot().status == "finished"
    assert trainer.result().metrics["test"]["accuracy"] >= 0


def test_the_runs_a_workspace_trains_at_once_are_a_server_setting(tmp_path):
    assert load_limits(environ={}).max_per_workspace == 1  # rnnlab.toml
    settings = tmp_path / "rnnlab.toml"
    settings.write_text("[limits]\nmax_per_workspace = 2\n")
    assert load_limits(settings, environ={}).max_per_workspace == 2
    assert load_limits(settings, environ={"RNNLAB_MAX_PER_WORKSPACE": "3"}).max_per_workspace == 3
    with pytest.raises(SettingsError, match="RNNLAB_MAX_PER_WORKSPACE must be a positive whole number"):
        load_limits(settings, environ={"RNNLAB_MAX_PER_WORKSPACE": "0"})
