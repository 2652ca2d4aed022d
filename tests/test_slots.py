"""The server's training slots are shared fairly between groups (rnncore.training.slots)."""

import threading
import time

from rnncore.training.slots import FairSlots


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
