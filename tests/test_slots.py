"""The server's training slots are shared fairly between groups (rnncore.training.slots)."""

import os
import sys
import threading
import time

import pytest

from rnncore.training.limits import load_limits
from rnncore.training.slots import FairSlots, run_below


def test_a_freed_slot_goes_to_the_group_that_trains_the_fewest():
    slots = FairSlots(2)
    crowd, teacher = slots.group("class A"), slots.group("class B")
    assert crowd.acquire(0.1) and crowd.acquire(0.1)  # class A takes both slots
    order = []

    def wait(handle, name):
        while not handle.acquire(0.05):  # as a Trainer asks: again and again, until its turn
            pass
        order.append(name)

    waiting = [threading.Thread(target=wait, args=(crowd, f"A{i}")) for i in range(5)]
    for thread in waiting:
        thread.start()
        time.sleep(0.02)
    late = threading.Thread(target=wait, args=(teacher, "B"))
    late.start()
    time.sleep(0.2)
    crowd.release()  # the first free slot: class B asked last, but runs nothing
    time.sleep(0.2)
    assert order == ["B"], order
    crowd.release()
    time.sleep(0.2)
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
    time.sleep(0.2)
    waiting = threading.Thread(target=train, args=("c",))
    waiting.start()
    time.sleep(0.3)
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
    off = load_limits(settings, environ={"RNNLAB_TRAINING_NICE": "0", "RNNLAB_MAX_CONCURRENT": "0"})
    assert (off.training_nice, off.max_concurrent) == (0, 3)  # 0 turns it off; 0 slots (nothing would train)
    # is refused and keeps the default, as every bad number does
    bad = load_limits(settings, environ={"RNNLAB_TRAINING_NICE": "-3"})
    assert bad.training_nice == 10  # a negative nice is refused: the default
