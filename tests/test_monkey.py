"""The monkey (tests/monkey.py) in the suite: a fixed budget of seeded random sequences of user actions.

A failure prints its seed and the shrunk list of actions that replays it. A long soak:
``python -m tests.monkey --actions 10000 --seed 1`` (figures in docs/PERFORMANCE.md).
"""

import pytest

from tests import monkey
from tests.apptest import follow_language

SEEDS = range(1, 7)  # about 80 s on 2 cores in all (the long soak: python -m tests.monkey)
STEPS = 25


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sequences_of_user_actions_break_nothing(seed, monkeypatch):
    follow_language(monkeypatch)
    actions = monkey.play(seed, STEPS)
    assert len(actions) == STEPS


def broken_stop(monkeypatch):
    import ui.actions

    def stop():
        raise RuntimeError("broken Stop")

    monkeypatch.setattr(ui.actions, "stop", stop)


def test_the_monkey_finds_a_bug_and_shrinks_its_replay(monkeypatch):
    """The tester itself: a Stop button that fails is found, and the replay shrinks to what matters."""
    follow_language(monkeypatch)
    broken_stop(monkeypatch)
    Action = monkey.Action
    actions = [Action("page", ("learn",)), Action("page", ("train",)), Action("number", ("epochs", 1000)),
               Action("language", ("zh",)), Action("click", ("b.start",)), Action("wait", (0.1,)),
               Action("click", ("b.stop",))]  # a long run: Stop is still there to click (50 epochs can end first)
    assert monkey.replay(actions)
    shrunk = [str(a) for a in monkey.shrink(actions, budget=16)]
    assert "click('b.start',)" in shrunk and "click('b.stop',)" in shrunk and len(shrunk) <= 4, shrunk


def test_a_failure_is_reported_with_its_seed_and_replay(monkeypatch):
    follow_language(monkeypatch)
    broken_stop(monkeypatch)
    monkeypatch.setattr(monkey, "shrink", lambda actions: actions[-3:])  # the shrinking is tested above
    Action = monkey.Action
    scripted = iter([Action("page", ("train",)), Action("number", ("epochs", 1000)), Action("click", ("b.start",)),
                     Action("wait", (0.1,)), Action("click", ("b.stop",))])
    monkeypatch.setattr(monkey, "draw", lambda rng, page: next(scripted))  # what a seed would find, found at once
    with pytest.raises(pytest.fail.Exception) as failure:
        monkey.play(7, 5)
    report = str(failure.value)
    assert "monkey seed 7 failed after 5 actions" in report and "shrunk to 3 actions" in report, report
    assert "click('b.stop',)" in report
